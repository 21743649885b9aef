import { randomBytes } from "node:crypto";
import type { Context } from "grammy";
import type { Update } from "grammy/types";
import { Redis } from "ioredis";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createBot } from "../src/bot/create-bot.js";
import { wizardStateKey } from "../src/bot/wizards.js";
import { openStore } from "../src/store/open-store.js";
import { botInfo as makeBotInfo } from "./support/bot-info.js";
import {
  messageUpdate,
  pressUpdate as press,
  quietDeps,
  stubBotApi,
  textUpdate as text,
} from "./support/private-chat-api.js";
import { REDIS_URL } from "./support/redis-url.js";

/**
 * Issue "Speed" 2: the conversations plugin runs only for the updates that
 * may need it (src/bot/wizards.ts, wizardsPlugin). A plain answer or a form
 * button of a member in no dialogue skips it; a command, another button and every update of a member
 * inside a dialogue go through it, and a dialogue goes on after a restart and
 * on another instance (its state lives in the store).
 */

/** The update ids the conversations plugin ran for, and the states it read (its storage adapter's reads). */
const plugin = vi.hoisted(() => ({ ran: [] as number[], reads: [] as number[] }));
vi.mock("@grammyjs/conversations", async (importOriginal) => {
  const original = await importOriginal<typeof import("@grammyjs/conversations")>();
  return {
    ...original,
    conversations: ((options) => {
      const storage = options?.storage;
      if (storage?.type !== "context") throw new Error("the test expects the plugin's context storage");
      const read = storage.adapter.read;
      const middleware = original.conversations({
        ...options,
        storage: {
          ...storage,
          adapter: {
            ...storage.adapter,
            read: (ctx: Context) => {
              plugin.reads.push(ctx.update.update_id);
              return read(ctx as never);
            },
          },
        },
      });
      return (ctx, next) => {
        plugin.ran.push(ctx.update.update_id);
        return middleware(ctx, next);
      };
    }) as typeof original.conversations,
  };
});

const TOKEN = "123456789:AAWizardsPluginTokenForTestsOnly_0123";
const botInfo = makeBotInfo({ id: 123456789, first_name: "年报助手", username: "nianbao_test_bot" });
const prefix = `nianbao-test:${randomBytes(6).toString("hex")}:`;

/** A bot instance with its own store client (a process of its own), the Bot API stubbed at its fetch. */
async function instance() {
  const api = stubBotApi();
  const store = await openStore({ redisUrl: REDIS_URL, redisPrefix: prefix, dataDir: "" });
  const bot = createBot(TOKEN, quietDeps(store), { botInfo, client: { fetch: api.fetch as never } });
  const messages = () => api.calls.filter((c) => c.method === "sendMessage");
  return {
    store,
    /** Handles the update; the texts of the messages it sent. */
    async handle(update: Update): Promise<string[]> {
      const before = messages().length;
      await bot.handleUpdate(update);
      return messages()
        .slice(before)
        .map((s) => s.text);
    },
    last: () => messages().at(-1),
    close: () => store.close(),
  };
}

const sticker = (userId: number): Update =>
  messageUpdate(userId, {
    sticker: {
      file_id: "s",
      file_unique_id: "s",
      type: "regular",
      width: 512,
      height: 512,
      is_animated: false,
      is_video: false,
    },
  });

/** Whether the plugin ran for the update, and read its storage. */
const ranFor = (update: Update) => plugin.ran.includes(update.update_id);
const readFor = (update: Update) => plugin.reads.includes(update.update_id);

let redis: Redis;
beforeAll(() => {
  redis = new Redis(REDIS_URL);
});
afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});
beforeEach(() => {
  plugin.ran.length = 0;
  plugin.reads.length = 0;
});

describe("the conversations plugin, outside and inside a dialogue", () => {
  it("skips a plain answer or a sticker of a member in no dialogue; runs for a command and a button", async () => {
    const bot = await instance();
    try {
      const created = text(301, "/new 某某局 2025");
      expect((await bot.handle(created)).join("\n")).toContain("已新建");
      expect(ranFor(created)).toBe(true);
      expect(await bot.store.readState(wizardStateKey(301))).toBeUndefined();

      // The form's first question is a narrative part: a plain text answers it, without the plugin.
      const answer = text(301, "本年度我单位认真贯彻落实条例。");
      expect((await bot.handle(answer)).join("\n")).toContain("已保存到");
      expect(ranFor(answer)).toBe(false);
      expect(readFor(answer)).toBe(false);
      const shown = bot.last();

      const odd = sticker(301);
      expect(await bot.handle(odd)).toEqual(["我只看得懂文字和 JSON 数据文件。请直接发文字或数字。"]);
      expect(ranFor(odd)).toBe(false);

      const done = shown?.data[0];
      const contents = shown?.data.at(-1);
      if (!shown || !done?.includes("|d|") || !contents?.includes("|m|"))
        throw new Error("the answer's reply has no 完成 or 目录 button");
      // A button of the form walk (完成) never enters a dialogue: it skips the plugin.
      const pressed = press(301, shown.messageId, done);
      expect((await bot.handle(pressed)).join("\n")).toContain("主动公开");
      expect(ranFor(pressed)).toBe(false);
      // Any other button (目录) may: it goes through the plugin.
      const other = press(301, shown.messageId, contents);
      await bot.handle(other);
      expect(ranFor(other)).toBe(true);

      const command = text(301, "/sections");
      expect(await bot.handle(command)).not.toEqual([]);
      expect(ranFor(command)).toBe(true);
    } finally {
      await bot.close();
    }
  });

  it("goes on with a dialogue after a restart and on another instance, for every update inside it", async () => {
    const first = await instance();
    const started = text(302, "/new");
    expect((await first.handle(started)).join("\n")).toContain("请发单位名称");
    expect(await first.store.readState(wizardStateKey(302))).toBeDefined();
    await first.close();

    // A restart: a new process answers the dialogue's question from the state in the store.
    const restarted = await instance();
    const other = await instance();
    try {
      const org = text(302, "某某局");
      expect((await restarted.handle(org)).join("\n")).toContain("报告哪一年");
      expect(ranFor(org) && readFor(org)).toBe(true);

      // Another instance takes the next answer, a plain text too.
      const year = text(302, "2025");
      expect((await other.handle(year)).join("\n")).toContain("已新建：<b>某某局 2025年度</b>");
      expect(ranFor(year) && readFor(year)).toBe(true);
      expect(await other.store.readState(wizardStateKey(302))).toBeUndefined();

      // The dialogue is over: the next plain text is an answer of the form, without the plugin.
      const answer = text(302, "本年度我单位认真贯彻落实条例。");
      expect((await other.handle(answer)).join("\n")).toContain("已保存到");
      expect(ranFor(answer)).toBe(false);
    } finally {
      await restarted.close();
      await other.close();
    }
  });

  it("a dialogue's plain answer goes through the plugin on the instance that started it", async () => {
    const bot = await instance();
    try {
      const started = text(303, "/new");
      await bot.handle(started);
      // A text that is not a usable unit name: the dialogue asks again (the form would have taken it).
      const bad = text(303, "x".repeat(500));
      const replies = await bot.handle(bad);
      expect(ranFor(bad)).toBe(true);
      expect(replies.join("\n")).not.toContain("已保存");
      const org = text(303, "某某局");
      expect((await bot.handle(org)).join("\n")).toContain("报告哪一年");
    } finally {
      await bot.close();
    }
  });
});
