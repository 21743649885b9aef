import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { flows } from "../../flows/index.js";
import { createBot } from "../../src/bot/create-bot.js";
import type { Draft } from "../../src/form/draft.js";
import { FLOOD_LIMIT } from "../../src/intake/flood-limit.js";
import { InboxConsumer } from "../../src/intake/inbox-consumer.js";
import { floodNotifier } from "../../src/intake/outage-notice.js";
import { DurablePoller } from "../../src/intake/poller.js";
import { renderPool } from "../../src/render-pool.js";
import { openInbox, openStore } from "../../src/store/open-store.js";
import type { Store, StoredReport } from "../../src/store/store.js";
import { fileDownloader } from "../../src/telegram-client.js";
import { type FakeTelegram, type Officer, startFakeTelegram } from "./fake-telegram.js";
import { REDIS_URL } from "./redis-url.js";

/**
 * The real bot (createBot) in this process, on a fresh store, fed as in
 * production (main.ts): a DurablePoller polls a local fake Bot API into the
 * durable inbox, and an InboxConsumer hands the bot one update of a chat at a
 * time, stopping a chat's flood. Tests talk to it as officers do.
 */

export const TOKEN = "123456789:AAHarnessTokenForTestsOnly_0123456789";

export interface Harness {
  fake: FakeTelegram;
  store: Store;
  /** An officer in a private chat with the bot. */
  officer(id: number, firstName?: string): Officer;
  /** Stores a report for the user and makes it their current one. */
  seedReport(
    userId: number,
    draft: Draft,
    change?: Partial<Pick<StoredReport, "previous" | "cursor">>,
  ): Promise<StoredReport>;
  /** Resolves once the bot has handled the last update queued so far (a chat's updates are handled in order). */
  settled(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  store?: "embedded" | "redis";
  /** The bot's clock (default: the real one). */
  now?: () => Date;
  /** The store's clock (default: the real one); the reminder index is kept in it, so a test driving the scheduler gives both the same. */
  storeNow?: () => Date;
  allowedUserIds?: number[];
  /** A Redis of the test's own (e.g. a PrivateRedis to stall), instead of the shared one. */
  redisUrl?: string;
  /** BOT_ADMINS. */
  admins?: number[];
  /** Wraps the store the bot sees (to make it fail, say); the test's `store` stays the real one. */
  wrapStore?: (store: Store) => Store;
  /** The render pool's worker module (default: the real one). */
  renderWorker?: URL;
  /** The render pool's timeout (default: the production one). */
  renderTimeoutMs?: number;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const fake = await startFakeTelegram({ token: TOKEN });
  const dir = mkdtempSync(join(tmpdir(), "nianbao-harness-"));
  const prefix = `nianbao-test:${randomBytes(6).toString("hex")}:`;
  const redisUrl = options.redisUrl ?? REDIS_URL;
  const where = {
    ...(options.store === "redis" || options.redisUrl ? { redisUrl } : {}),
    redisPrefix: prefix,
    dataDir: dir,
  };
  const store = await openStore({ ...where, ...(options.storeNow ? { now: options.storeNow } : {}) });
  const renderer = renderPool({
    ...(options.renderWorker ? { worker: options.renderWorker } : {}),
    ...(options.renderTimeoutMs ? { timeoutMs: options.renderTimeoutMs } : {}),
  });
  const logger = pino({ level: process.env.LOG_LEVEL ?? "silent" });
  const bot = createBot(
    TOKEN,
    {
      store: options.wrapStore ? options.wrapStore(store) : store,
      logger,
      now: options.now ?? (() => new Date()),
      flows,
      renderDocx: renderer.render,
      renderHtml: renderer.renderHtml,
      downloadFile: fileDownloader({ TELEGRAM_API_ROOT: fake.apiRoot, BOT_TOKEN: TOKEN }),
      ...(options.allowedUserIds ? { allowedUserIds: options.allowedUserIds } : {}),
      ...(options.admins ? { admins: options.admins } : {}),
    },
    { client: { apiRoot: fake.apiRoot } },
  );
  await bot.init();
  // Noting each update handled (or dropped in a flood) tells a test when a reply is complete.
  const handled = new Set<number>();
  const inbox = await openInbox(where);
  const notifyFlood = floodNotifier(bot.api, logger);
  const consumer = new InboxConsumer(
    inbox,
    (update) => bot.handleUpdate(update).finally(() => handled.add(update.update_id)),
    logger,
    {
      floodLimit: FLOOD_LIMIT,
      onFlood: (update) => notifyFlood(update).finally(() => handled.add(update.update_id)),
    },
  );
  consumer.start();
  const poller = new DurablePoller(bot.api, inbox, logger, {
    allowedUpdates: ["message", "edited_message", "callback_query"],
  });
  poller.start();

  return {
    fake,
    store,
    officer: (id, firstName = `用户${id}`) => fake.user({ id, first_name: firstName }),
    async seedReport(userId, draft, change = {}) {
      const created = await store.createReport({ draft, members: [userId] });
      await store.setUser(userId, { currentReportId: created.id });
      if (Object.keys(change).length === 0) return created;
      const updated = await store.updateReport(created.id, created.version, change, []);
      if (!updated.ok) throw new Error("could not seed the report");
      return updated.report;
    },
    async settled(timeoutMs = 20_000) {
      const last = fake.lastUpdateId;
      for (const until = Date.now() + timeoutMs; !handled.has(last); ) {
        if (Date.now() > until) throw new Error(`update ${last} was not handled within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 5));
      }
    },
    async close() {
      // Waits for the updates being handled, so no handler is still writing (e.g. a wizard's state
      // after its last reply) when the store closes.
      await poller.stop();
      await consumer.stop();
      await inbox.close();
      await fake.close();
      await renderer.close();
      if (options.store === "redis" && !options.redisUrl) await deleteKeys(redisUrl, prefix);
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function deleteKeys(url: string, prefix: string): Promise<void> {
  const { Redis } = await import("ioredis");
  const redis = new Redis(url);
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
}
