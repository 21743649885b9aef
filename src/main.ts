import type { Server } from "node:http";
import { Api } from "grammy";
import { flows } from "../flows/index.js";
import { createBot } from "./bot/create-bot.js";
import { COMMANDS } from "./bot/views/commands.js";
import { clockFromEnv } from "./clock.js";
import type { Config } from "./config.js";
import { openStoreWhenReady, runEntryPoint } from "./entry-point.js";
import { startHealthServer } from "./health-server.js";
import { FLOOD_LIMIT } from "./intake/flood-limit.js";
import { InboxConsumer } from "./intake/inbox-consumer.js";
import { floodNotifier, outageNotifier } from "./intake/outage-notice.js";
import { DurablePoller } from "./intake/poller.js";
import { recordSent, SentReplies } from "./intake/sent-replies.js";
import { createLogger } from "./logger.js";
import { startReminders } from "./reminders/start-reminders.js";
import { renderPool } from "./render-pool.js";
import { openInbox } from "./store/open-store.js";
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
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));

  const now = clockFromEnv(process.env);
  const store = await openStoreWhenReady(config, logger, now, starting.signal);
  if (!store) return;

  const inbox = await openInbox({
    redisUrl: config.REDIS_URL,
    redisPrefix: config.REDIS_PREFIX,
    dataDir: config.DATA_DIR,
    instanceId: config.INSTANCE_ID,
  });

  let draining = false;
  const servers: Server[] = [];
  if (config.HEALTH_PORT !== undefined) {
    servers.push(
      await startHealthServer(config.HEALTH_PORT, async () => {
        await store.ping();
        const inboxLag = await inbox.lag();
        return { ready: !draining, store: "ok", inboxLag, ...(draining ? { draining } : {}) };
      }),
    );
    logger.info({ port: config.HEALTH_PORT }, "health listener");
  }

  // One render process kept ready so the first /report does not wait for one to start.
  const renderer = renderPool({ minProcesses: 1, maxProcesses: 2 });
  // Replies of updates from the inbox are recorded as sent with the update's inbox acknowledgement.
  const sent = new SentReplies();
  const bot = createBot(
    config.BOT_TOKEN,
    {
      store,
      logger,
      now,
      flows,
      renderDocx: renderer.render,
      renderHtml: renderer.renderHtml,
      allowedUserIds: config.ALLOWED_USER_IDS,
      admins: config.BOT_ADMINS ?? [],
      downloadFile: fileDownloader(config),
      sent,
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

  // Every update goes through the inbox: kept before Telegram is told, handled from there.
  const tellOutage = outageNotifier(bot.api, logger);
  const consumer = new InboxConsumer(inbox, (update) => bot.handleUpdate(update), logger, {
    onUnavailable: tellOutage,
    floodLimit: FLOOD_LIMIT,
    onFlood: floodNotifier(bot.api, logger),
    sent: { replies: sent, record: recordSent(store) },
    // A partition back from another instance: its members' copies may be stale.
    onHandover: () => store.forget(),
  });
  consumer.start();

  let stopTaking: () => Promise<void>;
  if (config.mode === "webhook") {
    const server = await startWebhookServer({
      port: config.PORT,
      path: new URL(config.WEBHOOK_URL).pathname,
      secret: config.WEBHOOK_SECRET,
      accept: async (update) => {
        // Another instance takes it (Telegram sends it again on an error status).
        if (draining) throw new Error("draining");
        try {
          await inbox.append([update]);
        } catch (err) {
          await tellOutage(update);
          throw err;
        }
      },
      onRefused: (reason, updateId) => logger.warn({ reason, update_id: updateId }, "webhook request refused"),
    });
    servers.push(server);
    await bot.api.setWebhook(config.WEBHOOK_URL, {
      secret_token: config.WEBHOOK_SECRET,
      allowed_updates: [...ALLOWED_UPDATES],
    });
    logger.info({ port: config.PORT }, "webhook");
    stopTaking = () => new Promise<void>((resolve) => server.close(() => resolve()));
  } else {
    // A webhook left from an earlier webhook deployment would make every getUpdates fail with 409.
    await bot.api.deleteWebhook();
    const poller = new DurablePoller(bot.api, inbox, logger, {
      allowedUpdates: ALLOWED_UPDATES,
      onUnavailable: tellOutage,
    });
    poller.start();
    logger.info({ username: bot.botInfo.username }, "polling");
    stopTaking = () => poller.stop();
  }
  // Reminders run on their own timer, never inside update handling (any number of instances may).
  const reminders = config.REMINDERS === "on" ? startReminders(config, store, logger, now) : undefined;

  /**
   * SIGTERM: stop taking updates, let the handlers running finish (what is
   * not handled stays in the inbox for the next start), close the store,
   * exit 0. A second signal or SHUTDOWN_TIMEOUT_MS exits at once: nothing
   * is lost then either, since only handled updates leave the inbox.
   */
  stop = (signal) => {
    if (draining) {
      logger.warn({ signal }, "second signal: exiting now; the inbox keeps what was not handled");
      process.exit(0);
    }
    draining = true;
    logger.info({ signal }, "stopping: draining in-flight updates");
    const limit = setTimeout(() => {
      logger.warn({ timeoutMs: config.SHUTDOWN_TIMEOUT_MS }, "drain timed out: exiting; the inbox keeps the rest");
      process.exit(0);
    }, config.SHUTDOWN_TIMEOUT_MS);
    void (async () => {
      await stopTaking().catch(() => undefined);
      await consumer.stop();
      await inbox.release().catch(() => undefined);
      await reminders?.stop();
      for (const server of servers) server.close();
      await inbox.close();
      await renderer.close();
      await store.close();
      clearTimeout(limit);
      logger.info("stopped");
      process.exit(0);
    })().catch((err) => {
      logger.error({ err: { name: (err as Error).name } }, "error while stopping; exiting");
      process.exit(0);
    });
  };
}

await runEntryPoint(main, [{ error: TokenRejected, exitCode: 1 }]);
