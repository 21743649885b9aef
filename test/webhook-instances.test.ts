import { randomBytes } from "node:crypto";
import type { Update } from "grammy/types";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { openStore } from "../src/store/open-store.js";
import { BotProcess, waitUntil } from "./support/bot-process.js";
import { startFakeTelegram } from "./support/fake-telegram.js";
import { freePort } from "./support/private-redis.js";
import { REDIS_URL } from "./support/redis-url.js";

/**
 * Two webhook instances on one Redis (issue "Production" 4). Each update is
 * posted to one of them at random, and some to both, as Telegram's retries
 * would. Every update is applied once and answered once, and each chat's
 * updates in the order they were sent.
 */

const TOKEN = "987654321:AAWebhookTokenForTestsOnly_0123456789";
const SECRET = "webhook-secret-for-two-instances";
const OFFICERS = 4;
const TEXTS = 8;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe("two webhook instances on one Redis", () => {
  it("apply every update exactly once and each chat's updates in order", async () => {
    const fake = await startFakeTelegram({ token: TOKEN });
    cleanups.push(() => fake.close());
    const prefix = `nianbao-webhooks:${randomBytes(5).toString("hex")}:`;
    const raw = new Redis(REDIS_URL);
    cleanups.push(async () => {
      const keys = await raw.keys(`${prefix}*`);
      if (keys.length > 0) await raw.del(...keys);
      await raw.quit();
    });
    const ports = [await freePort(), await freePort()];
    const bots = ports.map(
      (port, i) =>
        new BotProcess(fake, {
          BOT_TOKEN: TOKEN,
          TELEGRAM_API_ROOT: fake.apiRoot,
          LOG_LEVEL: "warn",
          REDIS_URL,
          REDIS_PREFIX: prefix,
          REDIS_ALLOW_NO_AOF: "1",
          WEBHOOK_URL: "https://bot.example.gov.cn/telegram",
          WEBHOOK_SECRET: SECRET,
          PORT: String(port),
          INSTANCE_ID: `instance-${i}`,
        }),
    );
    for (const bot of bots) {
      cleanups.push(() => bot.kill());
      await bot.start();
    }
    // The test is Telegram's delivery: it posts each update itself.
    fake.webhook = undefined;
    const post = async (port: number, update: Update) => {
      for (;;) {
        const res = await fetch(`http://127.0.0.1:${port}/telegram`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": SECRET },
          body: JSON.stringify(update),
        });
        if (res.status === 200) return;
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    let doubled = 0;
    const deliver = async (update: Update) => {
      const pick = Math.floor(Math.random() * 2);
      if (Math.random() < 0.25) {
        doubled++;
        await Promise.all([post(ports[pick]!, update), post(ports[1 - pick]!, update)]);
      } else await post(ports[pick]!, update);
    };

    // Both instances hold a share of the inbox's partitions.
    const holders = async () =>
      new Set(await Promise.all(Array.from({ length: 16 }, (_, p) => raw.get(`${prefix}inbox:lease:${p}`))));
    await new Promise((r) => setTimeout(r, 2500));
    expect(await holders()).toEqual(new Set(["instance-0", "instance-1"]));

    // An officer's message becomes an update (pushUpdate), which the test delivers.
    let last: Update | undefined;
    const push = fake.pushUpdate.bind(fake);
    fake.pushUpdate = (body) => {
      last = push(body);
      return last;
    };
    const say = (officer: ReturnType<typeof fake.user>, text: string): Update => {
      officer.send(text);
      return last!;
    };
    const officers = Array.from({ length: OFFICERS }, (_, i) => fake.user({ id: 7100 + i, first_name: `科员${i}` }));
    const sent = new Map<number, string[]>();
    // Each chat's updates are posted one after another (Telegram keeps a chat's order); chats in parallel.
    await Promise.all(
      officers.map(async (officer, i) => {
        await deliver(say(officer, `/new 第${i}单位 2025`));
        const texts: string[] = [];
        for (let t = 1; t <= TEXTS; t++) {
          const text = `单位${i}第${t}段。`;
          texts.push(text);
          await deliver(say(officer, text));
        }
        sent.set(7100 + i, texts);
      }),
    );
    const saved = (i: number) => officers[i]!.replies.filter((m) => m.text.includes("已保存")).length;
    await waitUntil(() => officers.every((_, i) => saved(i) >= TEXTS), 30_000);
    await new Promise((r) => setTimeout(r, 500)); // nothing more comes
    expect(doubled).toBeGreaterThan(0);

    const store = await openStore({ redisUrl: REDIS_URL, redisPrefix: prefix, dataDir: "" });
    cleanups.push(() => store.close());
    for (const [i, officer] of officers.entries()) {
      expect(officer.replies.filter((m) => m.text.includes("已新建"))).toHaveLength(1);
      expect(saved(i)).toBe(TEXTS);
      const reports = await store.listReports(7100 + i);
      expect(reports).toHaveLength(1);
      const stored = Object.values(reports[0]!.draft.narrative).join("\n");
      const positions = sent.get(7100 + i)!.map((text) => {
        expect(stored.split(text).length - 1, text).toBe(1); // applied once
        return stored.indexOf(text);
      });
      expect(positions).toEqual([...positions].sort((a, b) => a - b)); // in the order sent
    }
    expect(fake.errors).toEqual([]);
    for (const bot of bots) {
      bot.signal("SIGTERM");
      expect(await bot.exit()).toBe(0);
      expect(bot.errorLogs()).toEqual([]);
    }
  }, 90_000);
});
