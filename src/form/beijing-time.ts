/**
 * Instants as read in Beijing: every date and time the bot shows or computes
 * (FORMAT.md §7). China has kept UTC+8 without daylight saving since 1991, so
 * a fixed offset is exact for every report year.
 */

const BEIJING_OFFSET_MS = 8 * 3_600_000;
const DAY_MS = 86_400_000;

export interface BeijingTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}

export function beijingTime(at: Date): BeijingTime {
  const local = new Date(at.getTime() + BEIJING_OFFSET_MS);
  return {
    year: local.getUTCFullYear(),
    month: local.getUTCMonth() + 1,
    day: local.getUTCDate(),
    hour: local.getUTCHours(),
    minute: local.getUTCMinutes(),
  };
}

/** The instant of a Beijing wall-clock time: ("2027-01-24", "09:30") → 2027-01-24T01:30Z in ms. */
export function beijingInstant(isoDate: string, time: string): number {
  const [y, m, d] = isoDate.split("-").map(Number);
  const [h, min] = time.split(":").map(Number);
  return Date.UTC(y ?? 0, (m ?? 1) - 1, d ?? 1, h ?? 0, min ?? 0) - BEIJING_OFFSET_MS;
}

/** Minutes since Beijing midnight of an instant. */
export function beijingMinutes(at: number): number {
  const local = (((at + BEIJING_OFFSET_MS) % DAY_MS) + DAY_MS) % DAY_MS;
  return Math.floor(local / 60_000);
}

/** The Beijing date (YYYY-MM-DD) an instant falls on, shifted by whole days. */
export function beijingIsoDate(at: number, addDays = 0): string {
  return new Date(at + BEIJING_OFFSET_MS + addDays * DAY_MS).toISOString().slice(0, 10);
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
