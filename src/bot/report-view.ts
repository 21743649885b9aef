import type { Finding } from "../form/finding.js";
import type { Flow } from "../form/flow-schema.js";
import { type FormStep, formSteps } from "../form/form-steps.js";
import { reportFindings } from "../form/report-findings.js";
import type { StoredReport } from "../store/store.js";
import type { Deps } from "./context.js";

/** The flow of a stored report and the findings on it, last year's report included. */
export function flowOf(deps: Pick<Deps, "flows">, report: StoredReport): Flow {
  return deps.flows.flowFor(report.draft.format);
}

/** The findings on a report, last year's report included; kept per report by content (form/report-findings.ts). */
export function findingsOf(
  deps: Pick<Deps, "flows">,
  report: Pick<StoredReport, "draft" | "previous"> & Partial<Pick<StoredReport, "id">>,
): Finding[] {
  const previous = report.previous && { draft: report.previous, flow: deps.flows.flowFor(report.previous.format) };
  return reportFindings(deps.flows.flowFor(report.draft.format), report.draft, previous, report.id);
}

/** The step under the report's cursor (the cursor is clamped: a flow may have fewer steps than an old cursor). */
export function stepAt(flow: Flow, index: number): FormStep {
  const steps = formSteps(flow);
  return steps[Math.min(Math.max(index, 0), steps.length - 1)]!;
}
