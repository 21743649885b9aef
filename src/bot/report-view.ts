import { checkReport } from "../form/check-report.js";
import type { Finding } from "../form/finding.js";
import type { Flow } from "../form/flow-schema.js";
import { type FormStep, formSteps } from "../form/form-steps.js";
import type { StoredReport } from "../store/store.js";
import type { Deps } from "./context.js";

/** The flow of a stored report and the findings on it, last year's report included. */
export function flowOf(deps: Pick<Deps, "flows">, report: StoredReport): Flow {
  return deps.flows.flowFor(report.draft.format);
}

/**
 * A stored version never changes, so its findings are kept for a while: an
 * answer compares the findings before and after it, and "before" is the
 * version the previous answer wrote.
 */
const CACHE_SIZE = 500;
const cache = new Map<string, Finding[]>();

export function findingsOf(
  deps: Pick<Deps, "flows">,
  report: Pick<StoredReport, "draft" | "previous"> & Partial<Pick<StoredReport, "id" | "version">>,
): Finding[] {
  const key = report.id !== undefined && report.version !== undefined ? `${report.id}@${report.version}` : undefined;
  const known = key && cache.get(key);
  if (known) return known;
  const previous = report.previous && { draft: report.previous, flow: deps.flows.flowFor(report.previous.format) };
  const findings = checkReport(deps.flows.flowFor(report.draft.format), report.draft, previous);
  if (key) {
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value as string);
    cache.set(key, findings);
  }
  return findings;
}

/** The step under the report's cursor (the cursor is clamped: a flow may have fewer steps than an old cursor). */
export function stepAt(flow: Flow, index: number): FormStep {
  const steps = formSteps(flow);
  return steps[Math.min(Math.max(index, 0), steps.length - 1)]!;
}
