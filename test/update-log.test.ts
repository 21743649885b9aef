import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { createBot } from "../src/bot/create-bot.js";
import { openStore } from "../src/store/open-store.js";
import { botInfo as makeBotInfo } from "./support/bot-info.js";
import { quietDeps, stubBotApi, textUpdate } from "./support/private-chat-api.js";

/**
 * Every log line of an update's handling names the update (ctx.log), though
 * the logger is made only when the handling logs something (most log nothing).
 */

const TOKEN = "123456789:AAUpdateLogTokenForTestsOnly_01234567";
const botInfo = makeBotInfo({ id: 123456789, first_name: "年报助手", username: "nianbao_test_bot" });
const dir = mkdtempSync(join(tmpdir(), "nianbao-update-log-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("an update's log lines", () => {
  it("carry its update id", async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: "info" }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const store = await openStore({ redisPrefix: "", dataDir: dir });
    try {
      const api = stubBotApi();
      const bot = createBot(TOKEN, { ...quietDeps(store), logger }, { botInfo, client: { fetch: api.fetch as never } });
      const update = textUpdate(4242, "/new 测试单位 2025");
      await bot.handleUpdate(update);
      // Telegram delivers it again: the handling logs the repeat.
      await bot.handleUpdate(update);
      const repeat = lines.find((l) => l.msg === "update handled before");
      expect(repeat).toMatchObject({ update_id: update.update_id, repeat: true });
    } finally {
      await store.close();
    }
  });
});
