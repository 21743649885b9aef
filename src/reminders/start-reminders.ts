import { autoRetry } from "@grammyjs/auto-retry";
import { Api } from "grammy";
import type { Logger } from "pino";
import { flows } from "../../flows/index.js";
import { htmlParseMode } from "../bot/html-parse-mode.js";
import type { Clock } from "../clock.js";
import type { Config } from "../config.js";
import type { Store } from "../store/store.js";
import { clientOptions } from "../telegram-client.js";
import { ReminderRunner, type RunnerDeps } from "./runner.js";

/**
 * The scheduler as main.ts and scheduler.ts start it: its own Api (auto-retry
 * on 429 and network errors, bounded so a lease outlasts a send), HTML.
 */
export function startReminders(
  config: Pick<Config, "BOT_TOKEN" | "TELEGRAM_API_ROOT" | "TELEGRAM_PROXY" | "REMINDER_TICK_MS">,
  store: Store,
  logger: Logger,
  now: Clock,
): ReminderRunner {
  const runner = new ReminderRunner(
    { store, flows, now, logger: logger.child({ part: "reminders" }), sendMessage: reminderSender(config) },
    { tickMs: config.REMINDER_TICK_MS },
  );
  void runner.start();
  return runner;
}

/**
 * Sends a reminder view through an Api of its own that retries 429 answers
 * and network errors, with the bot's one HTML parse-mode transformer.
 */
export function reminderSender(
  config: Pick<Config, "BOT_TOKEN" | "TELEGRAM_API_ROOT" | "TELEGRAM_PROXY">,
): RunnerDeps["sendMessage"] {
  const api = new Api(config.BOT_TOKEN, clientOptions(config));
  api.config.use(autoRetry({ maxRetryAttempts: 6, maxDelaySeconds: 120 }));
  api.config.use(htmlParseMode);
  return (chatId, view) => api.sendMessage(chatId, view.text, view.keyboard ? { reply_markup: view.keyboard } : {});
}
