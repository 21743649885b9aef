import type { FormStep } from "../form/form-steps.js";
import type { PendingAck, Position, StoredReport } from "../store/store.js";
import { ackText } from "./ack-text.js";
import type { BotContext } from "./context.js";
import { escapeHtml, splitForHtml } from "./html.js";
import { sendAck } from "./once-only.js";
import { findingsOf, flowOf, stepAt } from "./report-view.js";
import { cardView, finishView } from "./views/card.js";
import { questionView, type View } from "./views/question.js";
import { reviewNote } from "./views/review-note.js";

/** Sending the two views every feature ends on: the question under the cursor, and the report card. */

/**
 * Sends the question under the cursor (or of `at.step`), after `before` (e.g.
 * what was just saved). Once Telegram accepted it, the member's position is
 * this question (`at.previous`: the one they answered before it).
 */
export async function askCurrent(
  ctx: BotContext,
  report: StoredReport,
  before?: string,
  at: { step?: number; previous?: number } = {},
): Promise<void> {
  const flow = flowOf(ctx.deps, report);
  const step = stepAt(flow, at.step ?? report.cursor);
  if (step.kind === "part") await sendPreviousText(ctx, report, step);
  const view = questionView(flow, report, step);
  const note = reviewNote(report, step.index);
  const head = before && note ? `${before}\n\n${note}` : before || note;
  const shown: Omit<Position, "messageId"> = { reportId: report.id, step: step.index };
  if (at.previous !== undefined) shown.previous = at.previous;
  if (step.kind === "row") shown.seen = seenOf(report, step);
  await sendAck(ctx, head ? `${head}\n\n${view.text}` : view.text, keyboardOf(view), shown);
}

/** A row's answers as its question shows them (see Position.seen). */
function seenOf(report: StoredReport, step: Extract<FormStep, { kind: "row" }>): Record<string, number | null> {
  const seen: Record<string, number | null> = {};
  for (const id of step.row.cells) seen[id] = report.draft.cells[id] ?? null;
  return seen;
}

const keyboardOf = (view: View) => (view.keyboard ? { reply_markup: view.keyboard } : {});

/**
 * After the last answer: what was saved, then the finish card (findings,
 * /report, 目录) and no question. The member stays at the step they answered.
 */
export async function sendFinish(
  ctx: BotContext,
  report: StoredReport,
  saved: string,
  answered: number,
): Promise<void> {
  const view = finishView(flowOf(ctx.deps, report), report, findingsOf(ctx.deps, report));
  const step = stepAt(flowOf(ctx.deps, report), answered);
  await sendAck(ctx, `${saved}\n\n${view.text}`, keyboardOf(view), {
    reportId: report.id,
    step: answered,
    previous: answered,
    ...(step.kind === "row" ? { seen: seenOf(report, step) } : {}),
  });
}

/**
 * The stored acknowledgement of a repeated update that never reached the
 * member, with the question it went on to (not the one under the cursor now).
 */
export async function resendAck(ctx: BotContext, ack: PendingAck): Promise<void> {
  const report = ack.next && (await ctx.deps.store.getReport(ack.next.reportId));
  const member = report && ctx.from !== undefined && report.members.includes(ctx.from.id);
  const text = ackText(ctx.deps.flows, ack);
  if (!report || !member || !ack.next) {
    await sendAck(ctx, text, {});
    return;
  }
  // The member's position never moved past the question that update answered: a text they sent
  // before this reply reaches them still answers that question.
  const { position } = await ctx.deps.store.getUser(ctx.from?.id ?? 0);
  const previous = position?.reportId === report.id ? { previous: position.step } : {};
  await askCurrent(ctx, report, text, { step: ack.next.step, ...previous });
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
  await sendAck(ctx, head ? `${head}\n\n${view.text}` : view.text, keyboardOf(view));
}
