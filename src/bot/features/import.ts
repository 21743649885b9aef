import { randomBytes } from "node:crypto";
import { type Composer, InlineKeyboard } from "grammy";
import type { Document } from "grammy/types";
import { z } from "zod";
import { Draft } from "../../form/draft.js";
import type { Finding } from "../../form/finding.js";
import { nextOpenStep } from "../../form/form-steps.js";
import { draftProblem, loadReportFile, MAX_FILE_BYTES } from "../../form/load-report.js";
import { IMPORT_REFUSALS, type Imported, type ImportOptions, importReport } from "../../import/import-report.js";
import { importNotes, summaryLine, unplacedLines } from "../../import/import-summary.js";
import { DOC_REFUSALS } from "../../import/read-docx.js";
import { MAX_IMPORT_BYTES, readReportFile, tooLargeReason } from "../../import/read-file.js";
import { readText } from "../../import/read-text.js";
import type { SourceDocument } from "../../import/source-document.js";
import type { AuditEntry, StoredReport } from "../../store/store.js";
import { sendCard } from "../ask.js";
import { decodeEnvelope, encodeCallback, parseCallback } from "../callback-data.js";
import { onReportAction } from "../callbacks.js";
import { BotComposer } from "../composer.js";
import type { BotContext } from "../context.js";
import { escapeHtml } from "../html.js";
import { keepLastYearReport, leafCellsOnly } from "../last-year-report.js";
import { auditEntry, currentReport, mutateReport, replyRefusal } from "../report-access.js";
import { checkOrgName } from "../report-settings.js";
import { findingsOf } from "../report-view.js";
import { findingLines } from "../views/question.js";
import { NO_REPORT } from "../views/replies.js";

/**
 * Importing an interchange file (INTERCHANGE.md) sent as a document. A file of
 * the report's year replaces its answers after one confirmation; a file of the
 * year before becomes last year's report (cross-year checks, 沿用去年).
 * The pending import waits in the store under a random token that is also in
 * the buttons, so an old button can never apply a newer (or older) file.
 *
 * A report someone wrote (Word .docx, a saved web page, text, or text pasted
 * into the chat) is read by src/import/ and summarised; the officer then
 * chooses: last year's report (cross-year checks and the new year's
 * pre-fill), this year's draft (the confirmation above), or neither.
 */

const SHOWN_FINDINGS = 5;
const SHOWN_CROSS_YEAR = 8;
const SHOWN_ORG = 40;
const CROSS_YEAR_RULES = new Set(["C1", "C2", "C3", "C4", "R-similar"]);

const DOWNLOAD_FAILED = "文件没能下载下来，请再发一次。";
const EXPIRED = "这个按钮已过期，请重新发送文件。";
const CHANGED_SINCE = "你发文件之后报告又被改过，为免覆盖这些修改，没有导入。请重新发送文件。";

/** A confirmation that is waiting, per user. `draft` holds leaf cells only. */
const PendingImport = z.object({
  token: z.string(),
  reportId: z.string(),
  version: z.number().int(),
  draft: Draft,
});
type PendingImport = z.infer<typeof PendingImport>;

const pendingKey = (userId: number) => `import:${userId}`;

type Read = { ok: true; draft: Draft } | { ok: false; reason: string };

/** What can be refused without downloading: the size. */
function refuseUnseen(document: Document): string | undefined {
  if ((document.file_size ?? 0) > MAX_FILE_BYTES) return tooLarge(document.file_size ?? 0);
  return undefined;
}

function tooLarge(bytes: number): string {
  return `文件太大（${Math.ceil(bytes / 1024)} KB），数据文件不会超过 1 MB。请确认发的是 /export 导出的 .json 文件。`;
}

type Downloaded = { ok: true; bytes: Uint8Array } | { ok: false; reason: string };

/** The document's bytes, bounded in size (as Telegram states it, then as read) and time. */
async function download(
  ctx: BotContext,
  document: Document,
  maxBytes: number,
  tooBig: (bytes: number) => string,
): Promise<Downloaded> {
  const file = await ctx.api.getFile(document.file_id);
  if ((file.file_size ?? 0) > maxBytes) return { ok: false, reason: tooBig(file.file_size ?? 0) };
  if (!file.file_path) return { ok: false, reason: DOWNLOAD_FAILED };
  try {
    return { ok: true, bytes: await ctx.deps.downloadFile(file.file_path, maxBytes) };
  } catch (e) {
    ctx.log.warn({ filePath: file.file_path, error: (e as Error).message }, "document download failed");
    return { ok: false, reason: DOWNLOAD_FAILED };
  }
}

/** Downloads the document and loads it as an interchange file. */
async function readDocument(ctx: BotContext, document: Document): Promise<Read> {
  const got = await download(ctx, document, MAX_FILE_BYTES, tooLarge);
  if (!got.ok) return got;
  const bytes = got.bytes;
  // The same loader as the command line: size, strict UTF-8 (a BOM is fine), nesting, bounds.
  const loaded = loadReportFile(bytes, ctx.deps.flows);
  return loaded.ok ? loaded : { ok: false, reason: `文件读不了：${loaded.error}。请改好后再发。` };
}

function shortOrg(org: string): string {
  const chars = [...org];
  return chars.length > SHOWN_ORG ? `${chars.slice(0, SHOWN_ORG).join("")}…` : org;
}

function orgNote(file: Draft, report: StoredReport): string | undefined {
  if (file.org.trim() === report.draft.org.trim()) return undefined;
  return `⚠️ 文件里的单位是「${escapeHtml(shortOrg(file.org))}」，当前报告是「${escapeHtml(report.draft.org)}」。`;
}

/** Up to `limit` finding lines, with a note on how many more there are. */
function someFindings(findings: Finding[], limit: number): string[] {
  const lines = findingLines(findings.slice(0, limit));
  if (findings.length > limit) lines.push(`……另有 ${findings.length - limit} 条，发 /check 查看全部。`);
  return lines;
}

/** The draft after the import: the file's answers under the report's own unit, year and format. */
function importedDraft(current: Draft, file: Draft): Draft {
  const draft: Draft = { ...current, narrative: file.narrative, cells: file.cells };
  if (file.contact !== undefined) draft.contact = file.contact;
  return draft;
}

/** One audit entry per changed cell, narrative part and setting. */
function importAudit(ctx: BotContext, before: Draft, after: Draft): AuditEntry[] {
  const cellIds = new Set([...Object.keys(before.cells), ...Object.keys(after.cells)]);
  const partIds = new Set([...Object.keys(before.narrative), ...Object.keys(after.narrative)]) as Set<
    keyof Draft["narrative"]
  >;
  const entries = [...cellIds]
    .filter((id) => before.cells[id] !== after.cells[id])
    .map((id) => auditEntry(ctx, id, before.cells[id], after.cells[id]));
  for (const id of partIds)
    if ((before.narrative[id] ?? "") !== (after.narrative[id] ?? ""))
      entries.push(auditEntry(ctx, id, before.narrative[id], after.narrative[id]));
  if ((before.contact ?? "") !== (after.contact ?? ""))
    entries.push(auditEntry(ctx, "settings.contact", before.contact, after.contact));
  return entries;
}

/** A file of the report's year: show what the checks say about it and ask once before replacing. */
async function offerReplace(ctx: BotContext, report: StoredReport, file: Draft): Promise<void> {
  const userId = ctx.from?.id;
  if (userId === undefined) return;
  if (file.format !== report.draft.format) {
    await ctx.reply(`这个文件是 ${file.format} 年格式，当前报告用 ${report.draft.format} 年格式，不能导入。`);
    return;
  }
  const flow = ctx.deps.flows.flowFor(file.format);
  const stripped = leafCellsOnly(flow, file);
  const changes = importAudit(ctx, report.draft, importedDraft(report.draft, stripped));
  if (changes.length === 0) {
    await ctx.reply("文件里的数字和文字与当前报告完全一样，不用导入。");
    return;
  }
  // Checked with its totals as given, so a total that does not add up is shown.
  const all = findingsOf(ctx.deps, { draft: file, previous: report.previous });
  const open = all.filter((f) => f.rule === "missing").length;
  const findings = all.filter((f) => f.rule !== "missing");
  const errors = findings.filter((f) => f.severity === "error").length;
  const cellChanges = changes.filter((e) => e.target in report.draft.cells || e.target in stripped.cells).length;
  const partChanges = changes.filter(
    (e) => e.target in report.draft.narrative || e.target in stripped.narrative,
  ).length;

  const lines = [
    `📄 文件：${escapeHtml(shortOrg(file.org))} ${file.year}年度（${file.format}年格式）`,
    findings.length === 0
      ? "检查：数字和文字没有发现问题。"
      : `检查：${errors} 个错误，${findings.length - errors} 个提醒。`,
    ...someFindings(findings, SHOWN_FINDINGS),
  ];
  if (open > 0) lines.push(`还有 ${open} 个部分没填完，导入后可以接着填。`);
  const note = orgNote(file, report);
  if (note) lines.push(`${note}导入后单位名称仍是「${escapeHtml(report.draft.org)}」，要改请用 /settings。`);
  if (Object.keys(stripped.cells).length < Object.keys(file.cells).length)
    lines.push("文件里的总计只用来核对，导入后按各项重新计算。");
  lines.push(
    "",
    `导入会用文件替换当前报告的数字和文字（${cellChanges} 个数字、${partChanges} 段文字有变化${
      changes.length > cellChanges + partChanges ? "，联系方式也会更新" : ""
    }）。确认导入吗？`,
  );

  const token = randomBytes(6).toString("base64url");
  const pending: PendingImport = { token, reportId: report.id, version: report.version, draft: stripped };
  await ctx.deps.store.writeState(pendingKey(userId), pending);
  await ctx.reply(lines.join("\n"), {
    reply_markup: new InlineKeyboard()
      .text("确认导入", encodeCallback("importFile", report.id, `y${token}`))
      .text("取消", encodeCallback("importFile", report.id, `n${token}`)),
  });
}

async function applyPending(ctx: BotContext, report: StoredReport, pending: PendingImport): Promise<void> {
  const flow = ctx.deps.flows.flowFor(report.draft.format);
  let changed = 0;
  const result = await mutateReport(ctx, report, (r) => {
    if (r.version !== pending.version) return CHANGED_SINCE;
    const draft = importedDraft(r.draft, pending.draft);
    const audit = importAudit(ctx, r.draft, draft);
    changed = audit.length;
    return { change: { draft, cursor: nextOpenStep(flow, draft)?.index ?? 0 }, audit };
  });
  await ctx.deps.store.deleteState(pendingKey(ctx.from?.id ?? 0));
  if (!result.ok) return replyRefusal(ctx, result);
  const before = `✅ 已导入，共 ${changed} 处改动（可发 /history 查看）。单位名称仍是「${escapeHtml(result.report.draft.org)}」。`;
  await sendCard(ctx, result.report, before);
}

/** A file of the year before: kept as last year's report, and the cross-year findings it brings. */
async function keepAsPrevious(ctx: BotContext, report: StoredReport, file: Draft): Promise<void> {
  const previous = leafCellsOnly(ctx.deps.flows.flowFor(file.format), file);
  const label = (d: Draft) => `${d.org} ${d.year}年度`;
  let replaced = false;
  const result = await mutateReport(ctx, report, (r) => {
    replaced = r.previous !== undefined;
    return {
      change: { previous },
      audit: [auditEntry(ctx, "previous", r.previous ? label(r.previous) : null, label(previous))],
    };
  });
  if (!result.ok) return replyRefusal(ctx, result);
  const crossYear = findingsOf(ctx.deps, result.report).filter((f) => CROSS_YEAR_RULES.has(f.rule));
  const lines = [
    `✅ 已保存为去年的报告：${escapeHtml(shortOrg(file.org))} ${file.year}年度${replaced ? "（替换了原来的）" : ""}。`,
    "核对时会和它比对（如上年结转），填写文字时可以点「沿用去年」。",
  ];
  const note = orgNote(file, result.report);
  if (note) lines.push(note);
  lines.push(
    ...(crossYear.length === 0
      ? ["跨年核对：目前没有发现问题。"]
      : ["跨年核对发现：", ...someFindings(crossYear, SHOWN_CROSS_YEAR)]),
  );
  await ctx.reply(lines.join("\n"));
}

const isJsonDocument = (document: Document) =>
  document.file_name?.toLowerCase().endsWith(".json") || document.mime_type === "application/json";

async function onDocument(ctx: BotContext, document: Document): Promise<void> {
  if (!isJsonDocument(document)) return onReportDocument(ctx, document);
  const refused = refuseUnseen(document);
  if (refused) {
    await ctx.reply(refused);
    return;
  }
  const report = await currentReport(ctx);
  if (!report) {
    await ctx.reply(NO_REPORT);
    return;
  }
  const read = await readDocument(ctx, document);
  if (!read.ok) {
    await ctx.reply(escapeHtml(read.reason));
    return;
  }
  const file = read.draft;
  const year = report.draft.year;
  if (file.year === year) await offerReplace(ctx, report, file);
  else if (file.year === year - 1) await keepAsPrevious(ctx, report, file);
  else
    await ctx.reply(
      `这个文件是 ${file.year} 年度的，当前报告是 ${year} 年度。只能导入本年度的报告，或上一年度（${year - 1}）的报告用于跨年核对。\n` +
        `要导入 ${file.year} 年度的报告，请先发 /new 单位名称 ${file.year} 新建那一年的报告，再发这个文件。`,
    );
}

// --- A report someone wrote: .docx, a saved web page, text (sent or pasted). ---

const SHOWN_UNPLACED = 30;
const READ_EXPIRED = "这个按钮已过期，请重新发送报告。";
/** Pasted text is taken for a report only when it holds two labels of the report's tables, which no answer would. */
const TABLE_WORDS = [
  "本年新收政府信息公开申请数量",
  "上年结转政府信息公开申请数量",
  "信息内容",
  "第二十条第",
  "行政复议",
];
/** Two of the table words (every answer of the form is asked this: a loop, no array). */
function looksLikePastedReport(text: string): boolean {
  let found = 0;
  for (const word of TABLE_WORDS) if (text.includes(word) && ++found === 2) return true;
  return false;
}
const NAME_IT = "发文件时在“说明”里写上单位和年度（例如：大关街道 2022）再发一次。";

/** A report read and shown, waiting for the officer's choice. `draft` keeps the totals the file printed. */
const PendingRead = z.object({ token: z.string(), draft: Draft });
type PendingRead = z.infer<typeof PendingRead>;
const readKey = (userId: number) => `importRead:${userId}`;

/** Downloads a document that is not an interchange file and reads its paragraphs and tables. */
async function readReportDocument(
  ctx: BotContext,
  document: Document,
): Promise<{ ok: true; source: SourceDocument } | { ok: false; reason: string }> {
  if ((document.file_size ?? 0) > MAX_IMPORT_BYTES)
    return { ok: false, reason: tooLargeReason(document.file_size ?? 0) };
  const name = document.file_name ?? "";
  if (/\.doc$/i.test(name)) return { ok: false, reason: DOC_REFUSALS.legacyDoc };
  const got = await download(ctx, document, MAX_IMPORT_BYTES, tooLargeReason);
  return got.ok ? readReportFile(got.bytes, name) : got;
}

/** Unit and year the officer wrote in the document's caption ("大关街道 2022"), over what the file says. */
export function captionOverrides(caption: string | undefined): ImportOptions {
  const text = caption?.trim() ?? "";
  const year = /(?:^|\s)(\d{4})\s*(?:年度?)?$/.exec(text);
  const org = (year ? text.slice(0, year.index) : text).trim();
  return { ...(year ? { year: Number(year[1]) } : {}), ...(org && !checkOrgName(org) ? { org } : {}) };
}

/**
 * Reads the report with the caption's unit and year; a file whose title names
 * no unit is taken for the officer's own (shown in the summary, so they confirm).
 * The same bounds as an interchange file apply: a 100,000-character part is not let in this way either.
 */
function readAsReport(
  source: SourceDocument,
  ctx: BotContext,
  report: StoredReport | undefined,
  options: ImportOptions,
) {
  let result = importReport(source, ctx.deps.flows, options);
  if (!result.ok && result.reason === IMPORT_REFUSALS.noOrg && report)
    result = importReport(source, ctx.deps.flows, { ...options, org: report.draft.org });
  const problem = result.ok ? draftProblem(ctx.deps.flows.flowFor(result.draft.format), result.draft) : undefined;
  return problem ? { ok: false as const, reason: `文件读不了：${problem}。` } : result;
}

function readSummary(result: Imported): string {
  const unplaced = unplacedLines(result);
  const lines = [`📄 ${summaryLine(result)}。`];
  if (unplaced.length > 0) {
    lines.push("这些格没能读进来（行「列」：原文）：", ...unplaced.slice(0, SHOWN_UNPLACED));
    if (unplaced.length > SHOWN_UNPLACED) lines.push(`……另有 ${unplaced.length - SHOWN_UNPLACED} 格。`);
  }
  lines.push(...importNotes(result), "", "这份报告怎么用？");
  return escapeHtml(lines.join("\n"));
}

async function offerRead(ctx: BotContext, source: SourceDocument, options: ImportOptions = {}): Promise<void> {
  const userId = ctx.from?.id;
  if (userId === undefined) return;
  const report = await currentReport(ctx);
  const result = readAsReport(source, ctx, report, options);
  if (!result.ok) {
    const unnamed = result.reason === IMPORT_REFUSALS.noYear || result.reason === IMPORT_REFUSALS.noOrg;
    await ctx.reply(escapeHtml(unnamed ? `${result.reason}${NAME_IT}` : result.reason));
    return;
  }
  const token = randomBytes(6).toString("base64url");
  const pending: PendingRead = { token, draft: result.draft };
  await ctx.deps.store.writeState(readKey(userId), pending);
  // Not tied to a report: the officer may have none yet. The token is in the user's own state.
  const button = (choice: string) => encodeCallback("importRead", report?.id ?? "-", `${choice}${token}`);
  await ctx.reply(readSummary(result), {
    reply_markup: new InlineKeyboard()
      .text("用作去年的报告（对比和预填）", button("p"))
      .row()
      .text("导入为今年的草稿", button("d"))
      .row()
      .text("取消", button("n")),
  });
}

async function onReportDocument(ctx: BotContext, document: Document): Promise<void> {
  const read = await readReportDocument(ctx, document);
  if (!read.ok) {
    await ctx.reply(escapeHtml(read.reason));
    return;
  }
  await offerRead(ctx, read.source, captionOverrides(ctx.message?.caption));
}

/** 用作去年的报告: kept for the next /new; the current report of the year after takes it at once. */
async function useAsLastYear(ctx: BotContext, userId: number, file: Draft): Promise<void> {
  const previous = leafCellsOnly(ctx.deps.flows.flowFor(file.format), file);
  await keepLastYearReport(ctx, userId, previous);
  const report = await currentReport(ctx);
  if (report && report.draft.year === file.year + 1) {
    await keepAsPrevious(ctx, report, file);
    return;
  }
  await ctx.reply(
    escapeHtml(
      `✅ 已记下 ${shortOrg(file.org)} ${file.year}年度的报告作为去年的报告。发 /new ${shortOrg(file.org)} ${file.year + 1} 新建 ${file.year + 1} 年度的报告，会用它预填“上年结转”，并做跨年核对。`,
    ),
  );
}

/** 导入为今年的草稿: the import of a file of the report's year, with its confirmation. */
async function useAsDraft(ctx: BotContext, file: Draft): Promise<void> {
  const report = await currentReport(ctx);
  if (!report || report.draft.year !== file.year) {
    const now = report ? `当前报告是 ${report.draft.year} 年度的。` : "";
    await ctx.reply(
      escapeHtml(
        `${now}要导入为 ${file.year} 年度的草稿，请先发 /new ${shortOrg(file.org)} ${file.year} 新建，再发一次文件。`,
      ),
    );
    return;
  }
  await offerReplace(ctx, report, file);
}

async function onReadChoice(ctx: BotContext, arg: string): Promise<void> {
  const userId = ctx.from?.id ?? 0;
  const [choice, token] = [arg.slice(0, 1), arg.slice(1)];
  const stored = PendingRead.safeParse(await ctx.deps.store.readState(readKey(userId)));
  const pending = stored.success ? stored.data : undefined;
  if (!pending || pending.token !== token) {
    await ctx.answerCallbackQuery({ text: READ_EXPIRED });
    return;
  }
  await ctx.answerCallbackQuery();
  await ctx.deps.store.deleteState(readKey(userId));
  if (choice === "p") await useAsLastYear(ctx, userId, pending.draft);
  else if (choice === "d") await useAsDraft(ctx, pending.draft);
  else await ctx.reply("已取消，什么也没有保存。");
}

export function importFeature(): Composer<BotContext> {
  const composer = new BotComposer<BotContext>();
  composer.on("message:document", (ctx) => onDocument(ctx, ctx.message.document));
  composer.on("message:text", async (ctx, next) => {
    if (!looksLikePastedReport(ctx.message.text)) return next();
    await offerRead(ctx, readText(ctx.message.text));
  });
  // The choice after a report was read: checked against the presser's own pending read, not a report.
  composer.on("callback_query:data", async (ctx, next) => {
    const envelope = decodeEnvelope(ctx.callbackQuery.data);
    if (envelope?.action !== "importRead") return next();
    const decoded = parseCallback(envelope);
    if (!decoded) return next();
    await onReadChoice(ctx, String(decoded.arg));
  });

  onReportAction(composer, ["importFile"], async (ctx, callback, report) => {
    const userId = ctx.from?.id ?? 0;
    // `y` or `n` and a token (the shape is checked when decoded).
    const [choice, token] = [callback.arg.slice(0, 1), callback.arg.slice(1)];
    const stored = PendingImport.safeParse(await ctx.deps.store.readState(pendingKey(userId)));
    const pending = stored.success ? stored.data : undefined;
    if (!pending || pending.token !== token || pending.reportId !== report.id) {
      await ctx.answerCallbackQuery({ text: EXPIRED });
      return;
    }
    await ctx.answerCallbackQuery();
    if (choice === "y") {
      await applyPending(ctx, report, pending);
    } else {
      await ctx.deps.store.deleteState(pendingKey(userId));
      await ctx.reply("已取消导入，报告没有改动。");
    }
  });
  return composer;
}
