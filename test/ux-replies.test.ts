import { afterEach, describe, expect, it } from "vitest";
import type { AuditEntry } from "../src/store/store.js";
import { type Harness, startHarness } from "./support/bot-harness.js";

let h: Harness | undefined;
afterEach(async () => {
  if (!h) return;
  expect(h.fake.errors).toEqual([]);
  await h.close();
  h = undefined;
});

describe("replies that tell the officer what to do next", () => {
  it("gives a refused user their id, for ALLOWED_USER_IDS", async () => {
    h = await startHarness({ allowedUserIds: [1] });
    const stranger = h.officer(987654321);
    stranger.send("/start");
    expect((await stranger.nextReply()).text).toContain("你的 Telegram 用户 ID 是 987654321");
  });

  it("/history pages through the whole trail, 15 entries at a time", async () => {
    h = await startHarness({ now: () => new Date("2026-02-10T02:00:00Z") });
    const officer = h.officer(71);
    const seeded = await h.seedReport(71, { format: "2021", org: "大关街道", year: 2025, narrative: {}, cells: {} });
    const audit: AuditEntry[] = Array.from({ length: 20 }, (_, i) => ({
      at: new Date(Date.UTC(2026, 1, 1, 0, i)).toISOString(),
      by: 71,
      target: "apply.new.natural",
      old: i,
      new: i + 1,
    }));
    const updated = await h.store.updateReport(seeded.id, seeded.version, {}, audit);
    expect(updated.ok).toBe(true);

    officer.send("/history");
    const first = await officer.nextReply();
    expect(first.text).toContain("最近 15 条修改");
    expect(first.text).toContain("19 → 20");
    expect(first.text).toContain("　5 → 6");
    expect(first.text).not.toContain("　4 → 5");
    officer.press("更早的 15 条 »");
    const second = await officer.nextReply();
    expect(second.text).toContain("第 16–20 条修改");
    expect(second.text).toContain("　0 → 1");
    expect(second.text).toContain("　4 → 5");
    expect(second.text).not.toContain("　5 → 6");
    expect(second.replyMarkup).toBeUndefined();
  });

  it("/new takes a year written 二〇二五", async () => {
    h = await startHarness({ now: () => new Date("2026-02-10T02:00:00Z") });
    const officer = h.officer(72);
    officer.send("/new 大关街道 二〇二五");
    expect((await officer.nextReply()).text).toContain("已新建：大关街道 2025年度");
    const { currentReportId } = await h.store.getUser(72);
    expect((await h.store.getReport(currentReportId ?? ""))?.draft.year).toBe(2025);
  });
});

describe("the contents list", () => {
  it("names sections briefly and keeps each row's group heading", async () => {
    h = await startHarness({ now: () => new Date("2026-02-10T02:00:00Z") });
    const officer = h.officer(73);
    await h.seedReport(73, { format: "2021", org: "大关街道", year: 2025, narrative: {}, cells: {} });
    officer.send("/sections");
    const list = await officer.nextReply();
    const sections = list.replyMarkup && "inline_keyboard" in list.replyMarkup ? list.replyMarkup.inline_keyboard : [];
    const names = sections.flat().map((b) => b.text);
    expect(names).toEqual(
      [
        "一、总体情况 0/6",
        "二、主动公开 0/8",
        "三、依申请公开 0/25",
        "四、复议诉讼 0/1",
        "五、问题和改进 0/1",
        "六、其他事项 0/1",
      ].map((n) => expect.stringMatching(new RegExp(`^${n.split(" ")[0]} \\d+/\\d+$`))),
    );
    for (const name of names) expect([...name].length).toBeLessThanOrEqual(14);

    officer.press(/^三、依申请公开/);
    const rows = (await officer.nextReply()).replyMarkup;
    const buttons = rows && "inline_keyboard" in rows ? rows.inline_keyboard.flat().map((b) => b.text) : [];
    expect(buttons).toContain("（三）不予公开 · 1.属于国家秘密");
    expect(buttons).toContain("（四）无法提供 · 1.本机关不掌握相关政府信息");
    expect(buttons).not.toContain("1.属于国家秘密");
    for (const text of buttons) expect([...text].length).toBeLessThanOrEqual(26);
  });
});
