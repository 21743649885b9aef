import type { InlineKeyboardMarkup } from "grammy/types";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { flowFor } from "../flows/index.js";
import { decodeCallback, NO_REPORT } from "../src/bot/callback-data.js";
import { EXPIRED_BUTTON } from "../src/bot/views/replies.js";
import { formSteps } from "../src/form/form-steps.js";
import { type Harness, startHarness } from "./support/bot-harness.js";
import { fixture } from "./support/fixtures.js";

const flow2021 = flowFor("2021");
const stepIndex = (id: string) =>
  formSteps(flow2021).find((s) => (s.kind === "row" ? s.row.id : s.part.id) === id)!.index;
const emptyDraft = { format: "2021" as const, org: "测试街道", year: 2025, narrative: {}, cells: {} };

let h: Harness;
beforeEach(async () => {
  // 2026-02-10 in Beijing: the default report year is 2025.
  h = await startHarness({ now: () => new Date("2026-02-10T02:00:00Z") });
});
afterEach(async () => {
  expect(h.fake.errors).toEqual([]);
  await h.close();
});

const reportOf = async (userId: number) => {
  const { currentReportId } = await h.store.getUser(userId);
  return (await h.store.getReport(currentReportId!))!;
};

describe("creating a report", () => {
  it("walks a new officer from /start through unit name and year to the first question", async () => {
    const officer = h.officer(11);
    officer.send("/start");
    expect((await officer.nextReply()).text).toContain("请发单位名称");
    officer.send("大关街道");
    const yearQuestion = await officer.nextReply();
    expect(yearQuestion.text).toContain("报告哪一年");
    expect(yearQuestion.replyMarkup).toMatchObject({ inline_keyboard: [[{ text: "2025年度" }, { text: "2024年度" }]] });
    officer.press("2025年度");
    const first = await officer.nextReply();
    expect(first.text).toContain("已新建：大关街道 2025年度（2021年格式");
    expect(first.text).toContain("一、总体情况");
    const report = await reportOf(11);
    expect(report.draft).toMatchObject({ org: "大关街道", year: 2025, format: "2021" });
    expect(report.deadline).toBe("2026-01-31");
    // Once the wizard is over its stored state is an empty shell: nothing grows with the officer's progress.
    await vi.waitFor(async () => {
      const state = await h.store.readState(`conv:${officer.chatId}`);
      expect(JSON.stringify(state ?? {}).length).toBeLessThan(100);
    });
  });

  it("takes the year only from its own buttons: a forged press is refused and the question stands", async () => {
    const officer = h.officer(14);
    officer.send("/start");
    await officer.nextReply();
    officer.send("大关街道");
    const yearQuestion = await officer.nextReply();
    const buttons = (yearQuestion.replyMarkup as InlineKeyboardMarkup).inline_keyboard[0]!;
    // The buttons are of the action table, their arguments validated like every other button's.
    expect(buttons.map((b) => decodeCallback((b as { callback_data: string }).callback_data))).toEqual([
      { action: "year", reportId: NO_REPORT, arg: "2025" },
      { action: "year", reportId: NO_REPORT, arg: "2024" },
    ]);
    for (const forged of ["year:2025", "1|Y|-|20255", "1|Y|-|abcd"]) {
      const query = officer.pressData(forged, yearQuestion.messageId);
      await vi.waitFor(() => expect(h.fake.queries.get(query)?.answer?.text).toBe("请点年份按钮或发年份数字。"));
    }
    expect(await h.store.listReports(14)).toEqual([]);
    officer.press("2024年度");
    expect((await officer.nextReply()).text).toContain("已新建：大关街道 2024年度");
    // Once the wizard is over, its buttons are expired like any other.
    const late = officer.pressData((buttons[0] as { callback_data: string }).callback_data, yearQuestion.messageId);
    await vi.waitFor(() => expect(h.fake.queries.get(late)?.answer?.text).toBe(EXPIRED_BUTTON));
    expect((await h.store.listReports(14)).map((r) => r.draft.year)).toEqual([2024]);
  });

  it("creates a 2019-format report in one step with /new", async () => {
    const officer = h.officer(12);
    officer.send("/new 某某镇人民政府 2020");
    expect((await officer.nextReply()).text).toContain("已新建：某某镇人民政府 2020年度（2019年格式");
  });

  it("refuses a year outside the range and asks again", async () => {
    const officer = h.officer(13);
    officer.send("/new 某某镇 1999");
    expect((await officer.nextReply()).text).toMatch(/请发 2019–\d{4} 之间的年份/);
    expect(await h.store.listReports(13)).toEqual([]);
  });
});

describe("answering table rows", () => {
  it("saves a whole row, shows its total and asks the next row in the same message", async () => {
    const officer = h.officer(21, "张三");
    await h.seedReport(21, emptyDraft, { cursor: stepIndex("apply.new") });
    officer.send("３，０，０，０，１，０");
    const reply = await officer.nextReply();
    expect(reply.text).toContain("✅ 已保存：一、本年新收政府信息公开申请数量");
    expect(reply.text).toContain(
      "自然人 3 · 商业企业 0 · 科研机构 0 · 社会公益组织 0 · 法律服务机构 1 · 其他 0 · 总计 4",
    );
    expect(reply.text).toContain("二、上年结转政府信息公开申请数量");
    expect(reply.text).toContain("申请表 第 2/24 行");
    const report = await reportOf(21);
    expect(report.draft.cells).toMatchObject({
      "apply.new.natural": 3,
      "apply.new.legal": 1,
      "apply.new.other_org": 0,
    });
    expect(report.cursor).toBe(stepIndex("apply.carried_in"));
    const history = await h.store.history(report.id, 10);
    expect(history.map((e) => [e.target, e.old, e.new, e.byName])).toContainEqual([
      "apply.new.natural",
      null,
      3,
      "张三",
    ]);
  });

  it("refuses text where numbers are expected and keeps the saved report", async () => {
    const officer = h.officer(22);
    const seeded = await h.seedReport(22, emptyDraft, { cursor: stepIndex("apply.new") });
    officer.send("好的");
    const reply = await officer.nextReply();
    expect(reply.text).toContain("请发数字");
    expect(reply.text).toContain("这一行是：一、本年新收政府信息公开申请数量");
    const report = await reportOf(22);
    expect(report.version).toBe(seeded.version);
    expect(report.draft).toEqual(seeded.draft);
  });

  it("names a relation the answer breaks", async () => {
    const officer = h.officer(23);
    const cells = { ...fixture("report-2022").cells };
    delete cells["apply.carried_out.natural"];
    await h.seedReport(23, { ...emptyDraft, cells }, { cursor: stepIndex("apply.carried_out") });
    officer.send("2 0 0 0 0 0");
    const reply = await officer.nextReply();
    expect(reply.text).toContain("❌ 三、申请表「自然人」列：一+二=14，但（七）总计+四=15");
  });

  it("offers 本表全部为0 on an untouched table and fills it in one step", async () => {
    const officer = h.officer(24);
    await h.seedReport(24, emptyDraft, { cursor: stepIndex("review") });
    officer.send("/fill");
    const question = await officer.nextReply();
    expect(question.text).toContain("复议诉讼表 第 1/3 行");
    officer.press("复议诉讼表全部为0");
    const reply = await officer.nextReply();
    expect(reply.text).toContain("已保存：复议诉讼表全部为0");
    const report = await reportOf(24);
    expect(report.draft.cells["litigation_after_review.pending"]).toBe(0);
    expect(report.cursor).toBe(stepIndex("problems"));
  });

  it("moves with 本行全为0, 上一行 and 跳过", async () => {
    const officer = h.officer(25);
    await h.seedReport(25, emptyDraft, { cursor: stepIndex("apply.new") });
    officer.send("/fill");
    await officer.nextReply();
    officer.press("本行全为0");
    expect((await officer.nextReply()).text).toContain("第 2/24 行");
    officer.press("上一行");
    const back = await officer.nextReply();
    expect(back.text).toContain("第 1/24 行");
    expect(back.text).toContain("已填：0 0 0 0 0 0");
    officer.press("跳过");
    expect((await officer.nextReply()).text).toContain("第 2/24 行");
    expect((await reportOf(25)).cursor).toBe(stepIndex("apply.carried_in"));
  });

  it("answers a button of an old message with a short note and changes nothing", async () => {
    const officer = h.officer(26);
    await h.seedReport(26, emptyDraft, { cursor: stepIndex("apply.new") });
    officer.send("/fill");
    const old = await officer.nextReply();
    officer.send("1 0 0 0 0 0");
    await officer.nextReply();
    const before = await reportOf(26);
    officer.press("本行全为0", { messageId: old.messageId });
    await vi.waitFor(() => expect(officer.answers.at(-1)?.answer?.text).toContain("旧消息上的按钮"));
    const after = await reportOf(26);
    expect(after.version).toBe(before.version);
    expect(after.draft.cells["apply.new.natural"]).toBe(1);
  });
});

describe("narrative parts", () => {
  it("saves each message at once, appends, and moves on with 完成", async () => {
    const officer = h.officer(31);
    await h.seedReport(31, emptyDraft, { cursor: stepIndex("overview.active") });
    officer.send("全年主动公开政府信息312条。");
    const saved = (await officer.nextReply()).text;
    expect(saved).toContain("已保存到「一、总体情况 · （一）主动公开」");
    expect(saved).toContain("这一部分现在 15 字");
    officer.send("其中政策文件45条。");
    await officer.nextReply();
    expect((await reportOf(31)).draft.narrative["overview.active"]).toBe(
      "全年主动公开政府信息312条。\n其中政策文件45条。",
    );
    officer.press("完成");
    expect((await officer.nextReply()).text).toContain("（二）依申请公开");
  });

  it("takes back the message just appended with 撤回这条, and only while the part is as it left it", async () => {
    const officer = h.officer(34);
    await h.seedReport(34, emptyDraft, { cursor: stepIndex("overview.active") });
    officer.send("全年主动公开政府信息312条。");
    const first = await officer.nextReply();
    officer.send("好的，我再看看");
    const stray = await officer.nextReply();
    expect(stray.text).toContain("这一部分现在 23 字");
    const buttons = (m: { replyMarkup?: unknown }) =>
      (m.replyMarkup as InlineKeyboardMarkup).inline_keyboard.flat().map((b) => b.text);
    expect(buttons(stray)).toEqual(["完成", "撤回这条", "清空重写", "上一项", "目录"]);

    officer.press("撤回这条", { messageId: stray.messageId });
    const undone = await officer.nextReply();
    expect(undone.text).toBe("✅ 已撤回这条，「一、总体情况 · （一）主动公开」现在 15 字。");
    expect(buttons(undone)).not.toContain("撤回这条");
    const report = await reportOf(34);
    expect(report.draft.narrative["overview.active"]).toBe("全年主动公开政府信息312条。");
    const [entry] = await h.store.history(report.id, 1);
    expect(entry).toMatchObject({
      target: "overview.active",
      old: "全年主动公开政府信息312条。\n好的，我再看看",
      new: "全年主动公开政府信息312条。",
    });

    // Pressed again, the stray text is gone already: nothing to take back, nothing changed.
    officer.press("撤回这条", { messageId: stray.messageId });
    await vi.waitFor(() => expect(officer.answers.at(-1)?.answer?.text).toContain("撤回不了"));
    expect((await reportOf(34)).version).toBe(report.version);

    // The first message's button still fits the part as it is now: it empties the part.
    officer.press("撤回这条", { messageId: first.messageId });
    expect((await officer.nextReply()).text).toContain("现在是空的");
    expect((await reportOf(34)).draft.narrative["overview.active"]).toBeUndefined();
    officer.send("全年主动公开政府信息320条。");
    expect((await officer.nextReply()).text).toContain("这一部分现在 15 字");
  });

  it("refuses 撤回这条 of a message when more was written after it, and cuts nothing", async () => {
    const officer = h.officer(35);
    await h.seedReport(35, emptyDraft, { cursor: stepIndex("overview.active") });
    // As long as the first: only the part's stamp tells the first message's button from the second's.
    const [one, two] = ["全年主动公开政府信息312条。", "其中政策文件45条，解读9条。"];
    expect(two.length).toBe(one.length);
    officer.send(one);
    const first = await officer.nextReply();
    officer.send(two);
    await officer.nextReply();
    const before = await reportOf(35);
    officer.press("撤回这条", { messageId: first.messageId });
    await vi.waitFor(() =>
      expect(officer.answers.at(-1)?.answer).toMatchObject({
        text: "这一部分后来又改过，这条撤回不了了。可以点「清空重写」。",
        show_alert: true,
      }),
    );
    const after = await reportOf(35);
    expect(after.version).toBe(before.version);
    expect(after.draft.narrative["overview.active"]).toBe(`${one}\n${two}`);
  });

  it("says the report is complete after 完成 on the last open part", async () => {
    const officer = h.officer(33);
    await h.seedReport(33, { ...fixture("report-2022"), year: 2025 }, { cursor: stepIndex("other") });
    officer.send("/fill");
    await officer.nextReply();
    officer.press("完成");
    expect((await officer.nextReply()).text).toContain("全部填完了");
  });

  it("shows last year's text and takes it over with 沿用去年, saying once that it must be updated", async () => {
    const officer = h.officer(32);
    const lastYear = { ...fixture("report-2022"), year: 2024 };
    await h.seedReport(32, emptyDraft, { cursor: stepIndex("problems"), previous: lastYear });
    officer.send("/fill");
    const shown = await officer.nextReply();
    expect(shown.text).toContain("去年（2024年）这一部分写的是");
    expect(shown.text).toContain("上年度报告提出的政策解读形式单一");
    const question = await officer.nextReply();
    expect(question.text).toContain("五、存在的主要问题及改进情况");
    officer.press("沿用去年");
    const reply = await officer.nextReply();
    expect(reply.text).toContain("已沿用去年的文字");
    expect(reply.text).toContain("改成今年的");
    expect(reply.text).not.toContain("相似度");
    expect((await reportOf(32)).draft.narrative.problems).toBe(lastYear.narrative.problems);
  });
});

describe("the section list", () => {
  it("goes to any row and back to the question there", async () => {
    const officer = h.officer(41);
    await h.seedReport(41, { ...emptyDraft, cells: { "active.penalty.decisions": 37 } });
    officer.send("/sections");
    await officer.nextReply();
    officer.press(/^二、主动公开 /);
    await officer.nextReply();
    officer.press(/^✅ .*行政处罚$/);
    const question = await officer.nextReply();
    expect(question.text).toContain("第二十条第（六）项 · 行政处罚");
    expect(question.text).toContain("已填：37");
  });
});

describe("the error boundary", () => {
  it("answers the officer when a handler fails, and the bot goes on", async () => {
    let failures = 1;
    const flaky = await startHarness({
      wrapStore: (store) =>
        new Proxy(store, {
          get(target, key, receiver) {
            const value = Reflect.get(target, key, receiver);
            if (key !== "getUser" || typeof value !== "function")
              return typeof value === "function" ? value.bind(target) : value;
            return async (...args: unknown[]) => {
              if (failures-- > 0) throw new Error("store unavailable");
              return value.apply(target, args);
            };
          },
        }),
    });
    try {
      const officer = flaky.officer(71);
      officer.send("/fill");
      expect((await officer.nextReply()).text).toContain("抱歉，出错了");
      officer.send("/fill");
      expect((await officer.nextReply()).text).toContain("还没有报告");
      expect(flaky.fake.errors).toEqual([]);
    } finally {
      await flaky.close();
    }
  });
});

describe("chats and people", () => {
  it("lets only ALLOWED_USER_IDS in, when it is set", async () => {
    const limited = await startHarness({ allowedUserIds: [61] });
    try {
      const stranger = limited.officer(62);
      stranger.send("/start");
      expect((await stranger.nextReply()).text).toContain("你没有使用这个机器人的权限");
      const seeded = await limited.seedReport(62, emptyDraft);
      stranger.pressData(`1|m|${seeded.id}|`, 1);
      await vi.waitFor(() => expect(stranger.answers.at(-1)?.answer?.text).toContain("没有使用这个机器人的权限"));
      const allowed = limited.officer(61);
      allowed.send("/start");
      expect((await allowed.nextReply()).text).toContain("请发单位名称");
      expect(limited.fake.errors).toEqual([]);
    } finally {
      await limited.close();
    }
  });

  it("answers commands in a group with a pointer to the private chat and nothing else", async () => {
    const member = h.fake.user({ id: 51, first_name: "群友", chatType: "group" });
    member.send("/start");
    expect((await member.nextReply()).text).toContain("请在和我的私聊中填写年报");
    expect(await h.store.listReports(51)).toEqual([]);
  });
});
