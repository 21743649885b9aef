import { readFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { flows } from "../flows/index.js";
import { captionOverrides } from "../src/bot/features/import.js";
import type { Draft } from "../src/form/draft.js";
import { computeValues } from "../src/form/totals.js";
import { DOC_REFUSALS } from "../src/import/read-docx.js";
import { MAX_IMPORT_BYTES } from "../src/import/read-file.js";
import { renderDocx } from "../src/report/render-docx.js";
import { type Harness, startHarness } from "./support/bot-harness.js";
import { buildDocx, oleFile } from "./support/docx-builder.js";
import { fixture, withCells } from "./support/fixtures.js";
import { activeTable2021, applyTable, officialReport, reviewTable } from "./support/official-layout.js";

/** An officer sends a report someone wrote (Word, text) and chooses what it is for. */

const ORG = "杭州市拱墅区住房和城乡建设局"; // the unit of the report-2022 fixture
const LAST_YEAR = "用作去年的报告（对比和预填）";
const report2022 = fixture("report-2022");
const values2022 = Object.fromEntries(computeValues(flows.flowFor("2021"), report2022.cells));
const docxOf = (draft: Draft) => renderDocx(flows.flowFor(draft.format), draft);

let h: Harness;
beforeEach(async () => {
  h = await startHarness({ now: () => new Date("2024-01-05T02:00:00Z") });
});
afterEach(async () => {
  expect(h.fake.errors).toEqual([]);
  await h.close();
});

const pendingRead = (userId: number) => h.store.readState(`importRead:${userId}`);

describe("last year's Word file, then /new for the next year", () => {
  it("pre-fills 上年结转 from it, and a cross-year warning names last year's figure", async () => {
    const officer = h.officer(71, "王五");
    officer.sendDocument("2022年报.docx", await docxOf(report2022));
    const summary = await officer.nextReply();
    expect(summary.text).toContain(`读到 ${ORG} 2022 年的报告：表格 200 格、正文 8 部分`);
    expect(summary.text).not.toContain("看不清");
    expect(await h.store.listReports(71)).toEqual([]);

    officer.press(LAST_YEAR);
    const kept = await officer.nextReply();
    expect(kept.text).toContain(`已记下 ${ORG} 2022年度的报告作为去年的报告`);
    expect(kept.text).toContain(`/new ${ORG} 2023`);

    officer.send(`/new ${ORG} 2023`);
    // Last year's text of the first part comes first, then the message that says what was created.
    await officer.nextReply();
    const created = await officer.nextReply();
    expect(created.text).toContain(`已新建：${ORG} 2023年度`);
    expect(created.text).toContain("已把");
    expect(created.text).toContain("预填了 二、上年结转政府信息公开申请数量（6 格");
    const [report] = await h.store.listReports(71);
    expect(report?.previous?.year).toBe(2022);
    const carriedOut = ["natural", "business", "research", "social", "legal", "other_org"].map(
      (c) => report2022.cells[`apply.carried_out.${c}`],
    );
    // Pre-filled, not answered: the officer confirms or corrects each row when they reach it.
    expect(
      ["natural", "business", "research", "social", "legal", "other_org"].map(
        (c) => report?.prefilled?.[`apply.carried_in.${c}`]?.value,
      ),
    ).toEqual(carriedOut);
    expect(Object.keys(report?.draft.cells ?? {})).toEqual([]);
    const history = await h.store.history(report!.id, 100);
    expect(history.map((e) => [e.target, e.new])).toContainEqual(["previous", `${ORG} 2022年度`]);

    // The officer changes 上年结转: the warning names last year's 结转下年度继续办理.
    officer.send("/sections");
    await officer.nextReply();
    officer.press(/^三、依申请公开 /);
    await officer.nextReply();
    officer.press(/二、上年结转/);
    await officer.nextReply();
    officer.send("5 0 0 0 0 0");
    const saved = await officer.nextReply();
    expect(saved.text).toContain(
      `二、上年结转=5，但去年报告的四、结转下年度继续办理=${report2022.cells["apply.carried_out.natural"]}`,
    );
  });

  it("becomes the current report's last year at once when that report is of the year after", async () => {
    const officer = h.officer(72);
    const seeded = await h.seedReport(72, { format: "2021", org: ORG, year: 2023, narrative: {}, cells: {} });
    officer.sendDocument("2022年报.docx", await docxOf(report2022));
    await officer.nextReply();
    officer.press(LAST_YEAR);
    expect((await officer.nextReply()).text).toContain("已保存为去年的报告");
    expect((await h.store.getReport(seeded.id))?.previous?.cells["apply.carried_out.natural"]).toBe(
      report2022.cells["apply.carried_out.natural"],
    );
  });
});

describe("this year's half-finished Word draft", () => {
  it("is imported after the usual confirmation, with the audit trail", async () => {
    const officer = h.officer(73, "赵六");
    const seeded = await h.seedReport(73, { format: "2021", org: ORG, year: 2022, narrative: {}, cells: {} });
    // The review table not filled in yet: all its cells blank.
    const reviewIds = Object.keys(report2022.cells).filter(
      (id) => id.startsWith("review.") || id.startsWith("litigation"),
    );
    const half = withCells(report2022, Object.fromEntries(reviewIds.map((id) => [id, undefined])));
    officer.sendDocument("草稿.docx", await docxOf(half));
    await officer.nextReply();
    officer.press("导入为今年的草稿");
    expect((await officer.nextReply()).text).toContain("确认导入吗");
    expect((await h.store.getReport(seeded.id))?.version).toBe(seeded.version);
    officer.press("确认导入");
    expect((await officer.nextReply()).text).toContain("✅ 已导入");
    const after = await h.store.getReport(seeded.id);
    expect(after?.draft.cells["apply.new.natural"]).toBe(report2022.cells["apply.new.natural"]);
    expect(after?.draft.cells["review.upheld"]).toBeUndefined();
    expect(after?.draft.narrative).toEqual(report2022.narrative);
    const history = await h.store.history(seeded.id, 1000);
    expect(history.find((e) => e.target === "apply.new.natural")?.byName).toBe("赵六");
  });

  it("asks for /new first when there is no report of that year", async () => {
    const officer = h.officer(74);
    officer.sendDocument("草稿.docx", await docxOf(report2022));
    await officer.nextReply();
    officer.press("导入为今年的草稿");
    expect((await officer.nextReply()).text).toContain(`请先发 /new ${ORG} 2022 新建`);
    expect(await h.store.listReports(74)).toEqual([]);
  });
});

describe("what the officer is shown", () => {
  it("lists every cell it could not read by row and column, and 取消 saves nothing", async () => {
    const officer = h.officer(75);
    const text = readFileSync(new URL("./fixtures/seed-report-2020.txt", import.meta.url), "utf8")
      .replace(/\t0\n(\n+四、政府信息公开行政复议)/, "\t待定\n$1")
      .replace("\t32\n", "\t约32\n");
    officer.sendDocument("2020年报.txt", new TextEncoder().encode(text));
    const summary = await officer.nextReply();
    expect(summary.text).toContain("读到 大关街道 2020 年的报告：表格 196 格、正文 8 部分；有 2 格看不清");
    expect(summary.text).toContain("· 政府集中采购「采购项目数量」：约32");
    expect(summary.text).toContain("· 四、结转下年度继续办理「总计」：待定");
    officer.press("取消");
    expect((await officer.nextReply()).text).toContain("已取消，什么也没有保存");
    expect(await pendingRead(75)).toBeUndefined();
    expect(await h.store.readState("lastYear:75")).toBeUndefined();
  });

  it("reads a report pasted as text, taking the officer's unit when the text names none", async () => {
    const officer = h.officer(76);
    await h.seedReport(76, { format: "2021", org: "龙岗区某局", year: 2025, narrative: {}, cells: {} });
    const pasted = readFileSync(new URL("./fixtures/published/longgang-2024.txt", import.meta.url), "utf8").replace(
      /^# .*\n/,
      "",
    );
    officer.send(pasted);
    const summary = await officer.nextReply();
    expect(summary.text).toContain("读到 龙岗区某局 2024 年的报告：表格 86 格");
    officer.press(LAST_YEAR);
    expect((await officer.nextReply()).text).toContain("已保存为去年的报告");
  });
});

describe("a file that does not say its unit or year", () => {
  it("asks for them in the caption, and takes them from it", async () => {
    const officer = h.officer(79);
    const blocks = officialReport({
      title: "政府信息公开工作年度报告",
      preamble: [],
      overview: ["（一）主动公开", "全年主动公开政府信息312条。"],
      active: activeTable2021((id) => String(values2022[id] ?? "")),
      apply: applyTable("2021", (id) => String(values2022[id] ?? "")),
      review: reviewTable((id) => String(values2022[id] ?? "")),
      problems: ["无。"],
      other: ["无。"],
      closing: [],
    });
    const bytes = buildDocx(blocks);
    officer.sendDocument("年报.docx", bytes);
    const refused = await officer.nextReply();
    expect(refused.text).toContain("看不出这是哪一年的报告");
    expect(refused.text).toContain("在“说明”里写上单位和年度");
    expect(await pendingRead(79)).toBeUndefined();

    officer.sendDocument("年报.docx", bytes, undefined, "某住建局 2022");
    expect((await officer.nextReply()).text).toContain("读到 某住建局 2022 年的报告：表格 200 格、正文 3 部分");
  });

  it("reads the caption's unit and year", () => {
    expect(captionOverrides("大关街道 2022")).toEqual({ org: "大关街道", year: 2022 });
    expect(captionOverrides("2022年度")).toEqual({ year: 2022 });
    expect(captionOverrides("大关街道")).toEqual({ org: "大关街道" });
    expect(captionOverrides(undefined)).toEqual({});
  });
});

describe("files that are not a readable report", () => {
  it.each([
    ["an old .doc", "年报.doc", oleFile("WordDocument"), DOC_REFUSALS.legacyDoc],
    ["a password-protected .docx", "年报.docx", oleFile("EncryptionInfo"), DOC_REFUSALS.encrypted],
    ["a corrupt .docx", "年报.docx", new Uint8Array([0x50, 0x4b, 0x03, 0x04, 1, 2, 3]), DOC_REFUSALS.corrupt],
    [
      "a Word file that is not a report",
      "通知.docx",
      buildDocx(["会议通知", "请准时参加。"]),
      "看起来不是政府信息公开工作年度报告",
    ],
  ])("refuses %s with what to send instead, and stores nothing", async (_, name, bytes, message) => {
    const officer = h.officer(77);
    officer.sendDocument(name, bytes);
    expect((await officer.nextReply()).text).toContain(message);
    expect(officer.lastReply()?.replyMarkup).toBeUndefined();
    expect(await pendingRead(77)).toBeUndefined();
  });

  it("refuses an oversized file without downloading it", async () => {
    const officer = h.officer(78);
    officer.sendDocument("年报.docx", new Uint8Array(MAX_IMPORT_BYTES + 1));
    expect((await officer.nextReply()).text).toContain("文件太大");
    expect(h.fake.calls.filter((c) => c.method === "getFile")).toEqual([]);
  });
});
