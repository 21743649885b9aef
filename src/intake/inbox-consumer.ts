import type { Update } from "grammy/types";
import type { Logger } from "pino";
import { chatKeyOf, type Inbox, type InboxEntry } from "../store/inbox.js";
import type { StreamAck } from "../store/store.js";
import { isStoreUnavailable } from "../store/store-unavailable.js";
import type { SentRecord, SentReplies } from "./sent-replies.js";

/**
 * Takes updates from the inbox and hands them to the bot: one at a time per
 * chat, in inbox order, different chats in parallel. An update is
 * acknowledged (removed from the inbox) only after it was handled. When the
 * store is unavailable the officer is told once that it will be saved, and
 * the update is tried again until the store answers; the chat's later
 * updates wait behind it, so its order holds.
 */

export type ConsumerOptions = {
  /** Updates taken and not yet acknowledged, at most. */
  maxInFlight?: number;
  /** First delay before an update is tried again while the store is unavailable. */
  retryMs?: number;
  /** Told when an update could not be handled because the store is unavailable. */
  onUnavailable?: (update: Update) => Promise<void>;
  /**
   * A chat with this many updates taken and not yet handled is flooding:
   * its further updates are acknowledged unhandled, the first of them told
   * (onFlood), until its queue is empty. So a flood is stopped before it
   * reaches the bot, and does not fill the consumer's places that other
   * chats need (the bot has no flood guard of its own: every update comes
   * through here).
   */
  floodLimit?: number;
  onFlood?: (update: Update) => Promise<void>;
  /**
   * Replies the bot deferred the record of (sent-replies.ts), and how to
   * write one, with the inbox acknowledgement when given one.
   */
  sent?: { replies: SentReplies; record: (record: SentRecord, inboxAck?: StreamAck) => Promise<void> };
  /**
   * This consumer took a partition it did not hold (Inbox.handovers): told
   * before the next update is handled, so copies of members kept in process
   * are dropped (Store.forget) and read again.
   */
  onHandover?: () => void;
};

export class InboxConsumer {
  private readonly queues = new Map<string, InboxEntry[]>();
  /** Chats told of their flood, until their queue is empty. */
  private readonly flooded = new Set<string>();
  private readonly workers = new Set<Promise<void>>();
  private inFlight = 0;
  private handovers = 0;
  private stopping = false;
  private loop?: Promise<void>;
  private readonly maxInFlight: number;
  private readonly retryMs: number;

  constructor(
    private readonly inbox: Inbox,
    private readonly handle: (update: Update) => Promise<void>,
    private readonly log: Logger,
    private readonly options: ConsumerOptions = {},
  ) {
    this.maxInFlight = options.maxInFlight ?? 200;
    this.retryMs = options.retryMs ?? 500;
  }

  start(): void {
    this.loop ??= this.run();
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopping) {
      if (this.inFlight >= this.maxInFlight) {
        await Promise.race([...this.workers, sleep(100)]);
        continue;
      }
      let entries: InboxEntry[];
      try {
        entries = await this.inbox.take(this.maxInFlight - this.inFlight, 1000);
        failures = 0;
      } catch (err) {
        failures++;
        if (failures === 1 || failures % 30 === 0) this.log.warn({ err: brief(err) }, "inbox unavailable; retrying");
        await sleep(Math.min(this.retryMs * failures, 2000));
        continue;
      }
      for (const entry of entries) this.enqueue(entry);
    }
  }

  private enqueue(entry: InboxEntry): void {
    if (this.stopping) {
      this.inbox.leave(entry);
      return;
    }
    this.inFlight++;
    const key = chatKeyOf(entry.update);
    const queue = this.queues.get(key);
    if (queue && queue.length >= (this.options.floodLimit ?? Number.POSITIVE_INFINITY)) {
      this.drop(entry, key);
      return;
    }
    if (queue) {
      queue.push(entry);
      return;
    }
    this.queues.set(key, [entry]);
    const worker = this.work(key).finally(() => this.workers.delete(worker));
    this.workers.add(worker);
  }

  /** Acknowledges a flooding chat's update unhandled; the first of a flood is told. */
  private drop(entry: InboxEntry, key: string): void {
    const tell = !this.flooded.has(key);
    this.flooded.add(key);
    const dropping = (async () => {
      if (tell)
        await this.options.onFlood?.(entry.update).catch((err) => this.log.warn({ err: brief(err) }, "flood not told"));
      // Not acknowledged (the store is down): it stays in the inbox and comes again.
      await this.inbox.ack(entry).catch(() => this.inbox.leave(entry));
    })().finally(() => {
      this.inFlight--;
      this.workers.delete(dropping);
    });
    this.workers.add(dropping);
  }

  /** Handles one chat's queue until it is empty. */
  private async work(key: string): Promise<void> {
    const queue = this.queues.get(key)!;
    try {
      for (let entry = queue[0]; entry; entry = queue[0]) {
        if (this.stopping || !this.inbox.owns(entry)) break;
        await this.handleOne(entry);
        queue.shift();
        this.inFlight--;
      }
    } catch (err) {
      if (!(err instanceof LeftForLater)) this.log.error({ err: brief(err) }, "inbox consumer failed");
    } finally {
      // Whatever is left (draining, or the partition moved to another consumer) stays in the inbox.
      for (const entry of queue.splice(0)) {
        this.inbox.leave(entry);
        this.inFlight--;
      }
      this.queues.delete(key);
      this.flooded.delete(key);
    }
  }

  /** Handles the entry and acknowledges it; retries while the store is unavailable (not while stopping). */
  private async handleOne(entry: InboxEntry): Promise<void> {
    const updateId = entry.update.update_id;
    const sent = this.options.sent;
    const handovers = this.inbox.handovers?.() ?? 0;
    if (handovers !== this.handovers) {
      this.handovers = handovers;
      this.options.onHandover?.();
    }
    for (let attempt = 1; ; attempt++) {
      sent?.replies.begin(updateId);
      try {
        await this.handle(entry.update);
        break;
      } catch (err) {
        if (!isStoreUnavailable(err)) {
          // A bug, not an outage: the error boundary has answered; retrying would repeat it for ever.
          this.log.error({ update_id: updateId, err: brief(err) }, "update failed");
          break;
        }
        // Replies that reached the member are recorded before the update is tried again, which would
        // otherwise take their acknowledgements for unsent and send them again.
        const record = sent?.replies.end(updateId);
        if (record && sent) await this.untilStored(() => sent.record(record));
        await this.options.onUnavailable?.(entry.update);
        if (this.stopping) throw new LeftForLater();
        await sleep(Math.min(this.retryMs * attempt, 3000));
        if (this.stopping || !this.inbox.owns(entry)) throw new LeftForLater();
      }
    }
    const record = sent?.replies.end(updateId);
    // The replies' record and the acknowledgement are one write (a retry writes both again).
    const also = record && sent ? (streamAck?: StreamAck) => sent.record(record, streamAck) : undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.inbox.ack(entry, also);
        return;
      } catch (err) {
        // Handled but not acknowledged: handled again later, which the once-only write recognises.
        if (this.stopping || !isStoreUnavailable(err)) throw new LeftForLater();
        await sleep(Math.min(this.retryMs * attempt, 3000));
      }
    }
  }

  /** Retries `write` while the store is unavailable; gives up (left for later) when stopping. */
  private async untilStored(write: () => Promise<void>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await write();
      } catch (err) {
        if (this.stopping || !isStoreUnavailable(err)) throw new LeftForLater();
        await sleep(Math.min(this.retryMs * attempt, 3000));
      }
    }
  }

  /**
   * Stops taking updates and waits for those being handled (the rest stay in
   * the inbox for the next start). Resolves when no handler runs any more.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.loop;
    await Promise.allSettled([...this.workers]);
  }
}

class LeftForLater extends Error {}

/** Name and message only: errors of the Bot API carry the officer's text in their payload. */
function brief(err: unknown): { name?: string; message?: string } {
  const e = err as { name?: string; message?: string };
  return { name: e?.name, message: e?.message?.slice(0, 200) };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
