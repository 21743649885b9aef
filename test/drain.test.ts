import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { BotProcess, waitUntil } from "./support/bot-process.js";
import { startFakeTelegram } from "./support/fake-telegram.js";
import { REDIS_URL } from "./support/redis-url.js";

/**
 * SIGTERM drains (issue "Production" 2): bursts of answers, SIGTERM 0–120 ms
 * later, 10 times. Every exit is 0, and after the restarts every update was
 * applied once and answered once.
 */

const TOKEN = "987654321:AADrainTokenForTestsOnly_0123456789";
const ROUNDS = 10;
const BURST = 5;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe.each(["embedded", "redis"] as const)("SIGTERM on the %s store", (kind) => {
  it("exits 0 every time, and every answer of the bursts is applied and answered once after the restarts", async () => {
    const fake = await startFakeTelegram({ token: TOKEN });
    cleanups.push(() => fake.close());
    const dir = mkdtempSync(join(tmpdir(), "nianbao-drain-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const prefix = `nianbao-drain:${randomBytes(5).toString("hex")}:`;
    if (kind === "redis") {
      cleanups.push(async () => {
        const raw = new Redis(REDIS_URL);
        const keys = await raw.keys(`${prefix}*`);
        if (keys.length > 0) await raw.del(...keys);
        await raw.quit();
      });
    }
    const bot = new BotProcess(fake, {
      BOT_TOKEN: TOKEN,
      TELEGRAM_API_ROOT: fake.apiRoot,
      LOG_LEVEL: "warn",
      SHUTDOWN_TIMEOUT_MS: "10000",
      ...(kind === "redis" ? { REDIS_URL, REDIS_PREFIX: prefix, REDIS_ALLOW_NO_AOF: "1" } : { DATA_DIR: dir }),
    });
    cleanups.push(() => bot.kill());
    await bot.start();
    const officer = fake.user({ id: 6161, first_name: "赵科员" });
    officer.send("/new 某某街道 2025");
    expect((await officer.nextReply()).text).toContain("已新建");
    const saved = () => officer.replies.filter((m) => m.text.includes("已保存")).length;

    const sent: string[] = [];
    const exits: (number | string | null)[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      for (let i = 1; i <= BURST; i++) {
        const text = `第${round}轮第${i}段。`;
        sent.push(text);
        officer.send(text);
      }
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 121)));
      bot.signal("SIGTERM");
      exits.push(await bot.exit());
      await bot.start();
    }
    await waitUntil(() => saved() >= sent.length, 30_000);
    await new Promise((r) => setTimeout(r, 300)); // nothing more comes
    bot.signal("SIGTERM");
    exits.push(await bot.exit());

    expect(exits).toEqual(Array(ROUNDS + 1).fill(0));
    expect(saved()).toBe(sent.length); // answered once each
    const { openStore } = await import("../src/store/open-store.js");
    const store = await openStore({
      ...(kind === "redis" ? { redisUrl: REDIS_URL } : {}),
      redisPrefix: prefix,
      dataDir: dir,
    });
    cleanups.push(() => store.close());
    const [report] = await store.listReports(6161);
    const stored = Object.values(report!.draft.narrative).join("\n");
    for (const text of sent) expect(stored.split(text).length - 1, text).toBe(1); // applied once each, in order
    expect(stored.indexOf(sent[0]!)).toBeLessThan(stored.indexOf(sent.at(-1)!));
    expect(fake.errors).toEqual([]);
    expect(bot.errorLogs()).toEqual([]);
  }, 120_000);
});
