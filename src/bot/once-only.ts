import { setTimeout as sleep } from "node:timers/promises";
import type { MiddlewareFn, Transformer } from "grammy";
import type { Message } from "grammy/types";
import { MESSAGE_LIMIT } from "../report/split-text.js";
import {
  type AckRef,
  type Commit,
  type CommitResult,
  isStaleMember,
  type PendingAck,
  type Position,
} from "../store/store.js";
import { isStoreUnavailable } from "../store/store-unavailable.js";
import { ackText } from "./ack-text.js";
import type { BotContext } from "./context.js";
import { wizardStateKey } from "./wizards.js";

/**
 * An update is applied once and answered once (DESIGN.md principle 4).
 * Every write an update causes goes through `writeOnce` (Store.commit: the
 * exact update id and the acknowledgement are recorded with the change); the
 * reply that carries the acknowledgement goes through `sendAck`, which marks
 * it sent and moves the member's position once Telegram accepted it.
 *
 * The one reply rule for a repeat (Telegram redelivers, or an inbox retries):
 * when the first handling's acknowledgement was sent, stay silent; when not,
 * send the stored acknowledgement now. Never describe the step under the
 * cursor now. An acknowledgement that never reached the member (the process
 * died between the write and the reply) starts their next message.
 */

export const EARLIER_SAVED = "上次发的已保存：";

/** How the stored acknowledgement of a repeat is shown (a feature view: the question it went on to). */
export type AckResender = (ctx: BotContext, ack: PendingAck) => Promise<void>;

/**
 * The first middleware after the context is set up: repeats stop here,
 * earlier acknowledgements are prefixed.
 *
 * While this process's copy of the member is fresh (Store.recall), the
 * update is handled from it without a first read: the commit's script checks
 * the member's version and refuses with StaleMember when another instance
 * (or anything this process did not see) changed the member meanwhile. The
 * update is then handled again from the start on a fresh read (createBot);
 * nothing was written, and the handling sent nothing but perhaps the answer
 * to its button, which the second handling does not send again. Had it sent
 * more, it ends with the error reply instead (the write did not happen).
 */
export function onceOnly(resend: AckResender): MiddlewareFn<BotContext> {
  /** Updates to be handled again after a StaleMember, and whether their button was answered. */
  const again = new Map<number, boolean>();
  return async (ctx, next) => {
    const userId = ctx.from?.id;
    if (userId === undefined) return next();
    const updateId = ctx.update.update_id;
    const chatId = ctx.chatId;
    const stateKey = chatId === undefined ? undefined : wizardStateKey(chatId);
    const { store } = ctx.deps;
    const calls = watchCalls(ctx, again.get(updateId) === true);
    again.delete(updateId);
    const recalled = store.recall(userId, stateKey);
    if (recalled) {
      if (recalled.length > 0) prefixEarlierAcks(ctx, recalled);
    } else {
      const { handled, unsent } = await store.seen(userId, updateId, stateKey);
      if (handled) {
        ctx.log.info({ repeat: true }, "update handled before");
        return answerRepeat(
          ctx,
          unsent.find((a) => a.updateId === updateId),
          resend,
        );
      }
      if (unsent.length > 0) prefixEarlierAcks(ctx, unsent);
    }
    // After a StaleMember the update is handled again (createBot): noted here, with whether its button was answered.
    try {
      await next();
    } catch (err) {
      store.forget(userId);
      if (!isStaleMember(err)) throw err;
      if (calls.sent) throw new Error("the member changed elsewhere after this update's reply was sent");
      if (again.size > 1000) again.clear();
      again.set(updateId, calls.answered);
      throw err;
    }
  };
}

/**
 * Watches what the handling asks Telegram: `answered` once a button's
 * answer went out, `sent` once anything else did. `answeredBefore`: the
 * answer went out in an earlier handling of this update (sent again, it
 * would fail as too old), so it is not sent again.
 */
function watchCalls(ctx: BotContext, answeredBefore: boolean): { answered: boolean; sent: boolean } {
  const calls = { answered: answeredBefore, sent: false };
  // Passed inline: tsx (esbuild keepNames) would name a closure kept in a const on every update.
  ctx.api.config.use(async (prev, method, payload, signal) => {
    if (method === "answerCallbackQuery") {
      if (answeredBefore) return { ok: true, result: true } as never;
      calls.answered = true;
    } else calls.sent = true;
    return prev(method, payload, signal);
  });
  return calls;
}

/** A repeat found by the middleware or, racing it, by the write itself. */
export async function answerRepeat(
  ctx: BotContext,
  unsent: PendingAck | undefined,
  resend: AckResender,
): Promise<void> {
  if (ctx.callbackQuery) await ctx.answerCallbackQuery().catch(() => undefined);
  if (unsent) await resend(ctx, unsent);
}

/**
 * The reply when handling an update failed. When its write went through (the
 * reply carrying its acknowledgement was what failed), the stored
 * acknowledgement is sent: "没有完成" would be untrue, and an officer who
 * "tries again" would answer the next question with the same figures.
 */
export async function answerFailure(ctx: BotContext, failed: string, resend: AckResender): Promise<void> {
  const userId = ctx.from?.id;
  const updateId = ctx.update.update_id;
  // An acknowledgement this handling sent, whose record waits for the inbox acknowledgement, reached the member.
  const stored =
    userId === undefined
      ? undefined
      : (await ctx.deps.store.unsentAcks(userId)).find(
          (a) => a.updateId === updateId && !ctx.deps.sent?.sentIn(updateId, a.updateId),
        );
  if (stored) await resend(ctx, stored);
  else await ctx.reply(failed);
}

/** The member's earlier acknowledgements Telegram never accepted start the first message of this update. */
function prefixEarlierAcks(ctx: BotContext, earlier: PendingAck[]): void {
  const head = `${EARLIER_SAVED}${earlier.map((a) => savedPart(ackText(ctx.deps.flows, a))).join("\n")}`;
  prefixFirstMessage(ctx, head, () =>
    recordSent(
      ctx,
      earlier.map((a) => a.updateId),
    ),
  );
}

/**
 * `head` (HTML) starts the first message this update sends; `sent` runs once
 * Telegram accepted it. Too long together, it goes as its own message first.
 */
function prefixFirstMessage(ctx: BotContext, head: string, sent?: () => Promise<void>): void {
  let done = false;
  const prefix: Transformer = async (prev, method, payload, signal) => {
    if (done || method !== "sendMessage") return prev(method, payload, signal);
    done = true;
    const p = payload as { text: string };
    const text = `${head}\n\n${p.text}`;
    if ([...text].length > MESSAGE_LIMIT) {
      const alone = await prev("sendMessage", { ...p, text: head, reply_markup: undefined } as never, signal);
      if (alone.ok) await sent?.();
      return prev(method, payload, signal);
    }
    const result = await prev(method, { ...payload, text } as typeof payload, signal);
    if (result.ok) await sent?.();
    return result;
  };
  ctx.api.config.use(prefix);
}

/** "✅ 已保存：X" → "X", so the prefix reads "上次发的已保存：X". */
function savedPart(ack: string): string {
  return ack.replace(/^✅\s*已保存[：，]?/, "").trim();
}

/**
 * The once-only write of this update, with the acknowledgement the reply will
 * carry and the question it goes on to.
 */
export function writeOnce(
  ctx: BotContext,
  commit: Commit,
  ack: string,
  next?: { reportId: string; step: number },
  ackRef?: AckRef,
): Promise<CommitResult> {
  const userId = ctx.from?.id ?? 0;
  return ctx.deps.store.commit(
    { userId, updateId: ctx.update.update_id, ack, ...(next ? { next } : {}), ...(ackRef ? { ackRef } : {}) },
    commit,
  );
}

/**
 * Sends the reply of a write (or a question shown without one) and, once
 * Telegram accepted it, marks the acknowledgement sent and moves the member's
 * position to the question it shows (`shown`), in one write.
 */
export async function sendAck(
  ctx: BotContext,
  text: string,
  other: Parameters<BotContext["reply"]>[1],
  shown?: Omit<Position, "messageId">,
): Promise<Message.TextMessage> {
  const message = await ctx.reply(text, other);
  const position: Position | undefined = shown && { ...shown, messageId: message.message_id };
  await recordSent(ctx, [ctx.update.update_id], position);
  return message;
}

/**
 * Records that Telegram accepted the message carrying these updates'
 * acknowledgements (and showing `position`). An update from the inbox
 * records it with its inbox acknowledgement (one write, once its handling is
 * over: intake/sent-replies.ts); any other at once.
 */
async function recordSent(ctx: BotContext, updateIds: number[], position?: Position): Promise<void> {
  const userId = ctx.from?.id;
  if (userId === undefined) return;
  if (ctx.deps.sent?.defer(ctx.update.update_id, userId, updateIds, position)) return;
  await markSentOnceStoreAnswers(() => ctx.deps.store.markSent(userId, updateIds, position));
}

/** How long a delivered acknowledgement waits for the store to record it (a Redis outage lasts seconds). */
const MARK_SENT_PATIENCE_MS = 60_000;

/**
 * Telegram accepted the message, so the member saw this question: that fact
 * must reach the store, or their next answer would be taken for the question
 * before. While the store is unavailable, keep trying (this chat's next
 * updates wait behind it); handling the update again instead would resend the
 * acknowledgement as a newer message and lose which question was seen first.
 */
async function markSentOnceStoreAnswers(mark: () => Promise<void>): Promise<void> {
  const until = Date.now() + MARK_SENT_PATIENCE_MS;
  for (;;) {
    try {
      return await mark();
    } catch (err) {
      if (!isStoreUnavailable(err) || Date.now() > until) throw err;
      await sleep(500);
    }
  }
}

/**
 * The step a text answers: the question last shown to the member, or the one
 * before it when the text was sent before that question reached them (a
 * message id below the question's: e.g. the same answer sent again during a
 * store stall). Without a position on this report: the report's cursor.
 */
export function answeredStep(
  position: Position | undefined,
  reportId: string,
  cursor: number,
  messageId: number | undefined,
): number {
  if (!position || position.reportId !== reportId) return cursor;
  if (messageId !== undefined && messageId < position.messageId && position.previous !== undefined)
    return position.previous;
  return position.step;
}
