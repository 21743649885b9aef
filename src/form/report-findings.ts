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
  const own = known ?? (last && byDraft.get(last));
  const base = own && own.flow === flow ? own : blankChecked(flow);
  const checked = recheck(base, draft, previous);
  if (checked.ran > 0) {
    checkCounts.passes++;
    checkCounts.units += checked.ran;
  }
  byDraft.set(draft, checked);
  if (reportId !== undefined && lastDraft(reportId) !== draft) {
    const ref = new WeakRef(draft);
    lastChecked.set(reportId, ref);
    forget.register(draft, { report: reportId, ref });
  }
  return checked.findings;
}

const blanks = new WeakMap<Flow, Checked>();

/**
 * The findings of an empty draft of the flow, checked once per flow: the base
 * of a report checked for the first time here (a new report, or one this
 * process has not seen), which then re-runs only the units that read what it
 * has filled in, instead of all of them.
 */
function blankChecked(flow: Flow): Checked {
  const known = blanks.get(flow);
  if (known) return known;
  const blank: Draft = { format: flow.format, org: "-", year: 2000, narrative: {}, cells: {} };
  const made = checkAll(flow, blank, undefined);
  checkCounts.passes++;
  checkCounts.full++;
  checkCounts.units += made.ran;
  blanks.set(flow, made);
  return made;
}

function lastDraft(reportId: string): Draft | undefined {
  return lastChecked.get(reportId)?.deref();
}

function samePrevious(a: Previous | undefined, b: Previous | undefined): boolean {
  return a?.flow === b?.flow && sameDraft(a?.draft, b?.draft);
}
