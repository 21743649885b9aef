import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { flows } from "../flows/index.js";
import type { Draft } from "../src/form/draft.js";
import { loadReport } from "../src/form/load-report.js";
import { reportState } from "../src/form/report-state.js";
import type { StoredReport } from "../src/store/store.js";
import { type Harness, startHarness } from "./support/bot-harness.js";
import { unzip } from "./support/docx-cells.js";
import type { BotMessage, Officer } from "./support/fake-telegram.js";
import { fixture, withCells } from "./support/fixtures.js";

/** /check, /preview, /report and /export driven through the real bot against the fake Bot API. */

const ORG = "杭州市拱墅区住房和城乡建设局";
const FINAL_NAME = `${ORG}2022年政府信息公开工作年度报告.docx`;
const DRAFT_NAME = `${ORG}2022年政府信息公开工作年度报告（草稿）.docx`;

let h: Harness;
beforeEach(async () => {
  // 2023-01-20 10:00 in Beijing: the date printed under the unit's name.
  h = await startHarness({ now: () => new Date("2023-01-20T02:00:00Z") });
});
afterEach(async () => {
  // No message Telegram would have refused (bad HTML, over 4,096 characters, bad buttons).
  expect(h.fake.errors).toEqual([]);
  await h.close();
});

/** Stores a report the way an import or /new leaves it and makes it the user's current one. */
async function seed(userId: number, draft: Draft, previous?: Draft): Promise<StoredReport> {
  const report = await h.store.createReport({ draft, members: [userId] });
  await h.store.setUser(userId, { currentReportId: report.id });
  if (!previous) return report;
  const updated = await h.store.updateReport(report.id, report.version, { previous }, []);
  if (!updated.ok) throw new Error("could not store last year's report");
  return updated.report;
}

/** Replies until one matches `last` (the bot's closing message of a multi-message answer). */
async function repliesUntil(officer: Officer, last: (m: BotMessage) => boolean): Promise<BotMessage[]> {
  const out: BotMessage[] = [];
  for (;;) {
    const reply = await officer.nextReply();
    out.push(reply);
    if (last(reply)) return out;
  }
}

/** The document's visible text: all w:t runs of the body and its headers. */
function docxText(bytes: Buffer): { body: string; headers: string } {
  const parts = unzip(bytes);
  const runs = (xml = "") => [...xml.matchAll(/<w:t(?:\s[^>]*)?>([^<]*)<\/w:t>/g)].map((m) => m[1]).join("");
  const headers = [...parts.entries()].filter(([name]) => /^word\/header\d*\.xml$/.test(name));
  return { body: runs(parts.get("word/document.xml")), headers: headers.map(([, xml]) => runs(xml)).join("") };
}

/** report-2022 with an error: 二、上年结转 no longer adds up with what was handled and carried over. */
const withError = () => withCells(fixture("report-2022"), { "apply.carried_in.natural": 7 });

describe("/check", () => {
  it("says there is nothing to fix on a complete, consistent report", async () => {
    const officer = h.officer(101);
    await seed(101, fixture("report-2022"));
    officer.send("/check");
    expect((await officer.nextReply()).text).toContain("没有发现问题");
  });

  it("names the cross-year checks it cannot make when last year's report is in the other format", async () => {
    const officer = h.officer(105);
    const thisYear = { ...fixture("report-2022"), year: 2021 };
    await seed(105, thisYear, fixture("seed-2020"));
    officer.send("/check");
    const text = (await repliesUntil(officer, (m) => m.text.includes("跨年核对"))).map((m) => m.text).join("\n");
    expect(text).toContain("去年的报告是2019年格式，以下跨年核对无法进行：二、现行有效件数与去年的现行有效件数");
    const same = h.officer(106);
    await seed(106, fixture("report-2022"), { ...fixture("report-2022"), year: 2021 });
    same.send("/check");
    expect((await same.nextReply()).text).not.toContain("跨年核对");
  });

  it("lists errors before warnings and summarises unanswered sections", async () => {
    const officer = h.officer(102);
    // seed-2020 has two warnings (A9-sum, R-problems); a cleared cell, a broken total and the A9 warning it causes add to them.
    const draft = withCells(fixture("seed-2020"), { "active.procurement.amount": undefined, "apply.new.natural": 99 });
    await seed(102, draft);
    officer.send("/check");
    const reply = await officer.nextReply();
    const text = reply.text;
    expect(text).toMatch(/核对结果：\d+ 个错误，1 个部分未填完，5 个提醒/);
    expect(text).toMatch(/未填完\n❌ \d+\. 二、主动公开政府信息情况：未填写/);
    const firstError = text.indexOf("❌");
    const firstWarning = text.indexOf("⚠️");
    expect(firstError).toBeGreaterThan(-1);
    expect(firstWarning).toBeGreaterThan(firstError);
    expect(text.lastIndexOf("❌")).toBeLessThan(firstWarning);
    expect(text).toMatch(/⚠️ \d+\. 五、没有写上一年问题的整改落实情况/);
  });

  it("splits a long list of findings into several messages, none over 3,500 characters", async () => {
    const officer = h.officer(103);
    // Every cell negative: one A6 error per cell that may not be negative, and broken relations on top.
    const draft = fixture("report-2022");
    const cells = Object.fromEntries(Object.keys(draft.cells).map((id) => [id, -1]));
    await seed(103, { ...draft, cells });
    officer.send("/check");
    const messages = await repliesUntil(officer, (m) => m.text.includes("/sections"));
    expect(messages.length).toBeGreaterThan(1);
    for (const m of messages) expect(m.text.length).toBeLessThanOrEqual(3500);
    const lines = messages.flatMap((m) => m.text.split("\n")).filter((l) => l.startsWith("❌"));
    expect(lines.length).toBeGreaterThan(100);
  });

  it("answers an officer without a report with the way to create one", async () => {
    const officer = h.officer(104);
    for (const command of ["/check", "/preview", "/report", "/export"]) {
      officer.send(command);
      expect((await officer.nextReply()).text).toContain("还没有报告");
    }
  });
});

describe("/preview", () => {
  it("shows the whole report: title, narrative, and every table in monospace", async () => {
    const officer = h.officer(201);
    await seed(201, fixture("report-2022"));
    officer.send("/preview");
    const messages = await repliesUntil(officer, (m) => m.text.includes("预览完毕"));
    const all = messages.map((m) => m.text).join("\n");
    expect(messages[0]!.text).toContain(`${ORG}2022年政府信息公开工作年度报告`);
    expect(all).toContain("一、总体情况");
    expect(all).toContain(fixture("report-2022").narrative.problems!.trim().slice(0, 20));
    const tables = messages.filter((m) => m.entities.some((e) => e.type === "pre"));
    expect(tables.map((m) => m.text.split("\n")[1])).toEqual(["主动公开表", "申请表", "复议诉讼表"]);
    // 申请表: 一、本年新收 adds up to 17 with six columns.
    expect(tables[1]!.text).toMatch(/一、本年新收.* 12 3 0 1 1 0 = 17/);
    for (const m of messages) expect(m.text.length).toBeLessThanOrEqual(4096);
  });

  it("escapes what the officer wrote, so text with < and & reaches the chat unchanged", async () => {
    const officer = h.officer(202);
    const draft = fixture("report-2022");
    const odd = "本单位<b>未</b>设 A&B 专栏，见 <https://example.org?a=1&b=2>。";
    await seed(202, { ...draft, org: "测试<局>&中心", narrative: { ...draft.narrative, other: odd } });
    officer.send("/preview");
    const messages = await repliesUntil(officer, (m) => m.text.includes("预览完毕"));
    const all = messages.map((m) => m.text).join("\n");
    expect(all).toContain("测试<局>&中心2022年政府信息公开工作年度报告");
    expect(all).toContain(odd);
  });
});

describe("/report", () => {
  it("builds a clean report at once, with the upload_document action and the official file name", async () => {
    const officer = h.officer(301);
    const seeded = await seed(301, fixture("report-2022"));
    officer.send("/report");
    const doc = await officer.waitForDocument({ timeoutMs: 20_000 });
    // The report is 已完成 from now on (reminders stop), until its content changes.
    await vi.waitFor(async () => {
      const stored = (await h.store.getReport(seeded.id))!;
      expect(reportState(flows.flowFor("2021"), stored)).toBe("finished");
    });
    expect(officer.chatActions.map((a) => a.action)).toContain("upload_document");
    expect(doc.fileName).toBe(FINAL_NAME);
    expect(doc.bytes.subarray(0, 2).toString()).toBe("PK");
    const { body, headers } = docxText(doc.bytes);
    expect(body).toContain(`${ORG}2022年政府信息公开工作年度报告`);
    expect(body).toContain("2023年1月20日");
    expect(body).not.toContain("待核实事项");
    expect(headers).not.toContain("草稿");
  });

  it("refuses the final document while there are errors and sends a 草稿 only when asked", async () => {
    const officer = h.officer(302);
    await seed(302, withError());
    officer.send("/report");
    const refusal = await officer.nextReply();
    expect(refusal.text).toContain("还不能生成正式报告");
    expect(refusal.text).toContain("❌ ");
    expect(officer.documents).toHaveLength(0);

    officer.press("生成草稿");
    const doc = await officer.waitForDocument({ timeoutMs: 20_000 });
    expect(doc.fileName).toBe(DRAFT_NAME);
    // A 草稿 does not finish the report.
    const [stored] = await h.store.listReports(302);
    expect(stored).not.toHaveProperty("finalized");
    const { body, headers } = docxText(doc.bytes);
    expect(headers).toContain("草稿");
    expect(body).toContain("草稿：待核实事项");
    expect(body).toContain("［须改正］");
    expect(officer.documents).toHaveLength(1);
  });

  it("lists the first ten errors and says how many more there are", async () => {
    const officer = h.officer(303);
    const draft = fixture("report-2022");
    const cells = Object.fromEntries(Object.keys(draft.cells).map((id) => [id, -1]));
    await seed(303, { ...draft, cells });
    officer.send("/report");
    const refusal = await officer.nextReply();
    expect(refusal.text.split("\n").filter((l) => l.startsWith("❌"))).toHaveLength(10);
    expect(refusal.text).toMatch(/还有 \d+ 个/);
  });

  it("asks to confirm the warnings, then sends the final document", async () => {
    const officer = h.officer(304);
    await seed(304, { ...fixture("seed-2020"), date: "2021-01-20", contact: "咨询电话：0571-00000000" });
    officer.send("/report");
    const question = await officer.nextReply();
    // 共44 vs 41, 整改落实.
    expect(question.text).toContain("核对结果：2 个提醒。生成正式报告前，请逐个核实。");
    expect(officer.documents).toHaveLength(0);
    officer.press("全部已核实，生成正式报告");
    const doc = await officer.waitForDocument({ timeoutMs: 20_000 });
    expect(doc.fileName).toBe("大关街道2020年政府信息公开工作年度报告.docx");
    expect(docxText(doc.bytes).headers).not.toContain("草稿");
  });

  it("checks again when a warning is confirmed: an error added since blocks the final document", async () => {
    const officer = h.officer(305);
    const report = await seed(305, { ...fixture("seed-2020"), date: "2021-01-20", contact: "咨询电话：0571-00000000" });
    officer.send("/report");
    await officer.nextReply();
    // A colleague breaks a total after the confirmation was offered.
    const broken = withCells(report.draft, { "apply.new.natural": 99 });
    const updated = await h.store.updateReport(report.id, report.version, { draft: broken }, []);
    expect(updated.ok).toBe(true);
    officer.press("已核实");
    const reply = await officer.nextReply();
    expect(reply.text).toContain("还不能生成正式报告");
    expect(officer.documents).toHaveLength(0);
    expect(officer.answers.at(-1)?.answer?.text).toContain("报告已有改动");
  });

  it("refuses a 生成报告 button of a report the presser is not a member of", async () => {
    const owner = await seed(306, withError());
    const stranger = h.officer(307);
    await seed(307, fixture("report-2022"));
    stranger.send("/start");
    const card = await stranger.nextReply();
    stranger.pressData(`1|f|${owner.id}|draft`, card.messageId);
    await expect.poll(() => stranger.answers.at(-1)?.answer?.text).toContain("不是它的填报人");
    expect(stranger.documents).toHaveLength(0);
  });
});

describe("/export", () => {
  it("sends the interchange JSON, which loads back to the same draft", async () => {
    const officer = h.officer(401);
    const draft = { ...fixture("report-2022"), contact: "联系电话：0571-00000000" };
    await seed(401, draft);
    officer.send("/export");
    const doc = await officer.waitForDocument();
    expect(doc.fileName).toBe(`${ORG}2022年政府信息公开工作年度报告.json`);
    const loaded = loadReport(doc.bytes.toString("utf8"), flows);
    expect(loaded).toEqual({ ok: true, draft });
  });
});
