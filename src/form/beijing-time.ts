/** Instants as read in Beijing (Asia/Shanghai): every date and time the bot shows or computes (FORMAT.md §7). */

const BEIJING = new Intl.DateTimeFormat("en-CA", {
  timeZone: "Asia/Shanghai",
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  hourCycle: "h23",
});

export interface BeijingTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}

export function beijingTime(at: Date): BeijingTime {
  const parts = BEIJING.formatToParts(at);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return { year: get("year"), month: get("month"), day: get("day"), hour: get("hour"), minute: get("minute") };
}

/** Year, month (1–12) and day of an instant in Beijing. */
export function beijingDate(at: Date): { year: number; month: number; day: number } {
  const { year, month, day } = beijingTime(at);
  return { year, month, day };
}

/** "2023年1月20日" for the day the instant falls on in Beijing. */
export function formatChineseDate(at: Date): string {
  const { year, month, day } = beijingTime(at);
  return `${year}年${month}月${day}日`;
}

const two = (n: number) => String(n).padStart(2, "0");

/** MM-DD HH:mm in Beijing. */
export function beijingStamp(at: Date): string {
  const { month, day, hour, minute } = beijingTime(at);
  return `${two(month)}-${two(day)} ${two(hour)}:${two(minute)}`;
}
