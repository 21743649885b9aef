import { Draft, IsoDate, NARRATIVE_IDS } from "./draft.js";
import type { FlowRegistry } from "./flow-registry.js";

export type LoadResult = { ok: true; draft: Draft } | { ok: false; error: string };

const TOP_KEYS = new Set(Object.keys(Draft.shape));
const PART_IDS = new Set<string>(NARRATIVE_IDS);

/**
 * Reads an interchange file (INTERCHANGE.md). Anything that does not fit the
 * form makes it unreadable, with a message naming the key and the value;
 * numbers that fit but are wrong load and become findings of the checks.
 */
export function loadReport(text: string, flows: FlowRegistry): LoadResult {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    return fail(`不是有效的 JSON 文件（${(e as Error).message}）`);
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
  }

  const cells = data.cells ?? {};
  if (!isObject(cells)) return fail(`"cells" 应是对象，现在是 ${show(cells)}`);
  const known = new Set([...flow.cells.map((c) => c.id), ...flow.totals.map((t) => t.id)]);
  for (const [key, value] of Object.entries(cells)) {
    if (!known.has(key)) return fail(`"cells" 里有 ${format} 格式没有的单元格 "${key}"`);
    if (typeof value !== "number") return fail(`"cells.${key}" 应是数字，现在是 ${show(value)}`);
  }

  const parsed = Draft.safeParse({ ...data, format, narrative, cells });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return fail(`"${issue?.path.join(".")}"：${issue?.message}`);
  }
  return { ok: true, draft: parsed.data };
}

/** The interchange file of a draft: the same shape, totals left out (they are computed). */
export function exportReport(draft: Draft): string {
  return `${JSON.stringify(draft, null, 2)}\n`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function show(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

function fail(error: string): LoadResult {
  return { ok: false, error };
}
