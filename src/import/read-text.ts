import type { SourceBlock, SourceDocument } from "./source-document.js";

/**
 * Plain text as it is copied from a report: a Word file saved as text (each
 * table cell on its own line after a tab, rows separated by an empty line,
 * as shared/seed-report-2020.txt), or a web page whose tables are flattened
 * to " | "-separated rows. Lines of one cell each, without tab or bar, stay
 * paragraphs: the matcher reads those in the table sections as cells.
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
    if (line.startsWith("\t")) {
      table ??= [];
      row ??= [];
      row.push(line.slice(1));
    } else if (isBarRow(line)) {
      endRow();
      table ??= [];
      table.push(barCells(line));
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
