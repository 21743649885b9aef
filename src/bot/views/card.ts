import { InlineKeyboard } from "grammy";
import type { Finding } from "../../form/finding.js";
import type { Flow } from "../../form/flow-schema.js";
import { reportSummary, summaryLine } from "../../form/report-summary.js";
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
  const summary = reportSummary(flow, findings);
  const lines = [
    `<b>${escapeHtml(report.draft.org)} ${report.draft.year}年度</b>（${report.draft.format}年格式）`,
    `进度：${summary.sectionsDone}/${summary.sectionsTotal} 部分已填完`,
    `问题：${summaryLine(summary)}`,
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

/** After the last answer: the findings in one line and where to go next, no question. */
export function finishView(flow: Flow, report: StoredReport, findings: readonly Finding[]): View {
  const summary = reportSummary(flow, findings);
  const lines = [
    "🎉 全部填完了！",
    `核对结果：${summaryLine(summary)}。`,
    summary.ready
      ? "发 /report 生成报告，或点「目录」修改。"
      : "点「核对」看问题，点「目录」修改；/report 可先生成草稿。",
  ];
  const id = report.id;
  const keyboard = new InlineKeyboard()
    .text("核对", encodeCallback("card", id, "check"))
    .text("生成报告", encodeCallback("card", id, "report"))
    .row()
    .text("目录", encodeCallback("sections", id));
  return { text: lines.join("\n"), keyboard };
}
