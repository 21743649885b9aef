import type { CellKind, Flow, TableDef } from "../form/flow-schema.js";
import { parseRow } from "../form/parse-answer.js";
import { labelKey, labelMatches, labelParts } from "./label-key.js";
import { type PrintedRow, type PrintedValue, printedRows } from "./printed-rows.js";
import { trimSpaces } from "./source-document.js";

/**
 * The figures of a file's tables, placed by labels, never by position: a
 * label of the flow's table (tolerantly compared, label-key.ts) is followed
 * by the row's figures; the active table's columns follow its header row
 * (信息内容 …); a row of figures only (复议诉讼表) is matched by its length.
 * Works on cells as a stream, so a table flattened to one cell per line reads
 * like a Word table: within a row the cells after the label are its values;
 * a label alone on its line takes the figures on the lines after it.
 */

export interface Token {
  text: string;
  /** Cells of one printed row share a number; a line of text is a row of its own. */
  row: number;
}

/** A cell of the file that could not be read or placed, named by its row and column. */
export interface Unplaced {
  row: string;
  column: string;
  text: string;
}

export interface TablesRead {
  /** Leaf cells and totals read, by cell id. */
  cells: Record<string, number>;
  /** Number of data rows matched. */
  rows: number;
  unplaced: Unplaced[];
  notes: string[];
}

export interface Region {
  tables: TableDef[];
  tokens: Token[];
  /** Outside the table sections: figures no label claims are not listed (page numbers, dates). */
  quiet?: boolean;
}

const HEADER_START = labelKey("信息内容");
const isBlank = (text: string) => trimSpaces(text) === "";

/** The number in a cell, read as the officer's answers are (full-width digits, 万元, "—" for 0). */
function figure(text: string, kind: CellKind): number | undefined {
  const read = parseRow(trimSpaces(text), [kind]);
  return read.ok ? read.values[0] : undefined;
}
const isFigure = (text: string) => figure(text, "money") !== undefined || figure(text, "signed") !== undefined;

/** A label whose words alone are too common to be sure of ("3.其他", "（七）总计") needs its number. */
const needsNumber = (label: string) => {
  const parts = labelParts(label);
  return parts.number !== undefined && parts.core.length <= 2;
};

export function readTables(flow: Flow, regions: Region[]): TablesRead {
  const kinds = new Map(flow.cells.map((c) => [c.id, c.kind]));
  const cells: Record<string, number> = {};
  const unplaced: Unplaced[] = [];
  const notes: string[] = [];
  const blanks = new Map<string, string[]>(); // table id → cell ids printed blank
  const tablesWithFigures = new Set<string>();
  let matchedRows = 0;

  for (const region of regions) {
    const rows = region.tables.flatMap((t) => printedRows(flow, t));
    const labelled = rows.filter((r) => r.label !== undefined);
    const bare = rows.filter((r) => r.label === undefined);
    const used = new Set<number>();
    const tokens = region.tokens;
    let header: string[] | undefined;

    /** The cells after token i: the rest of its row, or, for a label alone on its row, the figures that follow. */
    const valuesAfter = (i: number, expected: number): number[] => {
      const row = tokens[i]!.row;
      const same: number[] = [];
      for (let j = i + 1; j < tokens.length && tokens[j]!.row === row; j++) same.push(j);
      if (same.length > 0) return same;
      const loose: number[] = [];
      for (let j = i + 1; j < tokens.length && loose.length < expected; j++) {
        if (!isFigure(tokens[j]!.text) && !isBlank(tokens[j]!.text)) break;
        loose.push(j);
      }
      return loose;
    };
    const isData = (at: number[], expected: number, sameRow: boolean) =>
      at.some((j) => isFigure(tokens[j]!.text)) ||
      (sameRow && at.length === expected && at.every((j) => isBlank(tokens[j]!.text)));

    const place = (row: PrintedRow, at: number[], rowName: string) => {
      matchedRows++;
      at.forEach((j) => {
        used.add(j);
      });
      const leaves = row.values.filter((v) => !v.total);
      let targets: (PrintedValue | undefined)[] =
        at.length === leaves.length && leaves.length < row.values.length ? leaves : row.values;
      const byHeader = header && mapByHeader(header, row.values, at.length);
      if (byHeader) targets = byHeader;
      at.forEach((j, k) => {
        const text = tokens[j]!.text;
        const target = targets[k];
        if (!target) {
          if (!isBlank(text))
            unplaced.push({ row: rowName, column: `第 ${k + 1} 格（多出来的）`, text: trimSpaces(text) });
          return;
        }
        if (isBlank(text)) {
          const list = blanks.get(row.table) ?? [];
          list.push(target.cell);
          blanks.set(row.table, list);
          return;
        }
        const value = figure(text, kinds.get(target.cell) ?? "count");
        if (value === undefined) unplaced.push({ row: rowName, column: target.header, text: trimSpaces(text) });
        else {
          cells[target.cell] = value;
          tablesWithFigures.add(row.table);
        }
      });
    };

    for (let i = 0; i < tokens.length; i++) {
      if (used.has(i)) continue;
      const text = tokens[i]!.text;
      if (isBlank(text)) continue;
      if (labelKey(text) === HEADER_START) {
        header = headerAfter(tokens, i, labelled);
        continue;
      }
      const row = labelled.find((r) => labelMatches(text, r.label!, needsNumber(r.label!)));
      if (row) {
        const at = valuesAfter(i, row.values.length);
        const sameRow = at.length > 0 && tokens[at[0]!]!.row === tokens[i]!.row;
        if (isData(at, row.values.length, sameRow)) place(row, at, trimSpaces(text));
        continue;
      }
      // A group label followed by figures: the single （六）其他处理 row of the 2019 layout in a
      // 2021 table. Its figures go to the group's last sub-row (3.其他).
      const group = labelled.filter((r) => r.group !== undefined && labelMatches(text, r.group));
      if (group.length > 1) {
        const last = group[group.length - 1]!;
        const at = valuesAfter(i, last.values.length);
        const first = at[0] === undefined ? undefined : tokens[at[0]]!.text;
        if (first !== undefined && (isFigure(first) || isBlank(first)) && isData(at, last.values.length, true)) {
          place(last, at, trimSpaces(text));
          notes.push(`表中“${trimSpaces(text)}”只有一行（旧格式），按“${last.label}”读入。`);
        }
        continue;
      }
      const bareRow = bare.find((r) => r.values.length > 0);
      if (bareRow && isFigure(text)) {
        const leaves = bareRow.values.filter((v) => !v.total).length;
        const at = figureRun(tokens, i, leaves, bareRow.values.length);
        if (at.length >= leaves) {
          header = undefined;
          place(bareRow, at, "（数字行）");
        }
      }
    }
    // Figures that no label claimed.
    if (!region.quiet)
      tokens.forEach((t, i) => {
        if (used.has(i) || !isFigure(t.text) || isBlank(t.text)) return;
        unplaced.push({ row: rowNameBefore(tokens, i), column: columnOf(tokens, i), text: trimSpaces(t.text) });
      });
  }

  for (const [table, ids] of blanks) {
    if (!tablesWithFigures.has(table)) continue;
    for (const id of ids) cells[id] = 0;
    notes.push(`${tableName(flow, table)}有 ${ids.length} 格是空白，按 0 读入。`);
  }
  return { cells, rows: matchedRows, unplaced, notes };
}

/** Header names after 信息内容: the rest of its row, or the lines up to the next row label. */
function headerAfter(tokens: Token[], i: number, labelled: PrintedRow[]): string[] {
  const row = tokens[i]!.row;
  const inRow = tokens.filter((t, j) => j > i && t.row === row && !isBlank(t.text)).map((t) => t.text);
  if (inRow.length > 0) return inRow;
  const names: string[] = [];
  for (let j = i + 1; j < tokens.length && names.length <= 8; j++) {
    const text = tokens[j]!.text;
    if (labelled.some((r) => labelMatches(text, r.label!))) break;
    if (!isBlank(text)) names.push(text);
  }
  return names;
}

/**
 * Values mapped by the header printed above them, when the header names each
 * column of the row once; undefined when it does not (then the flow's order).
 */
function mapByHeader(header: string[], values: PrintedValue[], count: number): PrintedValue[] | undefined {
  if (header.length !== count || values.some((v) => v.header === "")) return undefined;
  const mapped = header.map((h) => values.filter((v) => labelMatches(h, v.header)));
  if (mapped.some((m) => m.length !== 1)) return undefined;
  const targets = mapped.map((m) => m[0]!);
  return new Set(targets).size === targets.length ? targets : undefined;
}

/**
 * A row of figures only: its cells from the first figure on (one row), or the
 * run of figures and blanks (one cell per line). A cell of words among them is
 * kept, to be listed as unreadable, as long as the figures fill the row.
 */
function figureRun(tokens: Token[], i: number, leaves: number, max: number): number[] {
  const row = tokens[i]!.row;
  const sameRow = tokens.flatMap((t, j) => (t.row === row && j >= i ? [j] : []));
  if (sameRow.length > 1) {
    const figures = sameRow.filter((j) => isFigure(tokens[j]!.text) || isBlank(tokens[j]!.text)).length;
    return figures >= leaves ? sameRow : [];
  }
  const run: number[] = [];
  for (let j = i; j < tokens.length && run.length < max; j++) {
    if (!isFigure(tokens[j]!.text) && !isBlank(tokens[j]!.text)) break;
    run.push(j);
  }
  return run;
}

function rowNameBefore(tokens: Token[], i: number): string {
  for (let j = i - 1; j >= 0; j--) {
    const t = tokens[j]!.text;
    if (!isBlank(t) && !isFigure(t)) return trimSpaces(t);
  }
  return "（表格开头）";
}

function columnOf(tokens: Token[], i: number): string {
  const row = tokens[i]!.row;
  const before = tokens.slice(0, i).filter((t) => t.row === row).length;
  return `第 ${before + 1} 格`;
}

function tableName(flow: Flow, tableId: string): string {
  return flow.sections.flatMap((s) => s.tables).find((t) => t.id === tableId)?.name ?? tableId;
}
