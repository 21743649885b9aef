import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import type { Update, UserFromGetMe } from "grammy/types";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { flows } from "../flows/index.js";
import { createBot } from "../src/bot/create-bot.js";
import { openStore } from "../src/store/open-store.js";
import type { Store } from "../src/store/store.js";
import { parseHtml } from "./support/fake-telegram.js";
import { fixture } from "./support/fixtures.js";

/**
 * 10,000 random and malformed updates through the bot with a stubbed Bot API
 * (fast-check): no crash, no unhandled rejection, every message the bot sends
 * is valid for Telegram's HTML parse mode and fits its limit, and the report
 * of an officer who sent nothing is untouched.
 */

const RUNS = 200;
const PER_RUN = 50;
const FUZZERS = [101, 102, 103];
const BYSTANDER = 999;
const botInfo = { id: 42, is_bot: true, first_name: "年报", username: "nianbao_test_bot" } as UserFromGetMe;

const problems: string[] = [];
/** Callback data the bot put on its buttons, for presses that reach real handlers. */
const buttons: string[] = ["x", "v1:zz", ""];
let messageId = 1000;
/** Messages the bot sent, so the test knows it exercised the handlers and not only refusals. */
let sends = 0;

function collectButtons(markup: unknown): void {
  const rows = (markup as { inline_keyboard?: { callback_data?: string }[][] } | undefined)?.inline_keyboard;
  for (const row of rows ?? [])
    for (const b of row) if (b.callback_data && buttons.length < 500) buttons.push(b.callback_data);
}

const fetchStub = async (url: string, init: { body?: unknown }) => {
  const method = url.slice(url.lastIndexOf("/") + 1);
  const body =
    typeof init.body === "string"
      ? (JSON.parse(init.body) as Record<string, unknown>)
      : ({} as Record<string, unknown>);
  for (const field of ["text", "caption"] as const) {
    const value = body[field];
    if (typeof value !== "string") continue;
    try {
      const parsed = body.parse_mode === "HTML" ? parseHtml(value).text : value;
      if ([...parsed].length > (field === "text" ? 4096 : 1024)) problems.push(`${method}: ${field} too long`);
      if (parsed.trim() === "") problems.push(`${method}: empty ${field}`);
    } catch (e) {
      problems.push(`${method}: ${(e as Error).message}: ${value.slice(0, 120)}`);
    }
  }
  if (method === "sendMessage") sends++;
  collectButtons(body.reply_markup);
  const data = String(body.callback_data ?? "");
  if (data.length > 64) problems.push(`${method}: callback data over 64 bytes`);
  const message = {
    message_id: ++messageId,
    date: 0,
    chat: { id: body.chat_id ?? 1, type: "private" },
    ...(typeof body.text === "string" ? { text: body.text } : {}),
  };
  const result =
    method === "sendMessage" || method === "editMessageText" || method === "sendDocument"
      ? message
      : method === "getFile"
        ? { file_id: "f", file_unique_id: "u", file_path: "documents/f.json" }
        : true;
  return { ok: true, status: 200, json: async () => ({ ok: true, result }) };
};

const words = fc.constantFrom(
  "/start",
  "/fill",
  "/new 某街道 2025",
  "/new",
  "/new 某街道 1999",
  "/sections",
  "/check",
  "/preview",
  "/report",
  "/export",
  "/reports",
  "/history",
  "/settings",
  "/help",
  "/cancel",
  "/nope",
  "完成",
  "跳过",
  "0 0 0 0 0 0",
  "1 2 3 4 5 6",
  "1e308",
  "-1",
  "３ ０ ０",
  "239.8282万",
  "<b>粗</b>",
  "&amp;",
  "a & b < c",
  "\u200b",
  "\u3000",
  "2023",
  "大关街道",
);
const text = fc.oneof(
  words,
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.string({ minLength: 4090, maxLength: 4100 }),
);
const user = fc.constantFrom(...FUZZERS);
const from = (id: number) => ({ id, is_bot: false, first_name: `用户${id}` });
const chat = (id: number, group: boolean) =>
  group ? { id: -id, type: "group", title: "群" } : { id, type: "private", first_name: "x" };

const update: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ u: user, t: text, g: fc.boolean() }).map(({ u, t, g }) => ({
      message: {
        message_id: ++messageId,
        date: 0,
        chat: chat(u, g && Math.random() < 0.1),
        from: from(u),
        text: t,
        ...(t.startsWith("/")
          ? { entities: [{ type: "bot_command", offset: 0, length: t.split(" ")[0]!.length }] }
          : {}),
      },
    })),
  },
  {
    weight: 3,
    arbitrary: fc
      .record({ u: user, n: fc.nat(), d: fc.string({ maxLength: 70 }), raw: fc.boolean() })
      .map(({ u, n, d, raw }) => ({
        callback_query: {
          id: String(n),
          from: from(u),
          chat_instance: "c",
          data: raw ? d : buttons[n % buttons.length],
          message: { message_id: messageId, date: 0, chat: chat(u, false), text: "x" },
        },
      })),
  },
  {
    weight: 1,
    arbitrary: fc.record({ u: user, t: text }).map(({ u, t }) => ({
      edited_message: { message_id: 1, date: 0, edit_date: 1, chat: chat(u, false), from: from(u), text: t },
    })),
  },
  {
    weight: 1,
    arbitrary: fc.record({ u: user, name: fc.string({ maxLength: 30 }) }).map(({ u, name }) => ({
      message: {
        message_id: ++messageId,
        date: 0,
        chat: chat(u, false),
        from: from(u),
        document: { file_id: "f", file_unique_id: "u", file_name: name, file_size: 10 },
      },
    })),
  },
  {
    weight: 1,
    arbitrary: fc.record({ u: user }).map(({ u }) => ({
      message: { message_id: ++messageId, date: 0, chat: chat(u, false), from: from(u), sticker: { file_id: "s" } },
    })),
  },
  // Malformed: no sender, no text, kinds the bot never asked for, junk.
  {
    weight: 1,
    arbitrary: fc
      .record({ u: user, t: text })
      .map(({ u, t }) => ({ message: { message_id: ++messageId, date: 0, chat: chat(u, false), text: t } })),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ u: user })
      .map(({ u }) => ({ message: { message_id: ++messageId, date: 0, chat: chat(u, false), from: from(u) } })),
  },
  { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }) },
);

let dir: string;
let store: Store;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "nianbao-fuzz-"));
  store = await openStore({ redisPrefix: "unused:", dataDir: dir });
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("10,000 random and malformed updates", () => {
  it("never crash the bot, every reply is valid Telegram HTML, and no other officer's report changes", async () => {
    const bot = createBot(
      "42:AAfuzzTestTokenOnly_abcdefghijklmnop",
      {
        store,
        logger: pino({ level: "silent" }),
        now: () => new Date("2026-01-10T00:00:00Z"),
        flows,
        renderDocx: async () => new Uint8Array([80, 75, 5, 6]),
        renderHtml: async () => "<p></p>",
        downloadFile: async () => new TextEncoder().encode('{"format":"2021"'),
      },
      { botInfo, client: { fetch: fetchStub as never } },
    );
    const theirs = await store.createReport({ draft: fixture("report-2022"), members: [BYSTANDER] });
    await store.setUser(BYSTANDER, { currentReportId: theirs.id });
    const rejections: unknown[] = [];
    const onRejection = (e: unknown) => rejections.push(e);
    process.on("unhandledRejection", onRejection);
    let updateId = 1;
    let handled = 0;
    const crashes: string[] = [];
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(update, { minLength: PER_RUN, maxLength: PER_RUN }), async (batch) => {
          for (const body of batch) {
            handled++;
            await bot.handleUpdate({ update_id: updateId++, ...body } as Update).catch((e: unknown) => {
              crashes.push(String((e as Error).message ?? e).slice(0, 200));
            });
          }
        }),
        { numRuns: RUNS },
      );
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      process.off("unhandledRejection", onRejection);
    }
    expect(handled).toBe(RUNS * PER_RUN);
    expect(crashes).toEqual([]);
    expect(rejections).toEqual([]);
    expect(problems).toEqual([]);
    expect(sends).toBeGreaterThan(RUNS * PER_RUN * 0.5);
    expect(buttons.length).toBeGreaterThan(10); // real buttons were pressed too
    const after = await store.getReport(theirs.id);
    expect(after?.version).toBe(theirs.version);
    expect(after?.draft).toEqual(theirs.draft);
    expect(after?.members).toEqual([BYSTANDER]);
  }, 300_000);
});
