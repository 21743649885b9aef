import { type Composer, InlineKeyboard, InputFile } from "grammy";
import { uncheckedCrossYear } from "../../form/cross-year.js";
import type { Finding } from "../../form/finding.js";
import { exportReport } from "../../form/load-report.js";
import { suggestedReportDate } from "../../form/report-date.js";
import { draftFingerprint } from "../../form/report-state.js";
import { type ReportSummary, reportSummary, summaryLine } from "../../form/report-summary.js";
import { computeValues } from "../../form/totals.js";
import { hasVisibleText } from "../../form/visible-text.js";
import { reportTitle } from "../../report/report-text.js";
import { MESSAGE_LIMIT } from "../../report/split-text.js";
import { narrativePreview, tablePreview } from "../../report/table-preview.js";
import type { StoredReport } from "../../store/store.js";
import { encodeCallback } from "../callback-data.js";
import { onReportAction } from "../callbacks.js";
import { BotComposer } from "../composer.js";
import type { BotContext } from "../context.js";
import { safeFileName } from "../file-name.js";
import { escapeHtml } from "../html.js";
import { sendAck, writeOnce } from "../once-only.js";
import { currentReport, mutateReport } from "../report-access.js";
import { findingsOf, flowOf } from "../report-view.js";
import { documentKey, documentSent, sentJustNow } from "../sent-documents.js";
import { checkMessages, findingsStamp } from "../views/findings.js";
import { findingLines, type View } from "../views/question.js";
import { NO_REPORT } from "../views/replies.js";
import { contactQuestion, dateQuestion, warningQuestion } from "../views/report-steps.js";

/**
 * The end of the way: /check lists what the checks found (each with a button
 * to its question), /preview shows the whole report in the chat, /report
 * builds the .docx (errors block the final version; the 成文日期, a missing
 * contact and each warning are asked about first) and its 网页版, /export
 * sends the interchange JSON.
 */

/** Findings messages are split well below Telegram's limit (DESIGN: long lists are split). */
const CHECK_LIMIT = 3500;
/** How many findings the /report refusal lists before "还有 N 个". */
const LISTED = 10;

/** A render that failed or took too long (the worker's error is logged, not shown). */
const renderFailed = (what: string) => `抱歉，这次没能生成${what}。填写的内容都已保存，不受影响；请稍后再发 /report。`;

const DRAFT = "draft";
const FINAL = "ok";
const STAMP_LENGTH = 6;

/** A button of an older state: errors appeared or went away, or the warnings changed. */
async function changedSince(ctx: BotContext, report: StoredReport): Promise<void> {
  await ctx.answerCallbackQuery({ text: "报告已有改动，请看最新的核对结果。" });
  await startReport(ctx, report);
}

// --- /check ---

export async function sendCheck(ctx: BotContext, report: StoredReport): Promise<void> {
  const summary = summaryOf(ctx, report);
  // Last year's report in another format: say which cross-year checks could not be made.
  const unchecked = uncheckedCrossYear(flowOf(ctx.deps, report), report.previous);
  const note =
    unchecked.length > 0 && report.previous
      ? ["", `ℹ️ 去年的报告是${report.previous.format}年格式，以下跨年核对无法进行：${escapeHtml(unchecked.join("；"))}`]
      : [];
  if (summary.ready && summary.warnings.length === 0) {
    await ctx.reply(["✅ 核对完毕，没有发现问题。可以发 /report 生成报告。", ...note].join("\n"));
    return;
  }
  // Errors first, then the unanswered sections (one "missing" finding per section), then warnings.
  const head = [`<b>核对结果</b>：${summaryLine(summary)}`];
  const tail = [
    "",
    summary.ready
      ? "提醒不影响生成，核实后发 /report；点「改 N」去改第 N 项。"
      : "点「改 N」去改第 N 项，或发 /sections 找到它；有错误或未填完时 /report 只能生成草稿。",
    ...note,
  ];
  const sections = [
    { heading: "错误（须改正）", findings: summary.errors },
    { heading: "未填完", findings: summary.missing },
    { heading: "提醒（请核实）", findings: summary.warnings },
  ];
  const flow = flowOf(ctx.deps, report);
  for (const message of checkMessages(flow, report.id, sections, head, tail, CHECK_LIMIT))
    await ctx.reply(message.text, message.keyboard ? { reply_markup: message.keyboard } : {});
}

/** The counts of every view (form/report-summary.ts), the same for the card, /check and /report. */
const summaryOf = (ctx: BotContext, report: StoredReport): ReportSummary =>
  reportSummary(flowOf(ctx.deps, report), findingsOf(ctx.deps, report));

// --- /preview ---

export async function sendPreview(ctx: BotContext, report: StoredReport): Promise<void> {
  const flow = flowOf(ctx.deps, report);
  const { draft } = report;
  // narrativePreview keeps each piece at 4,000 characters; Telegram counts after entity parsing, so escaping adds nothing.
  for (const text of narrativePreview(flow, draft)) {
    if (text.trim()) await ctx.reply(escapeHtml(text));
  }
  const values = computeValues(flow, draft.cells);
  for (const section of flow.sections) {
    for (const table of section.tables) {
      const head = `${section.heading}\n${table.name}`;
      // Room for the heading and the line break before the table; tablePreview notes rows it had to leave out.
      const body = tablePreview(flow, table, values, { maxLength: MESSAGE_LIMIT - head.length - 8 });
      await ctx.reply(`<b>${escapeHtml(head)}</b>\n<pre>${escapeHtml(body)}</pre>`);
    }
  }
  await ctx.reply("预览完毕。发 /check 核对，发 /report 生成 Word 报告。");
}

// --- /report ---

/** What /report was told already in this run: a contact skipped, and what was just saved (said first). */
interface ReportRun {
  contactSkipped?: boolean;
  before?: string;
}

/**
 * Runs every check. Errors or unanswered sections offer only a 草稿. Before a
 * final document: the 成文日期 (a suggested date to confirm), the contact when
 * missing (it may be skipped), then each warning in turn; a clean report is
 * built at once.
 */
export async function startReport(ctx: BotContext, report: StoredReport, run: ReportRun = {}): Promise<void> {
  const summary = summaryOf(ctx, report);
  // After a setting was saved, the message carries that acknowledgement too, and marks it as sent.
  const say = (view: View) => {
    const other = view.keyboard ? { reply_markup: view.keyboard } : {};
    return run.before ? sendAck(ctx, `${run.before}\n\n${view.text}`, other) : ctx.reply(view.text, other);
  };
  if (!summary.ready) {
    const text = [
      `核对结果：${summaryLine(summary)}。还不能生成正式报告：`,
      ...listed(blocking(summary)),
      "",
      "改正、填完后再发 /report。也可以先生成一份草稿，第一页列出这些问题和提醒。",
    ].join("\n");
    await say({ text, keyboard: new InlineKeyboard().text("生成草稿", encodeCallback("finalize", report.id, DRAFT)) });
    return;
  }
  if (!report.draft.date) {
    await say(dateQuestion(report, suggestedReportDate(report.draft.year, ctx.deps.now())));
    return;
  }
  if (!hasVisibleText(report.draft.contact) && !run.contactSkipped) {
    await say(contactQuestion(report));
    return;
  }
  if (summary.warnings.length > 0) {
    await say(warningQuestion(flowOf(ctx.deps, report), report, summary.warnings, 0, summaryLine(summary)));
    return;
  }
  // An update writes once (once-only.ts): after a setting was saved, the document (which records
  // the report as finished) comes from the officer's next tap.
  if (run.before) {
    const keyboard = new InlineKeyboard().text("生成正式报告", encodeCallback("finalize", report.id, FINAL));
    await say({ text: "没有要核实的提醒了。", keyboard });
    return;
  }
  await sendDocx(ctx, report, []);
}

/** What keeps the final document back (a 草稿 lists them at its end): errors, then unanswered sections. */
const blocking = (summary: ReportSummary): Finding[] => [...summary.errors, ...summary.missing];

/** The first few findings, one line each, and how many more there are. */
function listed(findings: Finding[]): string[] {
  const lines = findingLines(findings.slice(0, LISTED));
  if (findings.length > LISTED) lines.push(`……还有 ${findings.length - LISTED} 个，发 /check 看全部。`);
  return lines;
}

/**
 * `problems` non-empty makes the document a 草稿 listing them on its first
 * page. Sent once per update (recorded by the once-only write once Telegram
 * accepted it) and once per unchanged content within AGAIN_WITHIN_MS.
 */
async function sendDocx(ctx: BotContext, report: StoredReport, problems: Finding[]): Promise<void> {
  const { draft } = report;
  const isDraft = problems.length > 0;
  const key = documentKey(ctx, report.id, isDraft ? "draft" : "final", draftFingerprint(draft));
  if (await sentJustNow(ctx, key, isDraft ? "正在生成草稿……" : "正在生成报告……")) return;
  await ctx.replyWithChatAction("upload_document");
  let buffer: Uint8Array;
  try {
    buffer = await ctx.deps.renderDocx(draft, { problems });
  } catch (error) {
    logRenderFailure(ctx, report, error);
    await ctx.reply(renderFailed(" Word 文件"));
    return;
  }
  const fileName = safeFileName(`${reportTitle(draft)}${isDraft ? "（草稿）" : ""}.docx`);
  ctx.log.info({ reportId: report.id, version: report.version, isDraft, bytes: buffer.length }, "report built");
  const errors = problems.filter((f) => f.severity === "error").length;
  const warnings = problems.length - errors;
  await ctx.replyWithDocument(new InputFile(buffer, fileName), {
    caption: isDraft
      ? `草稿：${errors} 个问题（错误和未填完的部分）${warnings > 0 ? `、${warnings} 个提醒` : ""}列在第一页。改好后发 /report 生成正式报告。`
      : "报告已生成。请在 Word 里再看一遍，盖章后发布。要在网站上发布，点「网页版」。",
    reply_markup: new InlineKeyboard().text("网页版", encodeCallback("web", report.id)),
  });
  documentSent(ctx, key);
  // The same update handled again (redelivered, or retried from the inbox) then sends nothing.
  if (isDraft || !(await recordFinal(ctx, report))) await writeOnce(ctx, {}, "");
}

function logRenderFailure(ctx: BotContext, report: StoredReport, error: unknown): void {
  const { name, message } = error instanceof Error ? error : new Error(String(error));
  ctx.log.error({ reportId: report.id, version: report.version, error: { name, message } }, "report render failed");
}

/**
 * 网页版: the report as one .html to paste into the website's editor. It is
 * the final text while the report is what the final document was built for;
 * otherwise a 草稿 listing every finding, as the .docx draft does.
 */
async function sendHtml(ctx: BotContext, report: StoredReport): Promise<void> {
  const { draft } = report;
  const final = report.finalized?.fingerprint === draftFingerprint(draft);
  const problems = final ? [] : findingsOf(ctx.deps, report);
  const isDraft = problems.length > 0;
  const key = documentKey(ctx, report.id, isDraft ? "html-draft" : "html", draftFingerprint(draft));
  if (await sentJustNow(ctx, key, "正在生成网页版……")) return;
  await ctx.replyWithChatAction("upload_document");
  let html: string;
  try {
    html = await ctx.deps.renderHtml(draft, { problems });
  } catch (error) {
    logRenderFailure(ctx, report, error);
    await ctx.reply(renderFailed("网页版"));
    return;
  }
  const fileName = safeFileName(`${reportTitle(draft)}${isDraft ? "（草稿）" : ""}.html`);
  await ctx.replyWithDocument(new InputFile(Buffer.from(html, "utf8"), fileName), {
    caption: isDraft
      ? "网页版草稿：问题列在最前面。生成正式报告后再点「网页版」。"
      : "网页版：用浏览器打开，全选复制，粘贴到网站的编辑器里。",
  });
  documentSent(ctx, key);
  await writeOnce(ctx, {}, "");
}

/**
 * The final document reached the officer: the report is 已完成 while its
 * content stays what the document was generated for (form/report-state.ts),
 * so reminders stop and the card says so.
 */
async function recordFinal(ctx: BotContext, report: StoredReport): Promise<boolean> {
  const finalized = { at: ctx.deps.now().toISOString(), fingerprint: draftFingerprint(report.draft) };
  const result = await mutateReport(ctx, report, (r) =>
    r.finalized?.fingerprint === finalized.fingerprint ? "已记录" : { change: { finalized } },
  );
  if (!result.ok && !result.repeat && result.reason !== "已记录")
    ctx.log.warn({ reportId: report.id }, "finalization not recorded");
  return result.ok;
}

// --- /export ---

async function sendExport(ctx: BotContext, report: StoredReport): Promise<void> {
  const fileName = safeFileName(`${reportTitle(report.draft)}.json`);
  await ctx.replyWithChatAction("upload_document");
  await ctx.replyWithDocument(new InputFile(Buffer.from(exportReport(report.draft), "utf8"), fileName), {
    caption: "数据文件（JSON）：可以备份，也可以发给我导入。",
  });
}

// --- Wiring ---

export function finalizeFeature(): Composer<BotContext> {
  const composer = new BotComposer<BotContext>();
  const withReport = (action: (ctx: BotContext, report: StoredReport) => Promise<void>) => async (ctx: BotContext) => {
    const report = await currentReport(ctx);
    if (report) await action(ctx, report);
    else await ctx.reply(NO_REPORT);
  };
  composer.command("check", withReport(sendCheck));
  composer.command("preview", withReport(sendPreview));
  composer.command("report", withReport(startReport));
  composer.command("export", withReport(sendExport));

  // `report` is the stored report as it is now (onReportAction reloads it), so the checks run again:
  // a confirmation pressed after errors appeared must not produce a final document.
  onReportAction(composer, ["finalize"], async (ctx, callback, report) => {
    const summary = summaryOf(ctx, report);
    if (callback.arg === DRAFT && !summary.ready) {
      // The draft lists the warnings too, so a reviewer sees everything still open.
      await sendDocx(ctx, report, [...blocking(summary), ...summary.warnings]);
    } else if (callback.arg === FINAL && summary.ready && summary.warnings.length === 0) {
      await sendDocx(ctx, report, []);
    } else await changedSince(ctx, report);
  });

  onReportAction(composer, ["skipContact"], async (ctx, _callback, report) => {
    await ctx.answerCallbackQuery();
    await startReport(ctx, report, { contactSkipped: true });
  });

  // Each warning confirmed in turn, or all at once; only the list the officer saw, with no error since.
  onReportAction(composer, ["warning"], async (ctx, callback, report) => {
    const { ready, warnings } = summaryOf(ctx, report);
    const index = Number(callback.arg.slice(1, -STAMP_LENGTH));
    const stamp = callback.arg.slice(-STAMP_LENGTH);
    if (!ready || findingsStamp(warnings) !== stamp || !warnings[index]) {
      await changedSince(ctx, report);
      return;
    }
    if (callback.arg.startsWith("c") && index + 1 < warnings.length) {
      await ctx.answerCallbackQuery();
      const view = warningQuestion(flowOf(ctx.deps, report), report, warnings, index + 1);
      await ctx.reply(view.text, { reply_markup: view.keyboard });
      return;
    }
    await sendDocx(ctx, report, []);
  });

  onReportAction(composer, ["web"], (ctx, _callback, report) => sendHtml(ctx, report));
  return composer;
}
