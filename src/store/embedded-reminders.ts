import type Database from "better-sqlite3";
import { type ReminderLedger, type ReminderStageRef, type SentStage, stageRefKey } from "./store.js";

/** The reminder ledger's tables in the embedded store (created with the others in embedded-store.ts). */
export const REMINDER_TABLES = `
CREATE TABLE IF NOT EXISTS remind_index (report_id TEXT PRIMARY KEY, at INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS remind_by_at ON remind_index (at);
CREATE TABLE IF NOT EXISTS reminders_sent (
  report_id TEXT NOT NULL, stage TEXT NOT NULL, user_id INTEGER NOT NULL, at TEXT NOT NULL,
  PRIMARY KEY (report_id, stage, user_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS reminder_leases (user_id INTEGER PRIMARY KEY, owner TEXT NOT NULL, until INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS inactive_members (user_id INTEGER PRIMARY KEY, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS send_rate (key TEXT PRIMARY KEY, tat INTEGER NOT NULL) WITHOUT ROWID;
`;

/** One message a second per chat (Telegram's limit), in µs. */
const CHAT_INTERVAL_US = 1_000_000;

export class EmbeddedReminderLedger implements ReminderLedger {
  private readonly sql;

  constructor(private readonly db: Database.Database) {
    this.sql = {
      touch: db.prepare<[string, number]>(
        "INSERT INTO remind_index (report_id, at) VALUES (?, ?) ON CONFLICT (report_id) DO UPDATE SET at = min(at, excluded.at)",
      ),
      backfill: db.prepare("INSERT OR IGNORE INTO remind_index (report_id, at) SELECT id, 0 FROM reports"),
      forget: db.prepare<[string]>("DELETE FROM remind_index WHERE report_id = ?"),
      forgetSent: db.prepare<[string]>("DELETE FROM reminders_sent WHERE report_id = ?"),
      due: db.prepare<[number, number], { report_id: string; at: number }>(
        "SELECT report_id, at FROM remind_index WHERE at <= ? ORDER BY at, report_id LIMIT ?",
      ),
      at: db.prepare<[string], { at: number }>("SELECT at FROM remind_index WHERE report_id = ?"),
      setAt: db.prepare<[number, string]>("UPDATE remind_index SET at = ? WHERE report_id = ?"),
      getLease: db.prepare<[number], { owner: string; until: number }>(
        "SELECT owner, until FROM reminder_leases WHERE user_id = ?",
      ),
      setLease: db.prepare<[number, string, number]>(
        "INSERT INTO reminder_leases (user_id, owner, until) VALUES (?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET owner = excluded.owner, until = excluded.until",
      ),
      release: db.prepare<[number, string]>("DELETE FROM reminder_leases WHERE user_id = ? AND owner = ?"),
      isSent: db.prepare<[string, string, number], { at: string }>(
        "SELECT at FROM reminders_sent WHERE report_id = ? AND stage = ? AND user_id = ?",
      ),
      recordSent: db.prepare<[string, string, number, string]>(
        "INSERT OR IGNORE INTO reminders_sent (report_id, stage, user_id, at) VALUES (?, ?, ?, ?)",
      ),
      markInactive: db.prepare<[number, string]>(
        "INSERT INTO inactive_members (user_id, at) VALUES (?, ?) ON CONFLICT (user_id) DO UPDATE SET at = excluded.at",
      ),
      clearInactive: db.prepare<[number]>("DELETE FROM inactive_members WHERE user_id = ?"),
      inactive: db.prepare<[number], { at: string }>("SELECT at FROM inactive_members WHERE user_id = ?"),
      getRate: db.prepare<[string], { tat: number }>("SELECT tat FROM send_rate WHERE key = ?"),
      setRate: db.prepare<[string, number]>(
        "INSERT INTO send_rate (key, tat) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET tat = excluded.tat",
      ),
    };
  }

  /** The report was written: look at it at once (inside the writer's transaction). */
  touch(reportId: string, now: number): void {
    this.sql.touch.run(reportId, now);
  }

  /** The report is gone (inside the deleter's transaction). */
  forget(reportId: string): void {
    this.sql.forget.run(reportId);
    this.sql.forgetSent.run(reportId);
  }

  /** Reports written before the index existed: look at each once. */
  async backfill(): Promise<void> {
    this.sql.backfill.run();
  }

  async due(until: Date, limit: number): Promise<{ id: string; at: number }[]> {
    return this.sql.due.all(until.getTime(), limit).map((r) => ({ id: r.report_id, at: r.at }));
  }

  async reschedule(id: string, seenAt: number, next: number | undefined): Promise<boolean> {
    return this.db
      .transaction(() => {
        const row = this.sql.at.get(id);
        if (!row || row.at !== seenAt) return false;
        if (next === undefined) this.sql.forget.run(id);
        else this.sql.setAt.run(next, id);
        return true;
      })
      .immediate();
  }

  async lease(userId: number, owner: string, ms: number): Promise<boolean> {
    return this.db
      .transaction(() => {
        const held = this.sql.getLease.get(userId);
        const now = Date.now();
        if (held && held.until > now) return false;
        this.sql.setLease.run(userId, owner, now + ms);
        return true;
      })
      .immediate();
  }

  async release(userId: number, owner: string): Promise<void> {
    this.sql.release.run(userId, owner);
  }

  async sentStages(userId: number, stages: ReminderStageRef[]): Promise<Set<string>> {
    return new Set(stages.filter((s) => this.sql.isSent.get(s.reportId, s.stage, userId)).map(stageRefKey));
  }

  async recordSent(userId: number, stages: ReminderStageRef[], at: Date): Promise<void> {
    this.db
      .transaction(() => {
        for (const s of stages) this.sql.recordSent.run(s.reportId, s.stage, userId, at.toISOString());
      })
      .immediate();
  }

  async allSent(): Promise<SentStage[]> {
    const rows = this.db.prepare("SELECT report_id, stage, user_id, at FROM reminders_sent ORDER BY at").all() as {
      report_id: string;
      stage: string;
      user_id: number;
      at: string;
    }[];
    return rows.map((r) => ({ reportId: r.report_id, stage: r.stage, userId: r.user_id, at: r.at }));
  }

  async markInactive(userId: number, at: Date): Promise<void> {
    this.sql.markInactive.run(userId, at.toISOString());
  }

  async clearInactive(userId: number): Promise<void> {
    this.sql.clearInactive.run(userId);
  }

  async inactive(userIds: number[]): Promise<Map<number, string>> {
    const out = new Map<number, string>();
    for (const id of userIds) {
      const row = this.sql.inactive.get(id);
      if (row) out.set(id, row.at);
    }
    return out;
  }

  async takeSendSlot(chatId: number, perSecond: number): Promise<number> {
    const allInterval = Math.ceil(1_000_000 / perSecond);
    return this.db
      .transaction(() => {
        // Several processes may share the file: the rate lives in it, on the wall clock in µs.
        const now = Date.now() * 1000;
        const chatKey = `chat:${chatId}`;
        const all = Math.max(this.sql.getRate.get("all")?.tat ?? 0, now);
        const chat = Math.max(this.sql.getRate.get(chatKey)?.tat ?? 0, now);
        const wait = Math.max(all - now, chat - now);
        if (wait > 0) return Math.ceil(wait / 1000);
        this.sql.setRate.run("all", all + allInterval);
        this.sql.setRate.run(chatKey, chat + CHAT_INTERVAL_US);
        return 0;
      })
      .immediate();
  }
}
