import type { Finding } from "./finding.js";
import type { Flow } from "./flow-schema.js";

/**
 * Progress and findings counts of one report: the one source every view
 * draws from (report card, /check, /report, reminders), so they never
 * disagree. "Missing" means a row or required narrative part not yet
 * answered; checkReport says it as one "missing" finding per section, which
 * counts here as missing, never as an error. Sections are counted done or
 * missing by those findings alone (a 2019 一 written as one text is done,
 * though its headed parts are empty), so progress and findings agree.
 */
export interface ReportSummary {
  sectionsDone: number;
  sectionsTotal: number;
  /** Sections with at least one unanswered step. */
  missingSections: number;
  /** Errors other than missing answers (they block the final document too). */
  errors: Finding[];
  /** One per section with unanswered steps. */
  missing: Finding[];
  warnings: Finding[];
  /** Everything answered and no error: the final document can be built. */
  ready: boolean;
}

export function reportSummary(flow: Flow, findings: readonly Finding[]): ReportSummary {
  const missing = findings.filter((f) => f.rule === "missing");
  const errors = findings.filter((f) => f.severity === "error" && f.rule !== "missing");
  const warnings = findings.filter((f) => f.severity === "warning");
  return {
    sectionsDone: flow.sections.length - missing.length,
    sectionsTotal: flow.sections.length,
    missingSections: missing.length,
    errors,
    missing,
    warnings,
    ready: missing.length === 0 && errors.length === 0,
  };
}

/** The counts in one line, the same words in every view, e.g. "2 个错误，3 个部分未填完，1 个提醒". */
export function summaryLine(summary: ReportSummary): string {
  const parts = [
    summary.errors.length > 0 ? `${summary.errors.length} 个错误` : "",
    summary.missingSections > 0 ? `${summary.missingSections} 个部分未填完` : "",
    summary.warnings.length > 0 ? `${summary.warnings.length} 个提醒` : "",
  ].filter(Boolean);
  return parts.length > 0 ? parts.join("，") : "没有发现问题";
}
