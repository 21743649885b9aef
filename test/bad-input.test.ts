import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { flowFor } from "../flows/index.js";
import { ACTIONS, type Action, encodeCallback } from "../src/bot/callback-data.js";
import type { Draft, FormatId } from "../src/form/draft.js";
import { formSteps } from "../src/form/form-steps.js";
import { exportReport } from "../src/form/load-report.js";
import type { StoredReport } from "../src/store/store.js";
import { type Harness, startHarness } from "./support/bot-harness.js";
import type { BotMessage, Officer } from "./support/fake-telegram.js";
import { fixture } from "./support/fixtures.js";

/**
 * Every kind of bad input an officer (or a forger) can send: each gets a short
 * Chinese reply and leaves the stored report exactly as it was (version, draft,
 * cursor), and the bot never sends anything Telegram would refuse.
 */

const stepIndex = (format: FormatId, id: string) => {
  const step = formSteps(flowFor(format)).find((s) => (s.kind === "row" ? s.row.id : s.part.id) === id);
  if (!step) throw new Error(`no step ${id} in the ${format} flow`);
  return step.index;
};
const draft2025: Draft = { format: "2021", org: "测试街道", year: 2025, narrative: {}, cells: {} };
const draft2020: Draft = { format: "2019", org: "某某镇", year: 2020, narrative: {}, cells: {} };
/** A short reply: a sentence or two, never the whole question again or an echo of a long input. */
const SHORT = 300;

let h: Harness;
beforeEach(async () => {
  // 2026-02-10 in Beijing: the default report year is 2025.
  h = await startHarness({ now: () => new Date("2026-02-10T02:00:00Z") });
});
afterEach(async () => {
  // Nothing Telegram would refuse: bad HTML, a text over 4,096 characters, callback data over 64 bytes.
  expect(h.fake.errors).toEqual([]);
  await h.close();
});

/** The officer's report as stored now; it must be what it was before the bad input. */
async function expectUnchanged(before: StoredReport): Promise<void> {
  const now = await h.store.getReport(before.id);
  expect(now?.version).toBe(before.version);
  expect(now?.draft).toEqual(before.draft);
  expect(now?.cursor).toBe(before.cursor);
  expect(now?.previous).toEqual(before.previous);
}

/** A 2025 report at the first row of the application table (6 counts). */
async function atApplyNew(userId: number): Promise<{ officer: Officer; seeded: StoredReport }> {
  const officer = h.officer(userId);
  const seeded = await h.seedReport(userId, draft2025, { cursor: stepIndex("2021", "apply.new") });
  return { officer, seeded };
}

function expectShort(reply: BotMessage): void {
  expect(reply.text.length).toBeLessThanOrEqual(SHORT);
  expect(reply.text).toMatch(/\p{Script=Han}/u);
}

/**
 * Waits until every update sent so far is handled (one chat is handled in
 * order), so "no further message" can be asserted. Returns what the bot sent meanwhile.
 */
async function settle(officer: Officer): Promise<BotMessage[]> {
  const seen: BotMessage[] = [];
  officer.send("/help");
  for (;;) {
    const reply = await officer.nextReply();
    if (reply.text.startsWith("怎么用")) return seen;
    seen.push(reply);
  }
}

/** Waits for the bot's answer to a callback query (the toast). */
async function toastFor(officer: Officer, queryId: string): Promise<string> {
  await vi.waitFor(() => expect(officer.answers.find((q) => q.id === queryId)?.answer).toBeDefined());
  return officer.answers.find((q) => q.id === queryId)?.answer?.text ?? "";
}

describe("text where a table row is expected", () => {
  it.each([
    ["words", "今年没有人申请", /请发数字/],
    ["letters", "abc", /请发数字/],
    ["NaN", "NaN 0 0 0 0 0", /请发数字（第 1 个数）/],
    ["too few numbers", "1 2 3", /这一行要 6 个数，收到 3 个/],
    ["too many numbers", "1 2 3 4 5 6 7", /这一行要 6 个数，收到 7 个/],
    ["a negative count", "-1 0 0 0 0 0", /不能是负数（第 1 个数）/],
    ["a negative in the middle", "0 0 负2 0 0 0", /不能是负数（第 3 个数）/],
    ["1e99", "1e99 0 0 0 0 0", /数太大了（第 1 个数）/],
    ["infinity", "0 ∞ 0 0 0 0", /数太大了（第 2 个数）/],
    ["a decimal count", "1.5 0 0 0 0 0", /件数要是整数（第 1 个数）/],
    ["a tiny decimal", "0 0 0 0 0 1e-3", /件数要是整数（第 6 个数）/],
  ])("refuses %s with a short reason and the expected shape, saving nothing", async (_name, text, reason) => {
    const { officer, seeded } = await atApplyNew(101);
    officer.send(text);
    const reply = await officer.nextReply();
    expect(reply.text).toMatch(reason);
    expect(reply.text).toContain("这一行是：一、本年新收政府信息公开申请数量");
    // The full label and the columns, and no figures that could pass for a suggested answer.
    expect(reply.text).toContain("请按顺序发 6 个数：自然人、");
    expect(reply.text).not.toMatch(/\d\s+\d\s+\d/);
    expectShort(reply);
    await expectUnchanged(seeded);
  });

  it("takes a negative 本年增/减 on a 2019 row but refuses a negative 上一年项目数量 or 处理决定数量", async () => {
    const officer = h.officer(102);
    const seeded = await h.seedReport(102, draft2020, { cursor: stepIndex("2019", "active.licensing") });
    officer.send("-3 -2 0");
    const first = await officer.nextReply();
    expect(first.text).toContain("这一格不能是负数（第 1 个数）");
    expect(first.text).not.toMatch(/-?\d\s+-?\d\s+-?\d/);
    expectShort(first);
    officer.send("5 -2 -1");
    expect((await officer.nextReply()).text).toContain("这一格不能是负数（第 3 个数）");
    officer.send("5 -2.5 1");
    expect((await officer.nextReply()).text).toContain("件数要是整数（第 2 个数）");
    await expectUnchanged(seeded);

    // The same row with only 本年增/减 negative is an answer, saved as sent.
    officer.send("5 -2 1");
    expect((await officer.nextReply()).text).toContain("✅ 已保存");
    const saved = await h.store.getReport(seeded.id);
    expect(saved?.draft.cells).toMatchObject({
      "active.licensing.prev_items": 5,
      "active.licensing.delta": -2,
      "active.licensing.decisions": 1,
    });
    expect(saved?.version).toBe(seeded.version + 1);
  });
});

describe("messages of Telegram's longest length where a number is expected", () => {
  it.each([
    ["4,096 digits", "1".repeat(4096)],
    ["4,096 Chinese characters", "我们单位今年没有收到申请".repeat(342).slice(0, 4096)],
    ["4,096 characters of markup", "<b>&amp;".repeat(512)],
  ])("answers %s at once with a short note and saves nothing", async (_name, text) => {
    expect(text.length).toBe(4096);
    const { officer, seeded } = await atApplyNew(111);
    const sentAt = Date.now();
    officer.send(text);
    const reply = await officer.nextReply({ timeoutMs: 2000 });
    expect(reply.sentAt - sentAt).toBeLessThan(1500);
    expect(reply.text).toContain("消息太长了，请只发这一行的数");
    expectShort(reply);
    await expectUnchanged(seeded);
  });
});

describe("what is not text, mid-question", () => {
  it.each([
    ["a sticker", (o: Officer) => o.sendSticker()],
    ["a photo", (o: Officer) => o.sendPhoto()],
    ["a photo whose caption looks like the answer", (o: Officer) => o.sendPhoto("1 0 0 0 0 0")],
    ["a voice message", (o: Officer) => o.sendVoice()],
  ])("answers %s with what the bot can read and saves nothing", async (_name, send) => {
    const { officer, seeded } = await atApplyNew(121);
    send(officer);
    const reply = await officer.nextReply();
    expect(reply.text).toContain("我只看得懂文字和 JSON 数据文件");
    expectShort(reply);
    await expectUnchanged(seeded);
  });

  it("answers a sticker in the middle of a narrative part and keeps the text", async () => {
    const officer = h.officer(122);
    const seeded = await h.seedReport(
      122,
      { ...draft2025, narrative: { "overview.active": "全年主动公开政府信息312条。" } },
      { cursor: stepIndex("2021", "overview.active") },
    );
    officer.sendSticker();
    expect((await officer.nextReply()).text).toContain("我只看得懂文字");
    await expectUnchanged(seeded);
  });
});

describe("edited messages", () => {
  it("never change a saved answer, and say how to change it", async () => {
    const { officer } = await atApplyNew(131);
    const answer = officer.send("1 0 0 0 0 0");
    expect((await officer.nextReply()).text).toContain("✅ 已保存");
    const saved = (await h.store.getReport((await h.store.getUser(131)).currentReportId ?? ""))!;
    expect(saved.draft.cells["apply.new.natural"]).toBe(1);

    officer.edit(answer.message_id, "9 9 9 9 9 9");
    const reply = await officer.nextReply();
    expect(reply.text).toContain("改动已发出的消息不会改动报告");
    expect(reply.text).toContain("/sections");
    expectShort(reply);
    await expectUnchanged(saved);
  });

  it("never run a command edited into an old message", async () => {
    const { officer, seeded } = await atApplyNew(132);
    const text = officer.send("你好");
    await officer.nextReply();
    officer.edit(text.message_id, "/new 别的单位 2025");
    expect((await officer.nextReply()).text).toContain("改动已发出的消息不会改动报告");
    expect(await h.store.listReports(132)).toHaveLength(1);
    expect((await h.store.getUser(132)).currentReportId).toBe(seeded.id);
    await expectUnchanged(seeded);
  });
});

describe("buttons of old messages", () => {
  it.each(["本行全为0", "上一行", "跳过", "申请表全部为0"])(
    "answer 「%s」 on an old question with a toast and change nothing",
    async (button) => {
      const { officer } = await atApplyNew(141);
      officer.send("/fill");
      const old = await officer.nextReply();
      officer.send("1 0 0 0 0 0");
      await officer.nextReply();
      const before = (await h.store.getReport((await h.store.getUser(141)).currentReportId ?? ""))!;
      const query = officer.press(button, { messageId: old.messageId });
      expect(await toastFor(officer, query)).toContain("旧消息上的按钮");
      expect(await settle(officer)).toEqual([]);
      await expectUnchanged(before);
    },
  );

  it("answer 「完成」 of a narrative part the officer has left", async () => {
    const officer = h.officer(142);
    await h.seedReport(142, draft2025, { cursor: stepIndex("2021", "overview.intro") });
    officer.send("/fill");
    const old = await officer.nextReply();
    officer.send("本机关认真贯彻落实《条例》。");
    await officer.nextReply();
    officer.press("完成");
    await officer.nextReply();
    const before = (await h.store.getReport((await h.store.getUser(142)).currentReportId ?? ""))!;
    const query = officer.press("完成", { messageId: old.messageId });
    expect(await toastFor(officer, query)).toContain("旧消息上的按钮");
    expect(await settle(officer)).toEqual([]);
    await expectUnchanged(before);
  });
});

describe("forged callback data", () => {
  const ownId = (seeded: StoredReport) => seeded.id;
  it.each([
    ["garbage", () => "x", /按钮无效/],
    ["an unknown report", () => "1|z|nope|abc", /报告不存在|不是它的填报人/],
    ["an unknown version", (s: StoredReport) => `9|z|${ownId(s)}|0`, /按钮无效/],
    ["an unknown action", (s: StoredReport) => `1|Q|${ownId(s)}|0`, /按钮无效/],
    ["a field too many", (s: StoredReport) => `1|z|${ownId(s)}|0|0`, /按钮无效/],
    ["HTML in the data", () => "1|z|<b>|&amp;", /按钮无效/],
    [
      "64 bytes that look valid",
      (s: StoredReport) => `1|z|${ownId(s)}|${"7".repeat(59 - ownId(s).length)}`,
      /按钮无效/,
    ],
    ["a row index past the form", (s: StoredReport) => encodeCallback("rowZero", s.id, 99_999), /按钮无效/],
    ["a row index that is not a number", (s: StoredReport) => encodeCallback("skip", s.id, "abc"), /按钮无效/],
    ["an empty row index", (s: StoredReport) => encodeCallback("goto", s.id, ""), /按钮无效/],
    ["a row index in exponent notation", (s: StoredReport) => encodeCallback("goto", s.id, "1e1"), /按钮无效/],
    ["a negative row index", (s: StoredReport) => encodeCallback("goto", s.id, "-1"), /按钮无效/],
    ["an unknown card button", (s: StoredReport) => encodeCallback("card", s.id, "delete"), /按钮无效/],
    [
      "a card button named like an object key",
      (s: StoredReport) => encodeCallback("card", s.id, "hasOwnProperty"),
      /按钮无效/,
    ],
    ["a card button named __proto__", (s: StoredReport) => encodeCallback("card", s.id, "__proto__"), /按钮无效/],
    ["a card button named constructor", (s: StoredReport) => encodeCallback("card", s.id, "constructor"), /按钮无效/],
  ])("answers %s with a toast and changes nothing", async (_name, data, toast) => {
    const { officer, seeded } = await atApplyNew(151);
    officer.send("/fill");
    const question = await officer.nextReply();
    const forged = data(seeded);
    expect(Buffer.byteLength(forged)).toBeLessThanOrEqual(64);
    if (_name.startsWith("64 bytes")) expect(Buffer.byteLength(forged)).toBe(64);
    const query = officer.pressData(forged, question.messageId);
    const text = await toastFor(officer, query);
    expect(text).toMatch(toast);
    expect(text.length).toBeLessThan(60);
    expect(await settle(officer)).toEqual([]);
    await expectUnchanged(seeded);
  });

  it("never acts on another officer's real report, with any action", async () => {
    const stranger = h.officer(161, "李四");
    const mine = await h.seedReport(
      161,
      { ...draft2025, org: "别人的街道" },
      { cursor: stepIndex("2021", "apply.new") },
    );
    const { officer, seeded } = await atApplyNew(162);
    officer.send("/fill");
    const question = await officer.nextReply();

    const args: Record<Action, string[]> = {
      rowZero: [String(mine.cursor)],
      tableZero: [String(mine.cursor)],
      previous: [String(mine.cursor)],
      skip: [String(mine.cursor)],
      partDone: ["0"],
      partReuse: ["0"],
      partClear: ["0"],
      partUndo: ["0_3_AAAAAA"],
      sections: [""],
      section: ["0", "2"],
      goto: ["0", String(mine.cursor)],
      card: ["fill", "check", "preview", "report", "settings"],
      reports: ["list", "open", "sw", "mv", "rm", "rmok"],
      settings: ["org", "year", "deadline", "dueDate", "contact", "date"],
      finalize: ["draft", "ok"],
      importFile: ["y", "n", "yAAAAAAAA"],
      importRead: ["p", "d", "n", "pAAAAAAAA", "dAAAAAAAA"],
      history: ["0", "1"],
      rowPrefill: [String(mine.cursor)],
      resume: [""],
      newYear: [""],
      newSame: ["0", "1"],
      mute: ["on", "off"],
      submit: ["ok"],
      review: ["ok", "back"],
      dashboard: ["a0", "s1"],
      unit: ["vu1", "du1", "ru1"],
      join: ["attach", "new"],
      removeOfficer: ["161", "162"],
      links: ["u1", "s"],
      reportDate: ["20260120"],
      reportAsk: ["date", "contact"],
      skipContact: [""],
      warning: ["c0AAAAAA", "a0AAAAAA"],
      web: [""],
      year: ["2025"],
      collect: [""],
      campaignDates: [""],
      linksOf: [""],
    };
    const queries: string[] = [];
    for (const action of Object.keys(ACTIONS) as Action[])
      for (const arg of args[action])
        queries.push(officer.pressData(encodeCallback(action, mine.id, arg), question.messageId));
    for (const query of queries) {
      const toast = await toastFor(officer, query);
      expect(toast).toMatch(/不是它的填报人|报告不存在|过期|无效|失效|请向区政务公开办索取新的邀请链接|只有管理员/);
    }
    // Nothing about the other report reached this chat, and neither report nor user moved.
    const sent = await settle(officer);
    expect(sent).toEqual([]);
    expect(officer.replies.map((m) => m.text).join("\n")).not.toContain("别人的街道");
    expect(officer.documents).toEqual([]);
    await expectUnchanged(mine);
    await expectUnchanged(seeded);
    expect(await h.store.getReport(mine.id).then((r) => r?.members)).toEqual([161]);
    expect((await h.store.getUser(162)).currentReportId).toBe(seeded.id);
    expect((await h.store.getUser(161)).currentReportId).toBe(mine.id);
    expect(await h.store.history(mine.id, 10)).toEqual([]);
    expect(stranger.log.events).toEqual([]);
  });
});

describe("documents that are not a valid interchange file", () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  it.each([
    ["a .txt file", "年报.txt", enc("全年主动公开政府信息312条。"), /没有在文件里找到年度报告的表格/],
    ["a Word file", "年报.docx", enc("PK\u0003\u0004"), /\.docx 文件已损坏或不完整/],
    ["malformed JSON", "年报.json", enc('{"format": "2021", "org": <b>&'), /文件读不了：不是有效的 JSON 文件/],
    [
      "a large malformed JSON file",
      "年报.json",
      enc(`{"org": "${"<中>".repeat(100_000)}`),
      /文件读不了：不是有效的 JSON 文件/,
    ],
    ["JSON that is not an object", "年报.json", enc("[1, 2, 3]"), /文件读不了：文件内容应是一个 JSON 对象/],
    [
      "JSON of another kind",
      "package.json",
      enc('{"name": "nianbao", "version": "1.0.0"}'),
      /文件读不了：不认识的字段 "name"/,
    ],
    [
      "a file that names the wrong format for its year",
      "年报.json",
      enc(exportReport({ ...draft2025, format: "2019" })),
      /文件读不了："format" 是 "2019"，但 2025 年度的报告应使用 "2021" 格式/,
    ],
    [
      "a cell of the other format",
      "年报.json",
      enc(exportReport({ ...draft2025, cells: { "active.licensing.delta": -2 } })),
      /文件读不了："cells" 里有 2021 格式没有的单元格 "active\.licensing\.delta"/,
    ],
    ["not UTF-8", "年报.json", new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), /不是 UTF-8 编码/],
    [
      "a report of an unrelated year",
      "2020年报.json",
      enc(exportReport(fixture("seed-2020"))),
      /这个文件是 2020 年度的，当前报告是 2025 年度/,
    ],
  ])("refuses %s with a short reason and saves nothing", async (_name, fileName, bytes, reason) => {
    const { officer, seeded } = await atApplyNew(171);
    officer.sendDocument(fileName, bytes);
    const reply = await officer.nextReply();
    expect(reply.text).toMatch(reason);
    expectShort(reply);
    expect(await settle(officer)).toEqual([]);
    await expectUnchanged(seeded);
    expect(await h.store.readState("import:171")).toBeUndefined();
  });
});

describe("group chats", () => {
  it.each(["/start", "/start@test_bot", "/new 某某镇 2025", "/fill", "/export"])(
    "answers %s with the private-chat pointer and creates nothing",
    async (command) => {
      const member = h.fake.user({ id: 181, first_name: "群友", chatType: "group" });
      member.send(command);
      const reply = await member.nextReply();
      expect(reply.text).toContain("请在和我的私聊中填写年报");
      expectShort(reply);
      expect(await h.store.listReports(181)).toEqual([]);
      expect(await h.store.getUser(181)).toEqual({});
      expect(await h.store.readState(`conv:${member.chatId}`)).toBeUndefined();
    },
  );

  it("answers a button pressed in a group with a toast, posting nothing there", async () => {
    const seeded = await h.seedReport(183, draft2025, { cursor: stepIndex("2021", "apply.new") });
    const member = h.fake.user({ id: 183, first_name: "张三", chatType: "group" });
    const query = member.pressData(encodeCallback("rowZero", seeded.id, seeded.cursor), 1);
    expect(await toastFor(member, query)).toContain("请在和我的私聊中填写年报");
    member.send("/start");
    expect((await member.nextReply()).text).toContain("请在和我的私聊中填写年报");
    expect(member.log.events).toHaveLength(1);
    await expectUnchanged(seeded);
  });

  it("ignores answers typed in a group, even from an officer with a report open", async () => {
    const seeded = await h.seedReport(182, draft2025, { cursor: stepIndex("2021", "apply.new") });
    const member = h.fake.user({ id: 182, first_name: "张三", chatType: "group" });
    member.send("1 0 0 0 0 0");
    member.sendDocument("年报.json", new TextEncoder().encode(exportReport(draft2025)));
    member.send("/help");
    // The only reply is the pointer to the command: the text and the file got none.
    const reply = await member.nextReply();
    expect(reply.text).toContain("请在和我的私聊中填写年报");
    expect(member.log.events).toHaveLength(1);
    await expectUnchanged(seeded);
  });
});
