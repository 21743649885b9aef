import { InlineKeyboard } from "grammy";
import type { Finding } from "../../form/finding.js";
import type { Flow } from "../../form/flow-schema.js";
import { REPORT_STATE_LABEL, type ReportState } from "../../form/report-state.js";
import { reportSummary, summaryLine } from "../../form/report-summary.js";
import type { StoredReport } from "../../store/store.js";
import { encodeCallback } from "../callback-data.js";
import { escapeHtml } from "../html.js";
import { deadlineLines } from "./deadline.js";
import type { View } from "./question.js";

/**
 * The messages the reminder scheduler sends, pure: one per officer and
 * stage, listing every unfinished report of theirs, and the invitation to
 * start next year's report from a finished one.
 */

export interface ReminderItem {
  report: StoredReport;
  flow: Flow;
  findings: readonly Finding[];
  state: ReportState;
}

const LABEL_ORG = 14;
/** Telegram's 4,096 characters, with room for the heading. */
const MAX_ITEMS = 10;

export function reminderView(items: readonly ReminderItem[], now: Date): View {
  const shown = items.slice(0, MAX_ITEMS);
  const keyboard = new InlineKeyboard();
  const blocks = shown.map(({ report, flow, findings, state }) => {
    const summary = reportSummary(flow, findings);
    const open = flow.sections.filter((section) =>
      summary.missing.some((f) => f.message.startsWith(`${section.heading}：`)),
    );
    const org = [...report.draft.org];
    const short = org.length > LABEL_ORG ? `${org.slice(0, LABEL_ORG - 1).join("")}…` : report.draft.org;
    keyboard.text(`继续填写 · ${short} ${report.draft.year}`, encodeCallback("resume", report.id)).row();
    return [
      `<b>${escapeHtml(report.draft.org)} ${report.draft.year}年度</b>（${REPORT_STATE_LABEL[state]}）`,
      open.length > 0 ? `未填完：${open.map((s) => s.heading).join("；")}` : "各部分都已填完，还没有生成正式报告",
      `问题：${summaryLine(summary)}`,
      ...deadlineLines(report, now),
    ].join("\n");
  });
  const more = items.length > shown.length ? [`……另有 ${items.length - shown.length} 份，发 /reports 查看。`] : [];
  const text = ["⏰ <b>年报填报提醒</b>", ...blocks, ...more, "不想再收到某份报告的提醒，可在 /settings 里关闭。"].join(
    "\n\n",
  );
  return { text, keyboard };
}

/** On 1 December: last year's report is finished, this year's can start from it. */
export function newYearView(previous: StoredReport): View {
  const year = previous.draft.year + 1;
  return {
    text: [
      `🗓 <b>${escapeHtml(previous.draft.org)} ${year}年度</b>的年报可以开始填了。`,
      `点下面的按钮新建，${previous.draft.year}年报告里的结转数会带入，逐项确认即可。`,
    ].join("\n"),
    keyboard: new InlineKeyboard().text(`新建 ${year} 年度年报`, encodeCallback("newYear", previous.id)),
  };
}
