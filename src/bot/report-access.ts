import { decide } from "../campaign/access.js";
import { isLocked } from "../form/review.js";
import type { AuditEntry, ReportChange, StoredReport } from "../store/store.js";
import type { BotContext } from "./context.js";

/**
 * Loading and writing the officer's report. Every write is compare-and-set;
 * on a conflict the change is worked out again on the fresh report, so two
 * officers of one unit never overwrite each other.
 */

/** The report the officer works on, when they are (still) one of its members. */
export async function currentReport(ctx: BotContext): Promise<StoredReport | undefined> {
  const userId = ctx.from?.id;
  if (userId === undefined) return undefined;
  const { currentReportId } = await ctx.deps.store.getUser(userId);
  return currentReportId === undefined ? undefined : memberReport(ctx, currentReportId);
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
}

/** `repeated`: Telegram delivered this update again after a crash; it was applied before and is not again. */
export type Mutated = { ok: true; report: StoredReport; repeated?: boolean } | { ok: false; reason: string };

const ATTEMPTS = 3;
const CONFLICT = "报告刚被其他人改过，请看最新的问题再填。";

/**
 * Applies `plan` to the report and writes it. `plan` returns a string to
 * refuse (e.g. the question moved on in the meantime) and is re-run on the
 * fresh report after a conflict.
 */
export async function mutateReport(
  ctx: BotContext,
  report: StoredReport,
  plan: (report: StoredReport) => Mutation | string,
): Promise<Mutated> {
  const userId = ctx.from?.id ?? 0;
  const updateId = ctx.update.update_id;
  let current: StoredReport | undefined = report;
  for (let attempt = 0; attempt < ATTEMPTS && current; attempt++) {
    const mutation = plan(current);
    if (typeof mutation === "string") return { ok: false, reason: mutation };
    // A report handed in for review takes no change to what it prints until it is returned.
    if (isLocked(current.review) && ("draft" in mutation.change || "prefilled" in mutation.change)) {
      const decision = decide({ userId, admins: [] }, "edit", { report: current });
      return { ok: false, reason: decision.ok ? "报告已锁定。" : decision.message };
    }
    const update = {
      id: current.id,
      expectedVersion: current.version,
      change: mutation.change,
      audit: mutation.audit ?? [],
      basis: current,
    };
    const result = await ctx.deps.store.commit({ userId, updateId, ack: "" }, { update });
    if (result.status === "applied" && result.report) return { ok: true, report: result.report };
    if (result.status === "repeat") {
      const now = await ctx.deps.store.getReport(current.id);
      return now ? { ok: true, report: now, repeated: true } : { ok: false, reason: "这份报告已被删除。" };
    }
    current = result.status === "conflict" ? result.current : undefined;
  }
  return { ok: false, reason: current ? CONFLICT : "这份报告已被删除。" };
}

/** Audit trails keep the start of long texts only, so they stay small. */
const AUDIT_TEXT = 200;
const auditValue = (v: number | string | null | undefined): number | string | null =>
  v === undefined || v === ""
    ? null
    : typeof v === "string" && v.length > AUDIT_TEXT
      ? `${v.slice(0, AUDIT_TEXT)}…`
      : v;

/** An audit entry by the user of this update; empty texts are recorded as null, long ones clipped. */
export function auditEntry(
  ctx: BotContext,
  target: string,
  old: number | string | null | undefined,
  next: number | string | null | undefined,
): AuditEntry {
  const from = ctx.from;
  const name = from ? [from.first_name, from.last_name].filter(Boolean).join(" ") : undefined;
  return {
    at: ctx.deps.now().toISOString(),
    by: from?.id ?? 0,
    ...(name ? { byName: name } : {}),
    target,
    old: auditValue(old),
    new: auditValue(next),
  };
}
