import { z } from "zod";
import { beijingDate } from "./beijing-time.js";

/** Dates of the reporting year, all in Beijing time (FORMAT.md §7). */

/** The year just ended until the end of March, the current year after. */
export function defaultReportYear(now: Date): number {
  const { year, month } = beijingDate(now);
  return month <= 3 ? year - 1 : year;
}

/** 31 January of the next year (Art. 49), as YYYY-MM-DD. */
export function defaultDeadline(reportYear: number): string {
  return `${reportYear + 1}-01-31`;
}

/** Whole days from today (Beijing) to the deadline; negative once it has passed. */
export function daysLeft(deadline: string, now: Date): number {
  const { year, month, day } = beijingDate(now);
  const today = Date.UTC(year, month - 1, day);
  const [y, m, d] = deadline.split("-").map(Number);
  return Math.round((Date.UTC(y ?? 0, (m ?? 1) - 1, d ?? 1) - today) / 86_400_000);
}

/** 2021-01-31 → 2021年1月31日. */
export function chineseDate(isoDate: string): string {
  const [y, m, d] = isoDate.split("-").map(Number);
  return `${y}年${m}月${d}日`;
}

/** A valid calendar date typed as 2027-01-31, 2027/1/31 or 2027年1月31日, as YYYY-MM-DD. */
export function parseDate(text: string): string | undefined {
  const m = text.trim().match(/^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$/);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return undefined;
  return `${y}-${String(mo).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
}

// Instants in Beijing live in beijing-time.ts (one module for Beijing time); re-exported for the reminder plan.
export { beijingInstant, beijingIsoDate, beijingMinutes } from "./beijing-time.js";

/** "HH:MM" → minutes since midnight. */
export function clockMinutes(time: string): number {
  const [h, m] = time.split(":").map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

// --- The reminder plan: stages before each deadline, and the time of day. ---

const HHMM = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "a time like 09:30");

/** The reminder plan, stored with each report so a change of the default does not re-plan old reports. */
export const ReminderPlan = z.strictObject({
  /** Days before the deadline; 0 is the day itself. */
  days: z.array(z.number().int().min(0).max(366)).min(1),
  /** Beijing time of day. */
  time: HHMM,
});
export type ReminderPlan = z.infer<typeof ReminderPlan>;

/** THE place to change the schedule of new reports (README: "Deadlines and reminders"). */
export const DEFAULT_PLAN: ReminderPlan = { days: [30, 14, 7, 3, 1, 0], time: "09:30" };
