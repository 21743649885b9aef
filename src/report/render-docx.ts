import {
  AlignmentType,
  Document,
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
  Table,
  TableCell,
  TableLayoutType,
  TableRow,
  TextRun,
  VerticalAlignTable,
  VerticalMergeType,
  WidthType,
} from "docx";
import { formatChineseDate } from "../form/beijing-time.js";
import type { Draft } from "../form/draft.js";
import type { Finding } from "../form/finding.js";
import type { CellDef, Flow, GridCell, SectionDef, TableDef } from "../form/flow-schema.js";
import { computeValues, type Values } from "../form/totals.js";
import { formatCellValue } from "./format-number.js";
import { MISSING_TEXT, narrativeParagraphs, openingParagraph, reportTitle, splitParagraphs } from "./report-text.js";

/**
 * Draft → .docx in the layout of a published report: GB/T 9704 page and
 * fonts, headings from the flow, the officer's paragraphs, and every table
 * cell for cell as the flow's grid prints it, with computed totals.
 */

export interface RenderOptions {
  /** The date printed under the body's name (Beijing time). */
  date: Date;
  /** Open findings: any at all makes the document a 草稿 that lists them at the end. */
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
const BODY_LINE = 580; // fixed 29 pt: 22 lines on the GB/T 9704 text area
const TITLE_LINE = 700; // fixed 35 pt for the 22 pt title
const INDENT_2_CHARS = 2 * BODY_PT * 20;

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
      run: { font: FONT.body, size: BODY_PT * 2, language: { value: "en-US", eastAsia: "zh-CN" } },
      paragraph: { spacing: { before: 0, after: 0 } },
    },
  },
  paragraphStyles: [
    {
      id: STYLE.body,
      name: "Report Body",
      quickFormat: true,
      run: { font: FONT.body, size: BODY_PT * 2 },
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
} as const;

/** Small cell margins so 15 columns fit the text width. */
const CELL_MARGINS = { top: 20, bottom: 20, left: 50, right: 50 };
const ROW_MIN_HEIGHT = 340;

const SEVERITY_WORD: Record<Finding["severity"], string> = { error: "须改正", warning: "请核实" };

// --- Building blocks. ---

function run(text: string, font: IRunOptions["font"], extra: Omit<IRunOptions, "text" | "font"> = {}): TextRun {
  return new TextRun({ text, font, ...extra });
}

function body(
  text: string,
  extra: { alignment?: (typeof AlignmentType)[keyof typeof AlignmentType]; indentRight?: number } = {},
) {
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

/** Cell definitions by id, built once per flow (flows are loaded once and reused). */
const cellDefsByFlow = new WeakMap<Flow, Map<string, CellDef>>();
function cellDefs(flow: Flow): Map<string, CellDef> {
  let defs = cellDefsByFlow.get(flow);
  if (!defs) {
    defs = new Map(flow.cells.map((c) => [c.id, c]));
    cellDefsByFlow.set(flow, defs);
  }
  return defs;
}

/** Relative widths → twips summing to the text width exactly. */
function columnWidths(widths: number[]): number[] {
  const sum = widths.reduce((a, b) => a + b, 0);
  const out = widths.map((w) => Math.floor((w / sum) * TEXT_WIDTH));
  out[out.length - 1]! += TEXT_WIDTH - out.reduce((a, b) => a + b, 0);
  return out;
}

function cellText(cell: GridCell, values: Values, defs: Map<string, CellDef>): string {
  if (cell.role !== "value") return cell.text ?? "";
  const v = values.get(cell.cell!);
  return v === undefined ? "" : formatCellValue(defs.get(cell.cell!), v);
}

function gridTable(table: TableDef, values: Values, defs: Map<string, CellDef>): Table {
  const widths = columnWidths(table.widths);
  const size = Math.round(table.fontSize * 2);
  const spanWidth = (col: number, span: number) => widths.slice(col, col + span).reduce((a, b) => a + b, 0);
  const paragraph = (text: string, role: GridCell["role"]) =>
    new Paragraph({
      style: STYLE.cell,
      alignment: role === "label" ? AlignmentType.LEFT : AlignmentType.CENTER,
      children: text
        ? [run(text, FONT.body, role === "title" || role === "header" ? { size, bold: true } : { size })]
        : [],
    });

  // Columns still covered by a cell merged down from a row above: its span and rows left.
  const below: ({ span: number; rows: number } | undefined)[] = Array(widths.length).fill(undefined);
  let leadingHeader = true;
  const rows = table.grid.map((gridRow) => {
    const cells: TableCell[] = [];
    let next = 0;
    let col = 0;
    while (col < widths.length) {
      const merged = below[col];
      if (merged) {
        cells.push(
          new TableCell({
            children: [new Paragraph({ style: STYLE.cell })],
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
      cells.push(
        new TableCell({
          children: [paragraph(cellText(cell, values, defs), cell.role)],
          columnSpan: cell.colSpan,
          width: { size: spanWidth(col, cell.colSpan), type: WidthType.DXA },
          verticalAlign: VerticalAlignTable.CENTER,
          ...(cell.rowSpan > 1 ? { verticalMerge: VerticalMergeType.RESTART } : {}),
        }),
      );
      col += cell.colSpan;
    }
    // Header rows at the top repeat on every page the table runs onto; title and
    // header rows stay on the page of the first row they head.
    const heads = gridRow.every((c) => c.role === "header" || c.role === "title");
    leadingHeader = leadingHeader && gridRow.every((c) => c.role === "header");
    return new TableRow({
      children: cells,
      cantSplit: true,
      ...(heads ? { keepNext: true } : {}),
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
): (Paragraph | Table)[] {
  const out: (Paragraph | Table)[] = [heading(section.heading)];
  for (const part of section.parts) {
    const paragraphs = narrativeParagraphs(section, part, draft.narrative[part.id]);
    if (paragraphs.length === 0 && part.optional) continue;
    if (part.heading) out.push(subheading(part.heading));
    // A required part left empty shows as such (a draft lists it as a problem too), never silently dropped.
    if (paragraphs.length === 0) out.push(body(MISSING_TEXT));
    for (const p of paragraphs) out.push(body(p));
  }
  for (const table of section.tables) {
    out.push(gridTable(table, values, defs));
    out.push(new Paragraph({ style: STYLE.body }));
  }
  return out;
}

/** Width in characters of the body font: CJK a full character, ASCII half. */
function ems(text: string): number {
  let n = 0;
  for (const ch of text) n += ch.charCodeAt(0) < 0x2e80 ? 0.5 : 1;
  return n;
}

/**
 * The body's name and the date, right-aligned: the date ends two characters
 * from the right margin and the shorter of the two lines is centred over the
 * longer, as signatures of official documents are set.
 */
function closingLines(org: string, date: string): Paragraph[] {
  const width = Math.max(ems(org), ems(date));
  const indent = (text: string) => Math.round(INDENT_2_CHARS + ((width - ems(text)) / 2) * BODY_PT * 20);
  return [org, date].map((text) => body(text, { alignment: AlignmentType.RIGHT, indentRight: indent(text) }));
}

function problemBlocks(problems: Finding[]): Paragraph[] {
  return [
    new Paragraph({ style: STYLE.body }),
    heading("待解决的问题"),
    ...problems.flatMap((f, i) =>
      splitParagraphs(`${i + 1}．［${SEVERITY_WORD[f.severity]}］${f.message}`).map((line) => body(line)),
    ),
  ];
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

function pageNumberFooter(): Footer {
  return new Footer({
    children: [
      new Paragraph({
        alignment: AlignmentType.CENTER,
        children: [new TextRun({ children: ["— ", PageNumber.CURRENT, " —"], font: FONT.pageNumber, size: 28 })],
      }),
    ],
  });
}

/** The report as .docx bytes. Totals are computed from the leaf cells; totals given in the draft are ignored. */
export async function renderDocx(flow: Flow, draft: Draft, opts: RenderOptions): Promise<Buffer> {
  if (draft.format !== flow.format) {
    throw new Error(`renderDocx: the draft uses format ${draft.format} but the flow is format ${flow.format}`);
  }
  const problems = opts.problems ?? [];
  const isDraft = problems.length > 0;
  const values = computeValues(flow, draft.cells);
  const defs = cellDefs(flow);
  const title = `${isDraft ? "（草稿）" : ""}${reportTitle(draft)}`;

  const children: (Paragraph | Table)[] = [
    new Paragraph({ style: STYLE.title, children: [run(title, FONT.title, { size: TITLE_PT * 2 })] }),
    new Paragraph({ style: STYLE.body }),
    body(openingParagraph(flow, draft)),
    ...flow.sections.flatMap((s) => sectionBlocks(s, draft, values, defs)),
    new Paragraph({ style: STYLE.body }),
    ...closingLines(draft.org, formatChineseDate(opts.date)),
    ...(isDraft ? problemBlocks(problems) : []),
  ];

  const doc = new Document({
    title,
    creator: draft.org,
    styles: STYLES,
    sections: [
      {
        properties: SECTION_PROPERTIES,
        ...(isDraft ? { headers: { default: draftHeader() } } : {}),
        footers: { default: pageNumberFooter() },
        children,
      },
    ],
  });
  return Packer.toBuffer(doc);
}
