import type { Composer } from "grammy";
import { nextOpenStep } from "../../form/form-steps.js";
import type { StoredReport } from "../../store/store.js";
import { askCurrent, sendCard } from "../ask.js";
import { onReportAction } from "../callbacks.js";
import { BotComposer } from "../composer.js";
import type { BotContext } from "../context.js";
import { createAndOpen } from "../create-report.js";
import { escapeHtml } from "../html.js";
import { mutateReport, replyRefusal } from "../report-access.js";
import { flowOf } from "../report-view.js";

/**
 * The buttons of the scheduler's messages (src/reminders): 继续填写 opens the
 * report at its next open question and makes it the officer's current one;
 * the 1 December invitation creates next year's report from a finished one.
 * An officer who presses anything is evidently reachable again: no longer
 * marked as having blocked the bot.
 */

async function makeCurrent(ctx: BotContext, report: StoredReport): Promise<void> {
  const userId = ctx.from?.id;
  if (userId === undefined) return;
  const state = await ctx.deps.store.getUser(userId);
  if (state.currentReportId !== report.id)
    await ctx.deps.store.setUser(userId, { ...state, currentReportId: report.id });
}

async function resume(ctx: BotContext, report: StoredReport): Promise<void> {
  await makeCurrent(ctx, report);
  const next = nextOpenStep(flowOf(ctx.deps, report), report.draft, report.cursor);
  if (!next) {
    await sendCard(ctx, report, "这份报告都填完了，发 /report 生成正式报告。");
    return;
  }
  if (next.index === report.cursor) {
    await askCurrent(ctx, report);
    return;
  }
  const moved = await mutateReport(ctx, report, (_r) => ({ change: { cursor: next.index } }));
  if (!moved.ok) await replyRefusal(ctx, moved);
  else await askCurrent(ctx, moved.report);
}

async function startNextYear(ctx: BotContext, last: StoredReport): Promise<void> {
  const userId = ctx.from?.id;
  if (userId === undefined) return;
  const { org, year } = last.draft;
  const existing = (await ctx.deps.store.listReports(userId)).find(
    (r) => r.draft.org === org && r.draft.year === year + 1,
  );
  if (existing) {
    await makeCurrent(ctx, existing);
    await sendCard(ctx, existing, `${escapeHtml(org)} ${year + 1}年度的报告已经建好了，接着填就行。`);
    return;
  }
  await createAndOpen(ctx, org, year + 1);
}

export function remindersFeature(): Composer<BotContext> {
  const composer = new BotComposer<BotContext>();
  onReportAction(composer, ["resume", "newYear"], async (ctx, callback, report) => {
    await ctx.answerCallbackQuery();
    if (ctx.from) await ctx.deps.store.reminders.clearInactive(ctx.from.id);
    if (callback.action === "resume") await resume(ctx, report);
    else await startNextYear(ctx, report);
  });
  return composer;
}
