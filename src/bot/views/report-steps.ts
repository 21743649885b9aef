import { InlineKeyboard } from "grammy";
import { chineseDate } from "../../form/deadline.js";
import type { Finding } from "../../form/finding.js";
import type { Flow } from "../../form/flow-schema.js";
import type { StoredReport } from "../../store/store.js";
import { encodeCallback } from "../callback-data.js";
import { findingPlace, findingsStamp, findingText, targetData } from "./findings.js";
import type { View } from "./question.js";

/** /report's questions before a final document, one message each: the 成文日期, the contact, each warning. */

/** The date is suggested when a report of its year may carry today (form/report-date.ts); else asked for. */
export function dateQuestion(report: StoredReport, suggested: string | undefined): View {
  const keyboard = new InlineKeyboard();
  if (!suggested) {
    keyboard.text("填写成文日期", encodeCallback("reportAsk", report.id, "date"));
    return { text: "这份报告还没有成文日期（印在报告末尾单位名称下）。请点「填写成文日期」。", keyboard };
  }
  keyboard
    .text("用这个", encodeCallback("reportDate", report.id, suggested.replaceAll("-", "")))
    .text("改日期", encodeCallback("reportAsk", report.id, "date"));
  return { text: `成文日期（印在报告末尾单位名称下）用 ${chineseDate(suggested)}？`, keyboard };
}

export function contactQuestion(report: StoredReport): View {
  const keyboard = new InlineKeyboard()
    .text("填写联系方式", encodeCallback("reportAsk", report.id, "contact"))
    .text("跳过", encodeCallback("skipContact", report.id));
  const text = [
    "报告开头一般写明电子版的下载网址和咨询电话，这份报告还没有。",
    "请点「填写联系方式」；不写就点「跳过」。",
  ].join("\n");
  return { text, keyboard };
}

/**
 * Warning `index` of `warnings`: confirm it (the last confirmation builds the
 * final document), or all at once, or go and change it. The buttons carry the
 * stamp of the list, so a list that changed meanwhile is asked about again.
 * `counts` (the report's summary line) opens the first question.
 */
export function warningQuestion(
  flow: Flow,
  report: StoredReport,
  warnings: Finding[],
  index: number,
  counts?: string,
): View {
  const warning = warnings[index];
  if (!warning) throw new Error(`no warning ${index}`);
  const stamp = findingsStamp(warnings);
  const last = index === warnings.length - 1;
  const lines = counts ? [`核对结果：${counts}。生成正式报告前，请逐个核实。`, ""] : [];
  lines.push(`提醒 ${index + 1}/${warnings.length}：`, findingText(flow, warning), "");
  const { target } = findingPlace(flow, warning);
  lines.push(target ? "无误就点「已核实」；要改就点「去修改」。" : "无误就点「已核实」。");
  const keyboard = new InlineKeyboard().text(
    last ? "已核实，生成正式报告" : "已核实",
    encodeCallback("warning", report.id, `c${index}${stamp}`),
  );
  if (target) keyboard.text("去修改", targetData(report.id, target));
  if (!last) keyboard.row().text("全部已核实，生成正式报告", encodeCallback("warning", report.id, `a${index}${stamp}`));
  return { text: lines.join("\n"), keyboard };
}
