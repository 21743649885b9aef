import { createHash } from "node:crypto";
import { InlineKeyboard } from "grammy";
import { cellArrayOf } from "../../form/cell-array.js";
import type { Draft } from "../../form/draft.js";
import type { Finding } from "../../form/finding.js";
import type { Flow } from "../../form/flow-schema.js";
import type { FormStep } from "../../form/form-steps.js";
import { LazyValues } from "../../form/totals.js";
import { hasVisibleText, visibleLength } from "../../form/visible-text.js";
import { cellDefs, formatNumber } from "../../report/format-number.js";
import type { StoredReport } from "../../store/store.js";
import { encodeCallback } from "../callback-data.js";
import { escapeHtml } from "../html.js";

/** What the officer reads for one step of the form: pure text and buttons. */

/** How a value pre-filled from last year's report is marked wherever it is shown. */
export const FROM_LAST_YEAR = "（来自去年）";

/**
 * The values last year's report pre-filled for a row's unanswered cells (in
 * the row's order, undefined where none); `complete` when every cell of the
 * row has one, so one tap can confirm the row.
 */
export function prefilledRow(
  report: StoredReport,
  cells: readonly string[],
): { values: (number | undefined)[]; complete: boolean } {
  const values = cells.map((id) => (report.draft.cells[id] === undefined ? report.prefilled?.[id]?.value : undefined));
  return { values, complete: values.every((v) => v !== undefined) };
}

export interface View {
  text: string;
  keyboard?: InlineKeyboard;
}

export function rowTitle(step: Extract<FormStep, { kind: "row" }>): string {
  return step.row.group ? `${step.row.group} · ${step.row.label}` : step.row.label;
}

export function partTitle(step: Extract<FormStep, { kind: "part" }>): string {
  return step.part.heading ? `${step.section.heading} · ${step.part.heading}` : step.section.heading;
}

const isZeroTableStart = (step: Extract<FormStep, { kind: "row" }>, draft: Draft) =>
  step.table.offerAllZero &&
  step.position === 0 &&
  step.table.steps.every((r) => r.cells.every((id) => draft.cells[id] === undefined));

/** The question of a step, with what is saved for it so far. */
export function questionView(flow: Flow, report: StoredReport, step: FormStep): View {
  return step.kind === "row" ? rowQuestion(flow, report, step) : partQuestion(report, step);
}

type RowStep = Extract<FormStep, { kind: "row" }>;

/** The lines of a row's question that depend on its step alone (every answer asks one), by step. */
const rowHeads = new WeakMap<RowStep, string>();

function rowHead(flow: Flow, step: RowStep): string {
  const known = rowHeads.get(step);
  if (known !== undefined) return known;
  const { row, table } = step;
  const defs = cellDefs(flow);
  const kinds = row.cells.map((id) => defs.get(id)?.kind);
  const lines = [
    `<b>${escapeHtml(step.section.heading)}</b>`,
    `${escapeHtml(table.name)} 第 ${step.position + 1}/${table.steps.length} 行`,
    `<b>${escapeHtml(rowTitle(step))}</b>`,
    row.cells.length === 1
      ? `请发 1 个数：${escapeHtml(row.columns[0] ?? "")}`
      : `请按顺序发 ${row.cells.length} 个数：${escapeHtml(row.columns.join("、"))}`,
    `例如：<code>${row.cells.map(() => "0").join(" ")}</code>`,
  ];
  if (kinds.includes("money")) lines.push("金额按万元填，也可以写 2.35万 或 3000元。");
  if (kinds.includes("signed")) lines.push("减少时写负数，如 -8。");
  const head = lines.join("\n");
  rowHeads.set(step, head);
  return head;
}

function rowQuestion(flow: Flow, report: StoredReport, step: RowStep): View {
  const { row, table } = step;
  const saved = row.cells.map((id) => report.draft.cells[id]);
  const lines = [rowHead(flow, step)];
  if (saved.some((v) => v !== undefined))
    lines.push(`已填：${saved.map((v) => (v === undefined ? "空" : formatNumber(v))).join(" ")}`);
  const prefilled = prefilledRow(report, row.cells);
  if (prefilled.values.some((v) => v !== undefined)) {
    const shown = prefilled.values.map((v, i) => (v === undefined ? "" : `${row.columns[i]} ${formatNumber(v)}`));
    lines.push(`去年带入：${escapeHtml(shown.filter(Boolean).join(" · "))}${FROM_LAST_YEAR}`);
    lines.push(prefilled.complete ? "对的话点「确认去年的数」；不对就直接发正确的数。" : "请连同这些数一起发整行。");
  }
  const keyboard = new InlineKeyboard();
  if (prefilled.complete) keyboard.text("确认去年的数", encodeCallback("rowPrefill", report.id, step.index)).row();
  if (isZeroTableStart(step, report.draft))
    keyboard.text(`${table.name}全部为0`, encodeCallback("tableZero", report.id, step.index)).row();
  keyboard
    .text("本行全为0", encodeCallback("rowZero", report.id, step.index))
    .text("上一行", encodeCallback("previous", report.id, step.index))
    .row()
    .text("跳过", encodeCallback("skip", report.id, step.index))
    .text("目录", encodeCallback("sections", report.id));
  return { text: lines.join("\n"), keyboard };
}

function partQuestion(report: StoredReport, step: Extract<FormStep, { kind: "part" }>): View {
  const text = report.draft.narrative[step.part.id] ?? "";
  const lines = [`<b>${escapeHtml(partTitle(step))}</b>`, escapeHtml(step.part.hint)];
  lines.push(
    hasVisibleText(text)
      ? `已写 ${visibleLength(text)} 字。接着发会加在后面；写完点「完成」。`
      : "请直接发文字，可以分几条发；写完点「完成」。",
  );
  return { text: lines.join("\n"), keyboard: partKeyboard(report, step) };
}

/**
 * The buttons of a narrative part. `appended`: the length of the text the
 * message being answered appended, which 撤回这条 takes back while the part
 * is still as that message left it (its stamp).
 */
export function partKeyboard(
  report: StoredReport,
  step: Extract<FormStep, { kind: "part" }>,
  appended?: number,
): InlineKeyboard {
  const text = report.draft.narrative[step.part.id] ?? "";
  const keyboard = new InlineKeyboard().text("完成", encodeCallback("partDone", report.id, step.index));
  if (report.previous?.narrative[step.part.id]?.trim())
    keyboard.text("沿用去年", encodeCallback("partReuse", report.id, step.index));
  // An optional part (总述) says "没有可跳过": the button is there to do it.
  if (step.part.optional) keyboard.text("跳过", encodeCallback("skip", report.id, step.index));
  keyboard.row();
  if (appended)
    keyboard.text("撤回这条", encodeCallback("partUndo", report.id, `${step.index}_${appended}_${partStamp(text)}`));
  if (text.trim()) keyboard.text("清空重写", encodeCallback("partClear", report.id, step.index));
  keyboard
    .text("上一项", encodeCallback("previous", report.id, step.index))
    .text("目录", encodeCallback("sections", report.id));
  return keyboard;
}

/** A short stamp of a part's text: 撤回这条 acts only on the text it was shown with. */
export function partStamp(text: string): string {
  return createHash("sha256").update(text).digest("base64url").slice(0, 6);
}

/** 撤回这条's argument: the step, the appended length and the stamp; undefined when out of shape. */
export function readUndo(arg: string): { index: number; length: number; stamp: string } | undefined {
  const m = /^(\d+)_(\d+)_(.{6})$/.exec(arg);
  return m ? { index: Number(m[1]), length: Number(m[2]), stamp: m[3]! } : undefined;
}

/** "已保存" line for a row: the values, the row's total and the findings the answer caused. */
export function rowSavedText(
  flow: Flow,
  draft: Draft,
  step: Extract<FormStep, { kind: "row" }>,
  newFindings: Finding[],
  notes: string[],
): string {
  return rowSavedFrom(step, rowSavedNumbers(flow, draft, step), notes, findingLines(newFindings));
}

/** The numbers a row's acknowledgement shows: its cells, then its total when it has one. */
export function rowSavedNumbers(flow: Flow, draft: Draft, step: Extract<FormStep, { kind: "row" }>): number[] {
  const totalId = `${step.row.id}.total`;
  // From the draft's kept cell array: the answer's checks made it, so nothing is looked up on the record.
  const values = new LazyValues(flow, cellArrayOf(flow, draft));
  const shown = step.row.cells.map((id) => values.get(id) ?? 0);
  const total = values.get(totalId);
  return total === undefined ? shown : [...shown, total];
}

/** A row's acknowledgement from its numbers (rowSavedNumbers), notes and finding lines. */
export function rowSavedFrom(
  step: Extract<FormStep, { kind: "row" }>,
  numbers: readonly number[],
  notes: readonly string[],
  findings: readonly string[],
): string {
  const { cells, columns } = step.row;
  const shown = cells.map((_, i) => `${columns[i]} ${formatNumber(numbers[i] ?? 0)}`);
  const total = numbers[cells.length];
  if (total !== undefined) shown.push(`总计 ${formatNumber(total)}`);
  const lines = [`✅ 已保存：${escapeHtml(rowTitle(step))}`, escapeHtml(shown.join(" · "))];
  for (const note of notes) lines.push(escapeHtml(note));
  lines.push(...findings);
  return lines.join("\n");
}

/**
 * After a wrong input: what was wrong, the row's full label with its group,
 * and the columns in order. No figures: an example could be taken for a
 * suggestion of what to report.
 */
export function rowRetryText(step: Extract<FormStep, { kind: "row" }>, reason: string): string {
  const { row } = step;
  return [
    `❌ 没有保存：${escapeHtml(reason)}`,
    `这一行是：<b>${escapeHtml(rowTitle(step))}</b>`,
    row.cells.length === 1
      ? `请发 1 个数：${escapeHtml(row.columns[0] ?? "")}`
      : `请按顺序发 ${row.cells.length} 个数：${escapeHtml(row.columns.join("、"))}`,
  ].join("\n");
}

export function findingLines(findings: Finding[]): string[] {
  return findings.map((f) => findingLine(f.severity, f.message));
}

export function findingLine(severity: Finding["severity"], message: string): string {
  return `${severity === "error" ? "❌" : "⚠️"} ${escapeHtml(message)}`;
}

/** Findings present after a change that were not there before (unanswered cells aside). */
export function newFindings(before: Finding[], after: Finding[]): Finding[] {
  // The checks keep the list when an answer changed no findings (form/recheck.ts).
  if (before === after) return [];
  const known = new Set(before.map((f) => f.message));
  return after.filter((f) => f.rule !== "missing" && !known.has(f.message));
}
