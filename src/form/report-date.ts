import { beijingIsoDate } from "./beijing-time.js";
import { chineseNumeral } from "./chinese-numeral.js";

/**
 * The 成文日期 (the date printed under the unit's name) as an officer types
 * it: 2025-01-20, 2025/1/20, 20250120, 2025年1月20日, 二〇二五年一月二十日,
 * or 1月20日 (the year after the report year: reports are signed once their
 * year has ended). A date that does not exist, or one outside the two years
 * after the report year, is refused with a reason the officer can act on.
 */

export type ReportDateAnswer = { ok: true; date: string } | { ok: false; problem: string };

const PART = "[0-9一二三四五六七八九十〇零两]{1,4}";
const DASHED = /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$/;
const COMPACT = /^(\d{4})(\d{2})(\d{2})$/;
const WRITTEN = new RegExp(`^(?:(${PART})年)?(${PART})月(${PART})[日号]?$`, "u");

/** Digits, or a Chinese numeral ("二十", "二〇二五"). */
const number = (text: string) => (/^\d+$/.test(text) ? Number(text) : chineseNumeral(text));

function parts(text: string): [number | undefined, number | undefined, number | undefined] | undefined {
  const m = DASHED.exec(text) ?? COMPACT.exec(text);
  if (m) return [Number(m[1]), Number(m[2]), Number(m[3])];
  const w = WRITTEN.exec(text);
  if (!w) return undefined;
  return [w[1] === undefined ? undefined : number(w[1]), number(w[2]!), number(w[3]!)];
}

const iso = (y: number, m: number, d: number) => `${y}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`;

/** The first and last date a report of `reportYear` may carry. */
export function reportDateRange(reportYear: number): { first: string; last: string } {
  return { first: `${reportYear + 1}-01-01`, last: `${reportYear + 2}-12-31` };
}

export function parseReportDate(text: string, reportYear: number): ReportDateAnswer {
  const body = text.normalize("NFKC").replace(/\s+/g, "");
  const found = parts(body);
  const example = `例如 ${reportYear + 1}-01-20 或 ${reportYear + 1}年1月20日`;
  if (!found) return { ok: false, problem: `没有看懂这个日期。请按${example}这样发。` };
  const [year = reportYear + 1, month, day] = found;
  if (month === undefined || day === undefined || !Number.isInteger(year))
    return { ok: false, problem: `没有看懂这个日期。请按${example}这样发。` };
  const date = new Date(Date.UTC(year, month - 1, day));
  if (
    month < 1 ||
    day < 1 ||
    date.getUTCFullYear() !== year ||
    date.getUTCMonth() !== month - 1 ||
    date.getUTCDate() !== day
  )
    return { ok: false, problem: `没有${year}年${month}月${day}日这一天，请再发一次。` };
  const value = iso(year, month, day);
  const { first, last } = reportDateRange(reportYear);
  if (value < first || value > last)
    return {
      ok: false,
      problem: `${reportYear}年度报告的成文日期应在 ${reportYear + 1}年1月1日 到 ${reportYear + 2}年12月31日 之间，请再发一次。`,
    };
  return { ok: true, date: value };
}

/** The date /report suggests: today in Beijing, when a report of that year may carry it. */
export function suggestedReportDate(reportYear: number, now: Date): string | undefined {
  const today = beijingIsoDate(now.getTime());
  const { first, last } = reportDateRange(reportYear);
  return today >= first && today <= last ? today : undefined;
}
