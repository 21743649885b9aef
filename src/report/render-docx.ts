import {
  AlignmentType,
  Document,
  DocumentGridType,
  Footer,
  Header,
  HeightRule,
  type IRunOptions,
  type IStylesOptions,
  LineRuleType,
  Packer,
  PageNumber,
  PageOrientation,
  Paragraph,
  ShadingType,
  Table,
  TableCell,
  TableLayoutType,
  TableRow,
  TextRun,
  VerticalAlignTable,
  VerticalMergeType,
  WidthType,
} from "docx";
import { strFromU8, unzipSync } from "fflate";
import type { Draft } from "../form/draft.js";
import type { Finding } from "../form/finding.js";
import type { CellDef, Flow, GridCell, SectionDef, TableDef } from "../form/flow-schema.js";
import type { Values } from "../form/totals.js";
import { fontTableXml } from "./fonts.js";
import { formatCellValue } from "./format-number.js";
import {
  DRAFT_PROBLEMS_HEADING,
  formatReportDate,
  MISSING_CELL_MARK,
  openingParagraph,
  printBasis,
  printedParts,
  problemLines,
  titleLines,
} from "./report-text.js";
import { columnWidths, displayWidth, keptWithNext, labelLines } from "./table-layout.js";

/**
 * Draft → .docx in the layout of a published report: GB/T 9704 page and
 * fonts, headings from the flow, the officer's paragraphs, and every table
 * cell for cell as the flow's grid prints it, with computed totals.
 */

export interface RenderOptions {
  /**
   * Open findings: any at all makes the document a 草稿 that lists them (errors,
   * then warnings) on a page of their own before the title and marks missing cells.
   */
  problems?: Finding[];
}

// --- Page and type (GB/T 9704): built once, shared by every render. ---

const TWIPS_PER_MM = 1440 / 25.4;
const twips = (mm: number) => Math.round(mm * TWIPS_PER_MM);
const PAGE = { width: 11906, height: 16838 }; // A4 portrait, twips
const MARGIN_MM = { top: 37, bottom: 35, left: 28, right: 26 };
/** Text width in twips: every table spans exactly this. */
const TEXT_WIDTH = PAGE.width - twips(MARGIN_MM.left) - twips(MARGIN_MM.right);

const BODY_PT = 16; // 三号
const TITLE_PT = 22; // 二号
/** Fixed line pitch: 22 lines fill the GB/T 9704 text area (225 mm), 28.95 pt. */
const BODY_LINE = Math.floor((PAGE.height - twips(MARGIN_MM.top) - twips(MARGIN_MM.bottom)) / 22);
const TITLE_LINE = 700; // fixed 35 pt for the 22 pt title
const INDENT_2_CHARS = 2 * BODY_PT * 20;
/** Title characters a line holds (22 pt on the text width). */
const TITLE_CHARS_PER_LINE = Math.floor(TEXT_WIDTH / (TITLE_PT * 20));
/**
 * GB/T 9704: 22 lines of 28 characters. The line pitch is a document grid;
 * the 28 characters come from a body character spacing of −0.25 pt (28 × 16 pt
 * is slightly wider than 156 mm), since LibreOffice lays out a character grid
 * (linesAndChars) far wider than Word does.
 */
const CHARS_PER_LINE = 28;
const DOC_GRID = { type: DocumentGridType.LINES, linePitch: BODY_LINE };
/** In twentieths of a point, rounded down so that 28 characters fit. */
const BODY_CHAR_SPACING = Math.floor((TEXT_WIDTH / CHARS_PER_LINE / 20 - BODY_PT) * 20);

const fontOf = (eastAsia: string) =>
  ({ eastAsia, ascii: "Times New Roman", hAnsi: "Times New Roman", cs: "Times New Roman" }) as const;
const FONT = {
  body: fontOf("仿宋_GB2312"),
  title: fontOf("方正小标宋简体"),
  heading: fontOf("黑体"),
  subheading: fontOf("楷体_GB2312"),
  pageNumber: fontOf("宋体"),
};
const RED = "FF0000";
/** Shade of a cell a draft still misses. */
const MISSING_SHADE = "D9D9D9";
const EAST_ASIAN_LANGUAGE = { value: "en-US", eastAsia: "zh-CN" } as const;

const STYLE = {
  body: "Body",
  title: "ReportTitle",
  heading: "SectionHeading",
  subheading: "PartHeading",
  cell: "TableText",
};

const STYLES: IStylesOptions = {
  default: {
    document: {
      run: { font: FONT.body, size: BODY_PT * 2, language: EAST_ASIAN_LANGUAGE },
      paragraph: { spacing: { before: 0, after: 0 } },
    },
  },
  paragraphStyles: [
    {
      id: STYLE.body,
      name: "Report Body",
      quickFormat: true,
      run: { font: FONT.body, size: BODY_PT * 2, characterSpacing: BODY_CHAR_SPACING },
      paragraph: {
        alignment: AlignmentType.BOTH,
        indent: { firstLine: INDENT_2_CHARS },
        spacing: { line: BODY_LINE, lineRule: LineRuleType.EXACT, before: 0, after: 0 },
      },
    },
    {
      id: STYLE.title,
      name: "Report Title",
      quickFormat: true,
      run: { font: FONT.title, size: TITLE_PT * 2 },
      paragraph: {
        alignment: AlignmentType.CENTER,
        spacing: { line: TITLE_LINE, lineRule: LineRuleType.EXACT, before: 0, after: 0 },
      },
    },
    {
      id: STYLE.heading,
      name: "Report Heading 1",
      basedOn: STYLE.body,
      next: STYLE.body,
      quickFormat: true,
      run: { font: FONT.heading, size: BODY_PT * 2 },
      paragraph: { outlineLevel: 0, keepNext: true, keepLines: true },
    },
    {
      id: STYLE.subheading,
      name: "Report Heading 2",
      basedOn: STYLE.body,
      next: STYLE.body,
      quickFormat: true,
      run: { font: FONT.subheading, size: BODY_PT * 2 },
      paragraph: { outlineLevel: 1, keepNext: true, keepLines: true },
    },
    {
      id: STYLE.cell,
      name: "Report Table Text",
      quickFormat: true,
      run: { font: FONT.body },
      // Table text keeps its own single spacing: snapped to the 29 pt grid every row would double.
      paragraph: { spacing: { line: 240, lineRule: LineRuleType.AUTO, before: 0, after: 0 } },
    },
  ],
};

const SECTION_PROPERTIES = {
  page: {
    size: { width: PAGE.width, height: PAGE.height, orientation: PageOrientation.PORTRAIT },
    // Whole twips: older Word versions do not read "37mm" in w:pgMar.
    margin: {
      top: twips(MARGIN_MM.top),
      bottom: twips(MARGIN_MM.bottom),
      left: twips(MARGIN_MM.left),
      right: twips(MARGIN_MM.right),
      header: twips(15),
      footer: twips(23), // the page number sits about 7 mm below the text area
    },
  },
  grid: DOC_GRID,
} as const;

/** Small cell margins so 15 columns fit the text width. */
const CELL_MARGINS = { top: 20, bottom: 20, left: 50, right: 50 };
const ROW_MIN_HEIGHT = 340;

// --- Building blocks. ---

// Every run names its East-Asian language: renderers pick Simplified Chinese glyphs by it.
function run(text: string, font: IRunOptions["font"], extra: Omit<IRunOptions, "text" | "font"> = {}): TextRun {
  return new TextRun({ text, font, language: EAST_ASIAN_LANGUAGE, ...extra });
}

function body(
  text: string,
  extra: { alignment?: (typeof AlignmentType)[keyof typeof AlignmentType]; indentRight?: number } = {},
): Paragraph {
  return new Paragraph({
    style: STYLE.body,
    children: [run(text, FONT.body, { size: BODY_PT * 2 })],
    ...(extra.alignment ? { alignment: extra.alignment, indent: { firstLine: 0, right: extra.indentRight ?? 0 } } : {}),
  });
}

function heading(text: string): Paragraph {
  return new Paragraph({ style: STYLE.heading, children: [run(text, FONT.heading, { size: BODY_PT * 2 })] });
}

function subheading(text: string): Paragraph {
  return new Paragraph({ style: STYLE.subheading, children: [run(text, FONT.subheading, { size: BODY_PT * 2 })] });
}

/** Padding of a table cell plus a little room, so a label sized to fit does not wrap on rounding. */
const CELL_PADDING = CELL_MARGINS.left + CELL_MARGINS.right + 20;

function cellLines(cell: GridCell, values: Values, defs: Map<string, CellDef>, missing: ReadonlySet<string>): string[] {
  if (cell.role !== "value") return labelLines(cell);
  if (missing.has(cell.cell!)) return [MISSING_CELL_MARK];
  const v = values.get(cell.cell!);
  return [v === undefined ? "" : formatCellValue(defs.get(cell.cell!), v)];
}

/**
 * One table of the flow. `missing` holds the leaf cells a draft marks
 * (shaded, 待填); a final document passes none.
 */
function gridTable(table: TableDef, values: Values, defs: Map<string, CellDef>, missing: ReadonlySet<string>): Table {
  const widths = columnWidths(table, TEXT_WIDTH, table.fontSize * 20, CELL_PADDING);
  const size = Math.round(table.fontSize * 2);
  const spanWidth = (col: number, span: number) => widths.slice(col, col + span).reduce((a, b) => a + b, 0);
  const paragraph = (lines: string[], role: GridCell["role"], keepNext: boolean) =>
    new Paragraph({
      style: STYLE.cell,
      alignment: role === "label" ? AlignmentType.LEFT : AlignmentType.CENTER,
      ...(keepNext ? { keepNext } : {}),
      children: lines
        .filter((line) => line !== "")
        .map((line, i) =>
          run(line, FONT.body, {
            size,
            ...(role === "title" || role === "header" ? { bold: true } : {}),
            ...(i > 0 ? { break: 1 } : {}),
          }),
        ),
    });

  const keep = keptWithNext(table);
  // Columns still covered by a cell merged down from a row above: its span and rows left.
  const below: ({ span: number; rows: number } | undefined)[] = Array(widths.length).fill(undefined);
  let leadingHeader = true;
  const rows = table.grid.map((gridRow, r) => {
    const keepNext = keep[r] ?? false;
    const cells: TableCell[] = [];
    let next = 0;
    let col = 0;
    while (col < widths.length) {
      const merged = below[col];
      if (merged) {
        cells.push(
          new TableCell({
            children: [new Paragraph({ style: STYLE.cell, ...(keepNext ? { keepNext } : {}) })],
            columnSpan: merged.span,
            width: { size: spanWidth(col, merged.span), type: WidthType.DXA },
            verticalMerge: VerticalMergeType.CONTINUE,
          }),
        );
        merged.rows -= 1;
        if (merged.rows === 0) below[col] = undefined;
        col += merged.span;
        continue;
      }
      const cell = gridRow[next++];
      if (!cell) throw new Error(`table ${table.id}: a grid row leaves column ${col + 1} empty`);
      if (cell.rowSpan > 1) below[col] = { span: cell.colSpan, rows: cell.rowSpan - 1 };
      const isMissing = cell.role === "value" && missing.has(cell.cell!);
      cells.push(
        new TableCell({
          children: [paragraph(cellLines(cell, values, defs, missing), cell.role, keepNext)],
          columnSpan: cell.colSpan,
          width: { size: spanWidth(col, cell.colSpan), type: WidthType.DXA },
          verticalAlign: VerticalAlignTable.CENTER,
          ...(cell.rowSpan > 1 ? { verticalMerge: VerticalMergeType.RESTART } : {}),
          ...(isMissing ? { shading: { type: ShadingType.CLEAR, fill: MISSING_SHADE, color: "auto" } } : {}),
        }),
      );
      col += cell.colSpan;
    }
    // Header rows at the top repeat on every page the table runs onto.
    leadingHeader = leadingHeader && gridRow.every((c) => c.role === "header");
    return new TableRow({
      children: cells,
      cantSplit: true,
      ...(leadingHeader ? { tableHeader: true } : {}),
      height: { value: ROW_MIN_HEIGHT, rule: HeightRule.ATLEAST },
    });
  });
  return new Table({
    rows,
    width: { size: TEXT_WIDTH, type: WidthType.DXA },
    columnWidths: widths,
    layout: TableLayoutType.FIXED,
    alignment: AlignmentType.CENTER,
    margins: CELL_MARGINS,
  });
}

function sectionBlocks(
  section: SectionDef,
  draft: Draft,
  values: Values,
  defs: Map<string, CellDef>,
  missing: ReadonlySet<string>,
): (Paragraph | Table)[] {
  const out: (Paragraph | Table)[] = [heading(section.heading)];
  for (const part of printedParts(section, draft)) {
    if (part.heading) out.push(subheading(part.heading));
    for (const p of part.paragraphs) out.push(body(p));
  }
  for (const table of section.tables) {
    out.push(gridTable(table, values, defs, missing));
    out.push(new Paragraph({ style: STYLE.body }));
  }
  return out;
}

/**
 * The body's name and the date, right-aligned: the date ends two characters
 * from the right margin and the shorter of the two lines is centred over the
 * longer, as signatures of official documents are set.
 */
function closingLines(org: string, date: string): Paragraph[] {
  const width = Math.max(displayWidth(org), displayWidth(date));
  const indent = (text: string) => Math.round(INDENT_2_CHARS + ((width - displayWidth(text)) / 2) * BODY_PT * 20);
  return [org, date].map((text) => body(text, { alignment: AlignmentType.RIGHT, indentRight: indent(text) }));
}

/** A draft opens with its problems, errors first, on a page of their own: a reviewer reads them before the text. */
function problemPage(problems: Finding[]): Paragraph[] {
  return [heading(DRAFT_PROBLEMS_HEADING), ...problemLines(problems).map((line) => body(line))];
}

function titleParagraph(lines: string[], pageBreakBefore: boolean): Paragraph {
  return new Paragraph({
    style: STYLE.title,
    pageBreakBefore,
    children: lines.map((line, i) => run(line, FONT.title, { size: TITLE_PT * 2, ...(i > 0 ? { break: 1 } : {}) })),
  });
}

function draftHeader(): Header {
  return new Header({
    children: [
      new Paragraph({
        alignment: AlignmentType.CENTER,
        children: [run("草稿", FONT.heading, { size: BODY_PT * 2, bold: true, color: RED })],
      }),
    ],
  });
}

/** GB/T 9704: 4号 Arabic numerals between dashes, odd pages on the right and even pages on the left, one character in. */
function pageNumberFooter(side: "odd" | "even"): Footer {
  const oneChar = 14 * 20;
  return new Footer({
    children: [
      new Paragraph({
        alignment: side === "odd" ? AlignmentType.RIGHT : AlignmentType.LEFT,
        indent: side === "odd" ? { right: oneChar } : { left: oneChar },
        children: [
          new TextRun({
            children: ["— ", PageNumber.CURRENT, " —"],
            font: FONT.pageNumber,
            size: 28,
            language: EAST_ASIAN_LANGUAGE,
          }),
        ],
      }),
    ],
  });
}

/**
 * word/styles.xml with table text exempt from the line grid: snapped to the
 * 29 pt body grid, every table row would take a full grid line or two (Word
 * and LibreOffice alike). The docx library has no paragraph snapToGrid, so
 * its styles part is written once, patched, and given to every render.
 */
let stylesPart: Promise<string> | undefined;
function stylesXml(): Promise<string> {
  stylesPart ??= Packer.toBuffer(new Document({ styles: STYLES, sections: [] })).then((zip) => {
    const xml = strFromU8(unzipSync(zip, { filter: (f) => f.name === "word/styles.xml" })["word/styles.xml"]!);
    const at = xml.indexOf(`w:styleId="${STYLE.cell}"`);
    const pPr = xml.indexOf("<w:pPr>", at);
    if (at < 0 || pPr < 0) throw new Error("styles.xml: no paragraph properties in the table text style");
    // snapToGrid precedes spacing in CT_PPrBase, the only other property of this style.
    return `${xml.slice(0, pPr + 7)}<w:snapToGrid w:val="0"/>${xml.slice(pPr + 7)}`;
  });
  return stylesPart;
}

/** The report as .docx bytes. Totals are computed from the leaf cells; totals given in the draft are ignored. */
export async function renderDocx(flow: Flow, draft: Draft, opts: RenderOptions = {}): Promise<Buffer> {
  const { problems, isDraft, values, defs, missing } = printBasis("renderDocx", flow, draft, opts.problems);
  const lines = titleLines(draft, TITLE_CHARS_PER_LINE);
  const title = isDraft ? [`（草稿）${lines[0]}`, ...lines.slice(1)] : lines;

  const children: (Paragraph | Table)[] = [
    ...(isDraft ? problemPage(problems) : []),
    titleParagraph(title, isDraft),
    new Paragraph({ style: STYLE.body }),
    body(openingParagraph(flow, draft)),
    ...flow.sections.flatMap((s) => sectionBlocks(s, draft, values, defs, missing)),
    new Paragraph({ style: STYLE.body }),
    ...closingLines(draft.org, formatReportDate(draft.date)),
  ];

  const header = isDraft ? draftHeader() : undefined;
  const doc = new Document({
    title: title.join(""),
    creator: draft.org,
    lastModifiedBy: draft.org,
    styles: STYLES,
    evenAndOddHeaderAndFooters: true,
    sections: [
      {
        properties: SECTION_PROPERTIES,
        ...(header ? { headers: { default: header, even: header } } : {}),
        footers: { default: pageNumberFooter("odd"), even: pageNumberFooter("even") },
        children,
      },
    ],
  });
  return Packer.toBuffer(doc, false, [
    { path: "word/fontTable.xml", data: fontTableXml() },
    { path: "word/styles.xml", data: await stylesXml() },
  ]);
}
