import { afterEach, describe, expect, it } from "vitest";
import { flowFor } from "../flows/index.js";
import type { Draft } from "../src/form/draft.js";
import { type FormStep, formSteps } from "../src/form/form-steps.js";
import { OUTAGE_TEXT } from "../src/intake/outage-notice.js";
import { openStore } from "../src/store/open-store.js";
import { BotProcess, waitUntil } from "./support/bot-process.js";
import { type Officer, startFakeTelegram } from "./support/fake-telegram.js";
import { PrivateRedis } from "./support/private-redis.js";

/**
 * Redis stops for 10 s in the middle of a fill (issue "Production" 3), on a
 * private redis-server with AOF: stalled (SIGSTOP), and killed (SIGKILL, then
 * started again on its AOF). The officer hears "暂时无法保存" within 3 s; the
 * answer is saved once Redis is back, and nothing is lost.
 */

const TOKEN = "987654321:AAOutageTokenForTestsOnly_0123456789";
const USER = 8181;
const OUTAGE_MS = 10_000;
const draft: Draft = { format: "2021", org: "测试街道", year: 2025, narrative: {}, cells: {} };
const rows = formSteps(flowFor("2021")).filter((s): s is Extract<FormStep, { kind: "row" }> => s.kind === "row");
const first = rows.findIndex((s) => s.row.id === "apply.new");

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Waits for the bot's next message that contains `text`; returns it and how long it took. */
async function replyContaining(
  officer: Officer,
  text: string,
  timeoutMs: number,
): Promise<{ ms: number; text: string }> {
  const started = Date.now();
  for (;;) {
    const left = timeoutMs - (Date.now() - started);
    if (left <= 0) throw new Error(`no reply containing "${text}" within ${timeoutMs} ms`);
    const reply = await officer.nextReply({ timeoutMs: left });
    if (reply.text.includes(text)) return { ms: Date.now() - started, text: reply.text };
  }
}

describe.each(["SIGSTOP", "SIGKILL"] as const)("Redis stopped with %s for 10 s mid-fill", (how) => {
  it("tells the officer within 3 s, saves the answer once Redis is back, loses nothing, and the re-sent answer does not spill", async () => {
    const redis = await PrivateRedis.start();
    cleanups.push(() => redis.close());
    const fake = await startFakeTelegram({ token: TOKEN });
    cleanups.push(() => fake.close());
    const seedStore = await openStore({ redisUrl: redis.url, redisPrefix: "nianbao:", dataDir: "" });
    const seeded = await seedStore.createReport({ draft, members: [USER] });
    await seedStore.setUser(USER, { currentReportId: seeded.id });
    await seedStore.updateReport(seeded.id, seeded.version, { cursor: rows[first]!.index }, []);
    await seedStore.close();

    const bot = new BotProcess(fake, {
      BOT_TOKEN: TOKEN,
      TELEGRAM_API_ROOT: fake.apiRoot,
      LOG_LEVEL: "warn",
      REDIS_URL: redis.url,
      INSTANCE_ID: "outage",
    });
    cleanups.push(() => bot.kill());
    await bot.start();
    const officer = fake.user({ id: USER, first_name: "钱科员" });
    officer.send("/fill");
    await replyContaining(officer, rows[first]!.row.label, 10_000);
    officer.send("1 2 0 0 0 0");
    await replyContaining(officer, "已保存", 10_000);

    // Redis goes away while the second row's question is on screen.
    if (how === "SIGSTOP") redis.stall();
    else await redis.kill();
    const down = Date.now();
    officer.send("3 0 0 0 0 0");
    const told = await replyContaining(officer, OUTAGE_TEXT, 5_000);
    expect(told.ms).toBeLessThan(3000);
    // The officer sends it again anyway.
    officer.send("3 0 0 0 0 0");
    await new Promise((r) => setTimeout(r, Math.max(0, OUTAGE_MS - (Date.now() - down))));
    if (how === "SIGSTOP") redis.resume();
    else await redis.launch();

    // Saved by itself once Redis is back, without the officer doing anything.
    await replyContaining(officer, "已保存", 20_000);
    // The repeat is handled too.
    await waitUntil(() => officer.replies.filter((m) => m.text.includes("已保存")).length >= 3, 15_000);
    const store = await openStore({ redisUrl: redis.url, redisPrefix: "nianbao:", dataDir: "" });
    cleanups.push(() => store.close());
    const report = (await store.getReport(seeded.id))!;
    const cells = (step: (typeof rows)[number]) => step.row.cells.map((id) => report.draft.cells[id]);
    expect(cells(rows[first]!)).toEqual([1, 2, 0, 0, 0, 0]);
    expect(cells(rows[first + 1]!)).toEqual([3, 0, 0, 0, 0, 0]);
    // The same answer re-sent during the outage answers the question the officer saw: no spill.
    expect(cells(rows[first + 2]!).every((v) => v === undefined)).toBe(true);
    // The repeat is applied too (nothing is dropped).
    expect(officer.replies.filter((m) => m.text.includes("已保存"))).toHaveLength(3);
    expect(fake.errors).toEqual([]);
    bot.signal("SIGTERM");
    expect(await bot.exit()).toBe(0);
  }, 60_000);
});
