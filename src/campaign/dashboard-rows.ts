import type { FlowRegistry } from "../form/flow-registry.js";
import { reportFindings } from "../form/report-findings.js";
import { reportState } from "../form/report-state.js";
import { reportSummary } from "../form/report-summary.js";
import type { Store, StoredReport } from "../store/store.js";
import type { Campaign } from "./campaign.js";
import type { DashboardRow } from "./dashboard.js";

/** The units' reports as stored, by unit id (units nobody joined are absent). */
export async function unitReports(store: Store, campaign: Campaign): Promise<Map<string, StoredReport>> {
  const entries = await Promise.all(
    campaign.units.map(async (u) => [u.id, u.reportId && (await store.getReport(u.reportId))] as const),
  );
  return new Map(entries.filter((e): e is readonly [string, StoredReport] => Boolean(e[1])));
}

/** One dashboard row per unit: state, progress and problems from the same functions as the card and /check. */
export async function dashboardRows(
  deps: { store: Store; flows: FlowRegistry },
  campaign: Campaign,
): Promise<DashboardRow[]> {
  const reports = await unitReports(deps.store, campaign);
  const members = [...new Set([...reports.values()].flatMap((r) => r.members))];
  const inactive = await deps.store.reminders.inactive(members);
  return campaign.units.map((unit): DashboardRow => {
    const report = reports.get(unit.id);
    if (!report)
      return {
        unitId: unit.id,
        name: unit.name,
        state: "not_started",
        errors: 0,
        warnings: 0,
        officers: 0,
        blocked: 0,
        muted: 0,
      };
    const flow = deps.flows.flowFor(report.draft.format);
    const previous = report.previous && { draft: report.previous, flow: deps.flows.flowFor(report.previous.format) };
    const summary = reportSummary(flow, reportFindings(flow, report.draft, previous, report.id));
    return {
      unitId: unit.id,
      name: unit.name,
      state: reportState(flow, report),
      progress: { done: summary.sectionsDone, total: summary.sectionsTotal },
      errors: summary.errors.length,
      warnings: summary.warnings.length,
      lastActivity: report.updatedAt,
      officers: report.members.length,
      blocked: report.members.filter((m) => inactive.has(m)).length,
      muted: report.muted?.length ?? 0,
    };
  });
}
