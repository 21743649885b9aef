import { createHash } from "node:crypto";
import type { Draft } from "./draft.js";
import type { Flow } from "./flow-schema.js";
import { formSteps, isAnswered } from "./form-steps.js";
import type { Review } from "./review.js";

/**
 * Where a report stands, in one function every view and the reminder
 * scheduler use. 已完成 means its final (not 草稿) document was generated and
 * nothing in the report changed since: the finalization records a
 * fingerprint of the content it was generated for. A campaign's report also
 * goes through review: 已提交 and 已通过 come before everything else; 已退回
 * stays until the report is submitted again.
 */
export type ReportState = "not_started" | "in_progress" | "finished" | "submitted" | "returned" | "approved";

export const REPORT_STATE_LABEL: Record<ReportState, string> = {
  not_started: "未开始",
  in_progress: "填写中",
  finished: "已完成",
  submitted: "已提交",
  returned: "已退回",
  approved: "已通过",
};

/** States whose members are reminded: not finished, not waiting for or past review. */
const REMINDED: ReadonlySet<ReportState> = new Set(["not_started", "in_progress", "returned"]);
export const getsReminders = (state: ReportState): boolean => REMINDED.has(state);

/** What the final document was generated for. */
export interface Finalization {
  at: string;
  fingerprint: string;
}

export function reportState(
  flow: Flow,
  report: { draft: Draft; finalized?: Finalization | undefined; review?: Review | undefined },
): ReportState {
  if (report.review) return report.review.state;
  if (report.finalized && report.finalized.fingerprint === draftFingerprint(report.draft)) return "finished";
  const started =
    Object.keys(report.draft.cells).length > 0 ||
    formSteps(flow).some((s) => s.kind === "part" && !s.part.optional && isAnswered(s, report.draft));
  return started ? "in_progress" : "not_started";
}

/** A digest of everything the document prints from the draft; key order does not matter. */
export function draftFingerprint(draft: Draft): string {
  return createHash("sha256").update(canonicalJson(draft)).digest("base64url");
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}
