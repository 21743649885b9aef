import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Draft } from "../src/form/draft.js";
import { FLOOD_REPLY } from "../src/intake/flood-limit.js";
import { type Harness, startHarness } from "./support/bot-harness.js";
import { BotProcess } from "./support/bot-process.js";
import { type Officer, startFakeTelegram } from "./support/fake-telegram.js";

const draft: Draft = { format: "2021", org: "大关街道", year: 2025, narrative: {}, cells: {} };

let h: Harness;
beforeEach(async () => {
  h = await startHarness({ now: () => new Date("2026-02-10T02:00:00Z") });
});
afterEach(async () => {
  expect(h.fake.errors).toEqual([]);
  await h.close();
});

/** Waits until the officer has received nothing new for a while. */
async function settled(officer: Officer, quietMs = 800): Promise<void> {
  let count = -1;
  while (count !== officer.replies.length) {
    count = officer.replies.length;
    await new Promise((r) => setTimeout(r, quietMs));
  }
}

describe("a flood of updates from one user", () => {
  it("is answered politely, handles only what was waiting, and other officers are still answered", async () => {
    const flooder = h.officer(91);
    const other = h.officer(92);
    await h.seedReport(91, draft);
    await h.seedReport(92, draft);
    for (let i = 0; i < 1000; i++) flooder.send("/check");
    other.send("/start");
    expect((await other.nextReply({ timeoutMs: 20_000 })).text).toContain("进度");
    await settled(flooder);
    const notices = flooder.replies.filter((m) => m.text === FLOOD_REPLY).length;
    const handled = flooder.replies.length - notices;
    expect(notices).toBeGreaterThanOrEqual(1);
    expect(handled).toBeGreaterThanOrEqual(1);
    expect(handled).toBeLessThan(1000);
  }, 60_000);

  it("never limits an officer who waits for each reply, however fast", async () => {
    const officer = h.officer(93);
    await h.seedReport(93, draft);
    for (let i = 0; i < 60; i++) {
      officer.send("/check");
      await officer.nextReply();
    }
    expect(officer.replies.some((m) => m.text === FLOOD_REPLY)).toBe(false);
  }, 60_000);
});

describe("a flood that reaches the bot through the durable inbox (the bot as it runs)", () => {
  it("is answered politely, and another officer is answered meanwhile", async () => {
    const token = "246813579:AAFloodInboxTokenForTestsOnly_012345";
    const fake = await startFakeTelegram({ token });
    const dir = mkdtempSync(join(tmpdir(), "nianbao-flood-"));
    const bot = new BotProcess(fake, {
      BOT_TOKEN: token,
      TELEGRAM_API_ROOT: fake.apiRoot,
      LOG_LEVEL: "warn",
      DATA_DIR: dir,
    });
    try {
      await bot.start();
      const flooder = fake.user({ id: 94, first_name: "甲" });
      const other = fake.user({ id: 95, first_name: "乙" });
      flooder.send("/new 大关街道 2025");
      await flooder.nextReply();
      other.send("/new 小河街道 2025");
      await other.nextReply();
      // Updates are handled one at a time per chat from the inbox: the backlog is what the consumer limits.
      for (let i = 0; i < 1000; i++) flooder.send("/check");
      const asked = Date.now();
      other.send("/check");
      await other.nextReply({ timeoutMs: 20_000 });
      const answeredIn = Date.now() - asked;
      await settled(flooder, 1500);
      const notices = flooder.replies.filter((m) => m.text === FLOOD_REPLY).length;
      const handled = flooder.replies.length - 1 - notices;
      expect(notices).toBeGreaterThanOrEqual(1);
      expect(handled).toBeGreaterThanOrEqual(1);
      expect(handled).toBeLessThan(1000);
      expect(answeredIn).toBeLessThan(10_000);
      expect(fake.errors).toEqual([]);
    } finally {
      await bot.stop();
      await fake.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
