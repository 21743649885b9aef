/**
 * One user flooding the bot (hundreds of updates a second) must not hold up
 * other officers, and must be told what happened. The inbox consumer stops it
 * (inbox-consumer.ts, floodLimit): a chat with `FLOOD_LIMIT` updates
 * taken and not yet handled has its further updates acknowledged unhandled,
 * the first of them answered with `FLOOD_REPLY` (outage-notice.ts).
 *
 * A backlog limit rather than a time window (@grammyjs/ratelimiter): an
 * officer who waits for each reply never has a backlog however fast they
 * go, and the few updates Telegram hands over at once after a restart stay
 * under the limit, while a flood is stopped within one batch.
 */
export const FLOOD_LIMIT = 100;

export const FLOOD_REPLY = "消息发得太快了，我还在处理前面的消息。从这条起暂时没有处理，请等我回复后再发一次。";
