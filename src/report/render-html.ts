import type { Draft } from "../form/draft.js";
import type { Finding } from "../form/finding.js";
import type { CellDef, Flow, GridCell, TableDef } from "../form/flow-schema.js";
import type { Values } from "../form/totals.js";
import { FONT_DECLS } from "./fonts.js";
import { formatCellValue } from "./format-number.js";
import {
  DRAFT_PROBLEMS_HEADING,
  formatReportDate,
  MISSING_CELL_MARK,
  openingParagraph,
  printBasis,
  printedParts,
  problemLines,
  reportTitle,
} from "./report-text.js";
import { columnWidths, labelLines, placeGrid } from "./table-layout.js";

/**
 * Draft → the report as one self-contained web page, for the units that
 * publish it on their government website: the same words as the .docx and
 * the tables in the official layout, merged cells as rowspan/colspan. No
 * script, no external file, and every style inline on its element, so that
 * pasting the page into a site's editor (which drops <style> and classes)
 * keeps it. Tables scroll sideways inside their own box on a phone.
 */

export interface HtmlOptions {
  /** Any at all makes the page a 草稿 that lists them first and marks missing cells, as the .docx does. */
  problems?: Finding[];
}

const escapeHtml = (s: string) =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** The official face first, then the names Windows, macOS and Linux have, then the generic family. */
function fontStack(name: string): string {
  const decl = FONT_DECLS.find((f) => f.name === name);
  const names = decl ? [decl.name, ...decl.alt] : [name];
  const generic = decl?.family === "modern" ? "sans-serif" : "serif";
  return [...names.map((n) => `'${n}'`), generic].join(",");
}

const FONT = {
  body: fontStack("仿宋_GB2312"),
  title: fontStack("方正小标宋简体"),
  heading: fontStack("黑体"),
  subheading: fontStack("楷体_GB2312"),
};

const STYLE = {
  page: `max-width:42em;margin:0 auto;padding:0 12px;font-family:${FONT.body};font-size:16px;line-height:1.8;color:#000`,
  title: `margin:1em 0;text-align:center;font-family:${FONT.title};font-size:22px;font-weight:normal;line-height:1.5`,
  heading: `margin:.8em 0 .2em;font-family:${FONT.heading};font-size:16px;font-weight:normal;text-indent:2em`,
  subheading: `margin:.2em 0;font-family:${FONT.subheading};font-size:16px;font-weight:normal;text-indent:2em`,
  paragraph: "margin:0;text-indent:2em;text-align:justify",
  closing: "margin:0;text-align:right",
  problems: "margin:0 0 2em;padding:.5em 1em;border:2px solid #c00",
  problemsHeading: `margin:.3em 0;color:#c00;font-family:${FONT.heading};font-size:16px`,
  // The only element wider than a phone: it scrolls inside this box, the page does not.
  scroller: "overflow-x:auto;max-width:100%;margin:.5em 0 1em",
  table: "border-collapse:collapse;width:100%;table-layout:fixed",
  cell: "border:1px solid #000;padding:2px 4px;line-height:1.4;word-break:break-all",
  missing: "background:#d9d9d9",
};

/** At least this wide, in em of the table's font: a narrower table would wrap its counts. */
function minTableEms(table: TableDef): number {
  return Math.round(table.widths.length * 3.6 + 8);
}

function cellHtml(cell: GridCell, values: Values, defs: Map<string, CellDef>, missing: ReadonlySet<string>): string {
  const head = cell.role === "title" || cell.role === "header";
  const tag = head ? "th" : "td";
  const isMissing = cell.role === "value" && missing.has(cell.cell!);
  let content = labelLines(cell).map(escapeHtml).join("<br>");
  if (cell.role === "value") {
    const v = values.get(cell.cell!);
    content = escapeHtml(
      isMissing ? MISSING_CELL_MARK : v === undefined ? "" : formatCellValue(defs.get(cell.cell!), v),
    );
  }
  const style = [
    STYLE.cell,
    `text-align:${cell.role === "label" ? "left" : "center"}`,
    head ? "font-weight:bold" : "font-weight:normal",
    ...(isMissing ? [STYLE.missing] : []),
  ].join(";");
  const spans = `${cell.colSpan > 1 ? ` colspan="${cell.colSpan}"` : ""}${cell.rowSpan > 1 ? ` rowspan="${cell.rowSpan}"` : ""}`;
  const id = cell.role === "value" ? ` data-cell="${escapeHtml(cell.cell!)}"` : "";
  return `<${tag}${spans}${id} style="${style}">${content}</${tag}>`;
}

function tableHtml(table: TableDef, values: Values, defs: Map<string, CellDef>, missing: ReadonlySet<string>): string {
  // Percent widths from the same sizing as the .docx: labels and five-digit counts fit.
  const widths = columnWidths(table, 10_000, table.fontSize * 20 * (10_000 / 8845), 120);
  const percent = (n: number) => `${(n / 100).toFixed(2)}%`;
  const cols = widths.map((w) => `<col style="width:${percent(w)}">`).join("");
  const rows = placeGrid(table).map((cells) => {
    const tds = cells.map(({ cell }) => cellHtml(cell, values, defs, missing)).join("");
    return `<tr>${tds}</tr>`;
  });
  const font = `font-size:${Math.round((table.fontSize * 4) / 3)}px`; // pt → CSS px
  return (
    `<div style="${STYLE.scroller}">` +
    `<table data-table="${escapeHtml(table.id)}" style="${STYLE.table};${font};min-width:${minTableEms(table)}em">` +
    `<colgroup>${cols}</colgroup><tbody>${rows.join("")}</tbody></table></div>`
  );
}

const p = (style: string, text: string) => `<p style="${style}">${escapeHtml(text)}</p>`;

/** The report as a complete .html page (UTF-8). */
export function renderHtml(flow: Flow, draft: Draft, opts: HtmlOptions = {}): string {
  const { problems, isDraft, values, defs, missing } = printBasis("renderHtml", flow, draft, opts.problems);
  const title = `${isDraft ? "（草稿）" : ""}${reportTitle(draft)}`;

  const body: string[] = [];
  if (isDraft) {
    body.push(
      `<section style="${STYLE.problems}"><h2 style="${STYLE.problemsHeading}">${escapeHtml(DRAFT_PROBLEMS_HEADING)}</h2>`,
      ...problemLines(problems).map((line) => p("margin:0", line)),
      "</section>",
    );
  }
  body.push(`<h1 style="${STYLE.title}">${escapeHtml(title)}</h1>`, p(STYLE.paragraph, openingParagraph(flow, draft)));
  for (const section of flow.sections) {
    body.push(`<h2 style="${STYLE.heading}">${escapeHtml(section.heading)}</h2>`);
    for (const part of printedParts(section, draft)) {
      if (part.heading) body.push(`<h3 style="${STYLE.subheading}">${escapeHtml(part.heading)}</h3>`);
      for (const text of part.paragraphs) body.push(p(STYLE.paragraph, text));
    }
    for (const table of section.tables) body.push(tableHtml(table, values, defs, missing));
  }
  body.push(
    `<div style="margin-top:2em">`,
    p(STYLE.closing, draft.org),
    p(STYLE.closing, formatReportDate(draft.date)),
    "</div>",
  );
  return [
    "<!DOCTYPE html>",
    `<html lang="zh-CN">`,
    "<head>",
    `<meta charset="utf-8">`,
    `<meta name="viewport" content="width=device-width, initial-scale=1">`,
    `<title>${escapeHtml(title)}</title>`,
    "</head>",
    `<body style="margin:0">`,
    `<article style="${STYLE.page}">`,
    ...body,
    "</article>",
    "</body>",
    "</html>",
    "",
  ].join("\n");
}
