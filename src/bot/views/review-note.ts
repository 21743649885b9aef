import type { StoredReport } from "../../store/store.js";
import { escapeHtml } from "../html.js";

/** The comment of a returned report, when the officer is at the question it is about (or on the card). */
export function reviewNote(report: StoredReport, step?: number): string | undefined {
  const comment = report.review?.state === "returned" ? report.review.comment : undefined;
  if (!comment || (step !== undefined && comment.step !== step)) return undefined;
  return `📝 退回意见：${comment.target ? `${escapeHtml(comment.target)}：` : ""}${escapeHtml(comment.text)}`;
}
