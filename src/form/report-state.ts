import { createHash } from "node:crypto";
import type { Draft } from "./draft.js";
import type { Flow } from "./flow-schema.js";
import { formSteps, isAnswered } from "./form-steps.js";

/**
 * Where a report stands, in one function every view and the reminder
 * scheduler use. 已完成 means its final (not 草稿) document was generated and
 * nothing in the report changed since: the finalization records a
 * fingerprint of the content it was generated for.
 */
export type ReportState = "not_started" | "in_progress" | "finished";

export const REPORT_STATE_LABEL: Record<ReportState, string> = {
  not_started: "未开始",
  in_progress: "填写中",
  finished: "已完成",
};

/** What the final document was generated for. */
export interface Finalization {
  at: string;
  fingerprint: string;
}

export function reportState(flow: Flow, report: { draft: Draft; finalized?: Finalization | undefined }): ReportState {
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
