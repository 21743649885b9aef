import type { Draft } from "../form/draft.js";
import type { Finding } from "../form/finding.js";
import type { CellDef, Flow, NarrativePart, SectionDef } from "../form/flow-schema.js";
import { writtenAsOneText } from "../form/form-steps.js";
import { computeValues, type Values } from "../form/totals.js";
import { cellDefs } from "./format-number.js";
import { displayWidth } from "./table-layout.js";

/**
 * The words of the report besides the flow's labels: title, opening
 * paragraph, date, and the officer's narrative as printed paragraphs. Shared
 * by the .docx and the chat previews so both say the same.
 */

export function reportTitle(draft: Pick<Draft, "org" | "year">): string {
  return `${draft.org}${draft.year}年政府信息公开工作年度报告`;
}

const TITLE_TAIL = "政府信息公开工作年度报告";

/**
 * The title in lines of at most `perLine` characters, broken only between
 * words (GB/T 9704): after the unit's name, or before 政府信息公开工作年度报告,
 * whichever gives the more even lines. A unit name longer than a line is
 * left to the renderer.
 */
export function titleLines(draft: Pick<Draft, "org" | "year">, perLine: number): string[] {
  const whole = reportTitle(draft);
  if (displayWidth(whole) <= perLine) return [whole];
  const year = `${draft.year}年`;
  const options = [
    [draft.org, `${year}${TITLE_TAIL}`],
    [`${draft.org}${year}`, TITLE_TAIL],
  ].filter((lines) => lines.every((l) => displayWidth(l) <= perLine));
  const spread = (lines: string[]) => Math.abs(displayWidth(lines[0]!) - displayWidth(lines[1]!));
  options.sort((a, b) => spread(a) - spread(b));
  return options[0] ?? [draft.org, `${year}${TITLE_TAIL}`];
}

/** The 成文日期 as printed ("2021年1月20日"), or a blank to fill by hand when the report has none. */
export function formatReportDate(date: string | undefined): string {
  const m = date ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(date) : null;
  if (!m) return "　　年　月　日";
  return `${Number(m[1])}年${Number(m[2])}月${Number(m[3])}日`;
}

const CJK_COUNT = "一二三四五六七八九十";

/** Legal basis, the six parts, the statistical period, then the contact the officer gave. */
export function openingParagraph(flow: Flow, draft: Pick<Draft, "year" | "contact">): string {
  const names = flow.sections.map((s) => s.heading.replace(/^[一二三四五六七八九十]+、/, ""));
  const count = CJK_COUNT[flow.sections.length - 1] ?? String(flow.sections.length);
  const contact = draft.contact?.trim();
  return [
    `本报告根据《中华人民共和国政府信息公开条例》（以下简称《条例》）和${flow.noticeTitle.replaceAll("{notice}", flow.notice)}要求编制。`,
    `全文包括${names.join("、")}等${count}部分内容。`,
    `本报告中所列数据的统计期限自${draft.year}年1月1日起至${draft.year}年12月31日止。`,
    contact ? (/[。.！!？?]$/.test(contact) ? contact : `${contact}。`) : "",
  ].join("");
}

// --- The officer's narrative. Headings are printed from the flow, so a heading
// or number typed again at the start of a part ("6、 其他需要报告的事项",
// "（二）依申请公开", "六、") is dropped instead of appearing twice
// (INTERCHANGE.md, narrative). ---

/** Printed where a required part has no text yet. */
export const MISSING_TEXT = "（未填写）";

/** One paragraph per non-empty line, outer spaces (also the ideographic space officers indent with) trimmed. */
export function splitParagraphs(text: string | undefined): string[] {
  if (text === undefined) return [];
  return text
    .split(/\r\n|\r|\n/)
    .map((line) => line.replace(/^[\s\u3000]+|[\s\u3000]+$/g, ""))
    .filter((line) => line.length > 0);
}

/** A part as printed: its sub-heading (if any) and its paragraphs, （未填写） for a required one left empty. */
export interface PrintedPart {
  heading?: string;
  paragraphs: string[];
}

/**
 * The parts of a section as the document prints them: optional parts left
 * empty are omitted, a required one shows （未填写）, and a section written
 * as one text (section 一 of the 2019 format, INTERCHANGE.md) prints that text
 * alone, without empty sub-headings.
 */
export function printedParts(section: SectionDef, draft: Pick<Draft, "narrative">): PrintedPart[] {
  const parts = writtenAsOneText(section, draft)
    ? section.parts.filter((p) => p.id === section.oneText)
    : section.parts;
  const out: PrintedPart[] = [];
  for (const part of parts) {
    const paragraphs = narrativeParagraphs(section, part, draft.narrative[part.id]);
    if (paragraphs.length === 0 && part.optional) continue;
    out.push({
      ...(part.heading ? { heading: part.heading } : {}),
      paragraphs: paragraphs.length > 0 ? paragraphs : [MISSING_TEXT],
    });
  }
  return out;
}

// --- A draft's marks. ---

/** Heading of the page a 草稿 opens with. */
export const DRAFT_PROBLEMS_HEADING = "草稿：待核实事项";
/** Printed in a table cell the officer has not answered yet (a draft only). */
export const MISSING_CELL_MARK = "待填";
const SEVERITY_WORD: Record<Finding["severity"], string> = { error: "须改正", warning: "请核实" };

/** The findings as numbered lines, errors first, then warnings. */
export function problemLines(problems: readonly Finding[]): string[] {
  const ordered = [
    ...problems.filter((f) => f.severity === "error"),
    ...problems.filter((f) => f.severity === "warning"),
  ];
  return ordered.flatMap((f, i) => splitParagraphs(`${i + 1}．［${SEVERITY_WORD[f.severity]}］${f.message}`));
}

/** Leaf cells of the flow the draft has no figure for. */
function missingLeafCells(flow: Flow, draft: Pick<Draft, "cells">): Set<string> {
  return new Set(flow.cells.filter((c) => draft.cells[c.id] === undefined).map((c) => c.id));
}

/** What the .docx and the .html print from: the figures with totals, and a draft's problems and missing cells. */
export interface PrintBasis {
  problems: Finding[];
  isDraft: boolean;
  values: Values;
  defs: Map<string, CellDef>;
  /** Leaf cells a draft marks 待填; none in a final document. */
  missing: ReadonlySet<string>;
}

export function printBasis(who: string, flow: Flow, draft: Draft, problems: Finding[] = []): PrintBasis {
  if (draft.format !== flow.format) {
    throw new Error(`${who}: the draft uses format ${draft.format} but the flow is format ${flow.format}`);
  }
  const isDraft = problems.length > 0;
  return {
    problems,
    isDraft,
    values: computeValues(flow, draft.cells),
    defs: cellDefs(flow),
    missing: isDraft ? missingLeafCells(flow, draft) : new Set(),
  };
}

/** The part's paragraphs without a repeated heading; empty when nothing was written. */
export function narrativeParagraphs(section: SectionDef, part: NarrativePart, text: string | undefined): string[] {
  const paragraphs = splitParagraphs(text);
  for (const heading of [section.heading, part.heading]) {
    const numbered = heading === undefined ? undefined : parseHeading(heading);
    if (!numbered || paragraphs.length === 0) continue;
    const rest = stripHeading(paragraphs[0]!, numbered);
    if (rest === undefined) continue;
    if (rest.length === 0) paragraphs.shift();
    else paragraphs[0] = rest;
  }
  return paragraphs;
}

interface NumberedHeading {
  /** 1 for 一、 or （一）. */
  n: number;
  /** "（一）" style (a part) or "一、" style (a section). */
  paren: boolean;
  /** The words after the number, e.g. 其他需要报告的事项. */
  title: string;
}

const CJK_DIGITS = "一二三四五六七八九十";

function parseHeading(heading: string): NumberedHeading | undefined {
  const m = /^(?:（([一二三四五六七八九十])）|([一二三四五六七八九十])、)(.*)$/.exec(heading);
  if (!m) return undefined;
  const numeral = m[1] ?? m[2]!;
  return { n: CJK_DIGITS.indexOf(numeral) + 1, paren: m[1] !== undefined, title: m[3]! };
}

const OPEN = "[（(]";
const CLOSE = "[）)]";
const AFTER_NUMBER = "[、.．]";
const SPACES = "[\\s\\u3000]*";

/**
 * Numbers written as the flow writes them ("六、", "（二）") are dropped even
 * without the title; other spellings ("6、", "（2）", "二、" for a part) are
 * only dropped together with a title, since "1.加强培训" may start a list.
 */
function numberPatterns(h: NumberedHeading): { strong: RegExp; weak: RegExp } {
  const cjk = CJK_DIGITS[h.n - 1]!;
  const arabic = `(?:${h.n}|${String.fromCharCode(0xff10 + h.n)})`;
  const strong = h.paren ? `${OPEN}${cjk}${CLOSE}` : `${cjk}${AFTER_NUMBER}`;
  const weak = h.paren
    ? `(?:${OPEN}${arabic}${CLOSE}|${arabic}${AFTER_NUMBER}|${cjk}${AFTER_NUMBER})`
    : `(?:${arabic}${AFTER_NUMBER}|${OPEN}${cjk}${CLOSE})`;
  return { strong: new RegExp(`^${strong}${SPACES}`), weak: new RegExp(`^${weak}${SPACES}`) };
}

/** The paragraph without the heading, "" when it was only the heading, undefined when it does not start with it. */
function stripHeading(paragraph: string, h: NumberedHeading): string | undefined {
  const { strong, weak } = numberPatterns(h);
  const strongMatch = strong.exec(paragraph);
  const matched = strongMatch ?? weak.exec(paragraph);
  if (matched) {
    const rest = paragraph.slice(matched[0].length);
    if (rest.startsWith(h.title)) return afterTitle(rest.slice(h.title.length)) ?? (strongMatch ? rest : undefined);
    if (looksLikeOwnHeading(rest, h.title)) return "";
    return strongMatch ? rest : undefined;
  }
  // The heading without its number, alone on its line ("其他需要报告的事项").
  if (paragraph.startsWith(h.title)) {
    const after = paragraph.slice(h.title.length);
    if (after === "" || /^[：:]$/.test(after)) return "";
  }
  return undefined;
}

/**
 * What follows the title on its line: text after a separator ("：2020年…")
 * is kept; a short unpunctuated tail ("依申请公开" + "政府信息情况") is the
 * officer's longer wording of the heading and goes with it.
 */
function afterTitle(after: string): string | undefined {
  if (after === "" || /^[\s\u3000：:，,。.]/.test(after)) return dropSeparators(after);
  if (after.length <= 12 && !/[。；！？，,;!?\d]/.test(after)) return "";
  // The rest of a longer heading phrase ("情况。2024年…"): dropped up to its punctuation.
  const phrase = /^[^\s\u3000：:，,。.；;！？!?\d０-９]{1,4}[：:。．.]/.exec(after);
  if (phrase) return dropSeparators(after.slice(phrase[0].length));
  // Anything else began with the heading's words by chance: kept as typed.
  return undefined;
}

function dropSeparators(s: string): string {
  return s.replace(/^[\s\u3000：:，,。.]+/, "");
}

/**
 * The officer's own wording of the heading on a line of its own, such as
 * "平台建设情况" for （四）政府信息公开平台建设: short, no sentence punctuation,
 * and sharing at least two consecutive characters with the flow's title.
 */
function looksLikeOwnHeading(line: string, title: string): boolean {
  const words = line.replace(/[：:]$/, "");
  if (words.length === 0) return true;
  if (words.length > 24 || /[。；！？，,;!?]/.test(words)) return false;
  for (let i = 0; i + 2 <= words.length; i++) if (title.includes(words.slice(i, i + 2))) return true;
  return false;
}
