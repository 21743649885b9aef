import type { Message, Update } from "grammy/types";
import pino from "pino";
import { flows } from "../../flows/index.js";
import type { Deps } from "../../src/bot/context.js";
import type { SentReplies } from "../../src/intake/sent-replies.js";
import type { Store } from "../../src/store/store.js";

type PrivateMessage = NonNullable<Update["message"]>;

/**
 * The Bot API at a bot's client fetch, for tests that drive createBot in
 * process: every call succeeds and is kept. Beside it, updates of private
 * chats as Telegram sends them. Message ids are one sequence for both
 * directions, as in a private chat (a text sent before a question has a lower id).
 */

export type ApiCall = { method: string; chatId: number; text: string; data: string[]; messageId: number };

let updateIds = 0;
let messageIds = 1;

/** Every call succeeds; `calls` keeps each with the text and the buttons' callback data it sent. */
export function stubBotApi() {
  const calls: ApiCall[] = [];
  const fetch = async (url: string, init: { body?: unknown }) => {
    const method = url.slice(url.lastIndexOf("/") + 1);
    const p = typeof init.body === "string" ? (JSON.parse(init.body) as Record<string, unknown>) : {};
    const markup = p.reply_markup as { inline_keyboard?: { callback_data?: string }[][] } | undefined;
    const data = (markup?.inline_keyboard ?? []).flat().flatMap((b) => (b.callback_data ? [b.callback_data] : []));
    const chatId = Number(p.chat_id);
    const messageId = ++messageIds;
    calls.push({ method, chatId, text: String(p.text ?? ""), data, messageId });
    const result =
      method === "sendMessage"
        ? { message_id: messageId, date: now(), chat: chat(chatId), text: String(p.text ?? "") }
        : true;
    return { ok: true, status: 200, json: async () => ({ ok: true, result }) };
  };
  return { calls, fetch };
}

const now = () => Math.floor(Date.now() / 1000);
const chat = (userId: number) => ({ id: userId, type: "private" as const, first_name: "官员" });
const from = (userId: number) => ({ id: userId, is_bot: false, first_name: "官员" });

/** A message of the member in their private chat, with `content` (a text, a sticker, …). */
export function messageUpdate(userId: number, content: Partial<Omit<Message, "chat">>): Update {
  return {
    update_id: ++updateIds,
    message: {
      message_id: ++messageIds,
      date: now(),
      chat: chat(userId),
      from: from(userId),
      ...content,
    } as PrivateMessage,
  };
}

/** A text; a leading /command is marked as one. */
export function textUpdate(userId: number, body: string): Update {
  const command = body.match(/^\/\w+/)?.[0];
  return messageUpdate(userId, {
    text: body,
    ...(command ? { entities: [{ type: "bot_command" as const, offset: 0, length: command.length }] } : {}),
  });
}

/** A press of the button with `data` under the bot's message `messageId`. */
export function pressUpdate(userId: number, messageId: number, data: string): Update {
  return {
    update_id: ++updateIds,
    callback_query: {
      id: `cq${updateIds}`,
      from: from(userId),
      chat_instance: `ci${userId}`,
      data,
      message: { message_id: messageId, date: now(), chat: chat(userId), text: "…" },
    },
  };
}

/** What createBot needs besides `store`, doing nothing: silent logs, empty renders and downloads. */
export function quietDeps(store: Store, sent?: SentReplies): Deps {
  return {
    store,
    logger: pino({ level: "silent" }),
    now: () => new Date(),
    flows,
    renderDocx: async () => new Uint8Array(),
    renderHtml: async () => "",
    downloadFile: async () => new Uint8Array(),
    ...(sent ? { sent } : {}),
  };
}
