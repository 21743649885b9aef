import type { Draft } from "../form/draft.js";
import type { Flow, NarrativePart, SectionDef } from "../form/flow-schema.js";

/**
 * The words of the report besides the flow's labels: title, opening
 * paragraph, date, and the officer's narrative as printed paragraphs. Shared
 * by the .docx and the chat previews so both say the same.
 */

export function reportTitle(draft: Pick<Draft, "org" | "year">): string {
  return `${draft.org}${draft.year}年政府信息公开工作年度报告`;
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
    if (rest.startsWith(h.title)) return afterTitle(rest.slice(h.title.length));
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
function afterTitle(after: string): string {
  if (after === "" || /^[\s\u3000：:，,。.]/.test(after)) return dropSeparators(after);
  if (after.length <= 12 && !/[。；！？，,;!?\d]/.test(after)) return "";
  return after;
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
