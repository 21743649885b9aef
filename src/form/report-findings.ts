import type { Previous } from "./check-report.js";
import type { Draft } from "./draft.js";
import type { Finding } from "./finding.js";
import type { Flow } from "./flow-schema.js";
import { type Checked, checkAll, recheck, sameDraft } from "./recheck.js";

/**
 * Findings kept per report, keyed by content rather than by stored version:
 * drafts are never changed in place, so a cursor move or a 完成 (which keeps
 * the draft object) finds its findings without running a check. Entries live
 * as long as their draft does (no global bound a busy January can overflow),
 * and each report remembers the last draft checked, so a new draft (an answer,
 * or the same content read again from the store) re-runs only the checks that
 * read what changed.
 */
const byDraft = new WeakMap<Draft, Checked>();
const lastChecked = new Map<string, WeakRef<Draft>>();
const forget = new FinalizationRegistry<{ report: string; ref: WeakRef<Draft> }>(({ report, ref }) => {
  if (lastChecked.get(report) === ref) lastChecked.delete(report);
});

/** Work done so far, for bench/fill.ts and the tests: passes that ran any unit, full passes, units run. */
export const checkCounts = { passes: 0, full: 0, units: 0 };

export function reportFindings(
  flow: Flow,
  draft: Draft,
  previous: Previous | undefined,
  reportId: string | undefined,
): Finding[] {
  const known = byDraft.get(draft);
  if (known && known.flow === flow && samePrevious(known.previous, previous)) return known.findings;
  const last = reportId === undefined ? undefined : lastDraft(reportId);
  const base = known ?? (last && byDraft.get(last));
  const checked = base && base.flow === flow ? recheck(base, draft, previous) : checkAll(flow, draft, previous);
  if (checked.ran > 0) {
    checkCounts.passes++;
    checkCounts.units += checked.ran;
    if (!base || base.flow !== flow) checkCounts.full++;
  }
  byDraft.set(draft, checked);
  if (reportId !== undefined && lastDraft(reportId) !== draft) {
    const ref = new WeakRef(draft);
    lastChecked.set(reportId, ref);
    forget.register(draft, { report: reportId, ref });
  }
  return checked.findings;
}

function lastDraft(reportId: string): Draft | undefined {
  return lastChecked.get(reportId)?.deref();
}

function samePrevious(a: Previous | undefined, b: Previous | undefined): boolean {
  return a?.flow === b?.flow && sameDraft(a?.draft, b?.draft);
}
