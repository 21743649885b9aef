import { setTimeout as delay } from "node:timers/promises";
import { GrammyError } from "grammy";
import type { UserFromGetMe } from "grammy/types";
import type { Logger } from "pino";

/** Telegram refused the token: nothing to retry. */
export class TokenRejected extends Error {
  constructor(readonly code: number) {
    super(`BOT_TOKEN 无效（Telegram ${code}）：请检查 @BotFather 给的 token。`);
    this.name = "TokenRejected";
  }
}

export interface ConnectOptions {
  logger: Logger;
  /** Whether TELEGRAM_PROXY is set, named in every failed attempt. */
  proxy: boolean;
  aborted?: AbortSignal;
  /** Delay before the n-th retry (1-based), ms: 1 s doubling up to a minute by default. */
  retryDelay?: (attempt: number) => number;
}

const defaultDelay = (attempt: number) => Math.min(60_000, 1000 * 2 ** (attempt - 1));

/**
 * Asks Telegram who the bot is (getMe, on an Api without auto-retry, which
 * would retry a refused connection silently forever) until it answers. A token Telegram
 * refuses (401, or 404 for a token of the wrong shape) stops start-up with
 * TokenRejected; an unreachable Bot API is retried, each failed attempt
 * logged with the time of the next one and a word on TELEGRAM_PROXY.
 * Undefined when aborted (SIGTERM during start-up).
 */
export async function connectToTelegram(
  getMe: () => Promise<UserFromGetMe>,
  options: ConnectOptions,
): Promise<UserFromGetMe | undefined> {
  const delayOf = options.retryDelay ?? defaultDelay;
  for (let attempt = 1; !options.aborted?.aborted; attempt++) {
    try {
      return await getMe();
    } catch (e) {
      if (e instanceof GrammyError && (e.error_code === 401 || e.error_code === 404))
        throw new TokenRejected(e.error_code);
      if (options.aborted?.aborted) return undefined;
      const wait = delayOf(attempt);
      const reason = e instanceof GrammyError ? `${e.error_code} ${e.description}` : (e as Error).message;
      options.logger.warn(
        { attempt, retryAt: new Date(Date.now() + wait).toISOString(), proxy: options.proxy ? "set" : "unset" },
        `Telegram Bot API unreachable (${reason}); retrying in ${Math.round(wait / 1000)} s. ` +
          (options.proxy
            ? "Check that the proxy in TELEGRAM_PROXY works."
            : "In mainland China, set TELEGRAM_PROXY (http://, https:// or socks5://)."),
      );
      // Resolves early (and quietly) when start-up is aborted.
      await delay(wait, undefined, { signal: options.aborted }).catch(() => undefined);
    }
  }
  return undefined;
}
