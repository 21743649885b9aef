import type { Draft } from "../form/draft.js";
import type { Flow, RowStep, SectionDef, TableDef, TotalDef } from "../form/flow-schema.js";
import type { Values } from "../form/totals.js";
import { cellDefs, formatCellValue } from "./format-number.js";
import { MISSING_TEXT, narrativeParagraphs, openingParagraph, reportTitle } from "./report-text.js";
import { MESSAGE_LIMIT, splitText } from "./split-text.js";

/**
 * Plain-text previews for the chat. The caller escapes HTML and wraps a
 * table preview in <pre>; texts here are raw and sized to fit one message.
 */

/** Room left for the caller's HTML escaping and wrapping of a narrative message. */
const NARRATIVE_LIMIT = 4000;
const LABEL_CHARS = 14;
const MISSING_VALUE = "_";

export interface TablePreviewOptions {
  /** Longest text returned (characters); 4,096 by default. */
  maxLength?: number;
}

/**
 * One line per row the officer answers, with its values (and its total after
 * "="), plus the computed total rows such as （七）总计; a line naming the
 * columns wherever they change, and a line for each group (（三）不予公开).
 * Aligned for a monospace font in which CJK characters take two columns.
 */
export function tablePreview(flow: Flow, table: TableDef, values: Values, opts: TablePreviewOptions = {}): string {
  const defs = cellDefs(flow);
  const lines = previewLines(flow, table);
  const show = (id: string) => {
    const v = values.get(id);
    return v === undefined ? MISSING_VALUE : formatCellValue(defs.get(id), v);
  };

  const rows = lines.filter((l): l is RowLine => l.kind === "row");
  const labels = rows.map((r) => shorten(r.label));
  const labelWidth = Math.max(0, ...labels.map(displayWidth));
  const shown = rows.map((r) => r.cells.map(show));
  const widths: number[] = [];
  for (const cells of shown) {
    for (const [i, c] of cells.entries()) widths[i] = Math.max(widths[i] ?? 0, displayWidth(c));
  }
  const totals = rows.map((r) => (r.total === undefined ? undefined : show(r.total)));
  const totalWidth = Math.max(0, ...totals.map((t) => (t === undefined ? 0 : displayWidth(t))));
  const anyMissing = shown.some((cells) => cells.includes(MISSING_VALUE)) || totals.includes(MISSING_VALUE);

  let rowIndex = 0;
  const text = lines.map((line) => {
    if (line.kind === "group") return `【${line.text}】`;
    if (line.kind === "columns") return `列：${line.columns.join(" | ")}${line.total ? ` = ${line.total}` : ""}`;
    const i = rowIndex++;
    const cells = shown[i]!.map((c, j) => padStart(c, widths[j]!)).join(" ");
    const total = totals[i] === undefined ? "" : ` = ${padStart(totals[i]!, totalWidth)}`;
    return `${padEnd(labels[i]!, labelWidth)} ${cells}${total}`;
  });
  if (anyMissing) text.push(`（${MISSING_VALUE} 表示未填）`);
  return fitLines(text, opts.maxLength ?? MESSAGE_LIMIT);
}

type RowLine = { kind: "row"; label: string; cells: string[]; total?: string };
type Line = { kind: "group"; text: string } | { kind: "columns"; columns: string[]; total?: string } | RowLine;

/** The preview's lines for a table: derived from the flow alone, so one table's layout is computed per flow. */
const linesByTable = new WeakMap<TableDef, Line[]>();
function previewLines(flow: Flow, table: TableDef): Line[] {
  const cached = linesByTable.get(table);
  if (cached) return cached;
  const printed = new Set(table.grid.flat().flatMap((c) => (c.cell === undefined ? [] : [c.cell])));
  const totals = flow.totals.filter((t) => printed.has(t.id));
  const rowTotal = (cells: string[]) => totals.find((t) => sameSet(t.of, cells));

  // Totals that are no step's row total form rows of their own, e.g. （七）总计,
  // printed after the last row they add up.
  const stepTotals = new Set(table.steps.flatMap((s) => rowTotal(s.cells)?.id ?? []));
  const extraRows = groupBy(
    totals.filter((t) => !stepTotals.has(t.id)),
    (t) => t.row,
  ).map(totalRow);
  const after = new Map<number, RowLine[]>();
  for (const row of extraRows) {
    const leaves = leavesOf(row.parts, flow);
    const at = Math.max(-1, ...table.steps.map((s, i) => (s.cells.some((c) => leaves.has(c)) ? i : -1)));
    after.set(at, [...(after.get(at) ?? []), row.line]);
  }

  const lines: Line[] = [];
  let columns = "";
  let group: string | undefined;
  table.steps.forEach((step: RowStep, i) => {
    const total = rowTotal(step.cells);
    const key = `${step.columns.join("|")}=${total?.column ?? ""}`;
    if (step.group !== undefined && (step.group !== group || key !== columns)) {
      lines.push({ kind: "group", text: step.group });
    }
    if (key !== columns)
      lines.push({ kind: "columns", columns: step.columns, ...(total ? { total: total.column } : {}) });
    group = step.group;
    columns = key;
    lines.push({ kind: "row", label: step.label, cells: step.cells, ...(total ? { total: total.id } : {}) });
    lines.push(...(after.get(i) ?? []));
  });
  lines.push(...(after.get(-1) ?? [])); // totals of cells no step asks: last
  linesByTable.set(table, lines);
  return lines;
}

/** A row of totals: its cells, and the total among them that adds up the others. */
function totalRow(members: TotalDef[]): { line: RowLine; parts: string[] } {
  const grand = members.find((m) =>
    sameSet(
      m.of,
      members.filter((o) => o !== m).map((o) => o.id),
    ),
  );
  const cells = members.filter((m) => m !== grand).map((m) => m.id);
  const parts = members.flatMap((m) => m.of);
  return {
    line: { kind: "row", label: members[0]!.row, cells, ...(grand ? { total: grand.id } : {}) },
    parts,
  };
}

function leavesOf(ids: string[], flow: Flow): Set<string> {
  const byId = new Map(flow.totals.map((t) => [t.id, t]));
  const out = new Set<string>();
  const visit = (id: string) => {
    const t = byId.get(id);
    if (t) t.of.forEach(visit);
    else out.add(id);
  };
  ids.forEach(visit);
  return out;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const s = new Set(a);
  return b.every((x) => s.has(x));
}

function groupBy<T>(items: T[], key: (t: T) => string): T[][] {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return [...groups.values()];
}

// --- Narrative. ---

export interface NarrativePreviewOptions {
  /** Longest message (characters); 4,000 by default, leaving room for escaping. */
  maxLength?: number;
}

/**
 * The whole report's text as chat messages: title, opening paragraph, every
 * heading with the officer's paragraphs (（未填写） where a required part is
 * missing) and a note where a section is a table. Each message at most
 * `maxLength` characters; long paragraphs are split at sentence ends.
 */
export function narrativePreview(flow: Flow, draft: Draft, opts: NarrativePreviewOptions = {}): string[] {
  const max = opts.maxLength ?? NARRATIVE_LIMIT;
  const blocks: string[][] = [[reportTitle(draft)], [openingParagraph(flow, draft)]];
  for (const section of flow.sections) blocks.push(sectionLines(section, draft));

  const messages: string[] = [];
  let current = "";
  const flush = () => {
    if (current) messages.push(current);
    current = "";
  };
  const add = (piece: string, separator: string) => {
    if (current && current.length + separator.length + piece.length > max) flush();
    current = current ? `${current}${separator}${piece}` : piece;
  };
  for (const block of blocks) {
    let separator = "\n\n";
    for (const unit of keepHeadingsWithText(block)) {
      for (const piece of splitText(unit, max)) {
        add(piece, separator);
        separator = "\n";
      }
    }
  }
  flush();
  return messages;
}

function sectionLines(section: SectionDef, draft: Draft): string[] {
  const lines = [section.heading];
  for (const part of section.parts) {
    const paragraphs = narrativeParagraphs(section, part, draft.narrative[part.id]);
    if (paragraphs.length === 0 && part.optional) continue;
    if (part.heading) lines.push(part.heading);
    lines.push(...(paragraphs.length > 0 ? paragraphs : [MISSING_TEXT]));
  }
  for (const table of section.tables) lines.push(`（本部分为表格：${table.name}）`);
  return lines;
}

/** A heading goes into the same message as the line after it. */
function keepHeadingsWithText(lines: string[]): string[] {
  const out: string[] = [];
  let pending = "";
  for (const line of lines) {
    const isHeading = /^(?:[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）)/.test(line) && line.length <= 30;
    if (isHeading && line !== lines[lines.length - 1]) {
      pending = pending ? `${pending}\n${line}` : line;
      continue;
    }
    out.push(pending ? `${pending}\n${line}` : line);
    pending = "";
  }
  if (pending) out.push(pending);
  return out;
}

// --- Monospace layout. ---

/** Columns a character takes in a monospace font: East Asian wide and full-width ones take two. */
function charWidth(code: number): number {
  if (
    (code >= 0x1100 && code <= 0x115f) ||
    (code >= 0x2e80 && code <= 0xa4cf && code !== 0x303f) ||
    (code >= 0xac00 && code <= 0xd7a3) ||
    (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0xfe30 && code <= 0xfe4f) ||
    (code >= 0xff00 && code <= 0xff60) ||
    (code >= 0xffe0 && code <= 0xffe6) ||
    (code >= 0x20000 && code <= 0x3fffd)
  ) {
    return 2;
  }
  return 1;
}

export function displayWidth(text: string): number {
  let w = 0;
  for (const ch of text) w += charWidth(ch.codePointAt(0)!);
  return w;
}

function shorten(label: string): string {
  const chars = [...label];
  return chars.length <= LABEL_CHARS ? label : `${chars.slice(0, LABEL_CHARS - 1).join("")}…`;
}

function padEnd(text: string, width: number): string {
  return text + " ".repeat(Math.max(0, width - displayWidth(text)));
}

function padStart(text: string, width: number): string {
  return " ".repeat(Math.max(0, width - displayWidth(text))) + text;
}

/** Whole lines up to `max` characters, with a note when some had to be left out. */
function fitLines(lines: string[], max: number): string {
  const full = lines.join("\n");
  if (full.length <= max) return full;
  const kept: string[] = [];
  let length = 0;
  for (const [i, line] of lines.entries()) {
    const note = `…（还有 ${lines.length - i} 行未显示）`;
    if (length + line.length + 1 + note.length > max) {
      kept.push(note);
      break;
    }
    kept.push(line);
    length += line.length + 1;
  }
  return kept.join("\n");
}
