/**
 * Text analysis for the check "narrative vs table" (FORMAT.md §5 A9): finds the
 * figures a narrative states for a claim, its zero statements, and "of which"
 * lists whose parts do not add up. Knows no cells: the phrases come from the flows.
 */

import { BoundedCache } from "../bounded-cache.js";
import { chineseNumeral } from "./chinese-numeral.js";

const toAscii = (s: string) => s.replace(/[０-９]/g, (d) => String(d.charCodeAt(0) - 0xff10));

/** Arabic (ASCII or full-width, "1,200") or Chinese numeral (the one reader, chinese-numeral.ts); undefined when not a number. */
export function parseChineseNumber(s: string): number | undefined {
  const t = toAscii(s.trim());
  if (/^(?:\d{1,3}(?:,\d{3})+|\d+)$/.test(t)) return Number(t.replaceAll(",", ""));
  // Whole numbers only: a stated count has no 点.
  return t.includes("点") ? undefined : chineseNumeral(t);
}

/** A quantity in the text: a numeral with a unit. Approximate ones block but never count. */
interface Quantity {
  start: number;
  end: number;
  value: number;
  unit: string;
  approx: boolean;
}

/** Thousands commas first, so "1,234.5万元" is read whole and not from its "234.5". */
const NUMERAL =
  "[0-9０-９]{1,3}(?:,[0-9]{3})+(?:[.．][0-9０-９]+)?|[0-9０-９]+[.．][0-9０-９]+|[0-9０-９]+|[零〇一二两三四五六七八九十百千万]+";
/** Units of a count; 万元 and 元 are amounts of money, read in 万元 (the tables' unit). */
export const COUNT_UNITS: readonly string[] = ["件", "条", "个", "项", "份", "次", "起", "宗"];
const MONEY_UNITS: Record<string, number> = { 万元: 1, 元: 1 / 10_000 };
const QUANTITY = new RegExp(
  `(近|约|大约|逾|超过|将近)?(${NUMERAL})\\s*(余|多)?\\s*(万元|元|件|条|个|项|份|次|起|宗)(左右|以上|余)?`,
  "g",
);
/** Set phrases where 一 + unit is not a count ("最多跑一次", "一条龙服务"). */
const IDIOM = /跑一次|一条龙|一次性|一件事|一次办/;

function quantities(text: string): Quantity[] {
  const out: Quantity[] = [];
  for (const m of text.matchAll(QUANTITY)) {
    const [all, prefix, numeral = "", suffix, unit = "", after] = m;
    const numStart = m.index + (prefix?.length ?? 0);
    const end = m.index + all.length;
    const before = text.slice(0, numStart).trimEnd();
    if (/(?:第|[〔〕[\]【】]|[0-9０-９.．]|百分之)$/.test(before)) continue; // ordinal, doc number, decimal, percent
    if (text.startsWith("百分点", end)) continue;
    if (IDIOM.test(text.slice(Math.max(0, numStart - 1), end + 2))) continue;
    // "一起" usually means "together"; it is a count only before 案 or at a clause end.
    if (numeral === "一" && unit === "起" && !/^(?:案|[，,、。；;！？!?\n]|$)/.test(text.slice(end))) continue;
    // A decimal is an amount of money ("2.35万元"); a count is never written with one.
    const decimal = /^[0-9０-９,]+[.．][0-9０-９]+$/.test(numeral);
    const parsed = decimal
      ? Number(toAscii(numeral).replace("．", ".").replaceAll(",", ""))
      : parseChineseNumber(numeral);
    const scale = MONEY_UNITS[unit];
    const value = parsed === undefined || scale === undefined ? parsed : Math.round(parsed * scale * 1e6) / 1e6;
    // A count is whole ("3.5件" is no count); a sum of money may have decimals.
    const whole = scale !== undefined || (value !== undefined && Number.isInteger(value));
    const approx = Boolean(prefix || suffix || after) || value === undefined || !whole;
    out.push({ start: m.index, end, value: value ?? Number.NaN, unit, approx });
  }
  return out;
}

const CLAUSE_END = /[。；;！？!?\n]/;
const SOFT_BREAK = /[，,、：:]/;
/** What may stand between a soft break and the figure it leads to ("，共计12件"). */
const CONTINUATION = /^(?:共计|合计|总计|累计|共|计|总数|数量|为|达|是|有|\s)*$/;
const MAX_LEAD = 20;

/** The first quantity after `pos` in the same clause, crossing at most one soft break into a bare continuation. */
function quantityAfter(text: string, qs: readonly Quantity[], pos: number): Quantity | undefined {
  const q = qs.find((x) => x.start >= pos);
  if (!q) return undefined;
  const lead = text.slice(pos, q.start);
  if (lead.length > MAX_LEAD || CLAUSE_END.test(lead)) return undefined;
  const pieces = lead.split(SOFT_BREAK);
  if (pieces.length > 2 || (pieces.length === 2 && !CONTINUATION.test(pieces[1] ?? ""))) return undefined;
  return q;
}

const GAP = `([^。；;！？!?\\n]{0,12}?)`;

/** Compiled phrases: the flows' patterns are a fixed set, compiled once (matchAll copies the regex, so sharing is safe). */
const compiled = new BoundedCache<string, { re: RegExp; gaps: number }>(2000);

/** "收到…申请" → regex; "…" is a short gap inside one clause. */
function compile(pattern: string): { re: RegExp; gaps: number } {
  const known = compiled.get(pattern);
  if (known) return known;
  const pieces = pattern.split(/…+|\.{3,}/).filter((p) => p !== "");
  const escaped = pieces.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  const made = { re: new RegExp(escaped.join(GAP), "dg"), gaps: pieces.length - 1 };
  return compiled.set(pattern, made);
}

export interface Statement {
  value: number;
  /** The unit written with the number ("件", "万元"); none for a zero statement. */
  unit?: string;
  /** Where the phrase starts. */
  index: number;
  /** Where the stated number starts (the phrase start for a zero statement): one number backs one claim. */
  at: number;
  quote: string;
}

function quote(text: string, start: number, end: number): string {
  const s = text.slice(start, end);
  return s.length <= 40 ? s : `${s.slice(0, 20)}…${s.slice(-19)}`;
}

interface Hit {
  start: number;
  end: number;
  q: Quantity | undefined;
}

/**
 * How a claim reads its figure: `units` it is written in (counts when not
 * given), and `after`: only right after the phrase, never inside its gap
 * ("规范性文件3件，废止1件" states 1 for 规范性文件…废止, not 3).
 */
export interface ReadOptions {
  units?: readonly string[];
  after?: boolean;
}

/** Each phrase match with the quantity it states: inside its last gap / right before it, else right after it. */
function* phraseHits(
  text: string,
  all: readonly Quantity[],
  patterns: readonly string[],
  opts: ReadOptions = {},
): Generator<Hit> {
  const units = opts.units ?? COUNT_UNITS;
  const qs = all.filter((q) => units.includes(q.unit));
  for (const pattern of patterns) {
    const { re, gaps } = compile(pattern);
    if (re.source === "(?:)") continue;
    for (const m of text.matchAll(re)) {
      const start = m.index;
      const end = start + m[0].length;
      const gapStart = gaps > 0 ? (m.indices?.[gaps]?.[0] ?? end) : start;
      const inside = opts.after
        ? []
        : qs.filter((x) =>
            gaps > 0
              ? x.start >= gapStart && x.end <= end
              : x.end <= start && text.slice(x.end, start).trim() === "" && x.end > start - 3,
          );
      const q = inside.at(-1) ?? quantityAfter(text, qs, end);
      yield { start, end, q };
    }
  }
}

/**
 * What was found in recently checked texts. The checks run on every answer
 * over every narrative part (twice for a row: before and after), and a part
 * rarely changes between answers: without this, an answer late in the form
 * re-reads all the text written so far (DESIGN.md principle 5). Keyed by the
 * text itself, by the pattern list (the flows' arrays) within it; bounded.
 */
interface TextAnalysis {
  quantities: Quantity[];
  values: WeakMap<readonly string[], Statement[]>;
  zeros: WeakMap<readonly string[], Statement[]>;
  ofWhich?: OfWhich[];
  /** What callers worked out from this text alone (readsOf). */
  derived: WeakMap<object, unknown>;
}
const recent = new BoundedCache<string, TextAnalysis>(512);

function analysisOf(text: string): TextAnalysis {
  return (
    recent.get(text) ??
    recent.set(text, {
      quantities: quantities(text),
      values: new WeakMap(),
      zeros: new WeakMap(),
      derived: new WeakMap(),
    })
  );
}

/**
 * What `read` works out from `text` alone, remembered with the text's
 * analysis under `key`: an object that stands for how it is read (e.g. a
 * rule's list of claims for one part), never changed in place. The checks
 * re-run a part's claims whenever a cell they compare changes; the text
 * usually has not, so the phrases are not matched again.
 */
export function readsOf<T>(text: string, key: object, read: () => T): T {
  const { derived } = analysisOf(text);
  if (derived.has(key)) return derived.get(key) as T;
  const made = read();
  derived.set(key, made);
  return made;
}

function remembered<T>(cache: WeakMap<readonly string[], T[]>, patterns: readonly string[], find: () => T[]): T[] {
  let found = cache.get(patterns);
  if (!found) {
    found = find();
    cache.set(patterns, found);
  }
  return [...found];
}

/**
 * Numbers the text states for a claim (a list of phrase patterns; "…" is a
 * short gap). Remembered per pattern list: give one list one set of options.
 */
export function statedValues(text: string, patterns: readonly string[], opts: ReadOptions = {}): Statement[] {
  const analysis = analysisOf(text);
  return remembered(analysis.values, patterns, () => findValues(text, analysis.quantities, patterns, opts));
}

function findValues(
  text: string,
  qs: readonly Quantity[],
  patterns: readonly string[],
  opts: ReadOptions,
): Statement[] {
  const byQuantity = new Map<number, Statement>();
  for (const { start, end, q } of phraseHits(text, qs, patterns, opts)) {
    if (!q || q.approx || byQuantity.has(q.start)) continue;
    byQuantity.set(q.start, {
      value: q.value,
      unit: q.unit,
      index: start,
      at: q.start,
      quote: quote(text, Math.min(start, q.start), Math.max(end, q.end)),
    });
  }
  return [...byQuantity.values()].sort((a, b) => a.index - b.index);
}

/** Zero statements ("未收到…申请"): phrase matches that state no quantity; returned as value 0. */
export function statedZeros(text: string, patterns: readonly string[]): Statement[] {
  const analysis = analysisOf(text);
  return remembered(analysis.zeros, patterns, () => findZeros(text, analysis.quantities, patterns));
}

function findZeros(text: string, qs: readonly Quantity[], patterns: readonly string[]): Statement[] {
  const hits: Hit[] = [];
  for (const hit of phraseHits(text, qs, patterns)) {
    if (hit.q || hits.some((h) => h.start < hit.end && hit.start < h.end)) continue;
    hits.push(hit);
  }
  return hits
    .sort((a, b) => a.start - b.start)
    .map((h) => ({ value: 0, index: h.start, at: h.start, quote: quote(text, h.start, h.end) }));
}

export interface OfWhich {
  whole: number;
  parts: number[];
  quote: string;
}

const MARKER = /其中|分别|包括/g;
const SENTENCE = /[^。！？!?\n]*[。！？!?\n]?/g;

/** "of which" lists (其中/分别/包括) whose parts do not add up to the whole stated just before. */
export function ofWhichMismatches(text: string): OfWhich[] {
  const analysis = analysisOf(text);
  analysis.ofWhich ??= findOfWhich(text, analysis.quantities);
  return [...analysis.ofWhich];
}

function findOfWhich(text: string, qs: readonly Quantity[]): OfWhich[] {
  const sentences = [...text.matchAll(SENTENCE)]
    .filter((m) => m[0] !== "")
    .map((m) => ({ start: m.index, end: m.index + m[0].length }));
  const sentenceOf = (pos: number) => sentences.findIndex((s) => pos >= s.start && pos < s.end);
  // "其中A、B分别为…" is one list: markers with no quantity between them merge.
  const groups: { start: number; end: number; sentence: number }[] = [];
  for (const m of text.matchAll(MARKER)) {
    const sentence = sentenceOf(m.index);
    const last = groups.at(-1);
    if (last && last.sentence === sentence && !qs.some((q) => q.start >= last.end && q.start < m.index)) {
      last.end = m.index + m[0].length;
    } else groups.push({ start: m.index, end: m.index + m[0].length, sentence });
  }
  const out: OfWhich[] = [];
  for (const [i, g] of groups.entries()) {
    const next = groups[i + 1];
    const listEnd = next && next.sentence === g.sentence ? next.start : (sentences[g.sentence]?.end ?? text.length);
    const whole = wholeBefore(text, qs, g.start, sentences[Math.max(0, g.sentence - 1)]?.start ?? 0);
    if (!whole) continue;
    const listed = qs.filter((q) => q.start >= g.end && q.end <= listEnd && q.unit === whole.unit);
    if (listed.length < 2 || listed.some((q) => q.approx)) continue;
    const parts = listed.map((q) => q.value);
    // A list may run on past its own parts ("…，办结12件"): any prefix that adds up is fine.
    const sums = parts.map((_, k) => parts.slice(0, k + 1).reduce((a, b) => a + b, 0));
    if (sums.slice(1).includes(whole.value)) continue;
    out.push({ whole: whole.value, parts, quote: quote(text, whole.start, listed.at(-1)?.end ?? listEnd) });
  }
  return out;
}

/** The whole a list refers to: by the name it repeats ("其中政府信息公开：…"), else the nearest exact quantity. */
function wholeBefore(
  text: string,
  qs: readonly Quantity[],
  markerAt: number,
  windowStart: number,
): Quantity | undefined {
  const clauseEnd = text.slice(markerAt).search(CLAUSE_END);
  const head = text.slice(markerAt + 2, clauseEnd < 0 ? text.length : markerAt + clauseEnd);
  const colon = head.search(/[：:]/);
  const name = colon > 0 ? head.slice(0, colon).trim() : "";
  if (name.length > 0 && name.length <= 15 && !/[，,、0-9０-９]/.test(name)) {
    for (let at = text.lastIndexOf(name, markerAt - 1); at >= windowStart; at = text.lastIndexOf(name, at - 1)) {
      const q = quantityAfter(text, qs, at + name.length);
      if (q && !q.approx && q.end <= markerAt) return q;
      if (at === 0) break;
    }
  }
  return qs.filter((q) => !q.approx && q.start >= windowStart && q.end <= markerAt).at(-1);
}
