import type { FormStep } from "../form/form-steps.js";
import type { StoredReport } from "../store/store.js";
import type { BotContext } from "./context.js";
import { escapeHtml, splitForHtml } from "./html.js";
import { findingsOf, flowOf, stepAt } from "./report-view.js";
import { cardView } from "./views/card.js";
import { questionView } from "./views/question.js";
import { reviewNote } from "./views/review-note.js";

/** Sending the two views every feature ends on: the question under the cursor, and the report card. */

/** Sends the question under the cursor, after `before` (e.g. what was just saved). */
export async function askCurrent(ctx: BotContext, report: StoredReport, before?: string): Promise<void> {
  const flow = flowOf(ctx.deps, report);
  const step = stepAt(flow, report.cursor);
  if (step.kind === "part") await sendPreviousText(ctx, report, step);
  const view = questionView(flow, report, step);
  const note = reviewNote(report, report.cursor);
  const head = [before, note].filter(Boolean).join("\n\n");
  await ctx.reply(head ? `${head}\n\n${view.text}` : view.text, {
    ...(view.keyboard ? { reply_markup: view.keyboard } : {}),
  });
}

/** Last year's text of a part, shown before its question when known (and not already taken over). */
async function sendPreviousText(
  ctx: BotContext,
  report: StoredReport,
  step: Extract<FormStep, { kind: "part" }>,
): Promise<void> {
  const text = report.previous?.narrative[step.part.id]?.trim();
  if (!text || report.draft.narrative[step.part.id]?.trim() === text) return;
  const pieces = splitForHtml(text);
  for (const [i, piece] of pieces.entries()) {
    const head = i === 0 ? `去年（${report.previous?.year}年）这一部分写的是：\n` : "";
    await ctx.reply(`${head}<blockquote>${escapeHtml(piece)}</blockquote>`);
  }
}

/** The report card, after `before` (e.g. what was just saved). */
export async function sendCard(ctx: BotContext, report: StoredReport, before?: string): Promise<void> {
  const view = cardView(flowOf(ctx.deps, report), report, ctx.deps.now(), findingsOf(ctx.deps, report));
  const head = [before, reviewNote(report)].filter(Boolean).join("\n\n");
  await ctx.reply(head ? `${head}\n\n${view.text}` : view.text, {
    ...(view.keyboard ? { reply_markup: view.keyboard } : {}),
  });
}
