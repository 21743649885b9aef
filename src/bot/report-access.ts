import { decide } from "../campaign/access.js";
import { isLocked } from "../form/review.js";
import {
  type AckRef,
  type AuditEntry,
  applyChange,
  auditValue,
  isoTime,
  type ReportChange,
  type StoredReport,
  type UserState,
} from "../store/store.js";
import { resendAck } from "./ask.js";
import type { BotContext } from "./context.js";
import { escapeHtml } from "./html.js";
import { answerRepeat, writeOnce } from "./once-only.js";

/**
 * Loading and writing the officer's report. Every write is compare-and-set;
 * on a conflict the change is worked out again on the fresh report, so two
 * officers of one unit never overwrite each other.
 */

/** The report the officer works on, when they are (still) one of its members. */
export async function currentReport(ctx: BotContext): Promise<StoredReport | undefined> {
  return (await currentMember(ctx)).report;
}

/** The member's record (current report, position) and their current report. */
export async function currentMember(ctx: BotContext): Promise<{ user: UserState; report?: StoredReport }> {
  const userId = ctx.from?.id;
  if (userId === undefined) return { user: {} };
  const user = await ctx.deps.store.getUser(userId);
  const report = user.currentReportId === undefined ? undefined : await memberReport(ctx, user.currentReportId);
  return report ? { user, report } : { user };
}

/** A report by id, only when the user is one of its members (callback data is never trusted). */
export async function memberReport(ctx: BotContext, reportId: string): Promise<StoredReport | undefined> {
  const userId = ctx.from?.id;
  const report = await ctx.deps.store.getReport(reportId);
  return report && userId !== undefined && report.members.includes(userId) ? report : undefined;
}

export interface Mutation {
  change: ReportChange;
  audit?: AuditEntry[];
  /**
   * What the reply will say was saved (HTML), worked out on the report as it
   * will be stored; recorded with the write (a repeat is answered with it).
   */
  ack?: (after: StoredReport) => string | { text: string; ref?: AckRef };
  /** The question the reply goes on to, on the report as it will be stored. */
  next?: (after: StoredReport) => number | undefined;
}

/**
 * `ok: false` with `repeat`: this update was applied before; the repeat was
 * answered by the one rule (silence, or the stored acknowledgement).
 */
export type Mutated =
  | { ok: true; report: StoredReport; ack: string }
  | { ok: false; reason: string; repeat?: false }
  | { ok: false; repeat: true };

const ATTEMPTS = 3;
const CONFLICT = "报告刚被其他人改过，请看最新的问题再填。";

/**
 * Applies `plan` to the report and writes it once for this update (the
 * once-only write of once-only.ts). `plan` returns a string to refuse and is
 * re-run on the fresh report after a conflict.
 */
export async function mutateReport(
  ctx: BotContext,
  report: StoredReport,
  plan: (report: StoredReport) => Mutation | string | Promise<Mutation | string>,
): Promise<Mutated> {
  let current: StoredReport | undefined = report;
  for (let attempt = 0; attempt < ATTEMPTS && current; attempt++) {
    const mutation = await plan(current);
    if (typeof mutation === "string") return { ok: false, reason: mutation };
    // A report handed in for review takes no change to what it prints until it is returned.
    if (isLocked(current.review) && ("draft" in mutation.change || "prefilled" in mutation.change)) {
      const decision = decide({ userId: ctx.from?.id ?? 0, admins: [] }, "edit", { report: current });
      return { ok: false, reason: decision.ok ? "报告已锁定。" : decision.message };
    }
    const after = applyChange(current, mutation.change, ctx.deps.now());
    const said = mutation.ack?.(after) ?? "";
    const ack = typeof said === "string" ? said : said.text;
    const step = mutation.next?.(after);
    const update = {
      id: current.id,
      expectedVersion: current.version,
      change: mutation.change,
      audit: mutation.audit ?? [],
      basis: current,
    };
    const next = step === undefined ? undefined : { reportId: current.id, step };
    const result = await writeOnce(ctx, { update }, ack, next, typeof said === "string" ? undefined : said.ref);
    if (result.status === "applied" && result.report) return { ok: true, report: result.report, ack };
    if (result.status === "repeat") {
      await answerRepeat(ctx, result.unsent, resendAck);
      return { ok: false, repeat: true };
    }
    current = result.status === "conflict" ? result.current : undefined;
  }
  return { ok: false, reason: current ? CONFLICT : "这份报告已被删除。" };
}

/** Says why a write was refused; a repeat was answered already. */
export async function replyRefusal(ctx: BotContext, result: Extract<Mutated, { ok: false }>): Promise<void> {
  if (!result.repeat) await ctx.reply(escapeHtml(result.reason));
}

/**
 * Who made an update's changes and when: one time for all its entries, which
 * the store then keeps together; worked out once per update (a row answer
 * makes an entry per cell).
 */
const updateAuthors = new WeakMap<BotContext, Pick<AuditEntry, "at" | "by" | "byName">>();

function authorOf(ctx: BotContext): Pick<AuditEntry, "at" | "by" | "byName"> {
  const known = updateAuthors.get(ctx);
  if (known) return known;
  const from = ctx.from;
  const name = from ? [from.first_name, from.last_name].filter(Boolean).join(" ") : undefined;
  // isoTime: the store asks for the same millisecond's text (updatedAt, the acknowledgement) next.
  const author = { at: isoTime(ctx.deps.now().getTime()), by: from?.id ?? 0, ...(name ? { byName: name } : {}) };
  updateAuthors.set(ctx, author);
  return author;
}

/** An audit entry by the user of this update; empty texts are recorded as null, long ones clipped. */
export function auditEntry(
  ctx: BotContext,
  target: string,
  old: number | string | null | undefined,
  next: number | string | null | undefined,
): AuditEntry {
  const { at, by, byName } = authorOf(ctx);
  // Literals of one shape each, not a spread of the kept author record.
  return byName === undefined
    ? { at, by, target, old: auditValue(old), new: auditValue(next) }
    : { at, by, byName, target, old: auditValue(old), new: auditValue(next) };
}
