import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { flows } from "../flows/index.js";
import type { View } from "../src/bot/views/question.js";
import { ReminderRunner } from "../src/reminders/runner.js";
import { reminderSender } from "../src/reminders/start-reminders.js";
import { openStore } from "../src/store/open-store.js";
import type { Store } from "../src/store/store.js";
import { startFakeTelegram } from "./support/fake-telegram.js";
import { REDIS_URL } from "./support/redis-url.js";

const TOKEN = "424242424:AAReminderRunnerTestTokenOnly_01234567";
const silent = pino({ level: "silent" });
/** 24 January 2027, 10:00 Beijing: the 7-day stage of the 31 January deadline is due. */
const STAGE_DAY = new Date("2027-01-24T02:00:00Z");

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

async function freshStore(
  kind: "redis" | "embedded",
  now: () => Date,
): Promise<{ store: Store; open: () => Promise<Store> }> {
  const dir = mkdtempSync(join(tmpdir(), "nianbao-runner-"));
  const prefix = `nianbao-runner:${randomBytes(6).toString("hex")}:`;
  const open = async () => {
    const store = await openStore({
      ...(kind === "redis" ? { redisUrl: REDIS_URL } : {}),
      redisPrefix: prefix,
      dataDir: dir,
      now,
    });
    cleanups.push(() => store.close());
    return store;
  };
  cleanups.push(async () => {
    rmSync(dir, { recursive: true, force: true });
    if (kind !== "redis") return;
    const { Redis } = await import("ioredis");
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });
  return { store: await open(), open };
}

async function seedOfficers(store: Store, ids: number[]): Promise<void> {
  for (const id of ids)
    await store.createReport({
      draft: { format: "2021", org: `单位${id}`, year: 2026, narrative: {}, cells: { "apply.new.natural": 1 } },
      members: [id],
      deadline: "2027-01-31",
    });
}

describe("the reminder runner", () => {
  it("loses nothing when sending fails halfway: the officers not reached are tried again, the others not", async () => {
    let now = new Date("2026-12-20T02:00:00Z");
    const { store } = await freshStore("embedded", () => now);
    await seedOfficers(store, [1, 2, 3, 4]);
    const sent: number[] = [];
    let failures = 2;
    const sendMessage = async (chatId: number, _view: View) => {
      if (chatId >= 3 && failures > 0) {
        failures--;
        throw new Error("network down");
      }
      sent.push(chatId);
    };
    const runner = new ReminderRunner(
      { store, flows, now: () => now, logger: silent, sendMessage },
      { retryMs: 60_000, perSecond: 1000 },
    );
    now = STAGE_DAY;
    const first = await runner.tick();
    expect(first.outcomes).toMatchObject({ sent: 2, failed: 2 });
    expect(sent.sort()).toEqual([1, 2]);
    // Nothing more is due for the officers reached; the others are looked at again after retryMs.
    expect((await runner.tick()).outcomes.sent).toBe(0);
    now = new Date(STAGE_DAY.getTime() + 61_000);
    expect((await runner.tick()).outcomes).toMatchObject({ sent: 2 });
    expect(sent.sort()).toEqual([1, 2, 3, 4]);
    now = new Date(STAGE_DAY.getTime() + 3_600_000);
    expect((await runner.tick()).outcomes.sent).toBe(0);
    expect(sent).toHaveLength(4);
  });

  it("two runners on one Redis at the same moment send each officer one message", async () => {
    const now = () => STAGE_DAY;
    const { store, open } = await freshStore("redis", () => new Date("2026-12-20T02:00:00Z"));
    const ids = Array.from({ length: 40 }, (_, i) => 1000 + i);
    await seedOfficers(store, ids);
    const sent: number[] = [];
    const sendMessage = async (chatId: number) => {
      await new Promise((r) => setTimeout(r, 2));
      sent.push(chatId);
    };
    const runners = [store, await open()].map(
      (s) => new ReminderRunner({ store: s, flows, now, logger: silent, sendMessage }, { perSecond: 1000, retryMs: 1 }),
    );
    await Promise.all(runners.map((r) => r.tick()));
    // An officer leased by the other runner is looked at again shortly: a second round finds nothing new.
    await new Promise((r) => setTimeout(r, 10));
    await Promise.all(runners.map((r) => r.tick()));
    expect(sent.sort((a, b) => a - b)).toEqual(ids);
  });

  it("sends through Telegram's 429 (retry_after) without losing or doubling the message", async () => {
    const fake = await startFakeTelegram({ token: TOKEN });
    cleanups.push(() => fake.close());
    fake.user({ id: 77, first_name: "王科员" });
    fake.refuse({ method: "sendMessage", status: 429, retryAfter: 1, times: 2 });
    const { store } = await freshStore("embedded", () => new Date("2026-12-20T02:00:00Z"));
    await seedOfficers(store, [77]);
    const runner = new ReminderRunner({
      store,
      flows,
      now: () => STAGE_DAY,
      logger: silent,
      sendMessage: reminderSender({ BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: fake.apiRoot }),
    });
    const result = await runner.tick();
    expect(result.outcomes.sent).toBe(1);
    expect(fake.errors.filter((e) => e.status === 429)).toHaveLength(2);
    const messages = fake.chat(77)?.events ?? [];
    expect(messages).toHaveLength(1);
    expect(messages[0]?.rawText).toContain("距截止还有 7 天");
    expect((await runner.tick()).outcomes.sent).toBe(0);
    expect(fake.chat(77)?.events).toHaveLength(1);
  }, 20_000);
});
