import { z } from "zod";
import { AuditEntry, decode, decodeReport, SCHEMA_VERSION, StoreDataError, StoredReport } from "./store.js";

/**
 * A report as fields (schema v3), so that a write sends only what changed:
 *   version     the compare-and-set token
 *   v           the schema version the fields were written in
 *   f:<name>    a top-level field of the report as JSON (cursor, members, updatedAt, …)
 *   d           the draft without its cells and narrative parts, as JSON
 *   c:<cell>    one cell's value (a JSON number)
 *   n:<part>    one narrative part's text, as it is
 * A report of schema v2 and before is one field `json` beside `version`; it
 * is read as it is and written again whole in these fields at its next write.
 */

export type FieldWrite = { set: Map<string, string>; del: string[] };

const LEGACY = "json";

/** Every field of a report (a new report, or a rewrite of one in the v2 layout). */
export function allFields(report: StoredReport): Map<string, string> {
  const set = new Map<string, string>([["v", String(SCHEMA_VERSION)]]);
  for (const [name, value] of Object.entries(report)) {
    if (name === "version" || name === "draft" || value === undefined) continue;
    set.set(`f:${name}`, JSON.stringify(value));
  }
  const { cells, narrative, ...head } = report.draft;
  set.set("d", JSON.stringify(head));
  for (const [id, value] of Object.entries(cells)) set.set(`c:${id}`, JSON.stringify(value));
  for (const [id, text] of Object.entries(narrative)) set.set(`n:${id}`, text);
  return set;
}

/** The fields that differ between two versions of a report: its size follows the change, not the report. */
export function changedFields(before: StoredReport, after: StoredReport): FieldWrite {
  const set = new Map<string, string>();
  const del: string[] = [];
  const names = new Set([...Object.keys(before), ...Object.keys(after)]) as Set<keyof StoredReport>;
  for (const name of names) {
    if (name === "version" || name === "draft") continue;
    const [a, b] = [before[name], after[name]];
    if (a === b) continue;
    if (b === undefined) del.push(`f:${name}`);
    else if (a === undefined || JSON.stringify(a) !== JSON.stringify(b)) set.set(`f:${name}`, JSON.stringify(b));
  }
  if (before.draft !== after.draft) {
    const { cells: beforeCells, narrative: beforeParts, ...beforeHead } = before.draft;
    const { cells, narrative, ...head } = after.draft;
    const headJson = JSON.stringify(head);
    if (headJson !== JSON.stringify(beforeHead)) set.set("d", headJson);
    diffRecord(beforeCells, cells, "c:", (v) => JSON.stringify(v), set, del);
    diffRecord(beforeParts, narrative, "n:", (t) => t, set, del);
  }
  return { set, del };
}

function diffRecord<T>(
  before: Record<string, T>,
  after: Record<string, T>,
  prefix: string,
  encode: (value: T) => string,
  set: Map<string, string>,
  del: string[],
): void {
  if (before === after) return;
  for (const [id, value] of Object.entries(after)) {
    if (!Object.hasOwn(before, id) || !Object.is(before[id], value)) set.set(`${prefix}${id}`, encode(value));
  }
  for (const id of Object.keys(before)) if (!Object.hasOwn(after, id)) del.push(`${prefix}${id}`);
}

/** Whether the stored fields are a report of schema v2 or before (one JSON value). */
export function isLegacy(fields: Record<string, string>): boolean {
  return Object.hasOwn(fields, LEGACY);
}

/** Reads a report from its fields (either layout); throws StoreDataError naming `key`. */
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
      else if (name.startsWith("c:")) cells[name.slice(2)] = JSON.parse(value);
      else if (name.startsWith("n:")) narrative[name.slice(2)] = value;
      else if (name === "d") head = JSON.parse(value);
    }
  } catch {
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

/**
 * An audit entry as Redis keeps it from schema v3 on: short, without keys or
 * names, `[at, by, target, old, new, named, source?]`: `at` in ms since the
 * epoch (an ISO string only when it would not read back the same), `named`
 * 1 when the entry names its author, whose name is the report's field
 * `w:<by>` (written with the entry: once per member, not once per entry).
 * Entries of v2 and before are JSON objects and read as they are.
 */
export function encodeAudit(key: string, entry: AuditEntry): string {
  const parsed = AuditEntry.safeParse(entry);
  if (!parsed.success) throw new StoreDataError(key, `refused to write invalid data: ${z.prettifyError(parsed.error)}`);
  const e = parsed.data;
  const ms = Date.parse(e.at);
  const row: unknown[] = [new Date(ms).toISOString() === e.at ? ms : e.at, e.by, e.target, e.old, e.new];
  row.push(e.byName === undefined ? 0 : 1);
  if (e.source !== undefined) row.push(e.source);
  return JSON.stringify(row);
}

/** The `w:<by>` fields that name the authors of these entries. */
export function nameFields(entries: readonly AuditEntry[]): Map<string, string> {
  const names = new Map<string, string>();
  for (const e of entries) if (e.byName !== undefined) names.set(authorField(e.by), e.byName);
  return names;
}

export const authorField = (by: number): string => `w:${by}`;

/** The authors an entry of v3 needs named (their `w:<by>` fields), to read a page of entries. */
export function authorsOf(raws: readonly string[]): number[] {
  const ids = new Set<number>();
  for (const raw of raws) {
    const by = raw.startsWith("[") ? Number(raw.slice(1).split(",")[1]) : Number.NaN;
    if (Number.isSafeInteger(by)) ids.add(by);
  }
  return [...ids];
}

export function decodeAudit(key: string, raw: string, names: ReadonlyMap<number, string>): AuditEntry {
  if (!raw.startsWith("[")) return decode(AuditEntry, key, raw);
  let row: unknown;
  try {
    row = JSON.parse(raw);
  } catch {
    throw new StoreDataError(key, "stored value is not valid JSON");
  }
  if (!Array.isArray(row) || row.length < 6) throw new StoreDataError(key, "stored audit entry is not an entry");
  const [at, by, target, old, next, named, source] = row;
  const name = named === 1 ? names.get(by as number) : undefined;
  const entry = {
    at: typeof at === "number" ? new Date(at).toISOString() : at,
    by,
    ...(name === undefined ? {} : { byName: name }),
    target,
    old,
    new: next,
    ...(source === undefined ? {} : { source }),
  };
  const parsed = AuditEntry.safeParse(entry);
  if (!parsed.success)
    throw new StoreDataError(key, `stored value does not match the schema: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
