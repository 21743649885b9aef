import { parseYear } from "../form/chinese-numeral.js";
import { defaultReportYear } from "../form/deadline.js";

/**
 * The settings of a report (unit name, year, deadlines, contact, 成文日期): their names
 * as the officer reads them, and the checks of a unit name and a year shared
 * by /new, the create wizard and /settings.
 */

export const SETTING_FIELDS = ["org", "year", "deadline", "dueDate", "contact", "date"] as const;
export type SettingField = (typeof SETTING_FIELDS)[number];

/** How each setting is named to the officer (also in /history). */
export const SETTING_NAMES: Record<SettingField, string> = {
  org: "单位名称",
  year: "年度",
  deadline: "截止日期",
  dueDate: "内部截止日期",
  contact: "联系方式",
  date: "成文日期",
};

/** The settings /report asks for before a final document, when the report has none. */
export const REPORT_ASKS = ["date", "contact"] as const satisfies readonly SettingField[];

export function isSettingField(value: string): value is SettingField {
  return (SETTING_FIELDS as readonly string[]).includes(value);
}

/** The audit target of a setting, e.g. settings.org. */
export const settingTarget = (field: SettingField) => `settings.${field}`;

const MAX_ORG = 40;
const FIRST_YEAR = 2019;

export function checkOrgName(text: string): string | undefined {
  const name = text.trim();
  if (!name || name.startsWith("/")) return "请发单位名称，例如：大关街道";
  if ([...name].length > MAX_ORG) return `单位名称太长了，请在 ${MAX_ORG} 字以内。`;
  if (/[\n<>]/.test(name)) return "单位名称里不能有换行或尖括号。";
  return undefined;
}

export function checkYear(text: string, now: Date): number | string {
  const year = parseYear(text);
  const latest = defaultReportYear(now) + 1;
  if (year === undefined || year < FIRST_YEAR || year > latest)
    return `请发 ${FIRST_YEAR}–${latest} 之间的年份，例如：${defaultReportYear(now)}`;
  return year;
}
