import { spawnSync } from "node:child_process";
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import { createLogger } from "../src/logger.js";

const TOKEN = "123456789:AAEexampleTokenForConfigTests_xyz";

describe("configuration from the environment", () => {
  it("fills in the defaults", () => {
    expect(loadConfig({ BOT_TOKEN: TOKEN })).toEqual({
      mode: "polling",
      BOT_TOKEN: TOKEN,
      REDIS_ALLOW_NO_AOF: false,
      SHUTDOWN_TIMEOUT_MS: 10_000,
      REDIS_PREFIX: "nianbao:",
      DATA_DIR: "./data",
      TELEGRAM_API_ROOT: "https://api.telegram.org",
      REMINDER_TICK_MS: 30_000,
      REMINDERS: "on",
      LOG_LEVEL: "info",
    });
  });
  it("reads every variable", () => {
    const config = loadConfig({
      BOT_TOKEN: TOKEN,
      REDIS_URL: "redis://127.0.0.1:6379/2",
      TELEGRAM_PROXY: "socks5://127.0.0.1:1080",
      ALLOWED_USER_IDS: "12, 34,56",
      LOG_LEVEL: "debug",
    });
    expect(config.ALLOWED_USER_IDS).toEqual([12, 34, 56]);
    expect(config.TELEGRAM_PROXY).toBe("socks5://127.0.0.1:1080");
  });
  it("names a missing BOT_TOKEN and every other bad variable in one message", () => {
    expect(() => loadConfig({ TELEGRAM_PROXY: "ftp://x", ALLOWED_USER_IDS: "abc", LOG_LEVEL: "loud" })).toThrow(
      /BOT_TOKEN is missing[\s\S]*TELEGRAM_PROXY[\s\S]*ALLOWED_USER_IDS[\s\S]*LOG_LEVEL/,
    );
    expect(() => loadConfig({ BOT_TOKEN: "not-a-token" })).toThrow(/BOT_TOKEN does not look like a bot token/);
  });
  it("switches to webhook mode with WEBHOOK_URL, which then needs a secret", () => {
    const config = loadConfig({
      BOT_TOKEN: TOKEN,
      WEBHOOK_URL: "https://bot.example.gov.cn/telegram",
      WEBHOOK_SECRET: "s3cret-s3cret-s3cret",
      HEALTH_PORT: "8081",
    });
    expect(config).toMatchObject({ mode: "webhook", PORT: 8080, HEALTH_PORT: 8081 });
    expect(() => loadConfig({ BOT_TOKEN: TOKEN, WEBHOOK_URL: "https://bot.example.gov.cn/telegram" })).toThrow(
      /WEBHOOK_SECRET is missing/,
    );
    expect(() => loadConfig({ BOT_TOKEN: TOKEN, WEBHOOK_SECRET: "s3cret-s3cret-s3cret" })).toThrow(
      /WEBHOOK_URL is missing/,
    );
    expect(() =>
      loadConfig({ BOT_TOKEN: TOKEN, WEBHOOK_URL: "http://bot.example.gov.cn/", WEBHOOK_SECRET: "short" }),
    ).toThrow(/WEBHOOK_URL should be an https:\/\/ URL[\s\S]*WEBHOOK_SECRET should be 16–256/);
  });
  it("names bad ports and flags", () => {
    expect(() => loadConfig({ BOT_TOKEN: TOKEN, HEALTH_PORT: "80x", REDIS_ALLOW_NO_AOF: "yes" })).toThrow(
      /REDIS_ALLOW_NO_AOF should be 1 or 0[\s\S]*HEALTH_PORT should be a TCP port number/,
    );
    expect(loadConfig({ BOT_TOKEN: TOKEN, REDIS_ALLOW_NO_AOF: "1" }).REDIS_ALLOW_NO_AOF).toBe(true);
  });
  it("treats empty variables as unset", () => {
    expect(loadConfig({ BOT_TOKEN: TOKEN, REDIS_URL: "" }).REDIS_URL).toBeUndefined();
  });
  it("stops the bot at start-up with the message, exit code 2", () => {
    const result = spawnSync(process.execPath, ["--import", "tsx", "src/main.ts"], {
      encoding: "utf8",
      env: { PATH: process.env.PATH ?? "" },
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("BOT_TOKEN is missing");
  });
});

/** A logger as the bot makes it, writing its lines into an array. */
function memoryLog() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, log: createLogger("info", [TOKEN], sink) };
}

describe("logs", () => {
  it("never contain the bot token", () => {
    const { lines, log } = memoryLog();
    log.error(new Error(`request to https://api.telegram.org/bot${TOKEN}/getMe failed`));
    log.warn({ url: `https://api.telegram.org/bot${TOKEN}/sendMessage`, err: new Error(TOKEN) }, `retry ${TOKEN}`);
    expect(lines).toHaveLength(2);
    expect(lines.join("")).not.toContain(TOKEN.split(":")[1]);
    expect(lines.join("")).toContain("<redacted>");
    expect(JSON.parse(lines[0]!).msg).toContain("/bot<redacted>/getMe");
  });
});

describe("logs of failed Bot API calls", () => {
  it("name the method and the error code, never the payload (the officer's text)", async () => {
    const { GrammyError } = await import("grammy");
    const { lines, log } = memoryLog();
    const error = new GrammyError(
      "Call to 'sendMessage' failed!",
      { ok: false, error_code: 400, description: "Bad Request: message is too long" },
      "sendMessage",
      { chat_id: 7, text: "本单位机密的叙述文字" },
    );
    log.error({ err: error }, "update failed");
    log.error(error);
    const logged = lines.join("");
    expect(logged).not.toContain("机密");
    const first = JSON.parse(lines[0]!);
    expect(first.err.method).toBe("sendMessage");
    expect(first.err.error_code).toBe(400);
    expect(first.err.payload).toBeUndefined();
  });
});
