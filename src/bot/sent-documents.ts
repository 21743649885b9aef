import { BoundedCache } from "../bounded-cache.js";
import type { BotContext } from "./context.js";

/**
 * A second tap of a document button (or the command again) this soon after,
 * on unchanged content, sends no second document: a double tap on a slow
 * phone would otherwise send two .docx, or two 汇总.zip of a whole district.
 */
const AGAIN_WITHIN_MS = 60_000;
const SENT_JUST_NOW = "这份文件刚刚发过，内容没有改动，往上翻就能找到。";

/** When each document was last sent, by chat, kind and content (one chat's updates come one at a time). */
const sentDocuments = new BoundedCache<string, number>(1000);

/** Which document of which content, for this chat: `parts` name the document and fingerprint its content. */
export const documentKey = (ctx: BotContext, ...parts: (string | number)[]): string =>
  [ctx.chat?.id, ...parts].join(":");

/**
 * Answers the tap (with `working`, or that it was sent just now); true, and a
 * command is told so too, when this document went out within AGAIN_WITHIN_MS.
 */
export async function sentJustNow(ctx: BotContext, key: string, working: string): Promise<boolean> {
  const sentAt = sentDocuments.get(key);
  const again = sentAt !== undefined && ctx.deps.now().getTime() - sentAt < AGAIN_WITHIN_MS;
  if (ctx.callbackQuery) await ctx.answerCallbackQuery({ text: again ? SENT_JUST_NOW : working });
  else if (again) await ctx.reply(SENT_JUST_NOW);
  return again;
}

/** Telegram accepted the document under `key`. */
export function documentSent(ctx: BotContext, key: string): void {
  sentDocuments.set(key, ctx.deps.now().getTime());
}
