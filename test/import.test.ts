import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { flowFor } from "../flows/index.js";
import type { Draft } from "../src/form/draft.js";
import { formSteps } from "../src/form/form-steps.js";
import type { StoredReport } from "../src/store/store.js";
import { type Harness, startHarness } from "./support/bot-harness.js";
import { fixture, withCells } from "./support/fixtures.js";

const ORG = "杭州市拱墅区住房和城乡建设局"; // the unit of the report-2022 fixture
const file2022 = fixture("report-2022");
const leafIds2021 = new Set(flowFor("2021").cells.map((c) => c.id));
const partStep = formSteps(flowFor("2021")).find((s) => s.kind === "part")!.index;

const bytesOf = (value: unknown) => Buffer.from(typeof value === "string" ? value : JSON.stringify(value));
const emptyDraft = (year: number, org = ORG): Draft => ({
  format: year >= 2021 ? "2021" : "2019",
  org,
  year,
  narrative: {},
  cells: {},
});

let h: Harness;
beforeEach(async () => {
  h = await startHarness({ now: () => new Date("2023-02-10T02:00:00Z") });
});
afterEach(async () => {
  expect(h.fake.errors).toEqual([]);
  await h.close();
});

const stored = async (id: string): Promise<StoredReport> => (await h.store.getReport(id))!;
const pendingOf = (userId: number) => h.store.readState(`import:${userId}`);
const answerTo = (officer: ReturnType<Harness["officer"]>, queryId: string) =>
  vi.waitFor(() => {
    const answer = officer.answers.find((q) => q.id === queryId)?.answer;
    if (!answer) throw new Error("the query is not answered yet");
    return answer;
  });

describe("importing a file of the report's year", () => {
  it("shows the file's findings, then replaces the answers after 确认导入 (totals checked, not stored)", async () => {
    const officer = h.officer(31, "李四");
    const seeded = await h.seedReport(31, {
      ...emptyDraft(2022),
      narrative: { problems: "旧的文字" },
      cells: { "apply.new.natural": 99 },
    });
    // A published report with a total that does not add up.
    const file = withCells(file2022, { "apply.new.total": 999 });
    officer.sendDocument("拱墅住建2022.json", bytesOf(file));
    const offer = await officer.nextReply();
    expect(offer.text).toContain(`📄 文件：${ORG} 2022年度（2021年格式）`);
    expect(offer.text).toMatch(/检查：\d+ 个错误/);
    expect(offer.text).toContain("文件里写的是999");
    expect(offer.text).toContain("文件里的总计只用来核对");
    expect(offer.text).toContain("确认导入吗");
    expect(offer.text).not.toContain("文件里的单位是");
    // Nothing is written before the confirmation.
    expect(await stored(seeded.id)).toEqual(seeded);

    officer.press("确认导入");
    const done = await officer.nextReply();
    expect(done.text).toContain("✅ 已导入");
    expect(done.text).toContain(`${ORG} 2022年度`); // the report card follows

    const after = await stored(seeded.id);
    expect(after.version).toBe(seeded.version + 1);
    const leaves = Object.fromEntries(Object.entries(file2022.cells).filter(([id]) => leafIds2021.has(id)));
    expect(after.draft.cells).toEqual(leaves);
    expect(after.draft.cells["apply.new.total"]).toBeUndefined();
    expect(after.draft.narrative).toEqual(file2022.narrative);
    expect(after.draft).toMatchObject({ org: ORG, year: 2022, format: "2021", contact: file2022.contact });
    const history = await h.store.history(seeded.id, 1000);
    expect(history.map((e) => [e.target, e.old, e.new, e.byName])).toContainEqual([
      "apply.new.natural",
      99,
      file2022.cells["apply.new.natural"],
      "李四",
    ]);
    expect(history.some((e) => e.target === "problems" && e.old === "旧的文字")).toBe(true);
    expect(history.some((e) => e.target === "apply.new.total")).toBe(false);
    expect(await pendingOf(31)).toBeUndefined();
  });

  it("changes nothing when the officer presses 取消", async () => {
    const officer = h.officer(32);
    const seeded = await h.seedReport(32, { ...emptyDraft(2022), cells: { "apply.new.natural": 99 } });
    officer.sendDocument("report.json", bytesOf(file2022));
    await officer.nextReply();
    expect(await pendingOf(32)).toBeDefined();
    officer.press("取消");
    expect((await officer.nextReply()).text).toContain("已取消导入");
    expect(await stored(seeded.id)).toEqual(seeded);
    expect(await h.store.history(seeded.id, 10)).toEqual([]);
    expect(await pendingOf(32)).toBeUndefined();
  });

  it("points out a different unit name and keeps the report's own", async () => {
    const officer = h.officer(33);
    const seeded = await h.seedReport(33, emptyDraft(2022, "大关街道"));
    officer.sendDocument("report.json", bytesOf(file2022));
    const offer = await officer.nextReply();
    expect(offer.text).toContain(`文件里的单位是「${ORG}」，当前报告是「大关街道」`);
    officer.press("确认导入");
    expect((await officer.nextReply()).text).toContain("单位名称仍是「大关街道」");
    const after = await stored(seeded.id);
    expect(after.draft.org).toBe("大关街道");
    expect(after.draft.narrative).toEqual(file2022.narrative);
  });

  it("does not apply an older file when the button of its offer is pressed after a newer upload", async () => {
    const officer = h.officer(34);
    const seeded = await h.seedReport(34, emptyDraft(2022));
    officer.sendDocument("first.json", bytesOf(withCells(file2022, { "apply.new.natural": 5 })));
    const first = await officer.nextReply();
    officer.sendDocument("second.json", bytesOf(withCells(file2022, { "apply.new.natural": 7 })));
    const second = await officer.nextReply();
    expect(second.messageId).not.toBe(first.messageId);

    const stale = officer.press("确认导入", { messageId: first.messageId });
    expect((await answerTo(officer, stale)).text).toContain("按钮已过期");
    expect(await stored(seeded.id)).toEqual(seeded);

    officer.press("确认导入", { messageId: second.messageId });
    await officer.nextReply();
    expect((await stored(seeded.id)).draft.cells["apply.new.natural"]).toBe(7);
  });

  it("refuses the confirmation when the report was changed after the upload", async () => {
    const officer = h.officer(35);
    const seeded = await h.seedReport(35, emptyDraft(2022));
    officer.sendDocument("report.json", bytesOf(file2022));
    await officer.nextReply();
    // Another officer of the unit answers something in the meantime.
    const edited = await h.store.updateReport(seeded.id, seeded.version, { cursor: partStep + 1 }, []);
    if (!edited.ok) throw new Error("could not edit the report");
    officer.press("确认导入");
    expect((await officer.nextReply()).text).toContain("报告又被改过");
    expect(await stored(seeded.id)).toEqual(edited.report);
  });
});

describe("importing last year's report", () => {
  it("keeps it as last year's report and lists the cross-year findings it brings", async () => {
    const officer = h.officer(41);
    // 2 carried in from 2022, where last year's file says 1 was carried out.
    const draft = {
      ...emptyDraft(2023),
      cells: { "apply.carried_in.natural": 2, "apply.carried_in.business": 0 },
    };
    const seeded = await h.seedReport(41, draft);
    officer.sendDocument("2022.json", bytesOf(withCells(file2022, { "apply.new.total": 999 })));
    const reply = await officer.nextReply();
    expect(reply.text).toContain(`已保存为去年的报告：${ORG} 2022年度`);
    expect(reply.text).toContain("跨年核对发现");
    expect(reply.text).toContain("二、上年结转=2，但去年报告的四、结转下年度继续办理=1");

    const after = await stored(seeded.id);
    expect(after.version).toBe(seeded.version + 1);
    expect(after.draft).toEqual(seeded.draft);
    expect(after.previous?.narrative).toEqual(file2022.narrative);
    expect(after.previous?.cells["apply.carried_out.natural"]).toBe(1);
    expect(after.previous?.cells["apply.new.total"]).toBeUndefined();
    const history = await h.store.history(seeded.id, 10);
    expect(history.map((e) => [e.target, e.old, e.new])).toEqual([["previous", null, `${ORG} 2022年度`]]);
  });

  it("offers 沿用去年 on a narrative part afterwards", async () => {
    const officer = h.officer(42);
    await h.seedReport(42, emptyDraft(2023), { cursor: partStep });
    officer.sendDocument("2022.json", bytesOf(file2022));
    expect((await officer.nextReply()).text).toContain("跨年核对：目前没有发现问题");
    officer.send("/fill");
    await vi.waitFor(() => expect(JSON.stringify(officer.lastReply()?.replyMarkup ?? null)).toContain("沿用去年"), {
      timeout: 5000,
    });
  });
});

describe("files that cannot be imported", () => {
  const minimal = { format: "2021", org: ORG, year: 2022, narrative: {}, cells: {} };
  it.each([
    ["a broken Word document", "年报.docx", Buffer.from("PK\u0003\u0004 not json"), ".docx 文件已损坏或不完整"],
    ["malformed JSON", "report.json", bytesOf("{ not json"), "不是有效的 JSON"],
    [
      "a format that does not fit the year",
      "report.json",
      bytesOf({ ...minimal, format: "2019" }),
      '2022 年度的报告应使用 "2021" 格式',
    ],
    ["an unknown cell id", "report.json", bytesOf({ ...minimal, cells: { "apply.unknown": 1 } }), '"apply.unknown"'],
    ["a file that is not UTF-8", "report.json", Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), "不是 UTF-8"],
    [
      "a file of another year",
      "report.json",
      bytesOf({ ...minimal, year: 2019, format: "2019" }),
      "这个文件是 2019 年度的，当前报告是 2022 年度",
    ],
    ["a file over 1 MB", "big.json", Buffer.alloc(1024 * 1024 + 1, 0x20), "文件太大"],
  ])("refuses %s and changes nothing", async (_, name, bytes, message) => {
    const officer = h.officer(51);
    const seeded = await h.seedReport(51, { ...emptyDraft(2022), cells: { "apply.new.natural": 3 } });
    officer.sendDocument(name, bytes);
    expect((await officer.nextReply()).text).toContain(message);
    expect(await stored(seeded.id)).toEqual(seeded);
    expect(await pendingOf(51)).toBeUndefined();
  });

  it("refuses a file over 1 MB without downloading it", async () => {
    const officer = h.officer(52);
    await h.seedReport(52, emptyDraft(2022));
    officer.sendDocument("big.json", Buffer.alloc(2 * 1024 * 1024, 0x20));
    expect((await officer.nextReply()).text).toContain("文件太大（2048 KB）");
    expect(h.fake.calls.filter((c) => c.method === "getFile")).toEqual([]);
  });

  it("asks an officer without a report to create one first", async () => {
    const officer = h.officer(53);
    officer.sendDocument("report.json", bytesOf(file2022));
    expect((await officer.nextReply()).text).toContain("发 /start 新建一份");
    expect(await h.store.listReports(53)).toEqual([]);
  });
});
