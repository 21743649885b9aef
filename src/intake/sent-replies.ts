import type { Position, Store, StreamAck } from "../store/store.js";

/**
 * Replies Telegram accepted, whose record in the store (markSent: the
 * acknowledgements are sent, the member's position moves) waits for the end
 * of their update's handling, to be written with the inbox acknowledgement
 * in one step (Redis: one script). Only updates the inbox consumer hands
 * over are deferred; any other handling marks its replies sent at once.
 */
export type SentRecord = { userId: number; updateIds: number[]; position?: Position };

export class SentReplies {
  /** Updates being handled from the inbox, with what their replies have to record. */
  private readonly open = new Map<number, SentRecord | null>();

  /** The consumer hands `updateId` to the bot. */
  begin(updateId: number): void {
    this.open.set(updateId, null);
  }

  /**
   * The reply of `updateId` was accepted: false when the update is not
   * handled from the inbox (record it now), else recorded at its end. A later
   * position replaces an earlier one (the question shown last counts).
   */
  defer(updateId: number, userId: number, updateIds: number[], position?: Position): boolean {
    if (!this.open.has(updateId)) return false;
    const record = this.open.get(updateId) ?? { userId, updateIds: [] };
    for (const id of updateIds) if (!record.updateIds.includes(id)) record.updateIds.push(id);
    if (position) record.position = position;
    this.open.set(updateId, record);
    return true;
  }

  /** Whether the acknowledgement of `ackUpdateId` was sent in the handling of `updateId` (not recorded yet). */
  sentIn(updateId: number, ackUpdateId: number): boolean {
    return this.open.get(updateId)?.updateIds.includes(ackUpdateId) === true;
  }

  /** The handling of `updateId` is over: what its acknowledgement has to record with it. */
  end(updateId: number): SentRecord | undefined {
    const record = this.open.get(updateId) ?? undefined;
    this.open.delete(updateId);
    return record;
  }
}

/** Writes a record (with the inbox entry's acknowledgement, when the inbox is a Redis stream). */
export function recordSent(store: Store): (record: SentRecord, inboxAck?: StreamAck) => Promise<void> {
  return (record, inboxAck) => store.markSent(record.userId, record.updateIds, record.position, inboxAck);
}
