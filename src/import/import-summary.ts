import type { Imported } from "./import-report.js";

/**
 * What the reader says it read, in the words the officer sees (plain text;
 * the bot escapes it): the summary line, then every cell it could not place,
 * by row and column, then its assumptions.
 */

export function summaryLine(result: Imported): string {
  const { draft, summary, unplaced } = result;
  const unclear = unplaced.length > 0 ? `；有 ${unplaced.length} 格看不清` : "";
  return `读到 ${draft.org} ${draft.year} 年的报告：表格 ${summary.cells} 格、正文 ${summary.parts} 部分${unclear}`;
}

export function unplacedLines(result: Imported): string[] {
  return result.unplaced.map((u) => `· ${u.row}「${u.column}」：${u.text}`);
}

export function importNotes(result: Imported): string[] {
  const lines = [...result.notes];
  if (result.missing.length > 0) lines.push(`表格里有 ${result.missing.length} 格没有找到，导入后还要填。`);
  return lines;
}
