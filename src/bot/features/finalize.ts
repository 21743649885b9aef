import { Composer, InlineKeyboard, InputFile } from "grammy";
import { BoundedCache } from "../../bounded-cache.js";
import { uncheckedCrossYear } from "../../form/cross-year.js";
import type { Finding } from "../../form/finding.js";
import { exportReport } from "../../form/load-report.js";
import { draftFingerprint } from "../../form/report-state.js";
import { type ReportSummary, reportSummary, summaryLine } from "../../form/report-summary.js";
import { computeValues } from "../../form/totals.js";
import { reportTitle } from "../../report/report-text.js";
import { MESSAGE_LIMIT } from "../../report/split-text.js";
import { narrativePreview, tablePreview } from "../../report/table-preview.js";
import type { StoredReport } from "../../store/store.js";
import { encodeCallback } from "../callback-data.js";
import { onReportAction } from "../callbacks.js";
import type { BotContext } from "../context.js";
import { safeFileName } from "../file-name.js";
import { escapeHtml, packLines } from "../html.js";
import { writeOnce } from "../once-only.js";
import { currentReport, mutateReport } from "../report-access.js";
import { findingsOf, flowOf } from "../report-view.js";
import { findingLines } from "../views/question.js";
import { NO_REPORT } from "../views/replies.js";

/**
 * The end of the way: /check lists what the checks found, /preview shows the
 * whole report in the chat, /report builds the .docx (errors block the final
 * version, warnings need one confirmation), /export sends the interchange JSON.
 */

/** Findings messages are split well below Telegram's limit (DESIGN: long lists are split). */
const CHECK_LIMIT = 3500;
/** How many findings the /report refusal lists before "还有 N 个". */
const LISTED = 10;

/** A render that failed or took too long (the worker's error is logged, not shown). */
const RENDER_FAILED = "抱歉，这次没能生成 Word 文件。填写的内容都已保存，不受影响；请稍后再发 /report。";

const DRAFT = "draft";
const CONFIRM = "ok";

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
  for (const message of packLines([...checkLines(summary), ...note], CHECK_LIMIT)) {
    await ctx.reply(message);
  }
}

/** The counts of every view (form/report-summary.ts), the same for the card, /check and /report. */
const summaryOf = (ctx: BotContext, report: StoredReport): ReportSummary =>
  reportSummary(flowOf(ctx.deps, report), report.draft, findingsOf(ctx.deps, report));

/** Errors first, then the unanswered sections (one "missing" finding per section), then warnings. */
function checkLines(summary: ReportSummary): string[] {
  const { errors, missing, warnings } = summary;
  const lines = [`<b>核对结果</b>：${summaryLine(summary)}`];
  if (errors.length > 0) lines.push("", "<b>错误（须改正）</b>", ...findingLines(errors));
  if (missing.length > 0) lines.push("", "<b>未填完</b>", ...findingLines(missing));
  if (warnings.length > 0) lines.push("", "<b>提醒（请核实）</b>", ...findingLines(warnings));
  lines.push(
    "",
    summary.ready
      ? "提醒不影响生成，核实后发 /report。"
      : "发 /sections 找到要改的项；有错误或未填完时 /report 只能生成草稿。",
  );
  return lines;
}

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

/**
 * Runs every check: errors or unanswered sections offer only a 草稿, warnings
 * ask for one confirmation, a clean report is built at once.
 */
export async function startReport(ctx: BotContext, report: StoredReport): Promise<void> {
  const summary = summaryOf(ctx, report);
  if (!summary.ready) {
    await ctx.reply(
      [
        `核对结果：${summaryLine(summary)}。还不能生成正式报告：`,
        ...listed(blocking(summary)),
        "",
        "改正、填完后再发 /report。也可以先生成一份草稿，文末列出这些问题。",
      ].join("\n"),
      { reply_markup: new InlineKeyboard().text("生成草稿", encodeCallback("finalize", report.id, DRAFT)) },
    );
    return;
  }
  if (summary.warnings.length > 0) {
    await ctx.reply(
      [
        `核对结果：${summaryLine(summary)}，请核实：`,
        ...listed(summary.warnings),
        "",
        "核实无误就点「确认生成」。",
      ].join("\n"),
      { reply_markup: new InlineKeyboard().text("确认生成", encodeCallback("finalize", report.id, CONFIRM)) },
    );
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

/** A second tap of 生成草稿 or 确认生成 (or /report again) this soon after, on unchanged content, sends no second document. */
const AGAIN_WITHIN_MS = 60_000;
const SENT_JUST_NOW = "这份文件刚刚发过，内容没有改动，往上翻就能找到。";
/** When each document was last sent, by chat, report, kind and content (one chat's updates come one at a time). */
const sentDocuments = new BoundedCache<string, number>(1000);

/**
 * `problems` non-empty makes the document a 草稿 listing them. Sent once per
 * update (recorded by the once-only write once Telegram accepted it) and once
 * per unchanged content within AGAIN_WITHIN_MS.
 */
async function sendDocx(ctx: BotContext, report: StoredReport, problems: Finding[]): Promise<void> {
  const { draft } = report;
  const isDraft = problems.length > 0;
  const key = `${ctx.chat?.id}:${report.id}:${isDraft ? "draft" : "final"}:${draftFingerprint(draft)}`;
  const now = ctx.deps.now().getTime();
  const sentAt = sentDocuments.get(key);
  const again = sentAt !== undefined && now - sentAt < AGAIN_WITHIN_MS;
  if (ctx.callbackQuery)
    await ctx.answerCallbackQuery({ text: again ? SENT_JUST_NOW : isDraft ? "正在生成草稿……" : "正在生成报告……" });
  else if (again) await ctx.reply(SENT_JUST_NOW);
  if (again) return;
  await ctx.replyWithChatAction("upload_document");
  let buffer: Uint8Array;
  try {
    buffer = await ctx.deps.renderDocx(draft, { problems });
  } catch (error) {
    const { name, message } = error instanceof Error ? error : new Error(String(error));
    ctx.log.error({ reportId: report.id, version: report.version, error: { name, message } }, "report render failed");
    await ctx.reply(RENDER_FAILED);
    return;
  }
  const fileName = safeFileName(`${reportTitle(draft)}${isDraft ? "（草稿）" : ""}.docx`);
  ctx.log.info({ reportId: report.id, version: report.version, isDraft, bytes: buffer.length }, "report built");
  await ctx.replyWithDocument(new InputFile(buffer, fileName), {
    caption: isDraft
      ? `草稿：还有 ${problems.length} 个问题（错误和未填完的部分），已列在文末。改好后发 /report 生成正式报告。`
      : "报告已生成。请在 Word 里再看一遍，盖章后发布。",
  });
  sentDocuments.set(key, now);
  // The same update handled again (redelivered, or retried from the inbox) then sends nothing.
  if (isDraft || !(await recordFinal(ctx, report))) await writeOnce(ctx, {}, "");
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
  const composer = new Composer<BotContext>();
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
  // a 确认生成 pressed after errors appeared must not produce a final document.
  onReportAction(composer, ["finalize"], async (ctx, callback, report) => {
    const summary = summaryOf(ctx, report);
    if (callback.arg === DRAFT && !summary.ready) {
      await sendDocx(ctx, report, blocking(summary));
    } else if (callback.arg === CONFIRM && summary.ready) {
      await sendDocx(ctx, report, []);
    } else {
      // The report changed since the button was sent: errors appeared (no final) or went away (no draft needed).
      await ctx.answerCallbackQuery({ text: "报告已有改动，请看最新的核对结果。" });
      await startReport(ctx, report);
    }
  });
  return composer;
}
