import { z } from "zod";
import { NARRATIVE_IDS } from "../form/draft.js";
import {
  AuditEntry,
  auditValue,
  decode,
  decodeReport,
  headChanged,
  isoTime,
  type RecordDiff,
  recordDiff,
  SCHEMA_VERSION,
  StoreDataError,
  StoredReport,
  validated,
} from "./store.js";

/**
 * A report as fields (schema v4), so that a write sends only what changed:
 *   version     the compare-and-set token
 *   v           the schema version the fields were written in
 *   f:<name>    a top-level field of the report as JSON (cursor, members, updatedAt, …)
 *   d           the draft without its cells and narrative parts, as JSON
 *   r:<row>     the cells `<row>.<name>` of one table row, `name:value,…` (values
 *               as JSON numbers, names sorted): one field per row, not per cell
 *   c:<cell>    a cell whose id does not split into row and name that way (JSON number)
 *   n:<part>    one narrative part's text, as it is
 *   w:<by>      the name of an audit entry's author (see encodeAudit)
 * Fewer, shorter fields keep Redis' compact encoding: the Redis store keeps
 * fields up to SMALL_VALUE bytes in the report's hash and longer ones (the
 * narrative parts) in a second hash (bySize).
 * Schema v3 kept a field per cell (`c:` only); v2 and before one field `json`
 * beside `version`. Both are read as they are and written again whole in
 * these fields at their next write.
 */

export type FieldWrite = { set: Map<string, string>; del: string[] };

const LEGACY = "json";

/**
 * The longest value Redis keeps in a hash's compact encoding (its
 * hash-max-listpack-value default): one longer value turns the whole hash
 * into a table of about 70 bytes per field.
 */
export const SMALL_VALUE = 64;

/** A cell id packed into its row's field: `<row>.<name>`, the name plain enough to need no escaping. */
const PACKED_CELL = /^(.+)\.([A-Za-z0-9_-]+)$/;

/** The field that holds a cell: its row's `r:` field, or `c:` when the id does not split. */
function cellField(id: string): string {
  let field = cellFieldOf.get(id);
  if (field === undefined) {
    const m = PACKED_CELL.exec(id);
    field = m ? `r:${m[1]}` : `c:${id}`;
    // Cell ids come from the forms (a few hundred); a bound keeps odd imported ids from growing it.
    if (cellFieldOf.size >= 10_000) cellFieldOf.clear();
    cellFieldOf.set(id, field);
  }
  return field;
}
/** cellField's answers: every write looks up each cell of the report, so the regex runs once per id. */
const cellFieldOf = new Map<string, string>();

/** A row's field value from its cells' names and values. */
function packRow(cells: [string, number][]): string {
  return cells
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `${name}:${JSON.stringify(value)}`)
    .join(",");
}

/** The cell fields (`r:` and `c:`) of these cells. */
function cellFields(cells: Record<string, number>): Map<string, string> {
  const fields = new Map<string, string>();
  for (const [field, ids] of groupCells(cells)) fields.set(field, fieldValue(field, ids, cells));
  return fields;
}

/** The cells' ids by the field that holds them, or only of the fields in `only`. */
function groupCells(cells: Record<string, number>, only?: ReadonlySet<string>): Map<string, string[]> {
  const byField = new Map<string, string[]>();
  for (const id of Object.keys(cells)) {
    const field = cellField(id);
    if (only && !only.has(field)) continue;
    const ids = byField.get(field);
    if (ids) ids.push(id);
    else byField.set(field, [id]);
  }
  return byField;
}

/** The value of a cell field holding these cells: a row's packed cells, or one cell's number. */
function fieldValue(field: string, ids: string[], cells: Record<string, number>): string {
  if (field.startsWith("c:")) return JSON.stringify(cells[ids[0]!]);
  return packRow(ids.map((id) => [id.slice(field.length - 1), cells[id]!]));
}

/** Every field of a report (a new report, or a rewrite of one in an earlier layout). */
export function allFields(report: StoredReport): Map<string, string> {
  const set = new Map<string, string>([["v", String(SCHEMA_VERSION)]]);
  for (const [name, value] of Object.entries(report)) {
    if (name === "version" || name === "draft" || value === undefined) continue;
    set.set(`f:${name}`, JSON.stringify(value));
  }
  const { cells, narrative, ...head } = report.draft;
  set.set("d", JSON.stringify(head));
  for (const [field, value] of cellFields(cells)) set.set(field, value);
  for (const [id, text] of Object.entries(narrative)) set.set(`n:${id}`, text);
  return set;
}

/**
 * The fields that differ between two versions of a report: its size follows
 * the change, not the report. `cellsDiff`: the diff of their cells, when the
 * caller worked it out already (validateChange).
 */
export function changedFields(before: StoredReport, after: StoredReport, cellsDiff?: RecordDiff): FieldWrite {
  const set = new Map<string, string>();
  const del: string[] = [];
  for (const name of Object.keys(after) as (keyof StoredReport)[]) {
    if (name === "version" || name === "draft") continue;
    const [a, b] = [before[name], after[name]];
    if (a === b) continue;
    if (b === undefined) del.push(`f:${name}`);
    else {
      const json = JSON.stringify(b);
      // A primitive that is not === differs; an object may be an equal copy.
      if (typeof a !== "object" || a === null || JSON.stringify(a) !== json) set.set(`f:${name}`, json);
    }
  }
  for (const name of Object.keys(before) as (keyof StoredReport)[])
    if (before[name] !== undefined && !Object.hasOwn(after, name)) del.push(`f:${name}`);
  if (before.draft !== after.draft) {
    const { cells, narrative } = after.draft;
    const beforeCells = before.draft.cells;
    const beforeParts = before.draft.narrative;
    if (headChanged(before.draft, after.draft)) {
      const { cells: _, narrative: __, ...head } = after.draft;
      set.set("d", JSON.stringify(head));
    }
    if (beforeCells !== cells) {
      // A changed cell writes its whole row (a few cells), a row left empty is deleted.
      const { changed, drops } = cellsDiff ?? recordDiff(beforeCells, cells);
      const rows = new Set(changed.map(cellField));
      if (drops) for (const id of Object.keys(beforeCells)) if (!Object.hasOwn(cells, id)) rows.add(cellField(id));
      const byField = groupCells(cells, rows);
      for (const field of rows) {
        const ids = byField.get(field);
        if (ids) set.set(field, fieldValue(field, ids, cells));
        else del.push(field);
      }
    }
    if (beforeParts !== narrative) {
      for (const [id, text] of Object.entries(narrative))
        if (beforeParts[id as keyof typeof beforeParts] !== text) set.set(`n:${id}`, text);
      for (const id of Object.keys(beforeParts)) if (!Object.hasOwn(narrative, id)) del.push(`n:${id}`);
    }
  }
  return { set, del };
}

/**
 * The fields to write, split by where the Redis store keeps them: up to
 * SMALL_VALUE bytes in the report's hash, longer in its second hash (the
 * store removes each written field from the other hash, and deletes from both).
 * Each as the script takes them: name, value, name, value, …; `groups` hold
 * different fields (a report's fields and its authors' names).
 */
export function bySize(...groups: ReadonlyMap<string, string>[]): { small: string[]; large: string[] } {
  const small: string[] = [];
  const large: string[] = [];
  for (const fields of groups)
    for (const [name, value] of fields) (Buffer.byteLength(value) > SMALL_VALUE ? large : small).push(name, value);
  return { small, large };
}

/** Whether the stored fields are a report of an earlier layout (v3 fields, or v2's one JSON value): rewrite it whole. */
export function isLegacy(fields: Record<string, string>): boolean {
  return fields.v !== String(SCHEMA_VERSION);
}

/** Reads a report from its fields (any layout); throws StoreDataError naming `key`. */
export function reportFromFields(key: string, fields: Record<string, string>): StoredReport {
  const legacy = fields[LEGACY];
  if (legacy !== undefined) return decodeReport(key, legacy);
  const v = Number(fields.v);
  if (!Number.isInteger(v) || v < 3 || v > SCHEMA_VERSION)
    throw new StoreDataError(
      key,
      `unknown schema version ${JSON.stringify(fields.v)} (this build reads v1–v${SCHEMA_VERSION})`,
    );
  const doc: Record<string, unknown> = { version: Number(fields.version) };
  const cells: Record<string, unknown> = {};
  const narrative: Record<string, string> = {};
  let head: unknown;
  try {
    for (const [name, value] of Object.entries(fields)) {
      if (name.startsWith("f:")) doc[name.slice(2)] = JSON.parse(value);
      else if (name.startsWith("r:")) {
        const row = name.slice(2);
        for (const cell of value.split(",")) {
          const at = cell.indexOf(":");
          if (at < 0) throw new StoreDataError(key, `the row ${row} is not name:value pairs`);
          cells[`${row}.${cell.slice(0, at)}`] = JSON.parse(cell.slice(at + 1));
        }
      } else if (name.startsWith("c:")) cells[name.slice(2)] = JSON.parse(value);
      else if (name.startsWith("n:")) narrative[name.slice(2)] = value;
      else if (name === "d") head = JSON.parse(value);
    }
  } catch (e) {
    if (e instanceof StoreDataError) throw e;
    throw new StoreDataError(key, "a stored field is not valid JSON");
  }
  if (typeof head !== "object" || head === null) throw new StoreDataError(key, "the draft is missing");
  doc.draft = { ...head, cells, narrative };
  const parsed = StoredReport.safeParse(doc);
  if (!parsed.success)
    throw new StoreDataError(key, `stored value does not match the schema: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** A Redis HGETALL-style flat reply (name, value, name, value, …) as a record. */
export function fieldsOf(flat: string[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
  return fields;
}

/** The `w:<by>` fields that name the authors of these entries. */
export function nameFields(entries: readonly AuditEntry[]): Map<string, string> {
  const names = new Map<string, string>();
  for (const e of entries) if (e.byName !== undefined) names.set(authorField(e.by), e.byName);
  return names;
}

export const authorField = (by: number): string => `w:${by}`;

/*
 * Audit entries as Redis keeps them from schema v4 on: one list element per
 * write (per run of entries with the same time, author and source), JSON
 *   [[at, by, named, source?], prefix, target, old, new, target, old, new, …]
 * `at` in ms since the epoch (an ISO string only when it would not read back
 * the same), `named` 1 when the entries name their author, whose name is the
 * report's field `w:<by>` (written with the entries: once per member, not
 * once per entry); each target is `prefix` + the target written.
 *
 * A narrative part's text is not kept twice. An entry's `new` is `true` when
 * it is the text as the next entry of the same part found it (its `old`), or
 * as the report holds it now when no later entry changed it (both clipped as
 * auditValue clips). Every later write keeps that true: a write whose first
 * entry of a part does not start from the text as stored (or that changes a
 * part without an entry) first appends an anchor `[[], part, text as it was]`.
 * The reference points from older to newer entries only, so the trim, which
 * drops the oldest, never loses what a kept entry needs.
 *
 * Rows of v3 (`[at, by, target, old, new, named, source?]`) and the JSON
 * objects of v2 and before are read as they are.
 */

type AuditValue = AuditEntry["old"];

/** What an entry records of a narrative part's text: what the bot records (auditValue). */
const partText = (report: StoredReport | undefined, part: string): AuditValue =>
  auditValue(report?.draft.narrative[part as keyof StoredReport["draft"]["narrative"]]);

const PARTS: ReadonlySet<string> = new Set(NARRATIVE_IDS);

/** The longest start ending with a dot of the targets of entries[from, to) ("" for one target). */
function commonPrefix(entries: readonly AuditEntry[], from: number, to: number): string {
  if (to - from < 2) return "";
  const first = entries[from]!.target;
  let length = first.length;
  for (let j = from + 1; j < to; j++) {
    const t = entries[j]!.target;
    let k = 0;
    while (k < length && k < t.length && t.charCodeAt(k) === first.charCodeAt(k)) k++;
    length = k;
  }
  return length === 0 ? "" : first.slice(0, first.lastIndexOf(".", length - 1) + 1);
}

let lastAt = "";
let lastMs = Number.NaN;

/** Date.parse, remembered for the last text: an update's entries share one time. */
function msOf(at: string): number {
  if (at !== lastAt) {
    lastMs = Date.parse(at);
    lastAt = at;
  }
  return lastMs;
}

/** Whether two entries share time, author and source (one list element holds them). */
const sameHead = (a: AuditEntry, b: AuditEntry): boolean =>
  a.at === b.at && a.by === b.by && (a.byName === undefined) === (b.byName === undefined) && a.source === b.source;

/**
 * The list elements of one write's audit entries (oldest first), anchors
 * first. `before` is the report the write starts from (undefined for a new
 * report, whose trail starts empty), `after` the report it writes.
 */
export function encodeAudit(
  key: string,
  entries: readonly AuditEntry[],
  before: StoredReport | undefined,
  after: StoredReport,
): string[] {
  const valid = entries.map((entry) => validated(AuditEntry, key, entry));
  const out: string[] = [];
  // The first entry of each narrative part the write has entries for (a row answer has none).
  let firsts: Map<string, AuditEntry> | undefined;
  for (const e of valid) {
    if (!PARTS.has(e.target)) continue;
    firsts ??= new Map();
    if (!firsts.has(e.target)) firsts.set(e.target, e);
  }
  // The same narrative object is the same texts: only a part with an entry can need an anchor.
  const partsKept = before?.draft.narrative === after.draft.narrative;
  if (before && (firsts || !partsKept))
    for (const part of PARTS) {
      const first = firsts?.get(part);
      if (!first && partsKept) continue;
      const was = partText(before, part);
      const changed = partText(after, part) !== was;
      if (first ? !Object.is(first.old, was) : changed) out.push(JSON.stringify([[], part, was]));
    }
  // Each entry's `new` as written: `true` when the next entry of its part, or the report, has that text.
  // (Without narrative entries, each entry's own `new`.)
  const news: unknown[] | undefined = firsts
    ? valid.map((e, i) => {
        if (!PARTS.has(e.target) || typeof e.new !== "string") return e.new;
        const next = valid.slice(i + 1).find((later) => later.target === e.target);
        return Object.is(next ? next.old : partText(after, e.target), e.new) ? true : e.new;
      })
    : undefined;
  let i = 0;
  while (i < valid.length) {
    const e = valid[i]!;
    const ms = msOf(e.at);
    const head: unknown[] = [isoTime(ms) === e.at ? ms : e.at, e.by, e.byName === undefined ? 0 : 1];
    if (e.source !== undefined) head.push(e.source);
    let end = i + 1;
    while (end < valid.length && sameHead(valid[end]!, e)) end++;
    const prefix = commonPrefix(valid, i, end);
    const element: unknown[] = [head, prefix];
    for (let j = i; j < end; j++) {
      const entry = valid[j]!;
      element.push(entry.target.slice(prefix.length), entry.old, news ? news[j] : entry.new);
    }
    out.push(JSON.stringify(element));
    i = end;
  }
  return out;
}

/**
 * Reads audit list elements (newest first) into entries, newest first.
 * `fields` are the report's fields as stored now (its authors' names and its
 * narrative parts, which an entry may refer to); throws StoreDataError naming `key`.
 */
export function decodeAudit(key: string, raws: readonly string[], fields: Record<string, string>): AuditEntry[] {
  const entries: AuditEntry[] = [];
  /** The `old` of the next newer entry (or anchor) of each target met so far. */
  const nextOld = new Map<string, AuditValue>();
  const valid = (entry: unknown): AuditEntry => {
    const parsed = AuditEntry.safeParse(entry);
    if (!parsed.success)
      throw new StoreDataError(key, `stored value does not match the schema: ${z.prettifyError(parsed.error)}`);
    return parsed.data;
  };
  const add = (entry: AuditEntry) => {
    entries.push(entry);
    nextOld.set(entry.target, entry.old);
  };
  for (const raw of raws) {
    if (!raw.startsWith("[")) {
      add(decode(AuditEntry, key, raw));
      continue;
    }
    let row: unknown;
    try {
      row = JSON.parse(raw);
    } catch {
      throw new StoreDataError(key, "stored value is not valid JSON");
    }
    if (!Array.isArray(row)) throw new StoreDataError(key, "stored audit entry is not an entry");
    const [head] = row;
    if (!Array.isArray(head)) {
      add(v3Entry(key, row, fields, valid));
      continue;
    }
    if (head.length === 0) {
      if (row.length !== 3 || typeof row[1] !== "string") throw new StoreDataError(key, "stored anchor is not one");
      nextOld.set(row[1], row[2] as AuditValue);
      continue;
    }
    const [at, by, named, source] = head as unknown[];
    const prefix = row[1];
    if (typeof prefix !== "string" || row.length < 5 || (row.length - 2) % 3 !== 0)
      throw new StoreDataError(key, "stored audit entry is not an entry");
    const name = named === 1 ? fields[authorField(by as number)] : undefined;
    const base = {
      at: typeof at === "number" ? new Date(at).toISOString() : at,
      by,
      ...(name === undefined ? {} : { byName: name }),
    };
    // Newest first within the write too: its last entry is the newest.
    for (let i = row.length - 3; i >= 2; i -= 3) {
      const target = `${prefix}${row[i]}`;
      const next = row[i + 2] === true ? refersTo(target, nextOld, fields) : row[i + 2];
      add(valid({ ...base, target, old: row[i + 1], new: next, ...(source === undefined ? {} : { source }) }));
    }
  }
  return entries;
}

/** The text an entry's `new: true` stands for: the next entry's `old`, else the part as stored now. */
function refersTo(
  target: string,
  nextOld: ReadonlyMap<string, AuditValue>,
  fields: Record<string, string>,
): AuditValue {
  return nextOld.has(target) ? nextOld.get(target)! : auditValue(fields[`n:${target}`]);
}

function v3Entry(
  key: string,
  row: unknown[],
  fields: Record<string, string>,
  valid: (entry: unknown) => AuditEntry,
): AuditEntry {
  if (row.length < 6) throw new StoreDataError(key, "stored audit entry is not an entry");
  const [at, by, target, old, next, named, source] = row;
  const name = named === 1 ? fields[authorField(by as number)] : undefined;
  return valid({
    at: typeof at === "number" ? new Date(at).toISOString() : at,
    by,
    ...(name === undefined ? {} : { byName: name }),
    target,
    old,
    new: next,
    ...(source === undefined ? {} : { source }),
  });
}
