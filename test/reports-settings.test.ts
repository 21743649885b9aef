import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { flowFor, formatForYear } from "../flows/index.js";
import { encodeCallback } from "../src/bot/callback-data.js";
import type { Draft } from "../src/form/draft.js";
import { formSteps } from "../src/form/form-steps.js";
import type { AuditEntry, StoredReport } from "../src/store/store.js";
import { type Harness, startHarness } from "./support/bot-harness.js";
import { buttonTexts, type Officer } from "./support/fake-telegram.js";
import { fixture } from "./support/fixtures.js";

// 2026-02-10 02:00 UTC is 10:00 in Beijing; the default report year is 2025.
const NOW = new Date("2026-02-10T02:00:00Z");
const draft = (org: string, year = 2025): Draft => ({
  format: formatForYear(year),
  org,
  year,
  narrative: {},
  cells: {},
});
const stepIndex = (id: string) =>
  formSteps(flowFor("2021")).find((s) => (s.kind === "row" ? s.row.id : s.part.id) === id)!.index;

let h: Harness;
beforeEach(async () => {
  h = await startHarness({ now: () => NOW });
});
afterEach(async () => {
  expect(h.fake.errors).toEqual([]);
  await h.close();
});

/** A report as /new stores it (with the default deadline), made current for its creator. */
async function seed(members: number[], d: Draft, deadline = `${d.year + 1}-01-31`): Promise<StoredReport> {
  const report = await h.store.createReport({ draft: d, members, deadline });
  await h.store.setUser(members[0]!, { currentReportId: report.id });
  return report;
}

const reload = async (id: string) => (await h.store.getReport(id))!;

/** The answer (toast) the bot gave to a callback query. */
async function answerTo(officer: Officer, queryId: string): Promise<string | undefined> {
  return vi.waitFor(() => {
    const answer = officer.answers.find((q) => q.id === queryId)?.answer;
    if (!answer) throw new Error("not answered yet");
    return answer.text;
  });
}

/** Opens one of the officer's reports from /reports. */
async function openFromList(officer: Officer, button: string | RegExp) {
  officer.send("/reports");
  await officer.nextReply();
  officer.press(button);
  return officer.nextReply();
}

/** Starts the dialogue for one setting from /settings and returns its question. */
async function askSetting(officer: Officer, button: string) {
  officer.send("/settings");
  await officer.nextReply();
  officer.press(button);
  return officer.nextReply();
}

describe("/reports", () => {
  it("lists the officer's reports with the current one marked and switches to another", async () => {
    const officer = h.officer(31);
    const older = await seed([31], draft("大关街道"));
    const newer = await seed([31], draft("A&B镇", 2020));
    officer.send("/reports");
    const list = await officer.nextReply();
    expect(list.text).toContain("我的报告（共 2 份）");
    expect(list.text).toContain("A&B镇 2020年度（2019年格式） · 当前");
    expect(list.text).toContain("大关街道 2025年度（2021年格式）");
    expect(list.text).not.toContain("大关街道 2025年度（2021年格式） · 当前");
    expect(buttonTexts(list).flat().sort()).toEqual(["▶ A&B镇 2020", "大关街道 2025"].sort());

    officer.press("大关街道 2025");
    const view = await officer.nextReply();
    expect(view.text).toContain("大关街道 2025年度（2021年格式）");
    expect(view.text).not.toContain("当前在填");
    expect(buttonTexts(view)[0]).toEqual(["切换到这份", "改名", "删除"]);

    officer.press("切换到这份");
    const card = await officer.nextReply();
    expect(card.text).toContain("已切换到这份报告");
    expect(card.text).toContain("大关街道 2025年度");
    expect((await h.store.getUser(31)).currentReportId).toBe(older.id);

    officer.send("/reports");
    expect((await officer.nextReply()).text).toContain("大关街道 2025年度（2021年格式） · 当前");
    expect((await reload(newer.id)).draft.org).toBe("A&B镇");
  });

  it("tells the other members when one of them blocked the bot (no reminders reach them)", async () => {
    const officer = h.officer(33);
    await seed([33, 34, 35], draft("大关街道"));
    await h.store.reminders.markInactive(34, new Date("2026-01-24T02:00:00Z"));
    await openFromList(officer, "▶ 大关街道 2025");
    const view = officer.lastReply()!;
    expect(view.text).toContain("填报人：3 位（你创建的）");
    expect(view.text).toContain("其中 1 位已屏蔽机器人，收不到提醒");
    // Unblocking the bot sends /start: the member is reachable again.
    const member = h.officer(34);
    member.send("/start");
    await member.nextReply();
    expect(await h.store.reminders.inactive([34])).toEqual(new Map());
    await openFromList(officer, "▶ 大关街道 2025");
    expect(officer.lastReply()!.text).not.toContain("屏蔽");
  });

  it("renames a report through a short dialogue and records who changed it", async () => {
    const officer = h.officer(32, "李四");
    const report = await seed([32], draft("大关街道"));
    await openFromList(officer, "▶ 大关街道 2025");
    officer.press("改名");
    expect((await officer.nextReply()).text).toContain("现在的单位名称：大关街道");

    officer.send("大关<街道>");
    expect((await officer.nextReply()).text).toContain("不能有换行或尖括号");
    expect((await reload(report.id)).draft.org).toBe("大关街道");

    officer.send("大关街道办事处");
    const card = await officer.nextReply();
    expect(card.text).toContain("✅ 已保存：单位名称改为 大关街道办事处。");
    expect(card.text).toContain("大关街道办事处 2025年度");
    expect((await reload(report.id)).draft.org).toBe("大关街道办事处");
    const history = await h.store.history(report.id, 10);
    expect(history.map((e) => [e.target, e.old, e.new, e.by, e.byName])).toEqual([
      ["settings.org", "大关街道", "大关街道办事处", 32, "李四"],
    ]);

    // The dialogue is over: the next text is an answer to the form again, not a name.
    await vi.waitFor(async () => {
      const state = await h.store.readState(`conv:${officer.chatId}`);
      expect(JSON.stringify(state ?? {}).length).toBeLessThan(100);
    });
    officer.send("又一个名字");
    await officer.nextReply();
    expect((await reload(report.id)).draft.org).toBe("大关街道办事处");
  });

  it("deletes a report only after confirmation and forgets it as the current one", async () => {
    const officer = h.officer(33);
    const kept = await seed([33], draft("留下的镇"));
    const doomed = await seed([33], draft("要删的镇", 2024));
    await openFromList(officer, "▶ 要删的镇 2024");
    officer.press("删除");
    expect((await officer.nextReply()).text).toContain("确定删除「要删的镇 2024年度」吗");
    officer.press("不删了");
    expect((await officer.nextReply()).text).toContain("要删的镇 2024年度");
    expect(await h.store.getReport(doomed.id)).toBeDefined();

    officer.press("删除");
    await officer.nextReply();
    officer.press("确认删除");
    expect((await officer.nextReply()).text).toContain("已删除「要删的镇 2024年度」");
    expect(await h.store.getReport(doomed.id)).toBeUndefined();
    expect((await h.store.getUser(33)).currentReportId).toBeUndefined();
    expect((await h.store.listReports(33)).map((r) => r.id)).toEqual([kept.id]);

    // The confirmation button of the deleted report changes nothing any more.
    const stale = officer.press("确认删除");
    expect(await answerTo(officer, stale)).toContain("不存在");
    expect(await h.store.getReport(kept.id)).toBeDefined();
  });

  it("does not let a member who did not create the report delete it", async () => {
    const creator = h.officer(41);
    const member = h.officer(42);
    const shared = await seed([41, 42], draft("共用街道"));
    await h.store.setUser(42, { currentReportId: shared.id });
    const view = await openFromList(member, "▶ 共用街道 2025");
    expect(view.text).toContain("填报人：2 位");
    expect(view.text).not.toContain("你创建的");

    expect(await answerTo(member, member.press("删除"))).toContain("只有创建这份报告的人才能删除");
    const forged = member.pressData(encodeCallback("reports", shared.id, "rmok"), view.messageId);
    expect(await answerTo(member, forged)).toContain("只有创建这份报告的人才能删除");
    expect(await reload(shared.id)).toMatchObject({ version: shared.version, members: [41, 42] });

    // The creator sees the same report as theirs.
    expect((await openFromList(creator, "▶ 共用街道 2025")).text).toContain("（你创建的）");
  });
});

describe("/settings", () => {
  it("shows the values, each with a button, and whether reminders are on", async () => {
    const officer = h.officer(50);
    await seed([50], { ...draft("大关街道"), contact: "电话：<0571>" });
    officer.send("/settings");
    const reply = await officer.nextReply();
    expect(reply.text).toContain("单位名称：大关街道");
    expect(reply.text).toContain("年度：2025（2021年格式）");
    expect(reply.text).toContain("截止日期：2026年1月31日（默认）");
    expect(reply.text).toContain("内部截止日期：未设");
    expect(reply.text).toContain("联系方式：电话：<0571>");
    expect(reply.text).toContain("成文日期：未填");
    expect(reply.text).toContain("提醒：开启（截止前 30、14、7、3、1 天和当天 09:30）");
    expect(buttonTexts(reply)).toEqual([
      ["单位名称", "年度"],
      ["截止日期", "内部截止日期"],
      ["联系方式", "成文日期"],
      ["关闭提醒"],
    ]);

    // The card's 设置 button shows the same.
    officer.send("/start");
    await officer.nextReply();
    officer.press("设置");
    expect((await officer.nextReply()).text).toBe(reply.text);
  });

  it("changes the deadline and refuses a date that does not exist", async () => {
    const officer = h.officer(51);
    const report = await seed([51], draft("大关街道"));
    expect((await askSetting(officer, "截止日期")).text).toContain("现在的截止日期：2026年1月31日");
    officer.send("2026-02-30");
    expect((await officer.nextReply()).text).toContain("没有看懂这个日期");
    officer.send("2031-01-31");
    expect((await officer.nextReply()).text).toContain("截止日期应在 2025–2027 年之间");
    expect((await reload(report.id)).deadline).toBe("2026-01-31");

    officer.send("2026年3月15日");
    const card = await officer.nextReply();
    expect(card.text).toContain("✅ 已保存：截止日期改为 2026年3月15日。");
    expect(card.text).toContain("距截止还有 33 天（2026年3月15日）");
    expect((await reload(report.id)).deadline).toBe("2026-03-15");
    const [entry] = await h.store.history(report.id, 10);
    expect(entry).toMatchObject({ target: "settings.deadline", old: "2026-01-31", new: "2026-03-15" });
  });

  it("sets and clears the internal due date; the card shows both deadlines", async () => {
    const officer = h.officer(56);
    const report = await seed([56], draft("大关街道"));
    expect((await askSetting(officer, "内部截止日期")).text).toContain("现在的内部截止日期：未设");
    officer.send("2026-02-20");
    const card = await officer.nextReply();
    expect(card.text).toContain("✅ 已保存：内部截止日期改为 2026年2月20日。");
    expect(card.text).toContain("距内部截止还有 10 天（2026年2月20日）\n距截止已过 10 天（2026年1月31日）");
    const saved = await reload(report.id);
    expect(saved.dueDate).toBe("2026-02-20");
    expect(saved.deadlinesSetAt).toBeDefined();
    await askSetting(officer, "内部截止日期");
    officer.send("无");
    expect((await officer.nextReply()).text).toContain("✅ 已保存：内部截止日期已清除。");
    expect(await reload(report.id)).not.toHaveProperty("dueDate");
    const history = await h.store.history(report.id, 10);
    expect(history.map((e) => [e.target, e.old, e.new])).toEqual([
      ["settings.dueDate", "2026-02-20", null],
      ["settings.dueDate", null, "2026-02-20"],
    ]);
  });

  it("turns reminders off and on for the officer who presses, not for the other members", async () => {
    const officer = h.officer(57);
    const report = await seed([57, 58], draft("大关街道"));
    officer.send("/settings");
    await officer.nextReply();
    officer.press("关闭提醒");
    expect((await officer.nextReply()).text).toBe("🔕 已关闭这份报告的提醒。");
    const shown = await officer.nextReply();
    expect(shown.text).toContain("提醒：已关闭");
    expect((await reload(report.id)).muted).toEqual([57]);
    officer.press("打开提醒", { messageId: shown.messageId });
    expect((await officer.nextReply()).text).toBe("🔔 已打开这份报告的提醒。");
    await officer.nextReply();
    expect(await reload(report.id)).not.toHaveProperty("muted");
    const history = await h.store.history(report.id, 10);
    expect(history.map((e) => [e.target, e.new])).toEqual([
      ["settings.reminders", "开启"],
      ["settings.reminders", "关闭"],
    ]);
  });

  it("sets the contact line, refuses one that is too long and clears it with 无", async () => {
    const officer = h.officer(52);
    const report = await seed([52], draft("大关街道"));
    expect((await askSetting(officer, "联系方式")).text).toContain("现在的联系方式：未填");
    officer.send("地址：大关路1号；电话：0571-88888888");
    expect((await officer.nextReply()).text).toContain(
      "✅ 已保存：联系方式改为 地址：大关路1号；电话：0571-88888888。",
    );
    expect((await reload(report.id)).draft.contact).toBe("地址：大关路1号；电话：0571-88888888");

    await askSetting(officer, "联系方式");
    officer.send("电".repeat(301));
    expect((await officer.nextReply()).text).toContain("联系方式太长了，请在 300 字以内");
    officer.send("无");
    expect((await officer.nextReply()).text).toContain("✅ 已保存：联系方式已清除。");
    expect((await reload(report.id)).draft).not.toHaveProperty("contact");
    const history = await h.store.history(report.id, 10);
    expect(history.map((e) => [e.target, e.old, e.new])).toEqual([
      ["settings.contact", "地址：大关路1号；电话：0571-88888888", null],
      ["settings.contact", null, "地址：大关路1号；电话：0571-88888888"],
    ]);
  });

  it("changes the year within the report's format and moves a default deadline with it", async () => {
    const officer = h.officer(53);
    const report = await seed([53], draft("大关街道"));
    expect((await askSetting(officer, "年度")).text).toContain("只能是同一格式的年份（2021 年及以后）");
    officer.send("2020");
    const refusal = (await officer.nextReply()).text;
    expect(refusal).toContain("2020 年度要用2019年格式");
    expect(refusal).toContain("/new 单位名称 2020");
    expect((await reload(report.id)).draft.year).toBe(2025);

    officer.send("2024年");
    expect((await officer.nextReply()).text).toContain("✅ 已保存：年度改为 2024。");
    const after = await reload(report.id);
    expect(after.draft).toMatchObject({ year: 2024, format: "2021" });
    expect(after.deadline).toBe("2025-01-31");
    const history = await h.store.history(report.id, 10);
    expect(history.map((e) => [e.target, e.old, e.new])).toEqual(
      expect.arrayContaining([
        ["settings.year", 2025, 2024],
        ["settings.deadline", "2026-01-31", "2025-01-31"],
      ]),
    );
  });

  it("keeps a deadline set by hand when the year changes", async () => {
    const officer = h.officer(54);
    const report = await seed([54], draft("某镇", 2020), "2021-03-01");
    await askSetting(officer, "年度");
    officer.send("2019");
    await officer.nextReply();
    expect(await reload(report.id)).toMatchObject({ draft: { year: 2019, format: "2019" }, deadline: "2021-03-01" });
  });

  it("leaves the dialogue when a sticker is sent, says so, and saves the next text nowhere", async () => {
    const officer = h.officer(56);
    const report = await seed([56], draft("大关街道"));
    // The cursor on a narrative part: a stray text there would be appended to it.
    const moved = await h.store.updateReport(report.id, report.version, { cursor: stepIndex("overview.active") }, []);
    expect(moved.ok).toBe(true);
    await askSetting(officer, "联系方式");
    officer.sendSticker();
    expect((await officer.nextReply()).text).toContain("已退出「修改设置」");
    expect((await officer.nextReply()).text).toContain("我只看得懂文字");
    officer.send("电话：0571-1234");
    expect((await officer.nextReply()).text).toContain("这条消息没有保存：「修改设置」已经退出");
    const after = await reload(report.id);
    expect(after.draft.contact).toBeUndefined();
    expect(after.draft.narrative).toEqual({});
  });

  it("leaves the dialogue when a data file is sent, says so, and reads the file as usual", async () => {
    const officer = h.officer(57);
    await seed([57], draft("大关街道", 2022));
    await askSetting(officer, "成文日期");
    officer.sendDocument("2022年报.json", Buffer.from(JSON.stringify(fixture("report-2022"))));
    expect((await officer.nextReply()).text).toContain("已退出「修改设置」");
    expect((await officer.nextReply()).text).toContain("确认导入吗");
  });

  it("leaves the dialogue when another button is pressed, and does what that button says", async () => {
    const officer = h.officer(55);
    const report = await seed([55], draft("大关街道"));
    await askSetting(officer, "单位名称");
    officer.press("联系方式");
    expect((await officer.nextReply()).text).toContain("已退出「修改设置」");
    expect((await officer.nextReply()).text).toContain("现在的联系方式");
    officer.send("电话：0571-1234");
    await officer.nextReply();
    expect((await reload(report.id)).draft).toMatchObject({ org: "大关街道", contact: "电话：0571-1234" });
  });
});

describe("/history", () => {
  it("shows when, who, what and old → new for answers and settings, newest first", async () => {
    const officer = h.officer(61, "张三");
    await h.seedReport(61, draft("测试街道"), { cursor: stepIndex("apply.new") });
    officer.send("3 0 0 0 1 0");
    await officer.nextReply();
    officer.send("2 0 0 0 0 0");
    await officer.nextReply();
    await askSetting(officer, "单位名称");
    officer.send("测试街道办事处");
    await officer.nextReply();

    officer.send("/history");
    const reply = await officer.nextReply();
    const text = reply.text;
    // Six cells of each row (empty → a number is a change, 0 included) and the new name.
    expect(text).toContain("测试街道办事处 2025年度 最近 13 条修改");
    expect(text).toContain("02-10 10:00 张三：单位名称\n　测试街道 → 测试街道办事处");
    expect(text).toContain("02-10 10:00 张三：三、申请表 一、本年新收政府信息公开申请数量「自然人」\n　空 → 3");
    expect(text).toContain("三、申请表 二、上年结转政府信息公开申请数量「自然人」\n　空 → 2");
    expect(text.indexOf("单位名称")).toBeLessThan(text.indexOf("本年新收"));
    expect(text.match(/→/g)).toHaveLength(13);
  });

  it("names narrative parts by heading, clips long values, escapes names and fits one message", async () => {
    const officer = h.officer(62);
    const report = await seed([62], draft("测试街道"));
    const entry = (i: number, over: Partial<AuditEntry>): AuditEntry => ({
      at: new Date(NOW.getTime() - (20 - i) * 60_000).toISOString(),
      by: 99,
      target: "overview.active",
      old: null,
      new: null,
      ...over,
    });
    const long = "本年度共主动公开政府信息一千二百条，其中规章两件，规范性文件八件。".repeat(5);
    const audit = [
      ...Array.from({ length: 18 }, (_, i) =>
        entry(i, { byName: `<王五>${"长".repeat(60)}`, old: long, new: `${long}又` }),
      ),
      entry(18, { target: "problems", new: "无" }),
      entry(19, { target: "settings.deadline", old: "2026-01-31", new: "2026-03-01" }),
    ];
    expect((await h.store.updateReport(report.id, report.version, {}, audit)).ok).toBe(true);

    officer.send("/history");
    const reply = await officer.nextReply();
    expect(reply.text.length).toBeLessThanOrEqual(4096);
    expect(reply.text).toContain("09:59 99：截止日期\n　2026年1月31日 → 2026年3月1日");
    expect(reply.text).toContain("09:58 99：五、存在的主要问题及改进情况\n　空 → 无");
    expect(reply.text).toContain(`<王五>${"长".repeat(16)}…：（一）主动公开`);
    expect(reply.text).toContain(`${[...long].slice(0, 30).join("")}… → `);
    expect(reply.text).not.toContain(long);
    expect(reply.text.match(/→/g)).toHaveLength(15);
  });

  it("says so when there is nothing yet", async () => {
    const officer = h.officer(63);
    await seed([63], draft("测试街道"));
    officer.send("/history");
    expect((await officer.nextReply()).text).toContain("还没有修改记录");
  });
});

describe("buttons of someone else's report", () => {
  it("change nothing, even with the real report id", async () => {
    const owner = h.officer(71);
    const stranger = h.officer(72);
    const report = await seed([71], draft("别人的街道"));
    await seed([72], draft("自己的镇"));
    stranger.send("/settings");
    const own = await stranger.nextReply();
    const queries = [
      encodeCallback("reports", report.id, "rmok"),
      encodeCallback("reports", report.id, "sw"),
      encodeCallback("reports", report.id, "mv"),
      encodeCallback("reports", report.id, "open"),
      encodeCallback("settings", report.id, "org"),
    ].map((data) => stranger.pressData(data, own.messageId));
    for (const id of queries) expect(await answerTo(stranger, id)).toContain("你不是它的填报人");

    // No dialogue was started: this text goes to the stranger's own form.
    stranger.send("被改的名字");
    await stranger.nextReply();
    expect(await reload(report.id)).toMatchObject({ version: report.version, draft: { org: "别人的街道" } });
    expect(await h.store.history(report.id, 10)).toEqual([]);
    expect((await h.store.getUser(72)).currentReportId).not.toBe(report.id);
    owner.send("/reports");
    expect((await owner.nextReply()).text).toContain("别人的街道 2025年度（2021年格式） · 当前");
  });
});
