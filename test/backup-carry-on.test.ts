import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { flowFor, flows } from "../flows/index.js";
import type { Draft } from "../src/form/draft.js";
import { formSteps } from "../src/form/form-steps.js";
import { exportReport, loadReport } from "../src/form/load-report.js";
import { ReminderRunner } from "../src/reminders/runner.js";
import { reminderSender } from "../src/reminders/start-reminders.js";
import { renderDocx } from "../src/report/render-docx.js";
import { ENVELOPE_FILE, exportAll, importAll } from "../src/store/backup.js";
import { type Harness, startHarness, TOKEN } from "./support/bot-harness.js";
import { fixture } from "./support/fixtures.js";

/**
 * Issue "Production" 5: a restore into an empty store lets every officer
 * carry on where they were. Officers are part-way through on one bot and
 * store; everything is backed up and restored into an empty store of either
 * kind under a second bot; there the next answer lands in the next row of
 * the same report, last year's report kept for /new is still there, and the
 * reminder already sent is not sent again.
 */

const flow2021 = flowFor("2021");
const stepIndex = (id: string) =>
  formSteps(flow2021).find((s) => (s.kind === "row" ? s.row.id : s.part.id) === id)!.index;

/** A Beijing wall-clock time ("2027-01-17 10:00") as a Date. */
const bj = (s: string) => new Date(`${s.replace(" ", "T")}:00+08:00`);

const ORG = "杭州市拱墅区住房和城乡建设局"; // the unit of the report-2022 fixture
const LAST_YEAR = "用作去年的报告（对比和预填）";

const harnesses: Harness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) {
    expect(h.fake.errors).toEqual([]);
    await h.close();
  }
});

describe.each([
  ["embedded", "embedded"],
  ["redis", "redis"],
  ["redis", "embedded"],
] as const)("a backup of the %s store restored into an empty %s store", (fromKind, toKind) => {
  it("lets every officer carry on where they were, and sends no reminder twice", async () => {
    let clock = bj("2026-12-01 10:00");
    const now = () => clock;
    const start = async (store: "embedded" | "redis") => {
      const h = await startHarness({ store, now, storeNow: now });
      harnesses.push(h);
      return h;
    };
    const remindersOf = (h: Harness) =>
      new ReminderRunner(
        {
          store: h.store,
          flows,
          now,
          logger: pino({ level: "silent" }),
          sendMessage: reminderSender({ BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: h.fake.apiRoot }),
        },
        { perSecond: 1000 },
      );
    const reminded = (h: Harness, userId: number) =>
      h.fake.chat(userId)?.events.filter((m) => m.text.startsWith("⏰ 年报填报提醒")).length ?? 0;

    const before = await start(fromKind);
    const draft: Draft = { format: "2021", org: "测试街道", year: 2026, narrative: {}, cells: {} };
    const report = await before.seedReport(11, draft, { cursor: stepIndex("apply.new") });

    // 14 days before the deadline: the scheduler reminds officer 11.
    clock = bj("2027-01-17 10:00");
    const filler = before.officer(11, "张三");
    expect((await remindersOf(before).tick()).outcomes.sent).toBe(1);
    expect((await filler.nextReply()).text).toContain("⏰ 年报填报提醒");
    expect(reminded(before, 11)).toBe(1);
    // Officer 11 answers the first row; the bot asks the second.
    filler.send("3 0 0 0 1 0");
    const asked = await filler.nextReply();
    expect(asked.text).toContain("✅ 已保存：一、本年新收政府信息公开申请数量");
    expect(asked.text).toContain("二、上年结转政府信息公开申请数量");
    // Officer 12 keeps last year's Word report for the report they will create.
    const newcomer = before.officer(12, "李四");
    newcomer.sendDocument("2022年报.docx", await renderDocx(flowFor("2021"), fixture("report-2022")));
    await newcomer.nextReply();
    newcomer.press(LAST_YEAR);
    expect((await newcomer.nextReply()).text).toContain(`已记下 ${ORG} 2022年度的报告作为去年的报告`);

    const { files } = await exportAll(before.store, exportReport, clock);
    await before.close();
    harnesses.splice(harnesses.indexOf(before), 1);

    const after = await start(toKind);
    const read = (file: string) => {
      const loaded = loadReport(files.get(file) ?? "", flows);
      if (!loaded.ok) throw new Error(`${file}: ${loaded.error}`);
      return loaded.draft;
    };
    await importAll(after.store, JSON.parse(files.get(ENVELOPE_FILE) ?? ""), read);

    // The same officer's next answer lands in the second row of the same report.
    const filler2 = after.officer(11, "张三");
    // Telegram's message ids go on in the chat: the bot moved, the chat did not.
    after.fake.chat(11)!.nextMessageId = asked.messageId + 1;
    filler2.send("1 0 0 0 0 0");
    const saved = await filler2.nextReply();
    expect(saved.text).toContain("✅ 已保存：二、上年结转政府信息公开申请数量");
    const restored = await after.store.getReport(report.id);
    expect(restored?.draft.cells).toMatchObject({ "apply.new.natural": 3, "apply.carried_in.natural": 1 });
    expect((await after.store.getUser(11)).currentReportId).toBe(report.id);

    // The reminder of 17 January is not sent again; the next stage (7 days before) is.
    expect((await remindersOf(after).tick()).outcomes.sent).toBe(0);
    expect(reminded(after, 11)).toBe(0);
    clock = bj("2027-01-24 10:00");
    expect((await remindersOf(after).tick()).outcomes.sent).toBe(1);
    expect(reminded(after, 11)).toBe(1);

    // Officer 12 creates this year's report: last year's, kept before the move, pre-fills it.
    const newcomer2 = after.officer(12, "李四");
    newcomer2.send(`/new ${ORG} 2023`);
    await newcomer2.nextReply();
    expect((await newcomer2.nextReply()).text).toContain("预填了 二、上年结转政府信息公开申请数量");
    const [created] = await after.store.listReports(12);
    expect(created?.previous?.year).toBe(2022);
  }, 60_000);
});
