import Database from "better-sqlite3";
import { z } from "zod";
import { BoundedCache } from "../bounded-cache.js";
import type { Campaign } from "../campaign/campaign.js";
import { CAMPAIGN_TABLES, EmbeddedCampaigns } from "./embedded-campaigns.js";
import { EmbeddedReminderLedger, REMINDER_TABLES } from "./embedded-reminders.js";
import { allFields, changedFields, type FieldWrite, reportFromFields } from "./report-fields.js";
import {
  AUDIT_LIMIT,
  AuditEntry,
  applyChange,
  byUpdatedDesc,
  type Commit,
  type CommitResult,
  campaignWith,
  decode,
  decodeReport,
  encode,
  encodeAck,
  HANDLED_LIMIT,
  memberDiff,
  type NewReport,
  newReport,
  newReportId,
  type Origin,
  PENDING_ACK_LIMIT,
  PendingAck,
  type Position,
  type ReportChange,
  SCHEMA_VERSION,
  StateRecord,
  type Store,
  StoreDataError,
  StoredReport,
  type StoreLimits,
  type StreamAck,
  type UpdateResult,
  UserState,
  userWith,
  validateChange,
  withPosition,
} from "./store.js";

/**
 * Layout of the tables, kept in PRAGMA user_version. v2 added `handled` and
 * `acks`, v3 the reminder tables (created if missing; v3 indexes every
 * existing report for the scheduler), v4 `report_fields`: a report is kept as
 * the fields of report-fields.ts (the layout Redis keeps in a hash), one row
 * each, so a write touches the rows it changes instead of the whole report.
 * Opening a file of v3 or before moves every report's JSON row into fields.
 */
const LAYOUT_VERSION = 4;

/** Reports this process read or wrote (see `known`). */
const KNOWN_REPORTS = 1000;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS reports (id TEXT PRIMARY KEY, version INTEGER NOT NULL, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS report_fields (
  report_id TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (report_id, name)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS audit (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, report_id TEXT NOT NULL, json TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS audit_by_report ON audit (report_id, seq);
CREATE TABLE IF NOT EXISTS members (
  user_id INTEGER NOT NULL, report_id TEXT NOT NULL, PRIMARY KEY (user_id, report_id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS members_by_report ON members (report_id);
CREATE TABLE IF NOT EXISTS users (user_id INTEGER PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS handled (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, user_id INTEGER NOT NULL, update_id INTEGER NOT NULL,
  UNIQUE (user_id, update_id));
CREATE INDEX IF NOT EXISTS handled_by_user ON handled (user_id, seq);
CREATE TABLE IF NOT EXISTS acks (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, user_id INTEGER NOT NULL, update_id INTEGER NOT NULL, json TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS acks_by_user ON acks (user_id, seq);
`;

/*
 * A report is its row in `reports` (id, version: the compare-and-set token,
 * json: '' once the report is kept as fields) and its rows in `report_fields`.
 * A row whose json is not '' is a report of layout v3 or before that did not
 * read when the file was upgraded: it is read as it is (naming its key) and
 * written again whole in fields at its next write.
 */
type ReportHead = { version: number; legacy: number; v: string | null };
type AuditRow = { seq: number; json: string };

/**
 * A durable single-file store (better-sqlite3). WAL lets several processes
 * open the same file; synchronous=FULL makes a committed transaction survive
 * a crash of the process or the machine, so a resolved write is acknowledged.
 */
export class EmbeddedStore implements Store {
  private readonly db: Database.Database;
  private readonly sql;

  private readonly handledLimit: number;
  readonly reminders: EmbeddedReminderLedger;
  private readonly campaigns: EmbeddedCampaigns;

  constructor(
    readonly file: string,
    private readonly now: () => Date = () => new Date(),
    limits: StoreLimits = {},
  ) {
    this.handledLimit = limits.handledLimit ?? HANDLED_LIMIT;
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
        this.db.exec(REMINDER_TABLES);
        // A table older builds ignore: no layout version of its own.
        this.db.exec(CAMPAIGN_TABLES);
        if (layout < 3) this.db.exec("INSERT OR IGNORE INTO remind_index (report_id, at) SELECT id, 0 FROM reports");
        if (layout < 4) this.moveRowsToFields();
        this.db.pragma(`user_version = ${LAYOUT_VERSION}`);
      })
      .immediate();
    this.reminders = new EmbeddedReminderLedger(this.db);
    this.campaigns = new EmbeddedCampaigns(this.db);
    const db = this.db;
    this.sql = {
      // What a write checks first, without reading the report: its version, its layout, its fields' schema.
      head: db.prepare<[{ id: string }], ReportHead>(
        "SELECT version, json <> '' AS legacy, (SELECT value FROM report_fields WHERE report_id = @id AND name = 'v') AS v FROM reports WHERE id = @id",
      ),
      legacyJson: db.prepare<[string], { json: string }>("SELECT json FROM reports WHERE id = ?"),
      fields: db.prepare<[string], { name: string; value: string }>(
        "SELECT name, value FROM report_fields WHERE report_id = ?",
      ),
      setField: db.prepare(
        "INSERT INTO report_fields (report_id, name, value) VALUES (?, ?, ?) ON CONFLICT (report_id, name) DO UPDATE SET value = excluded.value",
      ),
      deleteField: db.prepare("DELETE FROM report_fields WHERE report_id = ? AND name = ?"),
      deleteFields: db.prepare("DELETE FROM report_fields WHERE report_id = ?"),
      insertReport: db.prepare("INSERT INTO reports (id, version, json) VALUES (?, ?, '')"),
      setVersion: db.prepare("UPDATE reports SET version = ?, json = '' WHERE id = ? AND version = ?"),
      deleteReport: db.prepare("DELETE FROM reports WHERE id = ?"),
      listReports: db.prepare<[number], { id: string }>("SELECT report_id AS id FROM members WHERE user_id = ?"),
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
      isHandled: db.prepare<[number, number], { seq: number }>(
        "SELECT seq FROM handled WHERE user_id = ? AND update_id = ?",
      ),
      addHandled: db.prepare("INSERT INTO handled (user_id, update_id) VALUES (?, ?)"),
      // Keeps the newest `keep` update ids of one user.
      trimHandled: db.prepare(
        "DELETE FROM handled WHERE user_id = @user AND seq <= (SELECT seq FROM handled WHERE user_id = @user ORDER BY seq DESC LIMIT 1 OFFSET @keep)",
      ),
      getAck: db.prepare<[number, number], { json: string }>(
        "SELECT json FROM acks WHERE user_id = ? AND update_id = ?",
      ),
      addAck: db.prepare("INSERT INTO acks (user_id, update_id, json) VALUES (?, ?, ?)"),
      trimAcks: db.prepare(
        "DELETE FROM acks WHERE user_id = @user AND seq <= (SELECT seq FROM acks WHERE user_id = @user ORDER BY seq DESC LIMIT 1 OFFSET @keep)",
      ),
      deleteAck: db.prepare("DELETE FROM acks WHERE user_id = ? AND update_id = ?"),
      listAcks: db.prepare<[number], { json: string }>("SELECT json FROM acks WHERE user_id = ? ORDER BY seq"),
    };
  }

  /**
   * Reports this process read or wrote, by id. A stored version never
   * changes, so the version alone tells whether the copy is current: the
   * report is then neither read nor parsed again. Bounded; callers treat
   * reports as immutable values. Filled only after a transaction committed.
   */
  private readonly known = new BoundedCache<string, StoredReport>(KNOWN_REPORTS);

  /** Moves every report kept as one JSON row (layout v3 and before) into fields (inside the upgrade's transaction). */
  private moveRowsToFields(): void {
    const rows = this.db.prepare("SELECT id, json FROM reports WHERE json <> ''").all() as {
      id: string;
      json: string;
    }[];
    const setField = this.db.prepare("INSERT OR REPLACE INTO report_fields (report_id, name, value) VALUES (?, ?, ?)");
    const clear = this.db.prepare("UPDATE reports SET json = '' WHERE id = ?");
    for (const row of rows) {
      let report: StoredReport;
      try {
        report = decodeReport(`reports/${row.id}`, row.json);
      } catch (err) {
        // Left as it is: reading it names its key, as before the upgrade.
        if (err instanceof StoreDataError) continue;
        throw err;
      }
      for (const [name, value] of allFields(report)) setField.run(row.id, name, value);
      clear.run(row.id);
    }
  }

  /** The report as stored now, read whole (inside a transaction, so its rows are of one version). */
  private readWhole(id: string, head: ReportHead): StoredReport {
    const key = `reports/${id}`;
    if (head.legacy) return decodeReport(key, this.sql.legacyJson.get(id)?.json ?? "");
    const fields: Record<string, string> = {};
    for (const row of this.sql.fields.all(id)) fields[row.name] = row.value;
    fields.version = String(head.version);
    return reportFromFields(key, fields);
  }

  /**
   * The report at its stored version: the copy this process holds when it is
   * current, else read whole and kept (what is read is committed, so it may be
   * kept even inside a write that later fails).
   */
  private readAt(id: string, head: ReportHead): StoredReport {
    const copy = this.known.get(id);
    return copy?.version === head.version ? copy : this.remember(this.readWhole(id, head));
  }

  /** Reads a report (inside a transaction); undefined when there is none. */
  private readSync(id: string): StoredReport | undefined {
    const head = this.sql.head.get({ id });
    if (!head) {
      this.known.delete(id);
      return undefined;
    }
    return this.readAt(id, head);
  }

  private remember(report: StoredReport): StoredReport {
    return this.known.set(report.id, report);
  }

  /** Inserts a new report with its membership (inside the caller's transaction). */
  private insertReport(input: NewReport): StoredReport {
    for (let attempt = 1; ; attempt++) {
      const report = newReport(newReportId(), input, this.now());
      // A random id that is already taken (56 bits: practically never).
      if (this.insertAs(report, input.audit ?? [])) return report;
      if (attempt >= 3) throw new Error(`could not find a free report id after ${attempt} attempts`);
    }
  }

  /** Inserts `report` under its id unless that is taken (inside the caller's transaction). */
  private insertAs(report: StoredReport, audit: AuditEntry[]): boolean {
    const key = `reports/${report.id}`;
    const parsed = StoredReport.safeParse(report);
    if (!parsed.success)
      throw new StoreDataError(key, `refused to write invalid data: ${z.prettifyError(parsed.error)}`);
    const entries = this.auditJson(report.id, audit);
    if (this.sql.head.get({ id: report.id })) return false;
    this.known.delete(report.id);
    this.sql.insertReport.run(report.id, report.version);
    this.writeFields(report.id, { set: allFields(parsed.data), del: [] });
    this.reminders.touch(report.id, this.now().getTime());
    for (const user of report.members) this.sql.addMember.run(user, report.id);
    for (const json of entries) this.sql.addAudit.run(report.id, json);
    return true;
  }

  private writeFields(id: string, fields: FieldWrite): void {
    for (const [name, value] of fields.set) this.sql.setField.run(id, name, value);
    for (const name of fields.del) this.sql.deleteField.run(id, name);
  }

  /**
   * Compare-and-set with audit and membership (inside the caller's
   * transaction), writing only the fields that change. `basis`, the report
   * as the caller read it at `expectedVersion`, saves reading it: the version
   * is checked here, under the write lock.
   */
  private writeUpdate(
    id: string,
    expectedVersion: number,
    change: ReportChange,
    entries: string[],
    basis?: StoredReport,
  ): UpdateResult {
    const head = this.sql.head.get({ id });
    if (!head) return { ok: false, current: undefined };
    if (head.version !== expectedVersion) return { ok: false, current: this.readAt(id, head) };
    // A JSON row, or fields of another schema version, are written again whole.
    const whole = head.legacy === 1 || head.v !== String(SCHEMA_VERSION);
    const current = !whole && basis?.id === id && basis.version === expectedVersion ? basis : this.readAt(id, head);
    const { cells } = validateChange(`reports/${id}`, current, change);
    const next = applyChange(current, change, this.now());
    if (whole) this.sql.deleteFields.run(id);
    this.writeFields(id, whole ? { set: allFields(next), del: [] } : changedFields(current, next, cells));
    this.sql.setVersion.run(next.version, id, expectedVersion);
    this.reminders.touch(id, this.now().getTime());
    for (const json of entries) this.sql.addAudit.run(id, json);
    if (entries.length > 0) this.sql.trimAudit.run({ id, keep: AUDIT_LIMIT });
    const { added, removed } = memberDiff(current.members, next.members);
    for (const user of added) this.sql.addMember.run(user, id);
    for (const user of removed) this.sql.removeMember.run(user, id);
    return { ok: true, report: next };
  }

  private auditJson(id: string, audit: AuditEntry[]): string[] {
    return audit.map((e, i) => encode(AuditEntry, `audit/${id}[${i}]`, e));
  }

  async commit(origin: Origin, commit: Commit): Promise<CommitResult> {
    if (commit.create && commit.update) throw new Error("a commit creates or updates a report, not both");
    const { userId, updateId } = origin;
    const entries = commit.update ? this.auditJson(commit.update.id, commit.update.audit) : [];
    const ack = origin.ack || origin.ackRef ? encodeAck(`acks/${origin.userId}`, origin, this.now()) : "";
    // One IMMEDIATE transaction: the once-only check, the change, the update id and the acknowledgement.
    const result = this.db
      .transaction((): CommitResult => {
        if (this.sql.isHandled.get(userId, updateId)) {
          const pending = this.sql.getAck.get(userId, updateId);
          return pending
            ? { status: "repeat", unsent: decode(PendingAck, `acks/${userId}`, pending.json) }
            : { status: "repeat" };
        }
        if (commit.campaign && !this.campaigns.fits(commit.campaign.next)) {
          return { status: "conflict", current: commit.update && this.getReportSync(commit.update.id) };
        }
        let report: StoredReport | undefined;
        if (commit.update) {
          const { id, expectedVersion, change, basis } = commit.update;
          const result = this.writeUpdate(id, expectedVersion, change, entries, basis);
          if (!result.ok) return { status: "conflict", current: result.current };
          report = result.report;
        }
        if (commit.create) report = this.insertReport(commit.create);
        if (commit.campaign)
          this.campaigns.put(campaignWith(commit.campaign.next, commit.create ? report?.id : undefined));
        if (commit.user) {
          const state = userWith(commit.user, commit.create ? report?.id : undefined);
          this.sql.setUser.run(userId, encode(UserState, `users/${userId}`, state));
        }
        this.sql.addHandled.run(userId, updateId);
        this.sql.trimHandled.run({ user: userId, keep: this.handledLimit });
        if (ack) {
          this.sql.addAck.run(userId, updateId, ack);
          this.sql.trimAcks.run({ user: userId, keep: PENDING_ACK_LIMIT });
        }
        return report ? { status: "applied", report } : { status: "applied" };
      })
      .immediate();
    if (result.status === "applied" && result.report) this.remember(result.report);
    return result;
  }

  /** The embedded inbox is a table of its own file: its entry is acknowledged by the caller after this. */
  async markSent(userId: number, updateIds: number[], position?: Position, inboxAck?: StreamAck): Promise<void> {
    if (inboxAck) throw new Error("the embedded store acknowledges no Redis inbox entry");
    this.db
      .transaction(() => {
        for (const id of updateIds) this.sql.deleteAck.run(userId, id);
        if (!position) return;
        const row = this.sql.getUser.get(userId);
        const state = row ? decode(UserState, `users/${userId}`, row.json) : {};
        this.sql.setUser.run(userId, encode(UserState, `users/${userId}`, withPosition(state, position)));
      })
      .immediate();
  }

  async unsentAcks(userId: number): Promise<PendingAck[]> {
    return this.sql.listAcks.all(userId).map((row) => decode(PendingAck, `acks/${userId}`, row.json));
  }

  /** A read of the file costs no round trip: `seen` is always asked. */
  recall(): undefined {
    return undefined;
  }

  forget(): void {}

  async seen(userId: number, updateId: number): Promise<{ handled: boolean; unsent: PendingAck[] }> {
    return { handled: this.sql.isHandled.get(userId, updateId) !== undefined, unsent: await this.unsentAcks(userId) };
  }

  async createReport(input: NewReport): Promise<StoredReport> {
    return this.db.transaction(() => this.insertReport(input)).immediate();
  }

  async restoreReport(report: StoredReport, audit: AuditEntry[]): Promise<boolean> {
    return this.db.transaction(() => this.insertAs({ ...report, version: 1 }, audit)).immediate();
  }

  async getReport(id: string): Promise<StoredReport | undefined> {
    return this.getReportSync(id);
  }

  /** One read transaction, so the version and the fields read are of the same write. */
  private getReportSync(id: string): StoredReport | undefined {
    return this.db.transaction(() => this.readSync(id))();
  }

  async getCampaign(id: string): Promise<Campaign | undefined> {
    return this.campaigns.get(id);
  }

  async listCampaigns(): Promise<Campaign[]> {
    return this.campaigns.list();
  }

  async listReports(userId: number): Promise<StoredReport[]> {
    return this.db
      .transaction(() => this.sql.listReports.all(userId).map((row) => this.readSync(row.id)))()
      .filter((r): r is StoredReport => r !== undefined)
      .sort(byUpdatedDesc);
  }

  async updateReport(
    id: string,
    expectedVersion: number,
    change: ReportChange,
    audit: AuditEntry[],
    basis?: StoredReport,
  ): Promise<UpdateResult> {
    const entries = this.auditJson(id, audit);
    // IMMEDIATE takes the write lock before reading, so the version read is
    // the one the UPDATE replaces (no lost update between two processes).
    const result = this.db.transaction(() => this.writeUpdate(id, expectedVersion, change, entries, basis)).immediate();
    if (result.ok) this.remember(result.report);
    return result;
  }

  async deleteReport(id: string): Promise<boolean> {
    return this.db
      .transaction(() => {
        this.known.delete(id);
        this.sql.deleteMembers.run(id);
        this.sql.deleteAudit.run(id);
        this.sql.deleteFields.run(id);
        this.reminders.forget(id);
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

  async reportIds(): Promise<string[]> {
    return (this.db.prepare("SELECT id FROM reports").all() as { id: string }[]).map((r) => r.id);
  }

  async userIds(): Promise<number[]> {
    return (this.db.prepare("SELECT user_id FROM users").all() as { user_id: number }[]).map((r) => r.user_id);
  }

  async stateKeys(): Promise<string[]> {
    return (this.db.prepare("SELECT key FROM state").all() as { key: string }[]).map((r) => r.key);
  }

  /** Resolves when the file answers a query (readiness). */
  async ping(): Promise<void> {
    this.db.prepare("SELECT 1").get();
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
