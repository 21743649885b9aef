import { clockFromEnv } from "./clock.js";
import type { Config } from "./config.js";
import { runEntryPoint } from "./entry-point.js";
import { createLogger } from "./logger.js";
import { startReminders } from "./reminders/start-reminders.js";
import { openStore } from "./store/open-store.js";
import { waitForRedis } from "./store/redis-connection.js";

/**
 * The reminder scheduler alone, without polling: for a second instance beside
 * a polling bot, or beside webhook instances. `npm start` runs it inside the
 * bot as well; any number of them share the work through the store.
 */

async function main(config: Config): Promise<void> {
  const logger = createLogger(config.LOG_LEVEL, [config.BOT_TOKEN]);
  if (config.REDIS_URL) {
    const ready = await waitForRedis(config.REDIS_URL, {
      allowNoAof: config.REDIS_ALLOW_NO_AOF,
      onRetry: (reason, retryInMs) => logger.warn({ reason, retryInMs }, "Redis does not answer; retrying"),
    });
    if (!ready) return;
  }
  const now = clockFromEnv(process.env);
  const store = await openStore({
    now,
    redisUrl: config.REDIS_URL,
    redisPrefix: config.REDIS_PREFIX,
    dataDir: config.DATA_DIR,
  });
  const runner = startReminders(config, store, logger, now);
  logger.info("scheduler running");
  const stop = async (signal: string) => {
    logger.info({ signal }, "stopping the scheduler");
    await runner.stop();
    await store.close();
    process.exit(0);
  };
  process.once("SIGTERM", () => void stop("SIGTERM"));
  process.once("SIGINT", () => void stop("SIGINT"));
}

await runEntryPoint(main);
