import { z } from "zod";

/**
 * Hand-written checks for the small records every answer writes or reads
 * (an audit entry, an acknowledgement, a position, a member's record).
 *
 * Why: zod's safeParse of a five-field object costs several microseconds
 * (it builds a result object, a copy of the value and a context per call),
 * which a few comparisons do in a fraction of that. The zod schemas stay the
 * contract: each check here only says "yes" for a value its schema accepts as
 * it is (same keys, same values), and the caller runs the schema on any
 * other value, which then accepts it or refuses it with zod's message. A
 * check may say "no" to a value the schema accepts (it is only slower then),
 * never "yes" to one it refuses; test/fast-checks.test.ts holds them to that
 * with fast-check.
 */

/** zod's own pattern of an ISO datetime (UTC, seconds, any precision), so both accept the same strings. */
const DATETIME: RegExp = z.iso.datetime().def.pattern as RegExp;

const isPlain = (x: unknown): x is Record<string, unknown> =>
  typeof x === "object" && x !== null && Object.getPrototypeOf(x) === Object.prototype;

/** z.number(): a finite number. */
const isNumber = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x);
/** z.number().int(): a safe integer. */
const isInt = (x: unknown): x is number => Number.isSafeInteger(x);
const isCount = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;
const isPositive = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) > 0;
const isText = (x: unknown): x is string => typeof x === "string" && x.length > 0;
/** The last text isDatetime accepted (none at first): an update's audit entries and acknowledgement share one time. */
let lastDatetime: string | undefined;

export function isDatetime(x: unknown): x is string {
  if (typeof x !== "string") return false;
  if (x === lastDatetime) return true;
  if (!DATETIME.test(x)) return false;
  lastDatetime = x;
  return true;
}

/** Whether every own enumerable key of `o` is one of `keys`. */
function onlyKeys(o: Record<string, unknown>, keys: ReadonlySet<string>): boolean {
  for (const k in o) if (!keys.has(k)) return false;
  return true;
}

const AUDIT_KEYS: ReadonlySet<string> = new Set(["at", "by", "byName", "target", "old", "new", "source"]);
const isAuditValue = (x: unknown): boolean => x === null || typeof x === "string" || isNumber(x);

/** store.ts AuditEntry. */
export function isAuditEntry(e: unknown): boolean {
  return (
    isPlain(e) &&
    onlyKeys(e, AUDIT_KEYS) &&
    isDatetime(e.at) &&
    isPositive(e.by) &&
    (e.byName === undefined || typeof e.byName === "string") &&
    isText(e.target) &&
    isAuditValue(e.old) &&
    isAuditValue(e.new) &&
    (e.source === undefined || (typeof e.source === "string" && e.source.length <= 200))
  );
}

const POSITION_KEYS: ReadonlySet<string> = new Set(["reportId", "step", "messageId", "previous", "seen"]);

/** store.ts Position. */
export function isPosition(p: unknown): boolean {
  if (!isPlain(p) || !onlyKeys(p, POSITION_KEYS)) return false;
  if (!isText(p.reportId) || !isCount(p.step) || !isPositive(p.messageId)) return false;
  if (p.previous !== undefined && !isCount(p.previous)) return false;
  if (p.seen === undefined) return true;
  if (!isPlain(p.seen)) return false;
  for (const k in p.seen) {
    // JSON.parse makes "__proto__" an own key; zod's record output drops it, so only zod may answer.
    if (k === "__proto__") return false;
    const v = p.seen[k];
    if (v !== null && !isNumber(v)) return false;
  }
  return true;
}

const USER_KEYS: ReadonlySet<string> = new Set(["currentReportId", "position", "interrupted"]);

/** store.ts UserState. */
export function isUserState(u: unknown): boolean {
  return (
    isPlain(u) &&
    onlyKeys(u, USER_KEYS) &&
    (u.currentReportId === undefined || isText(u.currentReportId)) &&
    (u.position === undefined || isPosition(u.position)) &&
    (u.interrupted === undefined || (isText(u.interrupted) && u.interrupted.length <= 40))
  );
}

const ACK_REF_KEYS: ReadonlySet<string> = new Set(["row", "before", "notes", "findings"]);

function isNumbers(x: unknown): boolean {
  if (!Array.isArray(x)) return false;
  for (const n of x) if (!isNumber(n)) return false;
  return true;
}

/** store.ts AckRef. */
function isAckRef(r: unknown): boolean {
  if (!isPlain(r) || !onlyKeys(r, ACK_REF_KEYS)) return false;
  const row = r.row;
  if (!Array.isArray(row) || row.length !== 3 || !isText(row[0]) || !isCount(row[1]) || !isNumbers(row[2]))
    return false;
  if (r.before !== undefined && typeof r.before !== "string") return false;
  if (r.notes !== undefined) {
    if (!Array.isArray(r.notes)) return false;
    for (const n of r.notes) if (typeof n !== "string") return false;
  }
  if (r.findings !== undefined) {
    if (!Array.isArray(r.findings)) return false;
    for (const f of r.findings) {
      if (typeof f === "string") continue;
      if (!Array.isArray(f) || f.length !== 4) return false;
      if (typeof f[0] !== "string" || typeof f[1] !== "string" || !isNumber(f[2]) || !isNumber(f[3])) return false;
    }
  }
  return true;
}

const ACK_KEYS: ReadonlySet<string> = new Set(["updateId", "text", "ref", "at", "next"]);
const NEXT_KEYS: ReadonlySet<string> = new Set(["reportId", "step"]);

/** store.ts PendingAck. */
export function isPendingAck(a: unknown): boolean {
  if (!isPlain(a) || !onlyKeys(a, ACK_KEYS) || !isInt(a.updateId) || !isDatetime(a.at)) return false;
  if (a.text !== undefined && typeof a.text !== "string") return false;
  if (a.ref !== undefined && !isAckRef(a.ref)) return false;
  // The refinement: a text or a ref, not both.
  if ((a.text === undefined) === (a.ref === undefined)) return false;
  const next = a.next;
  if (next === undefined) return true;
  return isPlain(next) && onlyKeys(next, NEXT_KEYS) && isText(next.reportId) && isCount(next.step);
}
