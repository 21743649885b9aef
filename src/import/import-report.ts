import { Draft, type FormatId, IsoDate, type NarrativeId } from "../form/draft.js";
import type { FlowRegistry } from "../form/flow-registry.js";
import type { Flow } from "../form/flow-schema.js";
import { findSectionHeadings, readSectionParts } from "./read-narrative.js";
import { type Region, readTables, type Token, type Unplaced } from "./read-tables.js";
import { type Refusal, type SourceDocument, trimSpaces } from "./source-document.js";

/**
 * A report someone wrote (Word, web page, text) → an interchange Draft:
 * unit, year and format from the title and the preamble (overridable), the
 * narrative split at its headings, the tables read by their labels. Pure.
 */

export interface ImportOptions {
  org?: string;
  year?: number;
}

export interface ImportSummary {
  /** Table cells read (leaves and printed totals). */
  cells: number;
  /** Narrative parts read. */
  parts: number;
}

export type Imported = {
  ok: true;
  draft: Draft;
  summary: ImportSummary;
  /** Cells of the file that could not be read or placed. */
  unplaced: Unplaced[];
  /** What the reader assumed (blanks read as 0, the old （六） row, the format…). */
  notes: string[];
  /** Leaf cells of the form the file does not give. */
  missing: string[];
};
export type ImportResult = Imported | Refusal;

export const IMPORT_REFUSALS = {
  notReport:
    "没有在文件里找到年度报告的表格（如“收到和处理政府信息公开申请情况”表），看起来不是政府信息公开工作年度报告。",
  noYear: "看不出这是哪一年的报告（标题和开头都没有写年份）。",
  noOrg: "看不出这是哪个单位的报告（标题里没有单位名称）。",
} as const;

const TITLE_WORDS = "政府信息公开工作年度报告";
// The date under the unit's name, or the blank the renderer prints when the report has none ("　　年　月　日").
const DATE_LINE =
  /^(?:[\d〇○零一二三四五六七八九十]{4}\s*年\s*[\d一二三四五六七八九十]{1,3}\s*月\s*[\d一二三四五六七八九十]{1,3}\s*日|年月日)$/;

/** The notice number each format was issued by, as printed in a preamble: "〔2021〕30号". */
function noticeNumber(flow: Flow): string {
  return /〔\d{4}〕\d+号/.exec(flow.notice)?.[0] ?? flow.notice;
}

function titleOf(paragraphs: string[]): string | undefined {
  const lines = paragraphs.map(trimSpaces);
  const at = lines.findIndex((p) => p.includes(TITLE_WORDS) && p.length <= 80);
  if (at < 0) return undefined;
  // A long title set on two lines: the unit's name alone on the line before "2022年政府信息公开…".
  const before = at > 0 ? lines[at - 1]! : "";
  const unitFirst = /^(?:\d{4}年度?)?政府信息公开工作年度报告/.test(lines[at]!.replace(/\s+/g, ""));
  return unitFirst && before && before.length <= 40 && !/[。；，,：:]/.test(before)
    ? `${before}${lines[at]}`
    : lines[at];
}

/** "平潭综合实验区2021年政府信息公开工作年度报告", "2022年上海市政府信息公开工作年度报告", "大关街道政府信息公开工作年度报告". */
function orgAndYearFromTitle(title: string | undefined): { org?: string; year?: number } {
  if (!title) return {};
  const words = title.replace(/\s+/g, "").replace(/^（草稿）/, "");
  const m =
    /^(.*?)(\d{4})年度?(.*?)政府信息公开工作年度报告/.exec(words) ?? /^()()(.*?)政府信息公开工作年度报告/.exec(words);
  if (!m) return {};
  const org = `${m[1] ?? ""}${m[3] ?? ""}`.replace(/^关于/, "");
  return { ...(org ? { org } : {}), ...(m[2] ? { year: Number(m[2]) } : {}) };
}

/** The year the report covers, from the preamble and the overview when the title has none. */
function yearFromText(text: string): number | undefined {
  const period = /统计期限[^。]*?(\d{4})\s*年/.exec(text);
  if (period) return Number(period[1]);
  const counts = new Map<number, number>();
  for (const m of text.matchAll(/(20\d{2})\s*年/g)) counts.set(Number(m[1]), (counts.get(Number(m[1])) ?? 0) + 1);
  const best = [...counts].sort((a, b) => b[1] - a[1] || b[0] - a[0])[0];
  return best?.[0];
}

/** The contact sentence the renderer appends to the opening paragraph, after the statistical period. */
function contactFrom(preamble: string[]): string | undefined {
  for (const p of preamble) {
    const m = /统计期限[^。]*止。(.+)$/.exec(trimSpaces(p));
    if (m?.[1]) return m[1];
  }
  return undefined;
}

/** The 成文日期 under the unit's name, as ISO, when written in Arabic digits. */
function dateFrom(paragraphs: string[]): string | undefined {
  for (let i = paragraphs.length - 1; i > 0; i--) {
    const m = /^(\d{4})年(\d{1,2})月(\d{1,2})日$/.exec(trimSpaces(paragraphs[i]!).replace(/\s+/g, ""));
    if (m) return `${m[1]}-${m[2]!.padStart(2, "0")}-${m[3]!.padStart(2, "0")}`;
  }
  return undefined;
}

/** The last section ends before the body's name and the date (and anything a web page adds after them). */
function withoutClosing(paragraphs: string[], org: string | undefined): string[] {
  const date = paragraphs.findIndex((p, i) => i > 0 && DATE_LINE.test(trimSpaces(p).replace(/\s+/g, "")));
  if (date < 0) return paragraphs;
  let end = date;
  const before = trimSpaces(paragraphs[end - 1] ?? "");
  if (end > 1 && (before === org || (before.length <= 40 && !/[。；，,]/.test(before)))) end--;
  return paragraphs.slice(0, end);
}

/** The non-empty lines of the text outside tables, in order. */
function paragraphsOf(source: SourceDocument): string[] {
  return source.blocks.flatMap((block) =>
    block.kind === "paragraph" ? block.text.split("\n").filter((line) => trimSpaces(line) !== "") : [],
  );
}

/**
 * The tables' cells as tokens, per section with tables. Lines of text inside
 * those sections are cells flattened one per line. Tables outside them (no
 * heading found, or a page that starts mid-report) are matched against every
 * table, without listing their stray figures (page numbers, dates).
 */
function regionsOf(flow: Flow, source: SourceDocument, headings: number[]): Region[] {
  const sectionOf = (paragraphIndex: number): number => {
    let at = -1;
    headings.forEach((h, i) => {
      if (h >= 0 && h <= paragraphIndex) at = i;
    });
    return at;
  };
  const hasTables = (section: number) => (flow.sections[section]?.tables.length ?? 0) > 0;
  const tokens = new Map<number, Token[]>();
  let row = 0;
  const add = (section: number, text: string) => {
    const list = tokens.get(section) ?? [];
    list.push({ text, row });
    tokens.set(section, list);
  };
  let paragraphIndex = -1;
  for (const block of source.blocks) {
    if (block.kind === "paragraph") {
      for (const line of block.text.split("\n")) {
        if (trimSpaces(line) === "") continue;
        paragraphIndex++;
        const section = sectionOf(paragraphIndex);
        if (hasTables(section) && paragraphIndex !== headings[section]) {
          add(section, line);
          row++;
        }
      }
      continue;
    }
    const section = sectionOf(paragraphIndex);
    for (const cells of block.rows) {
      for (const cell of cells) add(hasTables(section) ? section : -1, cell);
      row++;
    }
  }
  const regions: Region[] = flow.sections.flatMap((s, i) =>
    s.tables.length > 0 && tokens.has(i) ? [{ tables: s.tables, tokens: tokens.get(i)! }] : [],
  );
  const elsewhere = tokens.get(-1);
  if (elsewhere) regions.push({ tables: flow.sections.flatMap((s) => s.tables), tokens: elsewhere, quiet: true });
  return regions;
}

function narrativeOf(flow: Flow, paragraphs: string[], headings: number[], org: string | undefined) {
  const narrative: Partial<Record<NarrativeId, string>> = {};
  flow.sections.forEach((section, i) => {
    const start = headings[i] ?? -1;
    if (start < 0 || section.parts.length === 0) return;
    const next = headings.slice(i + 1).find((h) => h >= 0);
    let lines = paragraphs.slice(start, next ?? paragraphs.length);
    if (next === undefined) lines = withoutClosing(lines, org);
    Object.assign(narrative, readSectionParts(section, lines));
  });
  return narrative;
}

function leafCells(flow: Flow): string[] {
  return flow.cells.map((c) => c.id);
}

export function importReport(source: SourceDocument, flows: FlowRegistry, options: ImportOptions = {}): ImportResult {
  const paragraphs = paragraphsOf(source);
  const probe = flows.flowFor(flows.formats[flows.formats.length - 1]!);
  const headings = findSectionHeadings(probe, paragraphs);
  const firstHeading = headings.find((h) => h >= 0) ?? paragraphs.length;
  const preamble = paragraphs.slice(0, firstHeading);
  const fromTitle = orgAndYearFromTitle(titleOf(preamble) ?? titleOf(paragraphs));
  const notes: string[] = [];

  const overviewEnd = headings.slice(1).find((h) => h >= 0) ?? paragraphs.length;
  const year =
    options.year ??
    fromTitle.year ??
    yearFromText([...preamble, ...paragraphs.slice(firstHeading, overviewEnd)].join("\n"));
  const preambleText = preamble.join("\n");
  const byNotice = flows.formats.find((f) => preambleText.includes(noticeNumber(flows.flowFor(f))));

  // The format: the year's, else the notice's, else whichever flow's tables the file fills better.
  const candidates: readonly FormatId[] =
    year !== undefined ? [flows.formatForYear(year)] : byNotice ? [byNotice] : flows.formats;
  const reads = candidates.map((format) => {
    const flow = flows.flowFor(format);
    return {
      format,
      flow,
      tables: readTables(flow, regionsOf(flow, source, findSectionHeadings(flow, paragraphs))),
    };
  });
  const best = reads.reduce((a, b) =>
    Object.keys(b.tables.cells).length > Object.keys(a.tables.cells).length ? b : a,
  );
  if (best.tables.rows === 0) return { ok: false, reason: IMPORT_REFUSALS.notReport };
  if (year !== undefined && byNotice && byNotice !== best.format)
    notes.push(
      `开头引用的是 ${byNotice} 年格式的通知，但 ${year} 年度的报告应使用 ${best.format} 年格式，按 ${best.format} 年格式读。`,
    );
  if (year === undefined) return { ok: false, reason: IMPORT_REFUSALS.noYear };
  const org = options.org ?? fromTitle.org;
  if (!org) return { ok: false, reason: IMPORT_REFUSALS.noOrg };

  const { flow, tables } = best;
  const sectionHeadings = findSectionHeadings(flow, paragraphs);
  const narrative = narrativeOf(flow, paragraphs, sectionHeadings, org);
  const contact = contactFrom(preamble);
  const date = dateFrom(paragraphs);
  const parsed = Draft.safeParse({
    format: best.format,
    org,
    year,
    ...(contact ? { contact } : {}),
    ...(date && IsoDate.safeParse(date).success ? { date } : {}),
    narrative,
    cells: tables.cells,
  });
  if (!parsed.success) return { ok: false, reason: IMPORT_REFUSALS.noYear };
  const missing = leafCells(flow).filter((id) => tables.cells[id] === undefined);
  return {
    ok: true,
    draft: parsed.data,
    summary: { cells: Object.keys(tables.cells).length, parts: Object.keys(narrative).length },
    unplaced: tables.unplaced,
    notes: [...notes, ...tables.notes],
    missing,
  };
}
