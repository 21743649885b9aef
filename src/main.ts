import { run } from "@grammyjs/runner";
import { flows } from "../flows/index.js";
import { COMMANDS, createBot } from "./bot/create-bot.js";
import { clockFromEnv } from "./clock.js";
import { type Config, loadConfig } from "./config.js";
import { createLogger } from "./logger.js";
import { renderPool } from "./render-pool.js";
import { openStore } from "./store/open-store.js";
import { clientOptions, fileDownloader } from "./telegram-client.js";

/** Starts the bot with long polling (one instance only: a second poller gets 409 from Telegram). */

async function main(config: Config): Promise<void> {
  const logger = createLogger(config.LOG_LEVEL, [config.BOT_TOKEN]);
  const now = clockFromEnv(process.env);
  const store = await openStore({
    now,
    redisUrl: config.REDIS_URL,
    redisPrefix: config.REDIS_PREFIX,
    dataDir: config.DATA_DIR,
  });
  logger.info({ store: config.REDIS_URL ? "redis" : "embedded" }, "store open");
  // One worker kept ready so the first /report does not wait for a thread to start.
  const renderer = renderPool({ minThreads: 1, maxThreads: 2 });
  const bot = createBot(
    config.BOT_TOKEN,
    {
      store,
      logger,
      now,
      flows,
      renderDocx: renderer.render,
      allowedUserIds: config.ALLOWED_USER_IDS,
      downloadFile: fileDownloader(config),
    },
    { client: clientOptions(config) },
  );
  await bot.init();
  await bot.api.setMyCommands(COMMANDS);
  const runner = run(bot, { runner: { fetch: { allowed_updates: ["message", "edited_message", "callback_query"] } } });
  logger.info({ username: bot.botInfo.username }, "polling");

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "stopping: draining in-flight updates");
    await runner.stop();
    await renderer.close();
    await store.close();
    logger.info("stopped");
    process.exit(0);
  };
  process.once("SIGTERM", () => void stop("SIGTERM"));
  process.once("SIGINT", () => void stop("SIGINT"));
  await runner.task();
}

let config: Config;
try {
  config = loadConfig(process.env);
} catch (e) {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exit(2);
}
await main(config);
