import { afterEach, describe, expect, it } from "vitest";
import { flowFor } from "../flows/index.js";
import type { Draft } from "../src/form/draft.js";
import type { FormStep } from "../src/form/form-steps.js";
import type { StoredReport } from "../src/store/store.js";
import { startHarness } from "./support/bot-harness.js";
import { readDocx } from "./support/docx-cells.js";
import { ACTIVE_2021, applyTable, expectTable, REVIEW } from "./support/expected-tables.js";
import type { BotMessage } from "./support/fake-telegram.js";
import { fixture, withCells } from "./support/fixtures.js";
import { OfficerScript, stepOfQuestion } from "./support/officer-script.js";

/**
 * Issue "Trust", "Done when": an officer walks a whole 2021-format report
 * through the bot with the odd inputs of points 4, 5, 9 and 10 mixed in
 * (dialogues interrupted by commands, invisible texts, wrong rows followed by
 * the right one, numbers as officers type them), and the .docx holds exactly
 * the intended figures in every cell.
 */

// 10:00 in Beijing, 5 January 2023: the 2022 reports are being written.
const NOW = new Date("2023-01-05T02:00:00.000Z");
const flow = flowFor("2021");
const OFFICER = 4343;
const CONTACT = "地址：杭州市拱墅区丽水路100号；电话：0571-88000000";

/** The intended report: the 2022 fixture with figures an officer types in odd ways. */
const base = fixture("report-2022");
const intended: Draft = withCells(
  {
    ...base,
    narrative: {
      ...base.narrative,
      // The narrative states the new figures as officers write them, so its scan must read them alike.
      "overview.active": base.narrative["overview.active"]!.replace("行政处罚决定37件", "行政处罚决定一百五件")
        .replace("行政强制决定4件", "行政强制决定两万五件")
        .replace("收取行政事业性收费2.35万元", "收取行政事业性收费1,234.5万元"),
      "overview.on_request": base.narrative["overview.on_request"]!.replace("申请17件", "申请1017件").replace(
        "全年办结18件，其中予以公开8件",
        "全年办结1018件，其中予以公开1008件",
      ),
    },
  },
  {
    "active.licensing.decisions": 1286,
    "active.penalty.decisions": 150,
    "active.enforcement.decisions": 25000,
    "active.fees.amount": 1234.5,
    "apply.new.natural": 1012,
    "apply.disclosed.natural": 1005,
  },
);

/** How the officer types a row, when not as plain digits with spaces (point 10). */
const TYPED: Record<string, string> = {
  "active.licensing": "1,286",
  "active.penalty": "一百五",
  "active.enforcement": "两万五",
  // In 元 first; corrected to "1,234.5万" right after (afterRowSaved).
  "active.fees": "12345.5元",
  // A comma before exactly three digits groups thousands when the row's count then fits.
  "apply.new": "1,012 3 0 1 1 0",
  // Commas that only separate.
  "apply.carried_in": "2,0,0,0,0,0",
  "apply.disclosed": "1,005,1,0,1,1,0",
};

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe.each(["embedded", "redis"] as const)(
  "an officer's whole 2021-format report with odd inputs mixed in, on the %s store",
  (store) => {
    it("keeps exactly the intended figures, in the store and in every cell of the .docx", async () => {
      const h = await startHarness({ now: () => NOW, store });
      cleanups.push(() => h.close());
      const officer = h.officer(OFFICER, "王科员");

      /** Sends a text (or presses a button) and returns every message the bot sent for it. */
      const act = async (action: () => unknown): Promise<BotMessage[]> => {
        const from = officer.log.events.length;
        action();
        await h.settled();
        return officer.log.events.slice(from);
      };
      const say = (text: string) => act(() => officer.send(text));
      const lastOf = (messages: BotMessage[]) => {
        const m = messages.at(-1);
        if (!m) throw new Error("the bot did not reply");
        return m;
      };
      const report = async (): Promise<StoredReport> => {
        const reports = await h.store.listReports(OFFICER);
        expect(reports, "one report only").toHaveLength(1);
        return reports[0]!;
      };

      // Point 4 and 10: a wrong year in /new, then the year in Chinese numerals; the dialogue takes it.
      const asked = lastOf(await say(`/new ${intended.org} 1999`));
      expect(asked.text).toContain("请发 2019–2023 之间的年份");
      const created = lastOf(await say("二〇二二"));
      expect(created.text).toContain(`已新建：${intended.org} 2022年度`);

      const script: OfficerScript = new OfficerScript(officer, flow, intended, {
        beforeAnswer: (step) => oddInputs(step),
        typeRow: (step) => TYPED[step.row.id],
        // Paragraphs indented with ideographic spaces, a zero-width space stuck at the end.
        typePiece: (_, piece) => `\u3000\u3000${piece}\u200b`,
        async afterRowSaved(step, reply) {
          if (step.row.id === "active.licensing") expect(reply.text).toContain("行政许可\n本年处理决定数量 1286");
          if (step.row.id === "active.penalty") expect(reply.text).toContain("本年处理决定数量 150");
          if (step.row.id === "active.enforcement") expect(reply.text).toContain("本年处理决定数量 25000");
          if (step.row.id === "apply.new") expect(reply.text).toContain("自然人 1012");
          if (step.row.id !== "active.fees") return undefined;
          expect(reply.text).toContain("12345.5元按1.23455万元记");
          // Meant 1,234.5万: back to the row (上一行 under the next question) and typed again.
          const again = lastOf(await act(() => officer.press("上一行", { messageId: reply.messageId })));
          expect(stepOfQuestion(flow, again.text)).toBe(step);
          expect(again.text).toContain("已填：1.23455");
          const saved = lastOf(await say("1,234.5万"));
          expect(saved.text).toContain("本年收费金额（单位：万元） 1234.5");
          return saved;
        },
      });

      async function oddInputs(step: FormStep): Promise<BotMessage | undefined> {
        const id = step.kind === "row" ? step.row.id : step.part.id;
        const before = await report();
        switch (id) {
          case "overview.management": {
            // Point 4: /settings → 单位名称, then /check interrupts; the name sent after it lands nowhere.
            await say("/settings");
            expect(lastOf(await act(() => officer.press("单位名称")))).toMatchObject({
              text: expect.stringContaining("请发新的单位名称"),
            });
            const check = await say("/check");
            expect(check[0]?.text).toContain("已退出「修改设置」");
            const reply = lastOf(await say("大关街道"));
            expect(reply.text).toContain("这条消息没有保存：「修改设置」已经退出");
            expect((await report()).draft).toEqual(before.draft);
            return reply;
          }
          case "overview.platform": {
            // Point 4: a dialogue that is answered takes the answer; /fill goes back to the form.
            await say("/settings");
            await act(() => officer.press("联系方式"));
            expect(lastOf(await say(CONTACT)).text).toContain("✅ 已保存：联系方式改为");
            expect((await report()).draft).toEqual({ ...before.draft, contact: CONTACT });
            return lastOf(await say("/fill"));
          }
          case "overview.supervision": {
            // Point 5: nothing visible is nothing written.
            for (const invisible of ["\u200b", "\u3000\u3000", "\u200b\u3000\u2060\ufeff"]) {
              const reply = lastOf(await say(invisible));
              expect(reply.text).toContain("这条消息里没有看得见的文字，没有保存到「一、总体情况 · （五）监督保障」");
            }
            expect((await report()).draft).toEqual(before.draft);
            return undefined;
          }
          case "apply.withheld.2": {
            // Point 4: the year question of /new is interrupted by /fill; no report is created.
            expect(lastOf(await say("/new 某单位 1999")).text).toContain("请发 2019–2023 之间的年份");
            const back = await say("/fill");
            expect(back[0]?.text).toContain("已退出「新建报告」");
            expect((await report()).draft).toEqual(before.draft);
            return lastOf(back);
          }
          case "apply.withheld.3":
          case "apply.withheld.4": {
            // Point 9: each wrong row says what was wrong, repeats the full label and the columns, suggests no figures.
            const wrong: [string, string][] =
              id === "apply.withheld.3"
                ? [
                    ["3 0 0 0 1", "这一行要 6 个数，收到 5 个"],
                    ["无 0 0 见附件 0 0", "请发数字（第 4 个数）"],
                    ["-1 0 0 0 0 0", "这一格不能是负数（第 1 个数）"],
                  ]
                : [["1.5 0 0 0 0 0", "件数要是整数（第 1 个数）"]];
            for (const [text, reason] of wrong) {
              const replies = await say(text);
              expect(replies).toHaveLength(1);
              const hint = replies[0]!.text;
              expect(hint).toContain(`❌ 没有保存：${reason}`);
              expect(hint).toContain(`这一行是：（三）不予公开 · ${step.kind === "row" ? step.row.label : ""}`);
              expect(hint).toContain("请按顺序发 6 个数：自然人、商业企业、科研机构、社会公益组织、法律服务机构、其他");
              expect(hint).not.toMatch(/\d+(?:\s+\d+){2,}/);
              expect(hint).not.toContain("例如");
            }
            expect((await report()).draft).toEqual(before.draft);
            return undefined;
          }
          case "apply.partial": {
            // Point 10: both readings of the commas fit the row, so the bot asks and saves nothing.
            const reply = lastOf(await say("1,234,567 0 0 0 0"));
            expect(reply.text).toContain("❌ 没有保存：是「1 234567 0 0 0 0」还是「1234 567 0 0 0 0」？");
            expect((await report()).draft).toEqual(before.draft);
            return undefined;
          }
          default:
            return undefined;
        }
      }

      await script.fill(created);

      // The store holds exactly the intended figures and the texts as sent, without their invisible edges.
      const final = await report();
      expect(final.draft.cells).toEqual(intended.cells);
      expect(final.draft.narrative).toEqual(script.expected.narrative);
      expect(final.draft.contact).toBe(CONTACT);
      expect(final.draft.org).toBe(intended.org);

      const { document, warnings } = await script.report();
      // The narrative's "一百五件", "两万五件" and "1,234.5万元" agree with the rows: no narrative-vs-table warning
      // ("一（一）主动公开写…，表二为…").
      expect(warnings).not.toMatch(/写.*，表[一二三四]为/);
      const doc = readDocx(document.bytes);
      expect(doc.tables).toHaveLength(3);
      expectTable(doc.tables[0]!, ACTIVE_2021, intended);
      expectTable(doc.tables[1]!, applyTable("2021"), intended);
      expectTable(doc.tables[2]!, REVIEW, intended);
      const paragraphs = doc.paragraphs.map((p) => p.text);
      for (const text of Object.values(script.expected.narrative))
        for (const line of text.split("\n")) expect(paragraphs).toContain(line.trim());
      expect(h.fake.errors).toEqual([]);
    }, 60_000);
  },
);
