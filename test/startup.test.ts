import { type ChildProcessByStdio, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { aofEnabled, connectRedis } from "../src/store/redis-connection.js";
import { startFakeTelegram } from "./support/fake-telegram.js";
import { freePort, PrivateRedis } from "./support/private-redis.js";

/**
 * Start-up against a Redis that is down, without AOF or with CONFIG refused,
 * and the health listener: the process as `npm start` runs it, each on a
 * private redis-server.
 */

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const TOKEN = "987654321:AAStartupTokenForTestsOnly_0123456789";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

type Child = ChildProcessByStdio<null, Readable, Readable> & { out: () => string; exited: Promise<number | null> };

function startBot(env: Record<string, string>): Child {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", BOT_TOKEN: TOKEN, LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  }) as Child;
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (c: string) => (out += c));
  child.stderr.setEncoding("utf8").on("data", (c: string) => (out += c));
  child.out = () => out;
  child.exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });
  return child;
}

async function waitFor(done: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > until) throw new Error(`timed out: ${what()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function fake() {
  const telegram = await startFakeTelegram({ token: TOKEN });
  cleanups.push(() => telegram.close());
  return telegram;
}

describe("start-up on Redis", () => {
  it("refuses a Redis without AOF, naming REDIS_ALLOW_NO_AOF, with exit code 2", async () => {
    const redis = await PrivateRedis.start({ aof: false });
    cleanups.push(() => redis.close());
    const telegram = await fake();
    const bot = startBot({ REDIS_URL: redis.url, TELEGRAM_API_ROOT: telegram.apiRoot });
    expect(await bot.exited).toBe(2);
    expect(bot.out()).toContain("REDIS_ALLOW_NO_AOF=1");
    expect(bot.out()).toContain("appendonly");
    expect(bot.out()).not.toMatch(/\n\s+at /); // no stack trace
    expect(telegram.calls.filter((c) => c.method === "getUpdates")).toEqual([]);
  });

  it("starts on a Redis without AOF when REDIS_ALLOW_NO_AOF=1", async () => {
    const redis = await PrivateRedis.start({ aof: false });
    cleanups.push(() => redis.close());
    const telegram = await fake();
    const bot = startBot({ REDIS_URL: redis.url, TELEGRAM_API_ROOT: telegram.apiRoot, REDIS_ALLOW_NO_AOF: "1" });
    await waitFor(() => telegram.calls.some((c) => c.method === "getUpdates"), 20_000, bot.out);
    bot.kill("SIGTERM");
    expect(await bot.exited).toBe(0);
  });

  it("reads the AOF setting from INFO when CONFIG is refused", async () => {
    const redis = await PrivateRedis.start({ aof: true, args: ["--rename-command", "CONFIG", ""] });
    cleanups.push(() => redis.close());
    const client = await connectRedis(redis.url);
    cleanups.push(() => void client.disconnect());
    await expect(client.config("GET", "appendonly")).rejects.toThrow();
    expect(await aofEnabled(client)).toBe(true);
    const plain = await PrivateRedis.start({ aof: false, args: ["--rename-command", "CONFIG", ""] });
    cleanups.push(() => plain.close());
    const other = await connectRedis(plain.url);
    cleanups.push(() => void other.disconnect());
    expect(await aofEnabled(other)).toBe(false);
  });

  it("says in one line that Redis does not answer, retries, and starts once it does", async () => {
    const port = await freePort();
    const telegram = await fake();
    const bot = startBot({ REDIS_URL: `redis://127.0.0.1:${port}`, TELEGRAM_API_ROOT: telegram.apiRoot });
    await waitFor(() => (bot.out().match(/does not answer/g) ?? []).length >= 2, 15_000, bot.out);
    const line = bot
      .out()
      .split("\n")
      .find((l) => l.includes("does not answer"))!;
    expect(JSON.parse(line)).toMatchObject({ level: 40, redis: `127.0.0.1:${port}`, reason: "ECONNREFUSED" });
    expect(bot.out()).not.toMatch(/\n\s+at /);

    const redis = await PrivateRedis.start({ port });
    cleanups.push(() => redis.close());
    await waitFor(() => telegram.calls.some((c) => c.method === "getUpdates"), 20_000, bot.out);
    bot.kill("SIGTERM");
    expect(await bot.exited).toBe(0);
  });

  it("exits 0 on SIGTERM while still waiting for Redis", async () => {
    const port = await freePort();
    const telegram = await fake();
    const bot = startBot({ REDIS_URL: `redis://127.0.0.1:${port}`, TELEGRAM_API_ROOT: telegram.apiRoot });
    await waitFor(() => bot.out().includes("does not answer"), 15_000, bot.out);
    bot.kill("SIGTERM");
    expect(await bot.exited).toBe(0);
  });
});

describe("the health listener", () => {
  it("serves /healthz while up and /readyz only while the store answers", async () => {
    const redis = await PrivateRedis.start();
    cleanups.push(() => redis.close());
    const telegram = await fake();
    const healthPort = await freePort();
    const bot = startBot({
      REDIS_URL: redis.url,
      TELEGRAM_API_ROOT: telegram.apiRoot,
      HEALTH_PORT: String(healthPort),
    });
    await waitFor(() => telegram.calls.some((c) => c.method === "getUpdates"), 20_000, bot.out);
    const get = (path: string) => fetch(`http://127.0.0.1:${healthPort}${path}`);
    expect((await get("/healthz")).status).toBe(200);
    const ready = await get("/readyz");
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true, store: "ok", inboxLag: 0 });
    expect((await get("/other")).status).toBe(404);

    redis.stall();
    cleanups.push(() => redis.resume());
    const started = Date.now();
    const stalled = await get("/readyz");
    expect(stalled.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(3000);
    expect((await get("/healthz")).status).toBe(200);
    redis.resume();
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      status = (await get("/readyz")).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(200);
    bot.kill("SIGTERM");
    expect(await bot.exited).toBe(0);
  });

  it("keeps the embedded store ready without Redis", async () => {
    const dir = mkdtempSync(join(tmpdir(), "nianbao-health-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const telegram = await fake();
    const healthPort = await freePort();
    const bot = startBot({ DATA_DIR: dir, TELEGRAM_API_ROOT: telegram.apiRoot, HEALTH_PORT: String(healthPort) });
    await waitFor(() => telegram.calls.some((c) => c.method === "getUpdates"), 20_000, bot.out);
    const ready = await fetch(`http://127.0.0.1:${healthPort}/readyz`);
    expect(ready.status).toBe(200);
    bot.kill("SIGTERM");
    expect(await bot.exited).toBe(0);
  });
});

describe("webhook mode", () => {
  it("registers the webhook with its secret and answers an officer through it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "nianbao-webhook-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const telegram = await fake();
    const port = await freePort();
    telegram.webhookProxy = (url) => url.replace("https://bot.example.gov.cn", `http://127.0.0.1:${port}`);
    const secret = "webhook-secret-for-tests_0123";
    const bot = startBot({
      DATA_DIR: dir,
      TELEGRAM_API_ROOT: telegram.apiRoot,
      WEBHOOK_URL: "https://bot.example.gov.cn/telegram",
      WEBHOOK_SECRET: secret,
      PORT: String(port),
    });
    await waitFor(() => telegram.webhook !== undefined, 20_000, bot.out);
    expect(telegram.webhook).toEqual({ url: "https://bot.example.gov.cn/telegram", secret });
    const officer = telegram.user({ id: 5151, first_name: "李科员" });
    officer.send("/new 某某街道 2025");
    expect((await officer.nextReply()).text).toContain("已新建");
    const forged = await fetch(`http://127.0.0.1:${port}/telegram`, {
      method: "POST",
      body: JSON.stringify({ update_id: 1, message: { message_id: 1, date: 0, chat: { id: 5151, type: "private" } } }),
    });
    expect(forged.status).toBe(401);
    expect(telegram.calls.filter((c) => c.method === "getUpdates")).toEqual([]);
    bot.kill("SIGTERM");
    expect(await bot.exited).toBe(0);
  });
});
