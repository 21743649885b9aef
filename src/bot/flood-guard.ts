import type { Context, MiddlewareFn } from "grammy";

/**
 * One user flooding the bot (hundreds of updates a second) must not hold up
 * other officers, and must be told what happened. Installed before the
 * per-chat queue: an update of a user who already has `limit` updates
 * waiting or in progress is not handled at all (no store access, no queue
 * place), and the first one dropped in a flood gets one polite reply.
 *
 * A backlog limit rather than a time window (@grammyjs/ratelimiter): an
 * officer who waits for each reply never has a backlog however fast they
 * go, and the few updates Telegram hands over at once after a restart stay
 * under the limit, while a flood is stopped within one batch. Updates that
 * come through the durable inbox are handled one at a time per chat, so a
 * backlog there is stopped by the inbox consumer with the same limit and
 * reply (intake/inbox-consumer.ts, floodLimit).
 */
export const FLOOD_LIMIT = 100;

export const FLOOD_REPLY = "消息发得太快了，我还在处理前面的消息。从这条起暂时没有处理，请等我回复后再发一次。";

export function floodGuard<C extends Context>(limit = FLOOD_LIMIT): MiddlewareFn<C> {
  const waiting = new Map<number, { count: number; told: boolean }>();
  return async (ctx, next) => {
    const userId = ctx.from?.id;
    if (userId === undefined) return next();
    const entry = waiting.get(userId) ?? { count: 0, told: false };
    if (entry.count >= limit) {
      if (!entry.told) {
        entry.told = true;
        if (ctx.callbackQuery)
          await ctx.answerCallbackQuery({ text: FLOOD_REPLY, show_alert: true }).catch(() => undefined);
        else if (ctx.chat?.type === "private") await ctx.reply(FLOOD_REPLY).catch(() => undefined);
      }
      return;
    }
    entry.count++;
    waiting.set(userId, entry);
    try {
      await next();
    } finally {
      entry.count--;
      // The flood is over when nothing of the user waits: a later flood is told again.
      if (entry.count === 0) waiting.delete(userId);
    }
  };
}
