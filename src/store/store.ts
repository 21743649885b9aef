import { randomBytes } from "node:crypto";
import { z } from "zod";
import { type Campaign, CampaignLink } from "../campaign/campaign.js";
import { DEFAULT_PLAN, ReminderPlan } from "../form/deadline.js";
import { Draft, NARRATIVE_IDS } from "../form/draft.js";
import { Review } from "../form/review.js";
import { isAuditEntry, isPendingAck, isPosition, isUserState } from "./fast-checks.js";

/**
 * The persistence contract shared by the Redis and the embedded store
 * (DESIGN.md principles 4 and 6): what is stored (zod schemas), the Store
 * interface, and the small pure helpers both implementations use so they
 * behave the same.
 */

/** Telegram user ids are positive integers below 2^52. */
export const UserId = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

export const StoredReport = z.strictObject({
  id: z.string().min(1),
  /** Users allowed to edit; the first is the creator. */
  members: z
    .array(UserId)
    .min(1)
    .refine((ids) => new Set(ids).size === ids.length, "members must be unique"),
  /** Starts at 1, +1 on every successful write (compare-and-set token). */
  version: z.number().int().min(1),
  draft: Draft,
  /** Last year's report, for cross-year checks. */
  previous: Draft.optional(),
  /** Position of the officer in the form. */
  cursor: z.number().int().min(0),
  /** Publication deadline (default 31 January of the next year). */
  deadline: z.iso.date().optional(),
  /** Internal due date set by the supervising office, if any. */
  dueDate: z.iso.date().optional(),
  /** Reminder stages, fixed when the report is created so a new default does not re-plan it. */
  reminderPlan: ReminderPlan.optional(),
  /** When the deadlines were last set: stages planned before are not reminded of. Default createdAt. */
  deadlinesSetAt: z.iso.datetime().optional(),
  /** Members who turned reminders off for this report. */
  muted: z.array(UserId).optional(),
  /** The final (not 草稿) document: when, and the fingerprint of the content it was generated for. */
  finalized: z.strictObject({ at: z.iso.datetime(), fingerprint: z.string().min(1) }).optional(),
  /**
   * Values pre-filled from last year's report, by cell id: not answers yet.
   * The officer confirms or replaces each; `from` names where it came from.
   */
  prefilled: z
    .record(
      z.string(),
      z.strictObject({
        value: z.number(),
        from: z.strictObject({ year: z.number().int(), cells: z.array(z.string()), rule: z.string() }),
      }),
    )
    .optional(),
  /** The campaign and unit this report is for (the campaign records it too). */
  campaign: CampaignLink.optional(),
  /** Hand-in and review state of a campaign's report. */
  review: Review.optional(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type StoredReport = z.infer<typeof StoredReport>;

const AuditValue = z.union([z.number(), z.string(), z.null()]);
export const AuditEntry = z.strictObject({
  at: z.iso.datetime(),
  by: UserId,
  byName: z.string().optional(),
  /** Cell id, narrative id, or a setting such as "settings.org". */
  target: z.string().min(1),
  old: AuditValue,
  new: AuditValue,
  /** Where the new value came from when the officer did not type it, e.g. last year's report. */
  source: z.string().max(200).optional(),
});
export type AuditEntry = z.infer<typeof AuditEntry>;

/** Audit trails keep the start of long texts only, so they stay small. */
export const AUDIT_TEXT = 200;

/** What an audit entry records of a value: empty texts as null, long ones clipped. */
export const auditValue = (v: number | string | null | undefined): AuditEntry["old"] =>
  v === undefined || v === ""
    ? null
    : typeof v === "string" && v.length > AUDIT_TEXT
      ? `${v.slice(0, AUDIT_TEXT)}…`
      : v;

/**
 * Where a member is: the question last SHOWN to them (its step in the form and
 * the message that showed it). A text answers this question, not whatever the
 * report's cursor points at now. `previous` is the step shown before it, for a
 * text the member sent before this question reached them.
 */
export const Position = z.strictObject({
  reportId: z.string().min(1),
  step: z.number().int().min(0),
  messageId: z.number().int().positive(),
  previous: z.number().int().min(0).optional(),
  /**
   * A row's answers as the question showed them (null: unanswered), so an
   * answer that overwrites what another member wrote since can say so.
   */
  seen: z.record(z.string(), z.number().nullable()).optional(),
});
export type Position = z.infer<typeof Position>;

/**
 * The acknowledgement record of an update as stored, validated: every update a
 * member sends reads their unsent records back, so a record the schema refuses
 * must fail this write (the officer is told) rather than every later one.
 */
export function encodeAck(key: string, origin: Origin, at: Date): string {
  return encode(PendingAck, key, pendingAck(origin, at));
}

/** The acknowledgement record of an update (see Origin). */
export function pendingAck(origin: Origin, at: Date): PendingAck {
  const ack: PendingAck = origin.ackRef
    ? { updateId: origin.updateId, ref: origin.ackRef, at: isoTime(at.getTime()) }
    : { updateId: origin.updateId, text: origin.ack, at: isoTime(at.getTime()) };
  if (origin.next) ack.next = origin.next;
  return ack;
}

/** Small per-user record; strict so a later field is added on purpose. */
export const UserState = z.strictObject({
  currentReportId: z.string().min(1).optional(),
  position: Position.optional(),
  /**
   * A command left a dialogue (its name) that had asked the member a question:
   * that question was the last one asked, so a text answers nothing in the
   * form until one of its questions is shown again (which clears this).
   */
  interrupted: z.string().min(1).max(40).optional(),
});
export type UserState = z.infer<typeof UserState>;

/** The member's record once a question of the form was shown to them (markSent with a position). */
export function withPosition(user: UserState, position: Position): UserState {
  const { interrupted: _, ...rest } = user;
  return { ...rest, position };
}

/**
 * A row's acknowledgement by what it is made of, so the record stores some
 * numbers instead of the rendered HTML (bot/ack-text.ts rebuilds the very
 * same text; a reference that would not is never written).
 */
export const AckRef = z.strictObject({
  /** A row saved: format, step index, the numbers shown (the row's cells, then its total when it has one). */
  row: z.tuple([z.string().min(1), z.number().int().min(0), z.array(z.number())]),
  /** The lines before it (e.g. whose figures it overwrote), HTML as sent. */
  before: z.string().optional(),
  /** The notes after the numbers, as the parser gave them. */
  notes: z.array(z.string()).optional(),
  /**
   * The findings the answer caused: a linear rule by id, its forEach key ("" none) and its two
   * sides, or a line as sent when the rule's message cannot give it.
   */
  findings: z.array(z.union([z.string(), z.tuple([z.string(), z.string(), z.number(), z.number()])])).optional(),
});
export type AckRef = z.infer<typeof AckRef>;

/** An acknowledgement recorded with a write, until Telegram accepted the message that says it. */
export const PendingAck = z
  .strictObject({
    updateId: z.number().int(),
    /** What was saved, as the bot says it (HTML); absent when `ref` gives it. */
    text: z.string().optional(),
    /** What was saved, by reference (written since schema 4 for rows). */
    ref: AckRef.optional(),
    at: z.iso.datetime(),
    /** The question the reply goes on to (report and step), shown again with the acknowledgement. */
    next: z.strictObject({ reportId: z.string().min(1), step: z.number().int().min(0) }).optional(),
  })
  .refine((a) => (a.text === undefined) !== (a.ref === undefined), "an acknowledgement has a text or a ref");
export type PendingAck = z.infer<typeof PendingAck>;

/** Conversation state is opaque JSON; the envelope still carries `v`. */
export const StateRecord = z.strictObject({ value: z.unknown() });

export type ReportChange = Partial<
  Pick<
    StoredReport,
    | "draft"
    | "previous"
    | "cursor"
    | "deadline"
    | "members"
    | "dueDate"
    | "reminderPlan"
    | "deadlinesSetAt"
    | "muted"
    | "finalized"
    | "prefilled"
    | "campaign"
    | "review"
  >
>;
export type UpdateResult = { ok: true; report: StoredReport } | { ok: false; current: StoredReport | undefined };
export type NewReport = {
  draft: Draft;
  members: number[];
  deadline?: string;
  previous?: Draft;
  prefilled?: StoredReport["prefilled"];
  /** Audit entries written with the new report (e.g. cells pre-filled from last year's report). */
  audit?: AuditEntry[];
  dueDate?: string;
  campaign?: CampaignLink;
};

/**
 * The update a write comes from. Its exact id is recorded in the same atomic
 * write as the change (never an ordering: Telegram picks a random next
 * update_id after a week without updates), together with the acknowledgement
 * the bot is about to send, so a repeat is recognised and answered from the
 * record.
 */
export interface Origin {
  userId: number;
  updateId: number;
  /** What the bot will reply when the write went through (shown again if it never reached the member); "" records none. */
  ack: string;
  /** The question the reply goes on to. */
  next?: PendingAck["next"];
  /** `ack` by reference (rebuilt exactly from it): recorded instead of the text. */
  ackRef?: AckRef;
}

/**
 * The inbox entry a markSent acknowledges in the same write (Redis: the
 * stream entry, XACK and XDEL in the script that marks the reply sent).
 */
export type StreamAck = { stream: string; group: string; id: string };

/**
 * A commit found the member's record (their record, unsent acknowledgements
 * or dialogue state) changed since this process last read or wrote it,
 * e.g. by another instance: nothing was written, the process forgot its
 * copy, and the update is handled again on a fresh read.
 */
export class StaleMember extends Error {
  constructor(readonly userId: number) {
    super(`member ${userId} changed since it was read`);
    this.name = "StaleMember";
  }
}

/** Whether `err` (or what grammY wrapped in it) is a StaleMember. */
export function isStaleMember(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    if (e instanceof StaleMember) return true;
    e = (e as { error?: unknown; cause?: unknown }).error ?? (e as { cause?: unknown }).cause;
  }
  return false;
}

/** What one once-only write changes; every part is optional, all of them are written atomically. */
export interface Commit {
  /** Compare-and-set of an existing report, with its audit entries. */
  update?: { id: string; expectedVersion: number; change: ReportChange; audit: AuditEntry[]; basis?: StoredReport };
  /** A new report (its id is generated); `user` may point at it with `currentReportId: NEW_REPORT`. */
  create?: NewReport;
  /** The member's whole new record. */
  user?: UserState;
  /**
   * A campaign written compare-and-set: `next.version` is the stored version
   * + 1 (1 creates it). A unit's `reportId` may be NEW_REPORT, the report
   * this commit creates.
   */
  campaign?: { next: Campaign };
}

/** Placeholder for the id of the report a commit creates, in `Commit.user.currentReportId`. */
export const NEW_REPORT = "(new)";

export type CommitResult =
  /** Written, with the update id and the acknowledgement. `report` is the updated or created report. */
  | { status: "applied"; report?: StoredReport }
  /**
   * This update was handled before; nothing was written. `unsent` is its
   * acknowledgement when Telegram never accepted it (send it now), absent
   * when it was sent (stay silent).
   */
  | { status: "repeat"; unsent?: PendingAck }
  /** The report's or the campaign's version moved on (or it is gone): nothing was written. */
  | { status: "conflict"; current: StoredReport | undefined };
export interface Store {
  /**
   * The one write every handler of an update uses: applies `commit` unless
   * this exact update was handled before, records the update id (kept for the
   * last HANDLED_LIMIT updates of the member) and the acknowledgement, all in
   * one atomic step.
   */
  commit(origin: Origin, commit: Commit): Promise<CommitResult>;
  /**
   * Telegram accepted the messages carrying these updates' acknowledgements:
   * forget them. With `position`, the member's position moves in the same
   * write (the question shown in that message).
   */
  markSent(userId: number, updateIds: number[], position?: Position, inboxAck?: StreamAck): Promise<void>;
  /**
   * What `seen` would answer about the member's unsent acknowledgements, from
   * this process's copy of their record while it is fresh (read or written
   * within MEMBER_FRESH_MS, and nobody else wrote it since as far as this
   * process saw): the handling then skips the read, and the next commit of
   * the member checks their record's version in its script (StaleMember when
   * it moved). Undefined when there is no fresh copy (call `seen`). As `seen`,
   * it makes the member's record, the state under `stateKey` and their
   * current report's version answer the next reads once.
   */
  recall(userId: number, stateKey?: string): PendingAck[] | undefined;
  /** Drops this process's copy of the member (an update's handling failed midway); without one, of every member. */
  forget(userId?: number): void;
  /** The member's acknowledgements Telegram has not accepted yet, oldest first (at most PENDING_ACK_LIMIT). */
  unsentAcks(userId: number): Promise<PendingAck[]>;
  /**
   * In one read: whether this exact update of the member was handled, and
   * their unsent acknowledgements. The Redis store reads in the same round
   * trip what the handling reads next (the member's record, the state under
   * `stateKey`, their current report's version) and answers the next
   * getUser, readState and getReport of them from it, once and within a second.
   */
  seen(userId: number, updateId: number, stateKey?: string): Promise<{ handled: boolean; unsent: PendingAck[] }>;
  /** Generates a short random id (10 url-safe characters). */
  createReport(input: NewReport): Promise<StoredReport>;
  /**
   * Writes a report from a backup as it was (id, dates, every setting), with
   * its membership and audit trail (oldest first); the version starts again
   * at 1. False, and nothing written, when the id is taken.
   */
  restoreReport(report: StoredReport, audit: AuditEntry[]): Promise<boolean>;
  getReport(id: string): Promise<StoredReport | undefined>;
  /** Reports where userId is a member, newest updatedAt first. */
  listReports(userId: number): Promise<StoredReport[]>;
  /**
   * Compare-and-set: writes only if the stored version equals expectedVersion;
   * appends the audit entries in the same atomic step. A key present in
   * `change` with the value undefined clears that optional field. `basis`,
   * the report as the caller read it at expectedVersion, saves a read.
   */
  updateReport(
    id: string,
    expectedVersion: number,
    change: ReportChange,
    audit: AuditEntry[],
    basis?: StoredReport,
  ): Promise<UpdateResult>;
  /** Removes the report, its audit trail and its membership entries. */
  deleteReport(id: string): Promise<boolean>;
  /** Newest first; at most the last AUDIT_LIMIT entries are kept. */
  history(id: string, limit: number): Promise<AuditEntry[]>;
  getUser(userId: number): Promise<UserState>;
  setUser(userId: number, state: UserState): Promise<void>;
  /** Key-value for @grammyjs/conversations' storage option (JSON-serialisable). */
  readState(key: string): Promise<unknown | undefined>;
  /** `owner`: the member whose record the state belongs to (a dialogue's), whose version the write moves. */
  writeState(key: string, value: unknown, owner?: number): Promise<void>;
  deleteState(key: string, owner?: number): Promise<void>;
  /** Every report's id (backups). */
  reportIds(): Promise<string[]>;
  /** Every user with a stored record (backups). */
  userIds(): Promise<number[]>;
  /** Every key written with writeState (backups). */
  stateKeys(): Promise<string[]>;
  getCampaign(id: string): Promise<Campaign | undefined>;
  /** Every campaign, newest first (a district runs a few a year). */
  listCampaigns(): Promise<Campaign[]>;
  /** Resolves when the store answers; rejects when it is unreachable (readiness). */
  ping(): Promise<void>;
  /** What the reminder scheduler reads and records (both stores, one contract). */
  readonly reminders: ReminderLedger;
  close(): Promise<void>;
}

/**
 * The reminder scheduler's side of the store. Every report write (create,
 * update, commit) makes its report due at once in the index, so the
 * scheduler looks at it again; the scheduler then sets when it next needs a
 * look. Sent stages are recorded once per report, stage and member; an
 * officer's lease lets one runner at a time (of several instances) compose
 * their message; the send rate is shared by every instance.
 */
export interface ReminderLedger {
  /** Indexes reports written before the index existed (an upgrade): each gets one look. */
  backfill(): Promise<void>;
  /** Reports whose next look is due at or before `until`, earliest first. */
  due(until: Date, limit: number): Promise<{ id: string; at: number }[]>;
  /** Sets the next look (undefined: none), unless the report was written or rescheduled since `seenAt` was read. */
  reschedule(id: string, seenAt: number, next: number | undefined): Promise<boolean>;
  /** Takes the officer's lease for `ms` of real time; false while another owner holds it. */
  lease(userId: number, owner: string, ms: number): Promise<boolean>;
  release(userId: number, owner: string): Promise<void>;
  /** Which of these stages were sent to the member, as "reportId stage" strings. */
  sentStages(userId: number, stages: ReminderStageRef[]): Promise<Set<string>>;
  /** Records the stages as sent to the member; a stage already recorded stays as it was. */
  recordSent(userId: number, stages: ReminderStageRef[], at: Date): Promise<void>;
  /** Every stage recorded as sent, to any member (backups). */
  allSent(): Promise<SentStage[]>;
  /** The member blocked the bot (Telegram answered 403): nothing more is sent to them. */
  markInactive(userId: number, at: Date): Promise<void>;
  clearInactive(userId: number): Promise<void>;
  /** Inactive members among `userIds`, with the time they were marked. */
  inactive(userIds: number[]): Promise<Map<number, string>>;
  /**
   * One message slot under the shared rates: at most `perSecond` messages a
   * second overall and one a second per chat. Returns 0 when the slot is
   * taken (send now), else the milliseconds to wait before asking again.
   */
  takeSendSlot(chatId: number, perSecond: number): Promise<number>;
}

export interface ReminderStageRef {
  reportId: string;
  stage: string;
}

/** A stage sent to a member, when (recordSent's record). */
export interface SentStage extends ReminderStageRef {
  userId: number;
  at: string;
}

export const stageRefKey = (ref: ReminderStageRef): string => `${ref.reportId} ${ref.stage}`;

/**
 * Audit trails are bounded so a busy report cannot grow without limit: the
 * history holds the last AUDIT_LIMIT entries (Redis keeps the entries of the
 * last AUDIT_LIMIT writes, one list element each).
 */
export const AUDIT_LIMIT = 1000;

/**
 * Update ids remembered per member. Telegram redelivers an unconfirmed update
 * within a day, and a member sends far fewer updates than this in the time
 * one delivery can be outstanding.
 */
export const HANDLED_LIMIT = 500;

/** Unsent acknowledgements kept per member (the newest), e.g. while they have blocked the bot. */
export const PENDING_ACK_LIMIT = 10;

/**
 * How long a process trusts its copy of a member's record without reading it
 * (Store.recall). Writes are checked by version whatever the age; the bound
 * is for what an update only reads (a view shown from a copy another
 * instance made stale is at most this old).
 */
export const MEMBER_FRESH_MS = 10_000;

/** Options both stores take (tests shrink the limits). */
export type StoreLimits = { handledLimit?: number };

/**
 * The schema version written into every persisted value. A build reads
 * every version up to its own, migrating as it reads (the value is written
 * back in this version at its next write), and refuses a newer one.
 *   1  the first release
 *   2  the once-only record left the report (`handled`, now per member);
 *      members carry a position
 *   3  Redis keeps a report as fields (report-fields.ts), so a write sends
 *      what changed; a v2 report is rewritten whole at its next write
 *   4  smaller in Redis (report-fields.ts): a table row's cells in one field,
 *      values over 64 bytes (the narrative parts) in a second hash `text:<id>`
 *      so the report's hash stays compact, and one audit element per write
 *      that names author and time once and refers to a narrative text the
 *      report or a later entry holds; a v3 report is rewritten whole at its
 *      next write, v3 audit rows are read as they are. The embedded store
 *      keeps the same fields, a row each (its table layout v4): opening an
 *      older file moves every report's JSON row into them. A row's
 *      acknowledgement may be stored by reference (`ref`, AckRef) instead of
 *      its text; acks stored as text are read as before. Redis keeps a
 *      member's version (`mver:<userId>`, a counter outside the schema:
 *      missing reads as 0)
 */
export const SCHEMA_VERSION = 4;

/** Stored data that cannot be used (unknown version, bad shape), or a refused write. */
export class StoreDataError extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(`${key}: ${message}`);
    this.name = "StoreDataError";
  }
}

/**
 * The hand-written checks of the small records every answer writes or reads
 * (fast-checks.ts): true only for a value the schema accepts as it is; the
 * schema decides on any other value.
 */
const FAST_CHECKS = new Map<z.ZodType, (value: unknown) => boolean>([
  [AuditEntry, isAuditEntry],
  [Position, isPosition],
  [UserState, isUserState],
  [PendingAck, isPendingAck],
]);

/** `value` when the schema accepts it (as it is, or as zod's copy); throws StoreDataError naming `key` when it refuses. */
export function validated<T>(schema: z.ZodType<T>, key: string, value: T): T {
  if (FAST_CHECKS.get(schema)?.(value)) return value;
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new StoreDataError(key, `refused to write invalid data: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** Validates `value` and serialises it with the schema version in front. */
export function encode<T extends object>(schema: z.ZodType<T>, key: string, value: T): string {
  return withVersion(JSON.stringify(validated(schema, key, value)));
}

/** A JSON object with the schema version as its first key, without copying the object to put it there. */
function withVersion(json: string): string {
  return json === "{}" ? `{"v":${SCHEMA_VERSION}}` : `{"v":${SCHEMA_VERSION},${json.slice(1)}`;
}

/** Serialises a report the caller has validated (see validateChange), with the schema version in front. */
export function serialiseReport(report: StoredReport): string {
  return JSON.stringify({ v: SCHEMA_VERSION, ...report });
}

/**
 * Validates what a write changes, not the whole report: the fields the change
 * sets, and of a new draft its name, year and format plus only the cells and
 * parts that differ from `current` (which was validated when it was read or
 * written). Throws StoreDataError naming `key`. Returns the diff of the
 * draft's cells it worked out, for the write to use again (changedFields).
 */
export function validateChange(key: string, current: StoredReport, change: ReportChange): { cells?: RecordDiff } {
  const problems: string[] = [];
  let cells: RecordDiff | undefined;
  for (const field of Object.keys(change) as (keyof ReportChange)[]) {
    const value = change[field];
    if (value === current[field]) continue;
    let result: { success: boolean; error?: z.core.$ZodError };
    if (field === "draft" && value !== undefined) {
      const draft = value as Draft;
      if (isRecord(draft.cells) && draft.cells !== current.draft.cells)
        cells = recordDiff(current.draft.cells, draft.cells);
      // An answer changes cells or a part only: a number or a text each is checked here, not by zod.
      if (draftChangeFits(current.draft, draft, cells)) continue;
      result = Draft.safeParse({
        ...draft,
        narrative: changedEntries(current.draft.narrative, draft.narrative),
        cells: changedEntries(current.draft.cells, draft.cells, cells),
      });
    } else if (field === "cursor" && isCursor(value)) continue;
    else result = StoredReport.shape[field].safeParse(value);
    if (result.error) problems.push(`${field}: ${z.prettifyError(result.error)}`);
  }
  if (problems.length > 0) throw new StoreDataError(key, `refused to write invalid data: ${problems.join("; ")}`);
  return cells ? { cells } : {};
}

/** StoredReport's cursor, without zod's machinery (the field every answer moves). */
const isCursor = (x: unknown): boolean => Number.isSafeInteger(x) && (x as number) >= 0;

const NARRATIVE: ReadonlySet<string> = new Set(NARRATIVE_IDS);
const DRAFT_KEYS: ReadonlySet<string> = new Set(Object.keys(Draft.shape));

/**
 * Whether a new draft is valid because it differs from `current` (valid) only
 * in cells that are now finite numbers and in known parts that are now texts:
 * what Draft accepts. False sends it to the schema, which decides (a draft
 * whose head changed, a cells or narrative value that is not a record, …).
 */
export function draftChangeFits(current: Draft, draft: Draft, cells: RecordDiff | undefined): boolean {
  if (!isRecord(draft) || headChanged(current, draft)) return false;
  for (const name in draft) if (!DRAFT_KEYS.has(name)) return false;
  if (draft.cells !== current.cells) {
    if (!cells) return false;
    for (const id of cells.changed) {
      const v = draft.cells[id];
      if (typeof v !== "number" || !Number.isFinite(v)) return false;
    }
  }
  const parts = draft.narrative as Record<string, unknown>;
  if (parts !== current.narrative) {
    if (!isRecord(parts)) return false;
    for (const id in parts) if (!NARRATIVE.has(id) || typeof parts[id] !== "string") return false;
  }
  return true;
}

/** Whether a draft's head (all but its cells and narrative: name, year, format, …, plain values) differs. */
export function headChanged(before: Draft, after: Draft): boolean {
  let keys = 0;
  for (const name of Object.keys(after) as (keyof Draft)[]) {
    if (name === "cells" || name === "narrative") continue;
    if (after[name] === undefined) continue;
    keys++;
    if (after[name] !== before[name]) return true;
  }
  for (const name of Object.keys(before) as (keyof Draft)[])
    if (name !== "cells" && name !== "narrative" && before[name] !== undefined) keys--;
  return keys !== 0;
}

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);

/** The entries of `after` that are new or differ from `before` (`diff` when known); anything not a plain record as it is, for the schema to refuse. */
function changedEntries(before: Record<string, unknown>, after: unknown, diff?: RecordDiff): unknown {
  if (after === before) return {};
  if (!isRecord(after)) return after;
  const changed: Record<string, unknown> = {};
  for (const id of (diff ?? recordDiff(before, after)).changed) changed[id] = after[id];
  return changed;
}

/** What a write does to a record (a draft's cells): the keys it adds or sets to another value, and whether it drops any. */
export type RecordDiff = { changed: string[]; drops: boolean };

/**
 * The diff of two records. A draft's new cells are the old record copied
 * with some cells set, so its keys are the old ones in the same order, then
 * any added: the two are then compared position by position (Object.keys and
 * Object.values of each, some 170 entries, no lookup by key). Otherwise each
 * of `after`'s keys is looked up in `before` (a keyed read of a ~170-key
 * record misses the engine's caches: some 0.2 µs each).
 */
export function recordDiff(before: Record<string, unknown>, after: Record<string, unknown>): RecordDiff {
  const keys = Object.keys(after);
  const kept = Object.keys(before);
  if (kept.length <= keys.length && samePrefix(kept, keys)) {
    const was = Object.values(before);
    const now = Object.values(after);
    const changed: string[] = [];
    for (let i = 0; i < kept.length; i++) if (!Object.is(now[i], was[i])) changed.push(keys[i]!);
    for (let i = kept.length; i < keys.length; i++) changed.push(keys[i]!);
    return { changed, drops: false };
  }
  const changed: string[] = [];
  let added = 0;
  for (const id of keys) {
    if (!Object.hasOwn(before, id)) {
      changed.push(id);
      added++;
    } else if (!Object.is(after[id], before[id])) changed.push(id);
  }
  // `after` keeps keys.length - added of `before`'s keys: fewer than all of them, and some were dropped.
  return { changed, drops: kept.length !== keys.length - added };
}

/** Whether `keys` starts with `prefix`. */
function samePrefix(prefix: readonly string[], keys: readonly string[]): boolean {
  for (let i = 0; i < prefix.length; i++) if (prefix[i] !== keys[i]) return false;
  return true;
}

/** How encode's JSON of a non-empty record starts. */
const CURRENT_HEAD = `{"v":${SCHEMA_VERSION},`;

/**
 * Parses a stored value. A version this build does not know is an error,
 * never guessed at; a migration from an older version goes here when the
 * schema changes.
 */
export function decode<T>(
  schema: z.ZodType<T>,
  key: string,
  raw: string,
  migrate?: (doc: Record<string, unknown>, from: number) => void,
): T {
  // What this build writes starts with its version (encode): parsed without it, no copy of the rest to take it out.
  const fast = FAST_CHECKS.get(schema);
  if (fast && raw.startsWith(CURRENT_HEAD)) {
    let rest: unknown;
    try {
      rest = JSON.parse(`{${raw.slice(CURRENT_HEAD.length)}`);
    } catch {
      throw new StoreDataError(key, "stored value is not valid JSON");
    }
    if (fast(rest)) return rest as T;
  }
  let doc: unknown;
  try {
    doc = JSON.parse(raw);
  } catch {
    throw new StoreDataError(key, "stored value is not valid JSON");
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw new StoreDataError(key, "stored value is not an object");
  }
  const { v, ...rest } = doc as Record<string, unknown>;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > SCHEMA_VERSION) {
    throw new StoreDataError(
      key,
      `unknown schema version ${JSON.stringify(v)} (this build reads v1–v${SCHEMA_VERSION})`,
    );
  }
  if (v < SCHEMA_VERSION) migrate?.(rest, v);
  if (fast?.(rest)) return rest as T;
  const parsed = schema.safeParse(rest);
  if (!parsed.success)
    throw new StoreDataError(key, `stored value does not match the schema: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** 7 random bytes → 10 url-safe characters (56 bits). */
export function newReportId(): string {
  return randomBytes(7).toString("base64url");
}

/**
 * Reads a stored report. Reports written before the once-only record moved to
 * the members carry `handled` (the newest update id per user): dropped.
 */
export function decodeReport(key: string, raw: string): StoredReport {
  return decode(StoredReport, key, raw, (doc, from) => {
    if (from < 2) delete doc.handled;
  });
}

/** The user record a commit writes, with a created report's id filled in. */
export function userWith(state: UserState, createdId: string | undefined): UserState {
  if (state.currentReportId !== NEW_REPORT) return state;
  if (createdId === undefined)
    throw new StoreDataError("user", "currentReportId points at a new report, but none is created");
  return { ...state, currentReportId: createdId };
}

/** The campaign a commit writes, with a created report's id filled in. */
export function campaignWith(campaign: Campaign, createdId: string | undefined): Campaign {
  if (!campaign.units.some((u) => u.reportId === NEW_REPORT)) return campaign;
  if (createdId === undefined)
    throw new StoreDataError(`campaign:${campaign.id}`, "a unit points at a new report, but none is created");
  return {
    ...campaign,
    units: campaign.units.map((u) => (u.reportId === NEW_REPORT ? { ...u, reportId: createdId } : u)),
  };
}

export function byCreatedDesc(a: Campaign, b: Campaign): number {
  return a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.id.localeCompare(b.id);
}

/** 7 random bytes → 10 url-safe characters, as report ids. */
export const newCampaignId = (): string => newReportId();

export function newReport(id: string, input: NewReport, now: Date): StoredReport {
  const at = now.toISOString();
  const report: StoredReport = {
    id,
    members: input.members,
    version: 1,
    draft: input.draft,
    cursor: 0,
    reminderPlan: DEFAULT_PLAN,
    createdAt: at,
    updatedAt: at,
  };
  if (input.deadline !== undefined) report.deadline = input.deadline;
  if (input.previous !== undefined) report.previous = input.previous;
  if (input.prefilled !== undefined) report.prefilled = input.prefilled;
  if (input.dueDate !== undefined) report.dueDate = input.dueDate;
  if (input.campaign !== undefined) report.campaign = input.campaign;
  return report;
}

const OPTIONAL_FIELDS = [
  "previous",
  "deadline",
  "dueDate",
  "reminderPlan",
  "deadlinesSetAt",
  "muted",
  "finalized",
  "prefilled",
  "campaign",
  "review",
] as const;

/** The report a successful compare-and-set writes. */
export function applyChange(current: StoredReport, change: ReportChange, now: Date): StoredReport {
  const ms = now.getTime();
  const last = lastApplied;
  if (last && last.current === current && last.change === change && last.ms === ms) return last.next;
  const next: StoredReport = { ...current, ...change, version: current.version + 1, updatedAt: isoTime(ms) };
  // Drop keys cleared with undefined so the object equals what is read back (a delete only
  // where there is a key: deleting a missing one costs a call into the engine's runtime).
  for (const k of OPTIONAL_FIELDS) if (next[k] === undefined && Object.hasOwn(next, k)) delete next[k];
  lastApplied = { current, change, ms, next };
  return next;
}

/**
 * The last report applyChange made. The bot works out an answer's report to
 * say what it saved, and the store then the same one to write it: within the
 * same millisecond, that is the very object (reports are immutable values).
 */
let lastApplied: { current: StoredReport; change: ReportChange; ms: number; next: StoredReport } | undefined;

let lastMs = Number.NaN;
let lastIso = "";
let olderMs = Number.NaN;
let olderIso = "";

/**
 * new Date(ms).toISOString(), remembered for the last two times asked: one
 * update's write asks for the same millisecond several times (its audit
 * entries, acknowledgement and updatedAt), and each costs a microsecond;
 * its audit entries' time may be a millisecond before the rest.
 */
export function isoTime(ms: number): string {
  if (ms === lastMs) return lastIso;
  if (ms === olderMs) return olderIso;
  olderMs = lastMs;
  olderIso = lastIso;
  lastIso = new Date(ms).toISOString();
  lastMs = ms;
  return lastIso;
}

/** Membership index changes between two member lists. */
export function memberDiff(before: number[], after: number[]): { added: number[]; removed: number[] } {
  return {
    added: after.filter((u) => !before.includes(u)),
    removed: before.filter((u) => !after.includes(u)),
  };
}

export function byUpdatedDesc(a: StoredReport, b: StoredReport): number {
  return a.updatedAt < b.updatedAt ? 1 : a.updatedAt > b.updatedAt ? -1 : a.id.localeCompare(b.id);
}
