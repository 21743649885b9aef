import type { Logger } from "pino";
import { type Config, loadConfig } from "./config.js";
import { openStore } from "./store/open-store.js";
import { NoAofError, redisFailure, waitForRedis } from "./store/redis-connection.js";
import type { Store } from "./store/store.js";

/** A start-up refusal the operator can act on: one line on stderr and this exit code, no stack trace. */
export type Refusal = { error: new (...args: never[]) => Error; exitCode: number };

/**
 * Runs a process's `main` with the validated configuration. A bad
 * configuration exits 2; so does a Redis without AOF; `refusals` adds the
 * process's own (e.g. a rejected BOT_TOKEN).
 */
export async function runEntryPoint(main: (config: Config) => Promise<void>, refusals: Refusal[] = []): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(2);
  }
  try {
    await main(config);
  } catch (e) {
    const refusal = [...refusals, { error: NoAofError, exitCode: 2 }].find((r) => e instanceof r.error);
    if (!refusal) throw e;
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(refusal.exitCode);
  }
}

/**
 * Opens the configured store once it answers: a Redis that is down gets a
 * log line per retry, not a stack trace. Undefined when `aborted` ends the wait.
 */
export async function openStoreWhenReady(
  config: Config,
  logger: Logger,
  now: () => Date,
  aborted?: AbortSignal,
): Promise<Store | undefined> {
  if (config.REDIS_URL) {
    const where = redisAddress(config.REDIS_URL);
    const ready = await waitForRedis(config.REDIS_URL, {
      allowNoAof: config.REDIS_ALLOW_NO_AOF,
      ...(aborted ? { aborted } : {}),
      onRetry: (reason, retryInMs) =>
        logger.warn({ redis: where, reason, retryInMs }, `Redis at ${where} does not answer (${reason}); retrying`),
    });
    if (!ready) return undefined;
  }
  const store = await openStore({
    now,
    redisUrl: config.REDIS_URL,
    redisPrefix: config.REDIS_PREFIX,
    dataDir: config.DATA_DIR,
    onRedisError: (err) => logger.warn({ reason: redisFailure(err) }, "redis connection error"),
  });
  logger.info({ store: config.REDIS_URL ? "redis" : "embedded" }, "store open");
  return store;
}

/** host:port of a Redis URL, without the password, for log lines. */
function redisAddress(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || "6379"}`;
}
