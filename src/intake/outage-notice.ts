import type { Api } from "grammy";
import type { Update } from "grammy/types";
import type { Logger } from "pino";
import { FLOOD_REPLY } from "./flood-limit.js";

/** What an officer is told when their update cannot be stored yet; it is kept and saved later. */
export const OUTAGE_TEXT = "暂时无法保存，恢复后会自动保存，无需重发";

/** Update ids told recently, so a retried update is not told again (bounded). */
const REMEMBERED = 10_000;

/**
 * Tells the sender of an update, once per update, that it will be saved when
 * the store is back: a message in a private chat, a toast for a button.
 * Goes straight to Telegram, never through the store (which is down).
 */
export function outageNotifier(api: Api, log: Logger): (update: Update) => Promise<void> {
  const told = new Set<number>();
  return async (update) => {
    if (told.has(update.update_id)) return;
    told.add(update.update_id);
    if (told.size > REMEMBERED) told.delete(told.values().next().value as number);
    try {
      await tellSender(api, update, OUTAGE_TEXT, false);
      log.warn({ update_id: update.update_id }, "store unavailable: told the officer it will be saved later");
    } catch (err) {
      // Ids and codes only: a GrammyError's payload carries the officer's text.
      const code = (err as { error_code?: number }).error_code;
      log.warn({ update_id: update.update_id, code }, "could not tell the officer about the store outage");
    }
  };
}

/**
 * Tells the first update dropped in a flood (see InboxConsumer's floodLimit)
 * what happened. Straight to Telegram.
 */
export function floodNotifier(api: Api, log: Logger): (update: Update) => Promise<void> {
  return async (update) => {
    try {
      await tellSender(api, update, FLOOD_REPLY, true);
      log.warn({ update_id: update.update_id }, "flood: updates of one chat dropped; told the officer");
    } catch (err) {
      const code = (err as { error_code?: number }).error_code;
      log.warn({ update_id: update.update_id, code }, "could not tell the officer about the flood");
    }
  };
}

/** `text` to the sender of an update: a message in a private chat; for a button, a toast (or an alert). */
async function tellSender(api: Api, update: Update, text: string, alert: boolean): Promise<void> {
  const query = update.callback_query;
  if (query) await api.answerCallbackQuery(query.id, { text, show_alert: alert });
  const message = update.message ?? update.edited_message;
  if (message && message.chat.type === "private") await api.sendMessage(message.chat.id, text);
}
