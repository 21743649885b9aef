import type { GridCell, TableDef } from "../form/flow-schema.js";

/**
 * Where the cells of a flow's printed grid sit, what must stay on one page,
 * and how wide each column is: shared by the .docx and the .html so both
 * print the same table.
 */

export interface PlacedCell {
  cell: GridCell;
  row: number;
  /** First grid column the cell covers. */
  col: number;
}

const placedByTable = new WeakMap<TableDef, PlacedCell[][]>();

/** Each grid row's cells with the column they start in (cells merged down from above take their columns). */
export function placeGrid(table: TableDef): PlacedCell[][] {
  const known = placedByTable.get(table);
  if (known) return known;
  const columns = table.widths.length;
  const coveredUntil: number[] = Array(columns).fill(-1); // last row a merged cell from above covers
  const placed = table.grid.map((gridRow, row) => {
    const out: PlacedCell[] = [];
    let col = 0;
    for (const cell of gridRow) {
      while (col < columns && coveredUntil[col]! >= row) col++;
      if (col + cell.colSpan > columns) throw new Error(`table ${table.id}: row ${row + 1} is wider than the grid`);
      out.push({ cell, row, col });
      for (let c = col; c < col + cell.colSpan; c++) coveredUntil[c] = row + cell.rowSpan - 1;
      col += cell.colSpan;
    }
    return out;
  });
  placedByTable.set(table, placed);
  return placed;
}

/**
 * Rows that must stay on the page of the next row: a group label merged over
 * them (（五）不予处理 is never split from its rows, nor leaves an empty cell
 * at the top of a page), or the row is a title or header row heading the rows
 * below it. A label merged over whole groups (三、本年度办理结果 over （一）…
 * （七）) does not hold them together: the results run longer than a page
 * when the labels wrap, and the table may break between groups.
 */
export function keptWithNext(table: TableDef): boolean[] {
  const placed = placeGrid(table);
  const keep = placed.map(
    (cells) => cells.length > 0 && cells.every((p) => p.cell.role === "title" || p.cell.role === "header"),
  );
  const merged = placed.flat().filter((p) => p.cell.rowSpan > 1);
  const last = (p: PlacedCell) => p.row + p.cell.rowSpan - 1;
  for (const p of merged) {
    const holdsGroups = merged.some((q) => q !== p && q.row >= p.row && last(q) <= last(p) && q.col > p.col);
    if (holdsGroups) continue;
    for (let r = p.row; r < last(p); r++) keep[r] = true;
  }
  keep[keep.length - 1] = false;
  return keep;
}

/** Width in characters: CJK a full character, ASCII digits and letters half. */
export function displayWidth(text: string): number {
  let n = 0;
  for (const ch of text) n += ch.charCodeAt(0) < 0x2e80 ? 0.5 : 1;
  return n;
}

/** The widest count a figure column must hold on one line. */
const WIDEST_COUNT = "10000";
/** A group label up to this many characters stays on one line; a longer one takes two balanced lines. */
const ONE_LINE_LABEL = 8;
const NUMBERED_GROUP = /^([（(][一二三四五六七八九十]+[）)])(.+)$/;

/**
 * The lines a label is printed in: a group label over several rows breaks
 * after its number, "（三）" / "不予公开", so a narrow column never breaks it
 * inside a word; any other label is one line the renderer may wrap.
 */
export function labelLines(cell: GridCell): string[] {
  const m = cell.role === "label" && cell.rowSpan > 1 && cell.text ? NUMBERED_GROUP.exec(cell.text) : null;
  return m ? [m[1]!, m[2]!] : [cell.text ?? ""];
}

/**
 * Column widths (in the caller's unit, summing to `total`): the flow's
 * relative widths, widened where a figure column cannot hold a five-digit
 * count or a group label would break inside a word ("（三）/不予公/开";
 * see labelLines), or a long one over two lines ("三、本/年度/办理/结果"). The
 * room comes from the label column with the longest labels, which wraps.
 */
export function columnWidths(table: TableDef, total: number, charWidth: number, padding: number): number[] {
  const base = proportional(table.widths, total);
  const need: number[] = Array(base.length).fill(0);
  const longest: number[] = Array(base.length).fill(0);
  for (const { cell, col } of placeGrid(table).flat()) {
    if (cell.colSpan !== 1) continue;
    if (cell.role === "value") need[col] = Math.max(need[col]!, displayWidth(WIDEST_COUNT));
    if (cell.role !== "label" || !cell.text) continue;
    const w = displayWidth(cell.text);
    longest[col] = Math.max(longest[col]!, w);
    const printed = labelLines(cell);
    const lines = printed.length === 1 && cell.rowSpan > 1 && w > ONE_LINE_LABEL ? 2 : 1;
    need[col] = Math.max(need[col]!, ...printed.map((l) => Math.ceil(displayWidth(l) / lines)));
  }
  const flex = longest.indexOf(Math.max(...longest));
  if (longest[flex] === 0) return base;
  const widths = base.map((b, i) => (i === flex ? 0 : Math.max(b, Math.ceil(need[i]! * charWidth + padding))));
  const rest = total - widths.reduce((a, b) => a + b, 0);
  // Never squeeze the wrapping column below four characters: keep the flow's widths instead.
  if (rest < 4 * charWidth + padding) return base;
  widths[flex] = rest;
  return widths;
}

/** Relative widths → whole units summing to `total` exactly. */
function proportional(widths: number[], total: number): number[] {
  const sum = widths.reduce((a, b) => a + b, 0);
  const out = widths.map((w) => Math.floor((w / sum) * total));
  out[out.length - 1]! += total - out.reduce((a, b) => a + b, 0);
  return out;
}
