import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { openStore } from "../src/store/open-store.js";
import { BotProcess, waitUntil } from "./support/bot-process.js";
import { type Officer, startFakeTelegram } from "./support/fake-telegram.js";
import { REDIS_URL } from "./support/redis-url.js";

/**
 * The crash test of issue "Production": scripted officers keep writing while
 * the bot is killed with SIGKILL at 50 random moments, on each store. Every
 * update sent is applied once and answered, whether it was acknowledged
 * before a kill or not.
 *
 * Each officer appends numbered pieces of one length to a narrative part, so
 * the length the bot acknowledges ("这一部分现在 N 字") names the piece it saved.
 */

const TOKEN = "987654321:AACrashTokenForTestsOnly_0123456789";
const KILLS = 50;
const OFFICERS = 3;
const piece = (officer: number, n: number) => `第${officer}人${String(n).padStart(4, "0")}段。`;
const PIECE_LENGTH = [...piece(0, 0)].length;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.concurrent.each(["embedded", "redis"] as const)("SIGKILL at 50 random moments on the %s store", (kind) => {
  it(`on the ${kind} store: sent N, applied N, answered N, lost 0, doubled 0`, async ({ onTestFinished }) => {
    // The two stores run at once: each test cleans up after itself only.
    const cleanups: (() => Promise<void> | void)[] = [];
    onTestFinished(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });
    const fake = await startFakeTelegram({ token: TOKEN });
    cleanups.push(() => fake.close());
    const dir = mkdtempSync(join(tmpdir(), "nianbao-crash-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const prefix = `nianbao-crash:${randomBytes(5).toString("hex")}:`;
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
      ...(kind === "redis"
        ? { REDIS_URL, REDIS_PREFIX: prefix, REDIS_ALLOW_NO_AOF: "1", INSTANCE_ID: "crash" }
        : { DATA_DIR: dir }),
    });
    cleanups.push(() => bot.kill());
    await bot.start();
    const officers: Officer[] = [];
    for (let i = 0; i < OFFICERS; i++) {
      const officer = fake.user({ id: 9100 + i, first_name: `科员${i}` });
      officer.send(`/new 第${i}单位 2025`);
      expect((await officer.nextReply()).text).toContain("已新建");
      officers.push(officer);
    }
    const sent = officers.map(() => 0);

    for (let kill = 0; kill < KILLS; kill++) {
      if (!bot.running) await bot.start();
      // The officers write on while the bot runs; it dies at a random moment.
      const dies = Date.now() + Math.floor(Math.random() * 400);
      while (Date.now() < dies) {
        const i = Math.floor(Math.random() * OFFICERS);
        officers[i]!.send(piece(i, ++sent[i]!));
        await sleep(Math.floor(Math.random() * 40));
      }
      await bot.kill();
      // Sometimes more arrives while the bot is down.
      if (Math.random() < 0.3) {
        const i = Math.floor(Math.random() * OFFICERS);
        officers[i]!.send(piece(i, ++sent[i]!));
      }
    }
    await bot.start();

    /** The pieces each acknowledgement names: "这一部分现在 N 字" after the k-th piece is N = k × length. */
    const answered = (i: number) =>
      new Set(
        // A message may carry several: earlier acknowledgements that never arrived start it ("上次发的已保存：…").
        officers[i]!.replies.flatMap((m) =>
          [...m.text.matchAll(/这一部分现在 (\d+) 字/g)].map((n) => Number(n[1]) / PIECE_LENGTH),
        ),
      );
    const total = sent.reduce((a, b) => a + b, 0);
    const answeredCount = () => officers.reduce((sum, _, i) => sum + answered(i).size, 0);
    await waitUntil(() => answeredCount() >= total, 60_000);

    const store = await openStore({
      ...(kind === "redis" ? { redisUrl: REDIS_URL } : {}),
      redisPrefix: prefix,
      dataDir: dir,
    });
    cleanups.push(() => store.close());
    let applied = 0;
    let lost = 0;
    let doubled = 0;
    for (const [i, officer] of officers.entries()) {
      const [report] = await store.listReports(officer.user.id);
      const text = Object.values(report!.draft.narrative).join("");
      for (let n = 1; n <= sent[i]!; n++) {
        const times = text.split(piece(i, n)).length - 1;
        if (times === 0) lost++;
        else applied++;
        if (times > 1) doubled++;
      }
      // In the order sent.
      const order = [...text.matchAll(new RegExp(`第${i}人(\\d{4})段。`, "g"))].map((m) => Number(m[1]));
      expect(order).toEqual([...order].sort((a, b) => a - b));
    }
    const line = `sent ${total}, applied ${applied}, answered ${answeredCount()}, lost ${lost}, doubled ${doubled}`;
    console.log(`${kind} store, ${KILLS} kills: ${line}`);
    expect(line).toBe(`sent ${total}, applied ${total}, answered ${total}, lost 0, doubled 0`);
    expect(fake.errors).toEqual([]);
    bot.signal("SIGTERM");
    expect(await bot.exit()).toBe(0);
  }, 400_000);
});
