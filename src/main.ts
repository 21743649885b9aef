import type { Server } from "node:http";
import { run } from "@grammyjs/runner";
import { Api } from "grammy";
import { flows } from "../flows/index.js";
import { createBot } from "./bot/create-bot.js";
import { COMMANDS } from "./bot/views/commands.js";
import { clockFromEnv } from "./clock.js";
import { type Config, loadConfig } from "./config.js";
import { startHealthServer } from "./health-server.js";
import { createLogger } from "./logger.js";
import { startReminders } from "./reminders/start-reminders.js";
import { renderPool } from "./render-pool.js";
import { openStore } from "./store/open-store.js";
import { NoAofError, redisFailure, waitForRedis } from "./store/redis-connection.js";
import { clientOptions, fileDownloader } from "./telegram-client.js";
import { connectToTelegram, TokenRejected } from "./telegram-start.js";
import { startWebhookServer } from "./webhook-server.js";

/**
 * Starts the bot: waits for the store, then takes updates by long polling
 * (one instance) or through the webhook server (WEBHOOK_URL; several
 * instances may share one Redis), with the health listener and the
 * reminder scheduler beside it.
 */

const ALLOWED_UPDATES = ["message", "edited_message", "callback_query"] as const;

async function main(config: Config): Promise<void> {
  const logger = createLogger(config.LOG_LEVEL, [
    config.BOT_TOKEN,
    ...(config.mode === "webhook" ? [config.WEBHOOK_SECRET] : []),
  ]);
  const starting = new AbortController();
  let stop: (signal: string) => void = (signal) => {
    logger.info({ signal }, "stopped before start-up finished");
    starting.abort();
    process.exit(0);
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));

  if (config.REDIS_URL) {
    const where = redisAddress(config.REDIS_URL);
    const ready = await waitForRedis(config.REDIS_URL, {
      allowNoAof: config.REDIS_ALLOW_NO_AOF,
      aborted: starting.signal,
      onRetry: (reason, retryInMs) =>
        logger.warn({ redis: where, reason, retryInMs }, `Redis at ${where} does not answer (${reason}); retrying`),
    });
    if (!ready) return;
  }
  const now = clockFromEnv(process.env);
  const store = await openStore({
    now,
    redisUrl: config.REDIS_URL,
    redisPrefix: config.REDIS_PREFIX,
    dataDir: config.DATA_DIR,
    onRedisError: (err) => logger.warn({ reason: redisFailure(err) }, "redis connection error"),
  });
  logger.info({ store: config.REDIS_URL ? "redis" : "embedded" }, "store open");

  let draining = false;
  const servers: Server[] = [];
  if (config.HEALTH_PORT !== undefined) {
    servers.push(
      await startHealthServer(config.HEALTH_PORT, async () => {
        await store.ping();
        return { ready: !draining, store: "ok", ...(draining ? { draining } : {}) };
      }),
    );
    logger.info({ port: config.HEALTH_PORT }, "health listener");
  }

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
      admins: config.BOT_ADMINS ?? [],
      downloadFile: fileDownloader(config),
    },
    { client: clientOptions(config) },
  );
  // A blackholed connection fails after 15 s, so every attempt is logged.
  const probe = new Api(config.BOT_TOKEN, { ...clientOptions(config), timeoutSeconds: 15 });
  const me = await connectToTelegram(() => probe.getMe(), {
    logger,
    proxy: Boolean(config.TELEGRAM_PROXY),
    aborted: starting.signal,
  });
  if (!me) return;
  bot.botInfo = me;
  await bot.api.setMyCommands([...COMMANDS]);

  let stopTaking: () => Promise<void>;
  let finished: Promise<unknown>;
  if (config.mode === "webhook") {
    const inFlight = new Set<Promise<void>>();
    const server = await startWebhookServer({
      port: config.PORT,
      path: new URL(config.WEBHOOK_URL).pathname,
      secret: config.WEBHOOK_SECRET,
      accept: async (update) => {
        if (draining) throw new Error("draining");
        const handled = bot.handleUpdate(update);
        inFlight.add(handled);
        await handled.finally(() => inFlight.delete(handled));
      },
      onRefused: (reason, updateId) => logger.warn({ reason, update_id: updateId }, "webhook request refused"),
    });
    servers.push(server);
    await bot.api.setWebhook(config.WEBHOOK_URL, {
      secret_token: config.WEBHOOK_SECRET,
      allowed_updates: [...ALLOWED_UPDATES],
    });
    logger.info({ port: config.PORT }, "webhook");
    stopTaking = async () => {
      await Promise.allSettled([...inFlight]);
    };
    finished = new Promise(() => undefined);
  } else {
    // A webhook left from an earlier webhook deployment would make every getUpdates fail with 409.
    await bot.api.deleteWebhook();
    const runner = run(bot, { runner: { fetch: { allowed_updates: [...ALLOWED_UPDATES] } } });
    logger.info({ username: bot.botInfo.username }, "polling");
    stopTaking = () => runner.stop();
    finished = runner.task() ?? Promise.resolve();
  }
  // Reminders run on their own timer, never inside update handling (any number of instances may).
  const reminders = config.REMINDERS === "on" ? startReminders(config, store, logger, now) : undefined;

  stop = (signal) => {
    if (draining) return;
    draining = true;
    logger.info({ signal }, "stopping: draining in-flight updates");
    void (async () => {
      await stopTaking();
      await reminders?.stop();
      for (const server of servers) server.close();
      await renderer.close();
      await store.close();
      logger.info("stopped");
      process.exit(0);
    })();
  };
  await finished;
}

/** host:port of a Redis URL, without the password, for log lines. */
function redisAddress(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || "6379"}`;
}

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
  if (e instanceof TokenRejected) {
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  }
  if (!(e instanceof NoAofError)) throw e;
  process.stderr.write(`${e.message}\n`);
  process.exit(2);
}
