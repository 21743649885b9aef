import type { SourceBlock, SourceDocument } from "./source-document.js";

/**
 * Plain text as it is copied from a report: a Word file saved as text (each
 * table cell on its own line after a tab, rows separated by an empty line,
 * as shared/seed-report-2020.txt), a web page whose tables are flattened
 * to " | "-separated rows, or text copied from a PDF, where a row is its label
 * and its figures separated by spaces. Lines of one cell each, without tab or
 * bar, stay paragraphs: the matcher reads those in the table sections as cells.
 */

/** Word's "save as text" keeps bookmarks as "[bookmark: _GoBack]". */
const BOOKMARK = /\[bookmark: [^\]]*\]/g;

const isBarRow = (line: string) => /\s\|(\s|$)|^\|\s/.test(line);

function barCells(line: string): string[] {
  const cells = line.split("|").map((c) => c.trim());
  if (/^\s*\|/.test(line)) cells.shift();
  if (/\|\s*$/.test(line)) cells.pop();
  return cells;
}

const FIGURE = String.raw`[-+]?\d+(?:\.\d+)?(?:万元|万)?`;
/** "四、结转下年度继续办理 0 0 0 0 0 0 0" or "0 0 0 0 0": a short label (or none) and figures after spaces. */
const SPACED_ROW = new RegExp(
  String.raw`^\s*([^\s。，,；;！？]{1,40}?)?((?:\s+|^)${FIGURE}(?:\s+${FIGURE})+|\s+${FIGURE})\s*$`,
  "u",
);

function spacedCells(line: string): string[] | undefined {
  const m = SPACED_ROW.exec(line);
  if (!m) return undefined;
  const figures = m[2]!.trim().split(/\s+/);
  if (!m[1] && figures.length < 2) return undefined;
  return m[1] ? [m[1], ...figures] : figures;
}

export function readText(text: string): SourceDocument {
  const lines = text
    .replace(/^\uFEFF/, "")
    .replace(BOOKMARK, "")
    .split(/\r\n|\r|\n/);
  const blocks: SourceBlock[] = [];
  let table: string[][] | undefined;
  let row: string[] | undefined;
  const endRow = () => {
    if (row && table) table.push(row);
    row = undefined;
  };
  const endTable = () => {
    endRow();
    if (table && table.length > 0) blocks.push({ kind: "table", rows: table });
    table = undefined;
  };
  for (const line of lines) {
    // "|" alone (or "||||") separates cells flattened one per line; it holds nothing itself.
    if (/^[\s|]+$/.test(line) && line.includes("|")) continue;
    if (line.startsWith("\t")) {
      table ??= [];
      row ??= [];
      row.push(line.slice(1));
    } else if (isBarRow(line)) {
      endRow();
      table ??= [];
      table.push(barCells(line));
    } else if (spacedCells(line)) {
      endRow();
      table ??= [];
      table.push(spacedCells(line)!);
    } else if (line.trim() === "") {
      endRow();
    } else {
      endTable();
      blocks.push({ kind: "paragraph", text: line });
    }
  }
  endTable();
  return { blocks };
}
