import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Draft } from "../src/form/draft.js";
import type { StoredReport } from "../src/store/store.js";
import { type Harness, startHarness } from "./support/bot-harness.js";
import { readDocx } from "./support/docx-cells.js";
import { ACTIVE_2021, applyTable, expectTable, REVIEW } from "./support/expected-tables.js";
import { type BotMessage, buttonTexts, type Officer } from "./support/fake-telegram.js";
import { fixture, withCells } from "./support/fixtures.js";
import { readHtml } from "./support/html-cells.js";

/**
 * Issue 12 in the chat, as an officer sees it: /settings and /report ask for
 * the 成文日期 and the contact, /report asks about each warning before a final
 * document and offers a 网页版, /check names every finding's cells with a
 * button to their question.
 */

let h: Harness;
beforeEach(async () => {
  // 2023-01-20 10:00 in Beijing: the date /report suggests for a 2022 report.
  h = await startHarness({ now: () => new Date("2023-01-20T02:00:00Z") });
});
afterEach(async () => {
  // No message Telegram would have refused (bad HTML, over 4,096 characters, bad buttons).
  expect(h.fake.errors).toEqual([]);
  await h.close();
});

/** report-2022 (complete, no finding) without the fields a test takes away. */
function report2022(without: ("date" | "contact")[] = []): Draft {
  const draft: Draft = { ...fixture("report-2022") };
  for (const field of without) delete draft[field];
  return draft;
}

const reload = async (report: StoredReport) => (await h.store.getReport(report.id))!;
const docText = (bytes: Buffer) =>
  readDocx(bytes)
    .paragraphs.map((p) => p.text)
    .join("\n");

/**
 * Waits until the bot finished the updates before: updates of one chat run in
 * turn, so the answer to the second /cancel comes after the first one's (and
 * everything before) was done. A dialogue writes its state after its last
 * reply (the first /cancel leaves one), and the harness must not close the
 * store under it.
 */
async function settled(officer: Officer): Promise<void> {
  for (let i = 0; i < 2; i++) {
    officer.send("/cancel");
    await repliesUntil(officer, (m) => m.text.includes("已取消"));
  }
}

/** Replies until one matches `last` (the closing message of a multi-message answer). */
async function repliesUntil(officer: Officer, last: (m: BotMessage) => boolean): Promise<BotMessage[]> {
  const out: BotMessage[] = [];
  for (;;) {
    const reply = await officer.nextReply();
    out.push(reply);
    if (last(reply)) return out;
  }
}

describe("the 成文日期", () => {
  it("is set in /settings from the ways officers type a date; an impossible one is refused clearly", async () => {
    const officer = h.officer(601);
    const report = await h.seedReport(601, report2022(["date"]));
    officer.send("/settings");
    expect((await officer.nextReply()).text).toContain("成文日期：未填");
    officer.press("成文日期");
    const prompt = await officer.nextReply();
    expect(prompt.text).toContain("现在的成文日期：未填（印在报告末尾单位名称下）");
    expect(prompt.text).toContain("例如 2023-01-20 或 2023年1月20日");

    officer.send("2023年2月30日");
    expect((await officer.nextReply()).text).toBe("没有2023年2月30日这一天，请再发一次。");
    officer.send("2022-12-30");
    expect((await officer.nextReply()).text).toBe(
      "2022年度报告的成文日期应在 2023年1月1日 到 2024年12月31日 之间，请再发一次。",
    );
    officer.send("下周一");
    expect((await officer.nextReply()).text).toContain("没有看懂这个日期");
    expect(await reload(report)).not.toHaveProperty("draft.date");

    officer.send("二〇二三年一月十八日");
    const card = await officer.nextReply();
    expect(card.text).toContain("✅ 已保存：成文日期改为 2023年1月18日。");
    expect((await reload(report)).draft.date).toBe("2023-01-18");

    // Month and day alone: the year after the report year.
    officer.send("/settings");
    await officer.nextReply();
    officer.press("成文日期");
    expect((await officer.nextReply()).text).toContain("现在的成文日期：2023年1月18日");
    officer.send("1月25日");
    expect((await officer.nextReply()).text).toContain("✅ 已保存：成文日期改为 2023年1月25日。");
    const history = await h.store.history(report.id, 10);
    expect(history.map((e) => [e.target, e.old, e.new])).toEqual([
      ["settings.date", "2023-01-18", "2023-01-25"],
      ["settings.date", null, "2023-01-18"],
    ]);
    await settled(officer);
  });

  it("is asked for at /report with today as the default; 用这个 saves it and the document carries it", async () => {
    const officer = h.officer(602);
    const report = await h.seedReport(602, report2022(["date"]));
    officer.send("/report");
    const question = await officer.nextReply();
    expect(question.text).toBe("成文日期（印在报告末尾单位名称下）用 2023年1月20日？");
    expect(buttonTexts(question)).toEqual([["用这个", "改日期"]]);
    expect(officer.documents).toHaveLength(0);

    officer.press("用这个");
    const saved = await officer.nextReply();
    // One message: what was saved and what comes next (nothing left to ask: the document, one tap away).
    expect(saved.text).toBe("✅ 已保存：成文日期改为 2023年1月20日。\n\n没有要核实的提醒了。");
    officer.press("生成正式报告");
    const doc = await officer.waitForDocument({ timeoutMs: 20_000 });
    expect(docText(doc.bytes)).toContain("2023年1月20日");
    expect((await reload(report)).draft.date).toBe("2023-01-20");
    // The report is finished (reminders stop) for the content the document was built for.
    await vi.waitFor(async () => expect((await reload(report)).finalized).toBeDefined());
    // That acknowledgement reached the officer: the next reply does not repeat it.
    officer.send("/start");
    expect((await officer.nextReply()).text).not.toContain("上次发的已保存");
  });

  it("can be changed at /report (改日期), then /report goes on", async () => {
    const officer = h.officer(603);
    const report = await h.seedReport(603, report2022(["date"]));
    officer.send("/report");
    await officer.nextReply();
    officer.press("改日期");
    expect((await officer.nextReply()).text).toContain("请发日期");
    officer.send("2023-02-29");
    expect((await officer.nextReply()).text).toBe("没有2023年2月29日这一天，请再发一次。");
    officer.send("2023/1/16");
    expect((await officer.nextReply()).text).toContain("✅ 已保存：成文日期改为 2023年1月16日。");
    officer.press("生成正式报告");
    const doc = await officer.waitForDocument({ timeoutMs: 20_000 });
    expect(docText(doc.bytes)).toContain("2023年1月16日");
    await settled(officer);
    expect((await reload(report)).draft.date).toBe("2023-01-16");
  });

  it("has no default for a report of years ago: /report asks for it", async () => {
    const officer = h.officer(604);
    await h.seedReport(604, { ...report2022(["date"]), year: 2020, format: "2021" });
    officer.send("/report");
    const question = await officer.nextReply();
    expect(question.text).toContain("这份报告还没有成文日期");
    officer.press("填写成文日期");
    expect((await officer.nextReply()).text).toContain("例如 2021-01-20");
    await settled(officer);
  });
});

describe("the contact", () => {
  it("is asked for at /report when missing; once given, the opening carries it", async () => {
    const officer = h.officer(611);
    const report = await h.seedReport(611, report2022(["contact"]));
    officer.send("/report");
    const question = await officer.nextReply();
    expect(question.text).toContain("报告开头一般写明电子版的下载网址和咨询电话，这份报告还没有。");
    expect(buttonTexts(question)).toEqual([["填写联系方式", "跳过"]]);
    officer.press("填写联系方式");
    expect((await officer.nextReply()).text).toContain("下载网址和咨询电话");
    officer.send("网址：www.example.gov.cn；电话：0571-81234567");
    expect((await officer.nextReply()).text).toContain(
      "✅ 已保存：联系方式改为 网址：www.example.gov.cn；电话：0571-81234567。",
    );
    officer.press("生成正式报告");
    const doc = await officer.waitForDocument({ timeoutMs: 20_000 });
    expect(docText(doc.bytes)).toContain("网址：www.example.gov.cn；电话：0571-81234567");
    await settled(officer);
    expect((await reload(report)).draft.contact).toBe("网址：www.example.gov.cn；电话：0571-81234567");
  });

  it("can be skipped: it stays a warning the officer confirms", async () => {
    const officer = h.officer(612);
    await h.seedReport(612, report2022(["contact"]));
    officer.send("/report");
    await officer.nextReply();
    officer.press("跳过");
    const warning = await officer.nextReply();
    expect(warning.text).toContain("核对结果：1 个提醒。生成正式报告前，请逐个核实");
    expect(warning.text).toContain("提醒 1/1：\n⚠️ 开头缺少联系方式");
    expect(warning.text).toContain("位置：联系方式");
    expect(buttonTexts(warning)).toEqual([["已核实，生成正式报告", "去修改"]]);
    officer.press("已核实，生成正式报告");
    const doc = await officer.waitForDocument({ timeoutMs: 20_000 });
    expect(doc.fileName).not.toContain("草稿");
  });
});

describe("warnings before a final document", () => {
  // seed-2020 with a date and a contact: two warnings (共44 vs 41; 整改落实 not mentioned).
  const seed2020 = () => ({ ...fixture("seed-2020"), date: "2021-01-20", contact: "咨询电话：0571-00000000" });

  it("are asked about one by one; the last confirmation builds the final document", async () => {
    const officer = h.officer(621);
    await h.seedReport(621, seed2020());
    officer.send("/report");
    const first = await officer.nextReply();
    expect(first.text).toContain("核对结果：2 个提醒。生成正式报告前，请逐个核实。");
    expect(first.text).toContain("提醒 1/2：\n⚠️ 一（一）主动公开写共44");
    expect(first.text).toContain("\n　位置：一（一）主动公开\n");
    expect(buttonTexts(first)).toEqual([["已核实", "去修改"], ["全部已核实，生成正式报告"]]);
    officer.press("已核实");
    const second = await officer.nextReply();
    expect(second.text).toContain("提醒 2/2：\n⚠️ 五、没有写上一年问题的整改落实情况");
    expect(officer.documents).toHaveLength(0);
    officer.press("已核实，生成正式报告");
    const doc = await officer.waitForDocument({ timeoutMs: 20_000 });
    expect(doc.fileName).toBe("大关街道2020年政府信息公开工作年度报告.docx");
  });

  it("are asked about again when they changed since the question was shown", async () => {
    const officer = h.officer(622);
    const report = await h.seedReport(622, seed2020());
    officer.send("/report");
    await officer.nextReply();
    // A colleague removes the contact: a third warning the officer has not seen.
    const { contact: _, ...noContact } = report.draft;
    expect((await h.store.updateReport(report.id, report.version, { draft: noContact }, [])).ok).toBe(true);
    officer.press("全部已核实，生成正式报告");
    const again = await officer.nextReply();
    expect(officer.answers.at(-1)?.answer?.text).toContain("报告已有改动");
    expect(again.text).toContain("这份报告还没有。");
    expect(officer.documents).toHaveLength(0);
  });

  it("去修改 opens the question the warning is about", async () => {
    const officer = h.officer(623);
    await h.seedReport(623, seed2020());
    officer.send("/report");
    await officer.nextReply();
    officer.press("去修改");
    const question = await officer.nextReply();
    expect(question.text).toContain("一、总体情况 · （一）主动公开\n");
  });

  it("are listed in a 草稿 with the errors", async () => {
    const officer = h.officer(624);
    const draft = withCells(report2022(["contact"]), { "apply.carried_in.natural": 7 });
    await h.seedReport(624, draft);
    officer.send("/report");
    expect((await officer.nextReply()).text).toContain("第一页列出这些问题和提醒");
    officer.press("生成草稿");
    const doc = await officer.waitForDocument({ timeoutMs: 20_000 });
    expect(doc.caption).toMatch(/草稿：\d+ 个问题（错误和未填完的部分）、\d+ 个提醒列在第一页/);
    const text = docText(doc.bytes);
    expect(text).toContain("［须改正］");
    expect(text).toContain("［请核实］开头缺少联系方式");
  });
});

describe("网页版", () => {
  it("sends the final report as one .html whose tables hold every cell", async () => {
    const officer = h.officer(631);
    const draft = report2022();
    await h.seedReport(631, draft);
    officer.send("/report");
    const docx = await officer.waitForDocument({ timeoutMs: 20_000 });
    expect(docx.caption).toContain("点「网页版」");
    officer.press("网页版", { messageId: docx.messageId });
    const page = await officer.waitForDocument({ timeoutMs: 20_000 });
    expect(page.fileName).toBe("杭州市拱墅区住房和城乡建设局2022年政府信息公开工作年度报告.html");
    const html = readHtml(page.bytes.toString("utf8"));
    expect(html.tables.map((t) => t.id)).toEqual(["active", "apply", "review"]);
    expectTable(html.tables[0]!, ACTIVE_2021, draft);
    expectTable(html.tables[1]!, applyTable("2021"), draft);
    expectTable(html.tables[2]!, REVIEW, draft);
    const words = html.blocks.map((b) => b.text).join("\n");
    expect(words).toContain("2023年1月20日");
    expect(words).not.toContain("待核实事项");

    // Tapped again on unchanged content: no second page.
    const again = officer.press("网页版", { messageId: docx.messageId });
    await vi.waitFor(() => expect(officer.answers.find((q) => q.id === again)?.answer?.text).toContain("刚刚发过"));
    await settled(officer);
    expect(officer.documents.filter((d) => d.fileName?.endsWith(".html"))).toHaveLength(1);
  });

  it("of a 草稿 lists what is open first", async () => {
    const officer = h.officer(632);
    await h.seedReport(632, withCells(report2022(), { "apply.carried_in.natural": 7 }));
    officer.send("/report");
    await officer.nextReply();
    officer.press("生成草稿");
    const docx = await officer.waitForDocument({ timeoutMs: 20_000 });
    officer.press("网页版", { messageId: docx.messageId });
    const page = await officer.waitForDocument({ timeoutMs: 20_000 });
    expect(page.fileName).toContain("（草稿）.html");
    const html = readHtml(page.bytes.toString("utf8"));
    expect(html.blocks[0]?.text).toContain("草稿：待核实事项");
    expect(html.blocks.map((b) => b.text).join("\n")).toContain("［须改正］");
  });
});

describe("/check", () => {
  it("names every finding's cells and offers a button to the question of the first", async () => {
    const officer = h.officer(641);
    // Errors in 三 (二、上年结转 no longer adds up), the date and contact missing, 五 without 整改落实.
    const draft = withCells(report2022(["date", "contact"]), { "apply.carried_in.natural": 7 });
    await h.seedReport(641, { ...draft, narrative: { ...draft.narrative, problems: "人员不足。" } });
    officer.send("/check");
    const [message] = await repliesUntil(officer, (m) => m.text.includes("点「改 N」"));
    const lines = message!.text.split("\n");
    const numbered = lines.filter((l) => /^(❌|⚠️) \d+\. /.test(l));
    // Every finding has its place on the next line, and a button 改 N.
    for (const line of numbered) expect(lines[lines.indexOf(line) + 1]).toMatch(/^　位置：/);
    expect(buttonTexts(message!).flat()).toEqual(numbered.map((_, i) => `改 ${i + 1}`));
    expect(message!.text).toContain("；二、上年结转政府信息公开申请数量：自然人；");
    expect(message!.text).toContain("位置：成文日期");
    expect(message!.text).toContain("位置：五、存在的主要问题及改进情况");

    // An error's button opens the row of its first cell; one naming totals only, the first row they add up.
    const number = (text: string) => numbered.findIndex((l) => l.includes(text)) + 1;
    officer.press(`改 ${number("「自然人」列")}`, { messageId: message!.messageId });
    expect((await officer.nextReply()).text).toContain("一、本年新收政府信息公开申请数量");
    officer.press(`改 ${number("「总计」列")}`, { messageId: message!.messageId });
    expect((await officer.nextReply()).text).toContain("一、本年新收政府信息公开申请数量");
    // The date's button opens the date's dialogue.
    officer.press(`改 ${number("成文日期")}`, { messageId: message!.messageId });
    expect((await officer.nextReply()).text).toContain("现在的成文日期：未填");
    officer.send("/cancel");
    await repliesUntil(officer, (m) => m.text.includes("已取消"));
    // 五's button opens the part.
    officer.press(`改 ${number("整改落实")}`, { messageId: message!.messageId });
    expect((await officer.nextReply()).text).toContain("五、存在的主要问题及改进情况");
  });
});

describe("/check on a report just begun", () => {
  it("names at most four rows of a table not yet filled, and how many there are", async () => {
    const officer = h.officer(651);
    await h.seedReport(651, { format: "2021", org: "大关街道", year: 2022, narrative: {}, cells: {} });
    officer.send("/check");
    const text = (await repliesUntil(officer, (m) => m.text.includes("点「改 N」"))).map((m) => m.text).join("\n");
    const apply = text.split("\n").find((l) => l.startsWith("　位置：三、申请表"));
    expect(apply).toMatch(/^　位置：三、申请表 一、本年新收政府信息公开申请数量：自然人、商业企业.*等 \d+ 行$/);
    expect(apply?.split("；")).toHaveLength(4);
  });
});
