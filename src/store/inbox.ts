import type { Update } from "grammy/types";
import type { StreamAck } from "./store.js";

/**
 * The durable inbox (issue "Production" 1): every update is kept here before
 * Telegram is told it arrived (the polling offset moves on, or the webhook
 * gets 200), handled from here, and removed only once handled. A crash or a
 * restart therefore loses nothing: what was taken and not acknowledged is
 * taken again.
 *
 * Order: updates of one chat are handled in the order they were appended.
 * The inbox is split into partitions by chat; a partition is taken by one
 * consumer at a time (a lease in the store), and a consumer handles the
 * chats of its partitions one update at a time per chat, different chats in
 * parallel. Several instances share the partitions between them.
 */

export type InboxEntry = {
  /** The entry's id in the inbox (a stream id, or a row number). */
  id: string;
  partition: number;
  update: Update;
};

export interface Inbox {
  /**
   * Keeps the updates; resolves once they are stored durably. An update id
   * appended again within a day (Telegram's retries, a webhook posted to two
   * instances) is dropped.
   */
  append(updates: Update[]): Promise<void>;
  /**
   * Entries for this consumer, oldest first per partition: first what an
   * earlier consumer of its partitions took and never acknowledged, then new
   * ones. Waits up to `waitMs` when there are none.
   */
  take(max: number, waitMs: number): Promise<InboxEntry[]>;
  /** Whether this consumer still holds the entry's partition (check before handling it). */
  owns(entry: InboxEntry): boolean;
  /**
   * The entry was handled: removes it. With `also`, that write is done
   * together with the removal: a Redis inbox hands it the stream entry to
   * acknowledge in its own script; the embedded inbox runs it first.
   */
  ack(entry: InboxEntry, also?: (streamAck?: StreamAck) => Promise<void>): Promise<void>;
  /** The entry is left unhandled, for whoever takes its partition next (draining, or the partition was lost). */
  leave(entry: InboxEntry): void;
  /**
   * How many times this consumer took a partition it did not hold: the
   * chats of that partition may have been handled by another instance
   * meanwhile (so copies of their members kept in process are out of date).
   */
  handovers?(): number;
  /** Entries appended and not acknowledged yet. */
  lag(): Promise<number>;
  /** Gives the partitions back (after the entries in flight were acknowledged or left for the next owner). */
  release(): Promise<void>;
  close(): Promise<void>;
}

/** Partitions of the inbox: more than the instances one would run, few enough to scan cheaply. */
export const INBOX_PARTITIONS = 16;

/** Repeats of an update id are recognised for this long (Telegram keeps an update for 24 hours). */
export const SEEN_FOR_MS = 24 * 60 * 60 * 1000;

/** The chat an update belongs to (its order is kept); updates without one share key "0". */
export function chatKeyOf(update: Update): string {
  const u = update as unknown as Record<
    string,
    { chat?: { id: number }; from?: { id: number }; message?: { chat?: { id: number } } }
  >;
  for (const kind of Object.keys(u)) {
    if (kind === "update_id") continue;
    const body = u[kind];
    const id = body?.chat?.id ?? body?.message?.chat?.id ?? body?.from?.id;
    if (typeof id === "number") return String(id);
  }
  return "0";
}

/** The partition of a chat: a stable hash of its key. */
export function partitionOf(chatKey: string, partitions = INBOX_PARTITIONS): number {
  let h = 2166136261;
  for (let i = 0; i < chatKey.length; i++) h = Math.imul(h ^ chatKey.charCodeAt(i), 16777619);
  return (h >>> 0) % partitions;
}
