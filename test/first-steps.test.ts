import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { PART_LIMIT } from "../src/form/draft.js";
import { type Harness, startHarness } from "./support/bot-harness.js";
import type { BotMessage, Officer } from "./support/fake-telegram.js";

/**
 * Issue "Trust", point 12: the smaller things a new officer meets first, read
 * as the officer sees them.
 */

let h: Harness;
beforeEach(async () => {
  h = await startHarness({ now: () => new Date("2026-02-10T02:00:00Z") });
});
afterEach(async () => {
  expect(h.fake.errors).toEqual([]);
  await h.close();
});

const emptyDraft = { format: "2021" as const, org: "大关街道", year: 2025, narrative: {}, cells: {} };
const buttonsOf = (m: BotMessage) =>
  m.replyMarkup && "inline_keyboard" in m.replyMarkup ? m.replyMarkup.inline_keyboard.flat().map((b) => b.text) : [];

async function toastFor(officer: Officer, queryId: string): Promise<string> {
  await vi.waitFor(() => expect(officer.answers.find((q) => q.id === queryId)?.answer).toBeDefined());
  return officer.answers.find((q) => q.id === queryId)?.answer?.text ?? "";
}

describe("the first /start", () => {
  it("greets, says what the bot is for and what to send first", async () => {
    const officer = h.officer(801);
    officer.send("/start");
    const greeting = await officer.nextReply();
    expect(greeting.text).toMatch(/^你好/);
    expect(greeting.text).toContain("政府信息公开工作年度报告");
    expect(greeting.text).toContain("Word");
    expect(greeting.text).toContain("请发单位名称");
    // One message: the greeting and the first question together.
    officer.send("大关街道");
    expect((await officer.nextReply()).text).toContain("报告哪一年");
    expect(officer.replies).toHaveLength(2);
  });

  it("/new without the year asks for the year and takes the answer", async () => {
    const officer = h.officer(802);
    officer.send("/new 拱墅区民政局");
    const asked = await officer.nextReply();
    expect(asked.text).toContain("新建「拱墅区民政局」的年报");
    expect(asked.text).toContain("报告哪一年");
    expect(asked.text).not.toContain("用法");
    officer.send("2025");
    expect((await officer.nextReply()).text).toContain("已新建：拱墅区民政局 2025年度");
  });
});

describe("the first questions", () => {
  it("the 总述 says it can be skipped and has a 跳过 button that moves on", async () => {
    const officer = h.officer(803);
    await h.seedReport(803, emptyDraft);
    officer.send("/fill");
    const question = await officer.nextReply();
    expect(question.text).toContain("没有可跳过");
    expect(buttonsOf(question)).toContain("跳过");
    officer.press("跳过");
    const next = await officer.nextReply();
    expect(next.text).not.toContain("没有可跳过");
    expect(next.text).toContain("一、总体情况");
  });

  it("上一项 on the first question says it is the first one and stays", async () => {
    const officer = h.officer(804);
    const seeded = await h.seedReport(804, emptyDraft);
    officer.send("/fill");
    const question = await officer.nextReply();
    const count = officer.replies.length;
    const toast = await toastFor(officer, officer.press("上一项", { messageId: question.messageId }));
    expect(toast).toBe("这已经是第一项了。");
    officer.send("今年我们认真贯彻落实《条例》。");
    const saved = await officer.nextReply();
    // The text went to the first part: 上一项 did not move to 六.
    expect(saved.text).toContain("✅ 已保存到");
    expect(officer.replies).toHaveLength(count + 1);
    const report = await h.store.getReport(seeded.id);
    expect(report?.cursor).toBe(0);
    expect(Object.keys(report?.draft.narrative ?? {})).toEqual(["overview.intro"]);
  });

  it("a text too long for its part is refused with the part's buttons", async () => {
    const officer = h.officer(805);
    await h.seedReport(805, { ...emptyDraft, narrative: { "overview.intro": "字".repeat(PART_LIMIT - 10) } });
    officer.send("/fill");
    await officer.nextReply();
    officer.send("这一句会让这一部分超过上限。");
    const refused = await officer.nextReply();
    expect(refused.text).toContain("这一部分太长了");
    expect(buttonsOf(refused)).toEqual(expect.arrayContaining(["完成", "清空重写", "目录"]));
  });

  it("counts what a part holds the way its acknowledgement does (invisible characters are not 字)", async () => {
    const officer = h.officer(806);
    // Text that came in from elsewhere (an import, last year's report) may carry them.
    await h.seedReport(806, { ...emptyDraft, narrative: { "overview.intro": "\u200b今年工作。\u3000" } });
    officer.send("/fill");
    expect((await officer.nextReply()).text).toContain("已写 5 字。");
    officer.send("继续。");
    const saved = /这一部分现在 (\d+) 字/.exec((await officer.nextReply()).text)?.[1];
    officer.send("/fill");
    expect((await officer.nextReply()).text).toContain(`已写 ${saved} 字。`);
  });
});
