import { clockFromEnv } from "./clock.js";
import type { Config } from "./config.js";
import { openStoreWhenReady, runEntryPoint } from "./entry-point.js";
import { createLogger } from "./logger.js";
import { startReminders } from "./reminders/start-reminders.js";

/**
 * The reminder scheduler alone, without polling: for a second instance beside
 * a polling bot, or beside webhook instances. `npm start` runs it inside the
 * bot as well; any number of them share the work through the store.
 */

async function main(config: Config): Promise<void> {
  const logger = createLogger(config.LOG_LEVEL, [config.BOT_TOKEN]);
  const now = clockFromEnv(process.env);
  const store = await openStoreWhenReady(config, logger, now);
  if (!store) return;
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
