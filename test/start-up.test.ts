import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startFakeTelegram } from "./support/fake-telegram.js";

/** The real entry point (src/main.ts) as `npm start` runs it, against the local fake Bot API. */

const TOKEN = "123456789:AAStartUpTestTokenOnly_0123456789abc";
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function start(env: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), "nianbao-start-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    env: { PATH: process.env.PATH ?? "", LOG_LEVEL: "info", DATA_DIR: dir, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  cleanups.push(() => {
    if (child.exitCode === null) child.kill("SIGKILL");
  });
  const out = { stdout: "", stderr: "" };
  child.stdout.setEncoding("utf8").on("data", (c: string) => (out.stdout += c));
  child.stderr.setEncoding("utf8").on("data", (c: string) => (out.stderr += c));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, out, exited };
}

async function until(check: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("start-up", () => {
  it("says BOT_TOKEN is invalid when Telegram answers 401, and exits 1 without a stack trace", async () => {
    const fake = await startFakeTelegram({ token: TOKEN });
    cleanups.push(() => fake.close());
    const { out, exited } = start({
      BOT_TOKEN: "987654321:AAWrongButWellShapedToken_0123456789",
      TELEGRAM_API_ROOT: fake.apiRoot,
    });
    expect(await exited).toBe(1);
    expect(out.stderr).toContain("BOT_TOKEN 无效（Telegram 401）");
    expect(out.stderr + out.stdout).not.toMatch(/\n\s+at /);
    expect(out.stderr + out.stdout).not.toContain("AAWrongButWellShapedToken");
  }, 60_000);

  it("logs every failed attempt to reach the Bot API with the next retry time, naming TELEGRAM_PROXY", async () => {
    const { child, out, exited } = start({
      BOT_TOKEN: TOKEN,
      TELEGRAM_API_ROOT: `http://127.0.0.1:${await closedPort()}`,
    });
    await until(() => (out.stdout.match(/Telegram Bot API unreachable/g) ?? []).length >= 2, 45_000);
    const attempts = out.stdout
      .split("\n")
      .filter((l) => l.includes("Telegram Bot API unreachable"))
      .map((l) => JSON.parse(l) as { attempt: number; retryAt: string; msg: string; level: number });
    expect(attempts.map((a) => a.attempt).slice(0, 2)).toEqual([1, 2]);
    for (const a of attempts) {
      expect(Number.isNaN(Date.parse(a.retryAt))).toBe(false);
      expect(a.msg).toContain("TELEGRAM_PROXY");
    }
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
  }, 60_000);
});
