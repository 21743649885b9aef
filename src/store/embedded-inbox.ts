import Database from "better-sqlite3";
import type { Update } from "grammy/types";
import { chatKeyOf, type Inbox, type InboxEntry, partitionOf, SEEN_FOR_MS } from "./inbox.js";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS inbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS inbox_seen (update_id INTEGER PRIMARY KEY, at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS inbox_seen_by_time ON inbox_seen (at);
`;

/**
 * The embedded store's inbox: a table in the same SQLite file. The embedded
 * store serves one instance, so this consumer holds every partition; rows
 * are deleted once handled, and a restart takes whatever is left, in order.
 */
export class EmbeddedInbox implements Inbox {
  private readonly db: Database.Database;
  private readonly sql;
  private lastTaken = 0;
  private wake?: () => void;

  constructor(
    file: string,
    private readonly now: () => number = Date.now,
  ) {
    this.db = new Database(file, { timeout: 5000 });
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = FULL");
    this.db.exec(SCHEMA);
    const db = this.db;
    this.sql = {
      forget: db.prepare("DELETE FROM inbox_seen WHERE at < ?"),
      see: db.prepare("INSERT OR IGNORE INTO inbox_seen (update_id, at) VALUES (?, ?)"),
      add: db.prepare("INSERT INTO inbox (json) VALUES (?)"),
      next: db.prepare<[number, number], { seq: number; json: string }>(
        "SELECT seq, json FROM inbox WHERE seq > ? ORDER BY seq LIMIT ?",
      ),
      remove: db.prepare("DELETE FROM inbox WHERE seq = ?"),
      count: db.prepare<[], { n: number }>("SELECT count(*) AS n FROM inbox"),
    };
  }

  async append(updates: Update[]): Promise<void> {
    const now = this.now();
    this.db
      .transaction(() => {
        this.sql.forget.run(now - SEEN_FOR_MS);
        for (const update of updates) {
          if (this.sql.see.run(update.update_id, now).changes === 1) this.sql.add.run(JSON.stringify(update));
        }
      })
      .immediate();
    this.wake?.();
  }

  async take(max: number, waitMs: number): Promise<InboxEntry[]> {
    let rows = this.sql.next.all(this.lastTaken, max);
    if (rows.length === 0 && waitMs > 0) {
      // Appends in this process wake the wait at once; the short poll covers another process on the file.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(waitMs, 250));
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.wake = done;
      });
      this.wake = undefined;
      rows = this.sql.next.all(this.lastTaken, max);
    }
    const entries: InboxEntry[] = [];
    for (const row of rows) {
      this.lastTaken = row.seq;
      const update = JSON.parse(row.json) as Update;
      entries.push({ id: String(row.seq), partition: partitionOf(chatKeyOf(update)), update });
    }
    return entries;
  }

  owns(): boolean {
    return this.db.open;
  }

  /**
   * Acknowledgements asked for in one turn of the event loop are written in
   * one transaction: each durable commit waits for the disk, and a flood's
   * dropped updates (InboxConsumer) come hundreds at a time.
   */
  private acks: { seq: number; done: () => void; failed: (err: unknown) => void }[] = [];

  async ack(entry: InboxEntry, also?: () => Promise<void>): Promise<void> {
    // The store's write first: the entry stays until it is done (a retry repeats it, which it allows).
    await also?.();
    return new Promise((done, failed) => {
      this.acks.push({ seq: Number(entry.id), done, failed });
      if (this.acks.length === 1) setImmediate(() => this.writeAcks());
    });
  }

  private writeAcks(): void {
    const batch = this.acks.splice(0);
    try {
      this.db.transaction(() => {
        for (const { seq } of batch) this.sql.remove.run(seq);
      })();
      for (const a of batch) a.done();
    } catch (err) {
      for (const a of batch) a.failed(err);
    }
  }

  /** Left rows stay in the table: the next start takes them. */
  leave(): void {}

  async lag(): Promise<number> {
    return this.sql.count.get()?.n ?? 0;
  }

  async release(): Promise<void> {
    this.wake?.();
  }

  async close(): Promise<void> {
    this.wake?.();
    if (this.db.open) this.writeAcks();
    if (this.db.open) this.db.close();
  }
}
