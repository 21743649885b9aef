/**
 * Parses what an officer types on a phone when the bot asks for one table
 * row: one or more numbers, in whatever separators, digits and units a
 * Chinese phone keyboard produces. Pure: no I/O.
 */
import { chineseNumeral } from "./chinese-numeral.js";
import { CELL_LIMIT, type CellKind } from "./flow-schema.js";

export type RowParse = { ok: true; values: number[]; notes: string[] } | { ok: false; reason: string; example: string };

/** Longer messages cannot be a row; refusing them early keeps the work bounded. */
const MAX_CHARS = 500;

/** A chunk that can follow a thousands comma: exactly three digits, then perhaps a decimal or a unit. */
const GROUP = /^\d{3}(?!\d)/u;
/** The first chunk of a figure written with thousands commas. */
const GROUP_HEAD = /^[-+负]?\d{1,3}$/u;
const MAX_GROUPINGS = 8;
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

  const all = readings(text.normalize("NFKC").replace(/−/gu, "-").replace(UNIT_GAP, ""));
  // The first reading takes every comma as a separator.
  let tokens = all[0] ?? [];
  if (tokens.length === 0) return fail("没有收到数字。");
  if (all.length > 1) {
    const fitting = fits(all, kinds);
    if (fitting.length > 1) {
      const [a = [], b = []] = fitting;
      return fail(
        `是「${a.join(" ")}」还是「${b.join(" ")}」？逗号后面正好三位数时，可能是千位分隔，也可能分开两个数。` +
          "请只用空格分开各个数、千位不加逗号，再发一次。",
      );
    }
    if (fitting.length === 1)
      tokens = all.find((r) => r.length === kinds.length && sameValues(r, fitting[0], kinds)) ?? tokens;
  }

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

/**
 * How the text splits into figures. Spaces, semicolons, 、 and 。 always
 * separate; a comma separates too, except that a comma followed by exactly
 * three digits may group thousands ("1,234", "1,234.5万"). So a text can be
 * read several ways: the first reading takes every comma as a separator, the
 * others group some. The row then decides (parseRow): a reading whose figure
 * count matches the row is taken; when readings with different figures both
 * match, the officer is asked. Too many candidate commas: separators only.
 */
function readings(text: string): string[][] {
  const parts = text.split(/([\s,;、。]+)/u);
  const chunks: string[] = [];
  const commaBefore: boolean[] = [];
  let separator = "";
  for (const [i, part] of parts.entries()) {
    if (i % 2 === 1) separator = part;
    else if (part !== "") {
      commaBefore.push(chunks.length > 0 && separator === ",");
      chunks.push(part);
    }
  }
  if (chunks.length === 0) return [[]];
  const candidates = chunks.filter((c, i) => commaBefore[i] && GROUP.test(c)).length;
  if (candidates === 0 || candidates > MAX_GROUPINGS) return [chunks];
  const out: string[][] = [];
  // `open`: the figure being built can take another thousands group.
  const walk = (i: number, done: string[], current: string, open: boolean): void => {
    if (i === chunks.length) {
      out.push([...done, current]);
      return;
    }
    const next = chunks[i] ?? "";
    walk(i + 1, [...done, current], next, GROUP_HEAD.test(next));
    if (commaBefore[i] && open && GROUP.test(next)) walk(i + 1, done, current + next, /^\d{3}$/u.test(next));
  };
  walk(1, [], chunks[0] ?? "", GROUP_HEAD.test(chunks[0] ?? ""));
  return out;
}

/** The figures of each reading that fits the row, distinct ones only, as numbers shown to the officer. */
function fits(all: string[][], kinds: readonly CellKind[]): string[][] {
  const shown = new Map<string, string[]>();
  for (const reading of all) {
    if (reading.length !== kinds.length) continue;
    const cells = reading.map((t, i) => parseCell(t, kinds[i] ?? "count"));
    if (!cells.every((c) => c.ok)) continue;
    const values = cells.map((c) => String(c.ok ? c.value : ""));
    shown.set(values.join(" "), values);
  }
  return [...shown.values()];
}

function sameValues(reading: string[], values: string[] | undefined, kinds: readonly CellKind[]): boolean {
  return reading.every((t, i) => {
    const cell = parseCell(t, kinds[i] ?? "count");
    return cell.ok && String(cell.value) === values?.[i];
  });
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
  return chineseNumeral(body) ?? Number.NaN;
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
