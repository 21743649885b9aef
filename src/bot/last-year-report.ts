import { cellName } from "../form/cell-names.js";
import { prefillFromPrevious } from "../form/cross-year.js";
import { Draft } from "../form/draft.js";
import type { Flow } from "../form/flow-schema.js";
import type { StoredReport } from "../store/store.js";
import type { BotContext } from "./context.js";
import { auditEntry, mutateReport } from "./report-access.js";

/**
 * Last year's report that an officer chose (用作去年的报告) before this
 * year's report exists: kept for the user until /new creates the next year's
 * report, which then takes it as `previous` and is pre-filled from it
 * (form/cross-year.ts). Shared by the import and the creation of a report.
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

/**
 * A report just created for `year`: when the user kept last year's report,
 * it becomes the report's `previous` and pre-fills the cells it determines,
 * each with an audit entry. Undefined when there is none (or the write failed).
 */
export async function startFromLastYear(ctx: BotContext, report: StoredReport): Promise<NewYearStart | undefined> {
  const userId = ctx.from?.id;
  if (userId === undefined) return undefined;
  const last = await lastYearReport(ctx, userId, report.draft.year);
  if (!last) return undefined;
  const flows = ctx.deps.flows;
  const flow = flows.flowFor(report.draft.format);
  const prefilled = prefillFromPrevious(flow, flows.flowFor(last.format), last);
  const result = await mutateReport(ctx, report, (r) => ({
    change: {
      previous: last,
      draft: {
        ...r.draft,
        cells: { ...r.draft.cells, ...Object.fromEntries(prefilled.map((p) => [p.cell, p.value])) },
      },
    },
    audit: [
      auditEntry(ctx, "previous", null, `${last.org} ${last.year}年度`),
      ...prefilled.map((p) => auditEntry(ctx, p.cell, r.draft.cells[p.cell], p.value)),
    ],
  }));
  if (!result.ok) return undefined;
  await ctx.deps.store.deleteState(key(userId));
  const rows = [...new Set(prefilled.map((p) => cellName(flow, p.cell).row))];
  const filled = rows.length === 0 ? "" : `，并用它预填了 ${rows.join("、")}（${prefilled.length} 格，可在目录里修改）`;
  return {
    report: result.report,
    note: `📎 已把 ${last.org} ${last.year}年度的报告作为去年的报告${filled}。核对时会和它比对。`,
  };
}
