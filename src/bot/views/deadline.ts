import { chineseDate, daysLeft, defaultDeadline } from "../../form/deadline.js";
import type { StoredReport } from "../../store/store.js";

/**
 * The deadlines of a report as the officer reads them, on the card and in
 * reminders alike: "距截止还有 9 天（2027年1月31日）", with the internal due
 * date first while it is still ahead.
 */
export function deadlineLines(report: Pick<StoredReport, "deadline" | "dueDate" | "draft">, now: Date): string[] {
  const publication = report.deadline ?? defaultDeadline(report.draft.year);
  const lines: string[] = [];
  if (report.dueDate && daysLeft(report.dueDate, now) >= 0)
    lines.push(`距内部截止${daysText(daysLeft(report.dueDate, now))}（${chineseDate(report.dueDate)}）`);
  lines.push(`距截止${daysText(daysLeft(publication, now))}（${chineseDate(publication)}）`);
  return lines;
}

function daysText(left: number): string {
  if (left > 0) return `还有 ${left} 天`;
  if (left === 0) return "就是今天";
  return `已过 ${-left} 天`;
}
