import { cellName } from "../form/cell-names.js";
import { prefilledCells, prefillFromPrevious } from "../form/cross-year.js";
import { Draft } from "../form/draft.js";
import type { Flow } from "../form/flow-schema.js";
import type { StoredReport } from "../store/store.js";
import type { BotContext } from "./context.js";
import { auditEntry, mutateReport } from "./report-access.js";
import { FROM_LAST_YEAR } from "./views/question.js";

/**
 * Last year's report a new report starts from: one the officer chose (用作去年
 * 的报告) before this year's report existed, kept for the user until /new, or
 * else the unit's own report of last year in the bot. The new report takes it
 * as `previous` (cross-year checks) and is pre-filled from it
 * (form/cross-year.ts): a pre-filled value is not an answer yet; the officer
 * confirms it with one tap or types another. Shared by the import, /new and
 * the 1 December invitation.
 */

const key = (userId: number) => `lastYear:${userId}`;

/** Only the flow's leaf cells are kept: totals are computed, a total given in a file is only checked. */
export function leafCellsOnly(flow: Flow, draft: Draft): Draft {
  const leaves = new Set(flow.cells.map((c) => c.id));
  return { ...draft, cells: Object.fromEntries(Object.entries(draft.cells).filter(([id]) => leaves.has(id))) };
}

export async function keepLastYearReport(ctx: BotContext, userId: number, draft: Draft): Promise<void> {
  await ctx.deps.store.writeState(key(userId), draft);
}

/** The kept report when it is the year before `year`. */
async function lastYearReport(ctx: BotContext, userId: number, year: number): Promise<Draft | undefined> {
  const parsed = Draft.safeParse(await ctx.deps.store.readState(key(userId)));
  return parsed.success && parsed.data.year === year - 1 ? parsed.data : undefined;
}

export interface NewYearStart {
  report: StoredReport;
  /** What the officer is told: which cells were pre-filled from which report. */
  note: string;
}

/** The unit's report of the year before, among the officer's reports. */
async function unitReportOfLastYear(ctx: BotContext, userId: number, report: StoredReport): Promise<Draft | undefined> {
  const { org, year } = report.draft;
  const reports = await ctx.deps.store.listReports(userId);
  return reports.find((r) => r.id !== report.id && r.draft.org === org && r.draft.year === year - 1)?.draft;
}

/**
 * A report just created for `year`: last year's report (kept, or the unit's
 * own) becomes its `previous`, and the cells it determines are pre-filled,
 * not answered. Undefined when there is none (or the write failed).
 */
export async function startFromLastYear(ctx: BotContext, report: StoredReport): Promise<NewYearStart | undefined> {
  const userId = ctx.from?.id;
  if (userId === undefined) return undefined;
  const kept = await lastYearReport(ctx, userId, report.draft.year);
  const last = kept ?? (await unitReportOfLastYear(ctx, userId, report));
  if (!last) return undefined;
  const flows = ctx.deps.flows;
  const flow = flows.flowFor(report.draft.format);
  const prefilled = prefillFromPrevious(flow, flows.flowFor(last.format), last);
  const result = await mutateReport(ctx, report, () => ({
    change: { previous: last, ...(prefilled.length > 0 ? { prefilled: prefilledCells(prefilled) } : {}) },
    audit: [auditEntry(ctx, "previous", null, `${last.org} ${last.year}年度`)],
  }));
  if (!result.ok) return undefined;
  if (kept) await ctx.deps.store.deleteState(key(userId));
  const rows = [...new Set(prefilled.map((p) => cellName(flow, p.cell).row))];
  const filled =
    rows.length === 0
      ? ""
      : `，并用它预填了 ${rows.join("、")}（${prefilled.length} 格，标着“${FROM_LAST_YEAR}”，填到时点「确认去年的数」或直接发正确的数）`;
  return {
    report: result.report,
    note: `📎 已把 ${last.org} ${last.year}年度的报告作为去年的报告${filled}。核对时会和它比对。`,
  };
}
