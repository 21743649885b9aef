import Database from "better-sqlite3";
import type { Draft } from "../form/draft.js";
import {
  AUDIT_LIMIT,
  AuditEntry,
  applyChange,
  byUpdatedDesc,
  decode,
  encode,
  memberDiff,
  newReport,
  newReportId,
  type ReportChange,
  StateRecord,
  type Store,
  StoreDataError,
  StoredReport,
  type UpdateResult,
  UserState,
} from "./store.js";

/** Layout of the tables, kept in PRAGMA user_version. */
const LAYOUT_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS reports (id TEXT PRIMARY KEY, version INTEGER NOT NULL, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS audit (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, report_id TEXT NOT NULL, json TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS audit_by_report ON audit (report_id, seq);
CREATE TABLE IF NOT EXISTS members (
  user_id INTEGER NOT NULL, report_id TEXT NOT NULL, PRIMARY KEY (user_id, report_id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS members_by_report ON members (report_id);
CREATE TABLE IF NOT EXISTS users (user_id INTEGER PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, json TEXT NOT NULL);
`;

type ReportRow = { id: string; json: string };
type AuditRow = { seq: number; json: string };

/**
 * A durable single-file store (better-sqlite3). WAL lets several processes
 * open the same file; synchronous=FULL makes a committed transaction survive
 * a crash of the process or the machine, so a resolved write is acknowledged.
 */
export class EmbeddedStore implements Store {
  private readonly db: Database.Database;
  private readonly sql;

  constructor(
    readonly file: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    // Waits up to 5 s for another connection's write lock instead of failing.
    this.db = new Database(file, { timeout: 5000 });
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = FULL");
    const layout = this.db.pragma("user_version", { simple: true }) as number;
    if (layout > LAYOUT_VERSION) {
      this.db.close();
      throw new StoreDataError(file, `table layout v${layout} is newer than this build (v${LAYOUT_VERSION})`);
    }
    this.db
      .transaction(() => {
        this.db.exec(SCHEMA);
        this.db.pragma(`user_version = ${LAYOUT_VERSION}`);
      })
      .immediate();
    const db = this.db;
    this.sql = {
      getReport: db.prepare<[string], ReportRow>("SELECT id, json FROM reports WHERE id = ?"),
      insertReport: db.prepare("INSERT INTO reports (id, version, json) VALUES (?, ?, ?)"),
      setReport: db.prepare("UPDATE reports SET version = ?, json = ? WHERE id = ? AND version = ?"),
      deleteReport: db.prepare("DELETE FROM reports WHERE id = ?"),
      listReports: db.prepare<[number], ReportRow>(
        "SELECT r.id, r.json FROM members m JOIN reports r ON r.id = m.report_id WHERE m.user_id = ?",
      ),
      addMember: db.prepare("INSERT OR IGNORE INTO members (user_id, report_id) VALUES (?, ?)"),
      removeMember: db.prepare("DELETE FROM members WHERE user_id = ? AND report_id = ?"),
      deleteMembers: db.prepare("DELETE FROM members WHERE report_id = ?"),
      addAudit: db.prepare("INSERT INTO audit (report_id, json) VALUES (?, ?)"),
      // Keeps the newest AUDIT_LIMIT entries of one report.
      trimAudit: db.prepare(
        "DELETE FROM audit WHERE report_id = @id AND seq <= (SELECT seq FROM audit WHERE report_id = @id ORDER BY seq DESC LIMIT 1 OFFSET @keep)",
      ),
      history: db.prepare<[string, number], AuditRow>(
        "SELECT seq, json FROM audit WHERE report_id = ? ORDER BY seq DESC LIMIT ?",
      ),
      deleteAudit: db.prepare("DELETE FROM audit WHERE report_id = ?"),
      getUser: db.prepare<[number], { json: string }>("SELECT json FROM users WHERE user_id = ?"),
      setUser: db.prepare(
        "INSERT INTO users (user_id, json) VALUES (?, ?) ON CONFLICT (user_id) DO UPDATE SET json = excluded.json",
      ),
      getState: db.prepare<[string], { json: string }>("SELECT json FROM state WHERE key = ?"),
      setState: db.prepare(
        "INSERT INTO state (key, json) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET json = excluded.json",
      ),
      deleteState: db.prepare("DELETE FROM state WHERE key = ?"),
    };
  }

  private readReport(row: ReportRow): StoredReport {
    return decode(StoredReport, `reports/${row.id}`, row.json);
  }

  async createReport(input: { draft: Draft; members: number[]; deadline?: string }): Promise<StoredReport> {
    for (let attempt = 1; ; attempt++) {
      const report = newReport(newReportId(), input, this.now());
      const json = encode(StoredReport, `reports/${report.id}`, report);
      try {
        this.db
          .transaction(() => {
            this.sql.insertReport.run(report.id, report.version, json);
            for (const user of report.members) this.sql.addMember.run(user, report.id);
          })
          .immediate();
        return report;
      } catch (err) {
        // A random id that is already taken (56 bits: practically never).
        const taken = (err as { code?: string }).code === "SQLITE_CONSTRAINT_PRIMARYKEY";
        if (!taken || attempt >= 3) throw err;
      }
    }
  }

  async getReport(id: string): Promise<StoredReport | undefined> {
    const row = this.sql.getReport.get(id);
    return row && this.readReport(row);
  }

  async listReports(userId: number): Promise<StoredReport[]> {
    return this.sql.listReports
      .all(userId)
      .map((row) => this.readReport(row))
      .sort(byUpdatedDesc);
  }

  async updateReport(
    id: string,
    expectedVersion: number,
    change: ReportChange,
    audit: AuditEntry[],
  ): Promise<UpdateResult> {
    const entries = audit.map((e, i) => encode(AuditEntry, `audit/${id}[${i}]`, e));
    // IMMEDIATE takes the write lock before reading, so the version read is
    // the one the UPDATE replaces (no lost update between two processes).
    return this.db
      .transaction((): UpdateResult => {
        const row = this.sql.getReport.get(id);
        if (!row) return { ok: false, current: undefined };
        const current = this.readReport(row);
        if (current.version !== expectedVersion) return { ok: false, current };
        const next = applyChange(current, change, this.now());
        this.sql.setReport.run(next.version, encode(StoredReport, `reports/${id}`, next), id, expectedVersion);
        for (const json of entries) this.sql.addAudit.run(id, json);
        if (entries.length > 0) this.sql.trimAudit.run({ id, keep: AUDIT_LIMIT });
        const { added, removed } = memberDiff(current.members, next.members);
        for (const user of added) this.sql.addMember.run(user, id);
        for (const user of removed) this.sql.removeMember.run(user, id);
        return { ok: true, report: next };
      })
      .immediate();
  }

  async deleteReport(id: string): Promise<boolean> {
    return this.db
      .transaction(() => {
        this.sql.deleteMembers.run(id);
        this.sql.deleteAudit.run(id);
        return this.sql.deleteReport.run(id).changes > 0;
      })
      .immediate();
  }

  async history(id: string, limit: number): Promise<AuditEntry[]> {
    if (limit <= 0) return [];
    return this.sql.history.all(id, limit).map((row) => decode(AuditEntry, `audit/${id}#${row.seq}`, row.json));
  }

  async getUser(userId: number): Promise<UserState> {
    const row = this.sql.getUser.get(userId);
    return row ? decode(UserState, `users/${userId}`, row.json) : {};
  }

  async setUser(userId: number, state: UserState): Promise<void> {
    this.sql.setUser.run(userId, encode(UserState, `users/${userId}`, state));
  }

  async readState(key: string): Promise<unknown | undefined> {
    const row = this.sql.getState.get(key);
    return row ? decode(StateRecord, `state/${key}`, row.json).value : undefined;
  }

  async writeState(key: string, value: unknown): Promise<void> {
    this.sql.setState.run(key, encode(StateRecord, `state/${key}`, { value }));
  }

  async deleteState(key: string): Promise<void> {
    this.sql.deleteState.run(key);
  }

  /** Resolves when the file answers a query (readiness). */
  async ping(): Promise<void> {
    this.db.prepare("SELECT 1").get();
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
