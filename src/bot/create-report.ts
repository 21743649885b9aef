import { defaultDeadline } from "../form/deadline.js";
import { askCurrent } from "./ask.js";
import type { BotContext } from "./context.js";
import { escapeHtml } from "./html.js";
import { startFromLastYear } from "./last-year-report.js";

/**
 * Creating a report (the /start wizard, /new, the 1 December invitation):
 * next year's report starts from last year's when there is one.
 */

/** Creates a report for the user, makes it current and asks its first question. */
export async function createAndOpen(ctx: BotContext, org: string, year: number): Promise<void> {
  const userId = ctx.from?.id;
  if (userId === undefined) return;
  const { store, flows } = ctx.deps;
  const format = flows.formatForYear(year);
  const report = await store.createReport({
    draft: { format, org, year, narrative: {}, cells: {} },
    members: [userId],
    deadline: defaultDeadline(year),
  });
  await store.setUser(userId, { currentReportId: report.id });
  const steps = flows.flowFor(format).sections.length;
  const fromLastYear = await startFromLastYear(ctx, report);
  const created = `✅ 已新建：<b>${escapeHtml(org)} ${year}年度</b>（${format}年格式，共 ${steps} 部分）。随时发 /start 看进度。`;
  await askCurrent(
    ctx,
    fromLastYear?.report ?? report,
    fromLastYear ? `${created}\n${escapeHtml(fromLastYear.note)}` : created,
  );
}
