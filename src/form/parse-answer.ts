/**
 * Parses what an officer types on a phone when the bot asks for one table
 * row: one or more numbers, in whatever separators, digits and units a
 * Chinese phone keyboard produces. Pure: no I/O.
 */
import { CELL_LIMIT, type CellKind } from "./flow-schema.js";

export type RowParse = { ok: true; values: number[]; notes: string[] } | { ok: false; reason: string; example: string };

/** Longer messages cannot be a row; refusing them early keeps the work bounded. */
const MAX_CHARS = 500;

/** After NFKC, full-width comma/semicolon/space are ASCII; 、 and 。 stay. */
const SEPARATORS = /[\s,;、。]+/u;
/** "3000 元", "12 件": a unit typed after a space still belongs to its number. */
const UNIT_GAP = /\s+(?=(?:万元|万|元|件|条|个|项|份|次)(?:[\s,;、。]|$))/gu;
/** Words and marks officers use for "nothing" in a cell. */
const ZERO_WORD = /^(?:[-—―/]+|无|没有|空|零|〇)$/u;
/** "全为0", "都是0", "本行全为0": the whole row is zero. */
const ALL_ZERO = /^(?:本行)?(?:全部|全|都)(?:为|是)?(?:0|零|无)$/u;
const COUNT_UNIT = /(?:件|条|个|项|份|次)$/u;
const DECIMAL = /^(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/iu;
const DECIMAL_WAN = /^(\d+\.?\d*|\.\d+)万$/u;
const INFINITE = /^(?:infinity|inf|∞)$/iu;
const CHINESE = /^[零〇一二两三四五六七八九十百千万点]+$/u;

const DIGIT: Record<string, number> = {
  零: 0,
  〇: 0,
  一: 1,
  二: 2,
  两: 2,
  三: 3,
  四: 4,
  五: 5,
  六: 6,
  七: 7,
  八: 8,
  九: 9,
};
const UNIT: Record<string, number> = { 十: 10, 百: 100, 千: 1000 };

type Fault = "nan" | "big" | "negative" | "fraction";
type Cell = { ok: true; value: number; note?: string } | { ok: false; fault: Fault };
const FAULT: Record<Fault, string> = {
  nan: "请发数字",
  big: "数太大了",
  negative: "这一格不能是负数",
  fraction: "件数要是整数",
};

export function parseRow(text: string, kinds: readonly CellKind[]): RowParse {
  if (kinds.length === 0) throw new Error("parseRow: a row needs at least one cell kind");
  const example = exampleFor(kinds);
  const fail = (reason: string): RowParse => ({ ok: false, reason, example });
  // Never echo the text back: reasons go into HTML messages unescaped.
  if (text.length > MAX_CHARS) return fail("消息太长了，请只发这一行的数。");

  const tokens = text
    .normalize("NFKC")
    .replace(/−/gu, "-") // U+2212 minus sign, from some keyboards
    .replace(UNIT_GAP, "")
    .split(SEPARATORS)
    .filter((t) => t !== "");
  if (tokens.length === 0) return fail("没有收到数字。");

  const only = tokens.length === 1 ? (tokens[0] ?? "") : null;
  if (only !== null && kinds.length > 1) {
    const zero = parseCell(only, kinds[0] ?? "count");
    if (ALL_ZERO.test(only) || (zero.ok && zero.value === 0)) {
      return { ok: true, values: kinds.map(() => 0), notes: ["整行记为0。"] };
    }
  }
  if (only !== null && ALL_ZERO.test(only)) return { ok: true, values: kinds.map(() => 0), notes: [] };

  // Extra tokens beyond the row are read with the last column's kind, only to tell text from numbers.
  const cells = tokens.map((t, i) => parseCell(t, kinds[i] ?? kinds[kinds.length - 1] ?? "count"));
  const at = (i: number) => (kinds.length > 1 ? `（第 ${i + 1} 个数）` : "");
  const nan = cells.findIndex((c) => !c.ok && c.fault === "nan");
  if (nan >= 0) return fail(`请发数字${at(nan)}。`);
  if (tokens.length !== kinds.length) return fail(`这一行要 ${kinds.length} 个数，收到 ${tokens.length} 个。`);

  const values: number[] = [];
  const notes: string[] = [];
  for (const [i, cell] of cells.entries()) {
    if (!cell.ok) return fail(`${FAULT[cell.fault]}${at(i)}。`);
    values.push(cell.value);
    if (cell.note) notes.push(cell.note);
  }
  return { ok: true, values, notes };
}

/** One number for one cell; `token` is already NFKC-normalised and has no separators. */
function parseCell(token: string, kind: CellKind): Cell {
  if (ZERO_WORD.test(token)) return { ok: true, value: 0 };
  const sign = /^[-+负]/u.test(token) ? token.charAt(0) : "";
  let body = token.slice(sign.length);
  let perYuan = false;
  if (kind === "money") {
    if (/万元?$/u.test(body)) body = body.replace(/万元?$/u, "");
    else if (body.endsWith("元")) [body, perYuan] = [body.slice(0, -1), true];
  } else {
    body = body.replace(COUNT_UNIT, "");
  }

  const magnitude = parseMagnitude(body);
  if (Number.isNaN(magnitude)) return { ok: false, fault: "nan" };
  const size = perYuan ? magnitude / 10_000 : magnitude;
  if (!Number.isFinite(size) || size > CELL_LIMIT[kind]) return { ok: false, fault: "big" };
  const value = round6(sign === "-" || sign === "负" ? -size : size);
  if (value < 0 && kind !== "signed") return { ok: false, fault: "negative" };
  if (kind !== "money" && !Number.isInteger(value)) return { ok: false, fault: "fraction" };
  if (!perYuan || value === 0) return { ok: true, value };
  return { ok: true, value, note: `${token}按${String(value)}万元记。` };
}

/** A non-negative number written in digits (optionally "1.2万") or Chinese numerals; NaN if neither. */
function parseMagnitude(body: string): number {
  if (DECIMAL.test(body)) return Number(body);
  const wan = DECIMAL_WAN.exec(body);
  if (wan) return Number(wan[1]) * 10_000;
  if (INFINITE.test(body)) return Number.POSITIVE_INFINITY;
  if (CHINESE.test(body)) return chineseNumber(body);
  return Number.NaN;
}

/** "二十三", "一百零五", "两万五", "三点五", "一〇五". */
function chineseNumber(text: string): number {
  const [whole = "", fraction, extra] = text.split("点");
  if (extra !== undefined || (whole === "" && fraction === undefined)) return Number.NaN;
  const integer = whole === "" ? 0 : chineseInteger(whole);
  if (fraction === undefined) return integer;
  const digits = [...fraction].map((c) => DIGIT[c]);
  if (digits.length === 0 || digits.some((d) => d === undefined)) return Number.NaN;
  return integer + Number(`0.${digits.join("")}`);
}

function chineseInteger(text: string): number {
  const chars = [...text];
  if (!/[十百千万]/u.test(text)) {
    // Digit by digit, as in "一〇五".
    const digits = chars.map((c) => DIGIT[c]);
    return digits.some((d) => d === undefined) ? Number.NaN : Number(digits.join(""));
  }
  let total = 0;
  let section = 0;
  let digit: number | null = null;
  let lastUnit = 100_000; // units within a section must decrease
  let afterZero = false;
  for (const ch of chars) {
    const d = DIGIT[ch];
    if (d === 0) {
      afterZero = true;
    } else if (d !== undefined) {
      if (digit !== null) return Number.NaN;
      digit = d;
    } else if (ch === "万") {
      if (total > 0 || (section === 0 && digit === null)) return Number.NaN;
      total = (section + (digit ?? 0)) * 10_000;
      [section, digit, lastUnit, afterZero] = [0, null, 10_000, false];
    } else {
      const unit = UNIT[ch];
      // A bare 十 means 一十 ("十二"); a bare 百 or 千 is not a number.
      if (unit === undefined || unit >= lastUnit || (digit === null && unit !== 10)) return Number.NaN;
      section += (digit ?? 1) * unit;
      [digit, lastUnit, afterZero] = [null, unit, false];
    }
  }
  // "一百五" is 150, "一百零五" is 105: a trailing digit without 零 counts in the next lower unit.
  if (digit !== null) section += afterZero ? digit : (digit * lastUnit) / 10;
  return total + section;
}

/** Six decimals hide float noise (0.30000000000000004); `|| 0` drops -0. */
function round6(value: number): number {
  return Math.round(value * 1_000_000) / 1_000_000 || 0;
}

/** What to send for this row: as many numbers as it needs, each valid for its kind. */
function exampleFor(kinds: readonly CellKind[]): string {
  const counts = ["3", "0", "0", "0", "1", "0"];
  return kinds.map((k, i) => (k === "money" ? "0.5" : k === "signed" ? "-2" : counts[i % counts.length])).join(" ");
}
