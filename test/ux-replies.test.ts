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
