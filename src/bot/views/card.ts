import { InlineKeyboard } from "grammy";
import type { Finding } from "../../form/finding.js";
import type { Flow } from "../../form/flow-schema.js";
import { sectionProgress } from "../../form/form-steps.js";
import type { StoredReport } from "../../store/store.js";
import { encodeCallback } from "../callback-data.js";
import { escapeHtml } from "../html.js";
import { deadlineLines } from "./deadline.js";
import type { View } from "./question.js";

/**
 * The report card: unit, year, progress, open problems, deadline and days
 * left, with the main buttons. Pure, so anything that knows the report (a
 * reminder, too) can send it.
 */
export function cardView(flow: Flow, report: StoredReport, now: Date, findings: readonly Finding[]): View {
  const sections = sectionProgress(flow, report.draft);
  const done = sections.filter((s) => s.answered === s.total).length;
  const problems = findings.filter((f) => f.rule !== "missing");
  const errors = problems.filter((f) => f.severity === "error").length;
  const lines = [
    `<b>${escapeHtml(report.draft.org)} ${report.draft.year}年度</b>（${report.draft.format}年格式）`,
    `进度：${done}/${sections.length} 部分已填完`,
    problems.length === 0 ? "问题：暂无" : `问题：${errors} 个错误，${problems.length - errors} 个提醒`,
    ...deadlineLines(report, now),
  ];
  const id = report.id;
  const keyboard = new InlineKeyboard()
    .text("继续填写", encodeCallback("card", id, "fill"))
    .text("各部分", encodeCallback("sections", id))
    .row()
    .text("核对", encodeCallback("card", id, "check"))
    .text("预览", encodeCallback("card", id, "preview"))
    .row()
    .text("生成报告", encodeCallback("card", id, "report"))
    .text("设置", encodeCallback("card", id, "settings"));
  return { text: lines.join("\n"), keyboard };
}
