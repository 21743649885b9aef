import { Draft, IsoDate, NARRATIVE_IDS, PART_LIMIT } from "./draft.js";
import type { FlowRegistry } from "./flow-registry.js";
import { CELL_LIMIT, type Flow } from "./flow-schema.js";

export type LoadResult = { ok: true; draft: Draft } | { ok: false; error: string };

/** An interchange file is a few KB; anything larger is refused before it is read. */
export const MAX_FILE_BYTES = 1024 * 1024;
/** The file nests two levels (cells, narrative); deeper is refused before parsing. */
const MAX_DEPTH = 8;
/** A total is a sum of bounded leaves; a given total beyond this is no total of this form. */
const TOTAL_LIMIT = 10_000_000_000;

/**
 * The one way a file's bytes become a draft, for the command line and the
 * bot alike: refused by size first, decoded strictly as UTF-8 (a BOM is
 * accepted, GBK or broken bytes are not), refused when nested deeper than the
 * format, then read as JSON with a message in Chinese.
 */
export function loadReportFile(bytes: Uint8Array, flows: FlowRegistry): LoadResult {
  if (bytes.length > MAX_FILE_BYTES)
    return fail(
      `文件太大（${Math.ceil(bytes.length / 1024)} KB），数据文件不会超过 ${MAX_FILE_BYTES / 1024 / 1024} MB`,
    );
  let text: string;
  try {
    // fatal: broken or non-UTF-8 bytes (GBK) throw instead of turning into U+FFFD; a BOM is dropped.
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return fail("文件不是 UTF-8 编码的文字（可能是 GBK），请用 /export 或 nianbao 导出的 .json 文件");
  }
  return loadReport(text, flows);
}

/** How deep brackets nest outside strings, stopping as soon as it passes `max`. */
function nestingDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "{" || c === "[") {
      if (++depth > max) return true;
    } else if (c === "}" || c === "]") depth--;
  }
  return false;
}

/** JSON.parse's English message as a Chinese one, with the line and column where it went wrong. */
function jsonProblem(text: string, error: Error): string {
  if (/end of JSON input/i.test(error.message)) return "不是完整的 JSON 文件：内容在中途断了";
  const at = /position (\d+)/.exec(error.message);
  if (!at) return "不是有效的 JSON 文件";
  const before = text.slice(0, Number(at[1]));
  const line = before.split("\n").length;
  const column = before.length - before.lastIndexOf("\n");
  return `不是有效的 JSON 文件：第 ${line} 行第 ${column} 列附近格式不对`;
}

const TOP_KEYS = new Set(Object.keys(Draft.shape));
const PART_IDS = new Set<string>(NARRATIVE_IDS);

/**
 * Reads an interchange file (INTERCHANGE.md). Anything that does not fit the
 * form makes it unreadable, with a message naming the key and the value;
 * numbers that fit but are wrong load and become findings of the checks.
 */
export function loadReport(text: string, flows: FlowRegistry): LoadResult {
  if (text.length > MAX_FILE_BYTES) return fail(`文件太大，数据文件不会超过 ${MAX_FILE_BYTES / 1024 / 1024} MB`);
  if (nestingDeeperThan(text, MAX_DEPTH)) return fail("文件的层次太深，不是数据文件的格式");
  let data: unknown;
  try {
    data = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (e) {
    return fail(jsonProblem(text, e as Error));
  }
  if (!isObject(data)) return fail("文件内容应是一个 JSON 对象");
  for (const key of Object.keys(data)) if (!TOP_KEYS.has(key)) return fail(`不认识的字段 "${key}"`);

  const { year, org } = data;
  if (typeof year !== "number" || !Number.isInteger(year)) return fail(`"year" 应是年份数字，现在是 ${show(year)}`);
  if (typeof org !== "string" || org.trim() === "") return fail(`"org" 应是单位名称，现在是 ${show(org)}`);
  const expected = flows.formatForYear(year);
  const format = data.format ?? expected;
  if (typeof format !== "string" || !flows.isFormat(format)) {
    const known = flows.formats.map((f) => `"${f}"`).join("、");
    return fail(`"format" 只能是 ${known}，现在是 ${show(format)}`);
  }
  if (format !== expected) return fail(`"format" 是 "${format}"，但 ${year} 年度的报告应使用 "${expected}" 格式`);
  const flow = flows.flowFor(format);
  if (data.date !== undefined && !IsoDate.safeParse(data.date).success)
    return fail(`"date" 应是成文日期，写成 YYYY-MM-DD（如 2023-01-20），现在是 ${show(data.date)}`);

  const narrative = data.narrative ?? {};
  if (!isObject(narrative)) return fail(`"narrative" 应是对象，现在是 ${show(narrative)}`);
  for (const [key, value] of Object.entries(narrative)) {
    if (!PART_IDS.has(key)) return fail(`"narrative" 里有不认识的部分 "${key}"`);
    if (typeof value !== "string") return fail(`"narrative.${key}" 应是文字，现在是 ${show(value)}`);
    if (value.length > PART_LIMIT) return fail(`"narrative.${key}" 太长了（超过 ${PART_LIMIT} 字）`);
  }

  const cells = data.cells ?? {};
  if (!isObject(cells)) return fail(`"cells" 应是对象，现在是 ${show(cells)}`);
  const limits = cellLimits(flow);
  for (const [key, value] of Object.entries(cells)) {
    const limit = limits.get(key);
    if (limit === undefined) return fail(`"cells" 里有 ${format} 格式没有的单元格 "${key}"`);
    if (typeof value !== "number") return fail(`"cells.${key}" 应是数字，现在是 ${show(value)}`);
    if (!(Math.abs(value) <= limit))
      return fail(`"cells.${key}" 是 ${show(value)}，超出了这一格能填的范围（${limit}）`);
  }

  const parsed = Draft.safeParse({ ...data, format, narrative, cells });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return fail(`"${issue?.path.join(".")}"：${issue?.message}`);
  }
  return { ok: true, draft: parsed.data };
}

/**
 * What a draft read from anywhere (an interchange file, an officer's Word
 * file or web page) may not hold: a narrative part over PART_LIMIT, a figure
 * beyond what its cell holds. Undefined when it fits.
 */
export function draftProblem(flow: Flow, draft: Draft): string | undefined {
  for (const [key, value] of Object.entries(draft.narrative))
    if ((value ?? "").length > PART_LIMIT) return `"narrative.${key}" 太长了（超过 ${PART_LIMIT} 字）`;
  const limits = cellLimits(flow);
  for (const [key, value] of Object.entries(draft.cells)) {
    const limit = limits.get(key) ?? TOTAL_LIMIT;
    if (!(Math.abs(value) <= limit)) return `"cells.${key}" 是 ${show(value)}，超出了这一格能填的范围（${limit}）`;
  }
  return undefined;
}

function cellLimits(flow: Flow): Map<string, number> {
  return new Map<string, number>([
    ...flow.cells.map((c) => [c.id, CELL_LIMIT[c.kind]] as const),
    ...flow.totals.map((t) => [t.id, TOTAL_LIMIT] as const),
  ]);
}

/** The interchange file of a draft: the same shape, totals left out (they are computed). */
export function exportReport(draft: Draft): string {
  return `${JSON.stringify(draft, null, 2)}\n`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A value, short; never throws (a value can nest deep or be huge). */
function show(v: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = typeof v;
  }
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

function fail(error: string): LoadResult {
  return { ok: false, error };
}
