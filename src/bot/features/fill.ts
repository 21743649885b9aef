import type { Composer } from "grammy";
import { withCells } from "../../form/cell-array.js";
import { type Draft, overPartLimit, PART_LIMIT } from "../../form/draft.js";
import { type FormStep, formSteps, nextOpenStep } from "../../form/form-steps.js";
import { parseRow } from "../../form/parse-answer.js";
import { hasVisibleText, visibleLength, visibleText } from "../../form/visible-text.js";
import { cellDefs, formatNumber } from "../../report/format-number.js";
import type { AuditEntry, Position, StoredReport } from "../../store/store.js";
import { rowAck } from "../ack-text.js";
import { askCurrent, sendFinish } from "../ask.js";
import type { CallbackOf } from "../callback-data.js";
import { onReportAction } from "../callbacks.js";
import { BotComposer } from "../composer.js";
import type { BotContext } from "../context.js";
import { escapeHtml } from "../html.js";
import { answeredStep, sendAck } from "../once-only.js";
import {
  auditEntry,
  currentMember,
  currentReport,
  type Mutation,
  mutateReport,
  replyRefusal,
} from "../report-access.js";
import { findingsOf, flowOf, stepAt } from "../report-view.js";
import {
  newFindings,
  partKeyboard,
  partStamp,
  partTitle,
  prefilledRow,
  questionView,
  readUndo,
  rowRetryText,
  rowSavedNumbers,
} from "../views/question.js";
import { INVALID_BUTTON, NO_REPORT, STALE_BUTTON } from "../views/replies.js";

/**
 * Walking the form: one row or narrative part per step, the cursor and the
 * answers in the stored report (never in a conversation), so the 200th answer
 * costs what the first does and a restart loses nothing acknowledged.
 */

type RowStepOf = Extract<FormStep, { kind: "row" }>;
type PartStepOf = Extract<FormStep, { kind: "part" }>;

/**
 * Writes a change made at `step` once for this update, then says what was
 * saved and asks the next question, or shows the finish card after the last.
 */
async function commitAt(
  ctx: BotContext,
  report: StoredReport,
  step: FormStep,
  plan: (r: StoredReport) => Omit<Mutation, "next"> | string | Promise<Omit<Mutation, "next"> | string>,
): Promise<void> {
  const flow = flowOf(ctx.deps, report);
  const result = await mutateReport(ctx, report, async (r) => {
    const planned = await plan(r);
    if (typeof planned === "string") return planned;
    return { ...planned, next: (after) => (nextOpenStep(flow, after.draft) ? after.cursor : undefined) };
  });
  if (!result.ok) return replyRefusal(ctx, result);
  if (nextOpenStep(flow, result.report.draft) === undefined)
    await sendFinish(ctx, result.report, result.ack, step.index);
  else await askCurrent(ctx, result.report, result.ack, { previous: step.index });
}

/** The cursor after answering `step`: the next unanswered step, or the step after it when all are done. */
function cursorAfter(flow: Parameters<typeof formSteps>[0], draft: Draft, index: number): number {
  return nextOpenStep(flow, draft, index + 1)?.index ?? (index + 1) % formSteps(flow).length;
}

function cellAudit(ctx: BotContext, before: Draft, after: Draft, ids: readonly string[]): AuditEntry[] {
  return ids
    .filter((id) => before.cells[id] !== after.cells[id])
    .map((id) => auditEntry(ctx, id, before.cells[id], after.cells[id]));
}

/**
 * The acknowledgement of a row: `head` (e.g. whose figures it overwrote), the
 * values, the row's total and the findings the answer caused; stored by
 * reference (ack-text.ts).
 */
function rowSaved(ctx: BotContext, step: RowStepOf, before: StoredReport, notes: string[], head = "") {
  return (after: StoredReport) => {
    const caused = newFindings(findingsOf(ctx.deps, before), findingsOf(ctx.deps, after));
    const flow = flowOf(ctx.deps, after);
    return rowAck(flow, step, rowSavedNumbers(flow, after.draft, step), notes, caused, head);
  };
}

/** A row's answers as the member was shown them (Position.seen), when the question they answer is the one shown last. */
type Seen = Record<string, number | null> | undefined;

/**
 * Saves a whole row at `step` (the question the officer saw; an answer given
 * again overwrites it). When another member changed the row after it was
 * shown (`seen`), the answer still wins, as the officer meant it, and the
 * acknowledgement says whose figures it replaced.
 */
function saveRow(
  ctx: BotContext,
  report: StoredReport,
  step: RowStepOf,
  values: number[],
  notes: string[],
  seen: Seen,
) {
  const flow = flowOf(ctx.deps, report);
  return commitAt(ctx, report, step, async (r) => {
    const draft = withCells(flow, r.draft, step.row.cells, values);
    const overwritten = await overwrittenNote(ctx, r, step, draft, seen);
    return {
      change: { draft, cursor: cursorAfter(flow, draft, step.index) },
      audit: cellAudit(ctx, r.draft, draft, step.row.cells),
      ack: rowSaved(ctx, step, r, notes, overwritten),
    };
  });
}

/**
 * "⚠️ 张三 刚把这一行改成：12。你填的 15 已保存，覆盖了它…" for the cells of
 * the row another member changed after it was shown to this one, which this
 * answer changes again; "" when there are none. Who changed them comes from
 * the audit trail, read only then.
 */
async function overwrittenNote(ctx: BotContext, r: StoredReport, step: RowStepOf, draft: Draft, seen: Seen) {
  if (!seen) return "";
  const changed = step.row.cells.flatMap((id, i) => {
    const theirs = r.draft.cells[id];
    const mine = draft.cells[id];
    return (theirs ?? null) !== (seen[id] ?? null) && mine !== theirs
      ? [{ id, column: step.row.columns[i] ?? "", theirs, mine }]
      : [];
  });
  if (changed.length === 0) return "";
  const trail = await ctx.deps.store.history(r.id, OVERWRITE_LOOKBACK);
  // The member's own change elsewhere (another device, /sections) is not someone else's.
  const others = changed.flatMap((c) => {
    const last = trail.find((e) => e.target === c.id);
    return last?.by === ctx.from?.id ? [] : [{ ...c, by: last?.byName ?? "另一位填报人" }];
  });
  if (others.length === 0) return "";
  const names = [...new Set(others.map((c) => c.by))].join("、");
  const shown = (v: number | undefined) => (v === undefined ? "空" : formatNumber(v));
  const label = (column: string) => (step.row.cells.length > 1 ? `${column} ` : "");
  const list = (mine: boolean) => others.map((c) => `${label(c.column)}${shown(mine ? c.mine : c.theirs)}`).join(" · ");
  return escapeHtml(
    `⚠️ ${names} 刚把这一行改成：${list(false)}。你填的 ${list(true)} 已保存，覆盖了它；如果 ${names} 的才对，请回到这一行再改。`,
  );
}

/** Audit entries read to find who last changed a cell (the row's changes are recent). */
const OVERWRITE_LOOKBACK = 200;

async function answerRow(
  ctx: BotContext,
  report: StoredReport,
  step: RowStepOf,
  text: string,
  seen: Seen,
): Promise<void> {
  const flow = flowOf(ctx.deps, report);
  const defs = cellDefs(flow);
  const kinds = step.row.cells.map((id) => defs.get(id)?.kind ?? "count");
  const parsed = parseRow(text, kinds);
  if (!parsed.ok) {
    await ctx.reply(rowRetryText(step, parsed.reason), { reply_markup: questionView(flow, report, step).keyboard });
    return;
  }
  await saveRow(ctx, report, step, parsed.values, parsed.notes, seen);
}

const tooLong = () => `这一部分太长了（超过 ${PART_LIMIT} 字），没有保存。请精简后点「清空重写」再发。`;

async function appendToPart(ctx: BotContext, report: StoredReport, step: PartStepOf, raw: string): Promise<void> {
  const id = step.part.id;
  const text = visibleText(raw);
  const where = `「${escapeHtml(partTitle(step))}」`;
  const appended = (r: StoredReport) => {
    const old = r.draft.narrative[id] ?? "";
    return hasVisibleText(old) ? `${old}\n${text}` : text;
  };
  if (!text) {
    await ctx.reply(`这条消息里没有看得见的文字，没有保存到${where}。`, {
      reply_markup: partKeyboard(report, step),
    });
    return;
  }
  if (overPartLimit(appended(report))) {
    await ctx.reply(tooLong(), { reply_markup: partKeyboard(report, step) });
    return;
  }
  const result = await mutateReport(ctx, report, (r) => {
    const next = appended(r);
    if (overPartLimit(next)) return tooLong();
    return {
      change: { draft: { ...r.draft, narrative: { ...r.draft.narrative, [id]: next } } },
      audit: [auditEntry(ctx, id, r.draft.narrative[id], next)],
      ack: () => `✅ 已保存到${where}，这一部分现在 ${visibleLength(next)} 字。可以接着发，写完点「完成」。`,
      next: () => step.index,
    };
  });
  if (!result.ok) return replyRefusal(ctx, result);
  await sendAck(
    ctx,
    result.ack,
    { reply_markup: partKeyboard(result.report, step, text.length) },
    {
      reportId: report.id,
      step: step.index,
      previous: step.index,
    },
  );
}

const UNDO_GONE = "这一部分后来又改过，这条撤回不了了。可以点「清空重写」。";

/**
 * 撤回这条 on the acknowledgement of an appended message: the part without
 * that message's text, while the part is still as the message left it (its
 * stamp); undefined when it changed since (another message, 清空重写, another
 * member), so an old button never cuts text it did not add.
 */
function withoutAppended(text: string, undo: { length: number; stamp: string }): string | undefined {
  if (partStamp(text) !== undo.stamp || text.length < undo.length) return undefined;
  if (text.length === undo.length) return "";
  // Appended text follows the part's earlier text after a line break (appendToPart).
  const at = text.length - undo.length - 1;
  return text[at] === "\n" ? text.slice(0, at) : undefined;
}

async function onUndo(ctx: BotContext, callback: CallbackOf<"partUndo">, report: StoredReport): Promise<void> {
  const undo = readUndo(callback.arg);
  const step = undo && formSteps(flowOf(ctx.deps, report))[undo.index];
  if (!undo || step?.kind !== "part") {
    await ctx.answerCallbackQuery({ text: INVALID_BUTTON });
    return;
  }
  const id = step.part.id;
  const result = await mutateReport(ctx, report, (r) => {
    const old = r.draft.narrative[id];
    const left = withoutAppended(old ?? "", undo);
    if (left === undefined) return UNDO_GONE;
    const narrative = { ...r.draft.narrative };
    if (left) narrative[id] = left;
    else delete narrative[id];
    return {
      change: { draft: { ...r.draft, narrative } },
      audit: [auditEntry(ctx, id, old, left)],
      ack: () =>
        `✅ 已撤回这条，「${escapeHtml(partTitle(step))}」现在${left ? ` ${visibleLength(left)} 字` : "是空的"}。`,
      next: () => step.index,
    };
  });
  // The button is answered after the write: a refusal is its alert, and the part stays as it was.
  if (!result.ok) {
    if (!result.repeat) await ctx.answerCallbackQuery({ text: result.reason, show_alert: true });
    return;
  }
  await ctx.answerCallbackQuery();
  await sendAck(
    ctx,
    result.ack,
    { reply_markup: partKeyboard(result.report, step) },
    { reportId: report.id, step: step.index, previous: step.index },
  );
}

async function onText(ctx: BotContext & { message: { message_id: number } }, text: string): Promise<void> {
  const { user, report } = await currentMember(ctx);
  if (!report) {
    await ctx.reply(NO_REPORT);
    return;
  }
  if (user.interrupted) {
    // Meant for the dialogue a command left: saved nowhere; the form's question says where the officer is.
    const left = `这条消息没有保存：「${escapeHtml(user.interrupted)}」已经退出，它的问题不再等回答。`;
    await askCurrent(ctx, report, left);
    return;
  }
  const flow = flowOf(ctx.deps, report);
  const step = stepAt(flow, answeredStep(user.position, report.id, report.cursor, ctx.message.message_id));
  if (step.kind === "row") await answerRow(ctx, report, step, text, seenAt(user.position, report, step.index));
  else await appendToPart(ctx, report, step, text);
}

/** The row's answers as shown, when `step` is the question shown last. */
const seenAt = (position: Position | undefined, report: StoredReport, step: number): Seen =>
  position?.reportId === report.id && position.step === step ? position.seen : undefined;

/** The step whose question the member was shown last (buttons of any other are stale), and the row's answers it showed. */
async function shownStep(ctx: BotContext, report: StoredReport): Promise<{ step: number; seen: Seen }> {
  const { position } = await ctx.deps.store.getUser(ctx.from?.id ?? 0);
  return position?.reportId === report.id
    ? { step: position.step, seen: position.seen }
    : { step: report.cursor, seen: undefined };
}

/** The buttons of the form walk that name a step. */
const STEP_ACTIONS = [
  "rowZero",
  "tableZero",
  "previous",
  "skip",
  "partDone",
  "partReuse",
  "partClear",
  "goto",
  "rowPrefill",
] as const;

/** The buttons of the form walk; none of them enters a dialogue (wizardsPlugin skips the plugin for them). */
export const FILL_ACTIONS = [...STEP_ACTIONS, "partUndo"] as const;

/** The step index is valid for the report's flow (checked by onReportAction). */
async function onButton(
  ctx: BotContext,
  callback: CallbackOf<(typeof STEP_ACTIONS)[number]>,
  report: StoredReport,
): Promise<void> {
  const flow = flowOf(ctx.deps, report);
  const index = callback.arg;
  const steps = formSteps(flow);
  const step = steps[index];
  if (!step) return;
  if (callback.action === "goto") {
    await ctx.answerCallbackQuery();
    await moveCursor(ctx, report, index);
    return;
  }
  const shown = await shownStep(ctx, report);
  if (shown.step !== index) {
    await ctx.answerCallbackQuery({ text: STALE_BUTTON });
    return;
  }
  if (callback.action === "previous" && index === 0) {
    await ctx.answerCallbackQuery({ text: "这已经是第一项了。" });
    return;
  }
  await ctx.answerCallbackQuery();
  switch (callback.action) {
    case "previous":
      return moveCursor(ctx, report, index - 1, index);
    case "skip":
      return moveCursor(ctx, report, (index + 1) % steps.length, index);
    case "rowZero":
      if (step.kind !== "row") return;
      return saveRow(ctx, report, step, [], [], shown.seen);
    case "rowPrefill":
      if (step.kind !== "row") return;
      return commitAt(ctx, report, step, (r) => {
        // Confirms what the officer was shown: every cell still pre-filled and unanswered.
        const { values, complete } = prefilledRow(r, step.row.cells);
        if (!complete) return STALE_BUTTON;
        const draft = withCells(flow, r.draft, step.row.cells, values as number[]);
        const audit = cellAudit(ctx, r.draft, draft, step.row.cells).map((e) => {
          const from = r.prefilled?.[e.target]?.from;
          return from ? { ...e, source: `来自去年：${from.year}年度报告 ${from.cells.join("+")}` } : e;
        });
        return {
          change: { draft, cursor: cursorAfter(flow, draft, index) },
          audit,
          ack: rowSaved(ctx, step, r, []),
        };
      });
    case "tableZero": {
      if (step.kind !== "row") return;
      const ids = step.table.steps.flatMap((s) => s.cells);
      const last = index + step.table.steps.length - 1;
      return commitAt(ctx, report, step, (r) => {
        const draft = withCells(flow, r.draft, ids, []);
        return {
          change: { draft, cursor: cursorAfter(flow, draft, last) },
          audit: cellAudit(ctx, r.draft, draft, ids),
          ack: () => `✅ 已保存：${escapeHtml(step.table.name)}全部为0。`,
        };
      });
    }
    case "partDone":
      if (step.kind !== "part") return;
      if (nextOpenStep(flow, report.draft) === undefined)
        return sendFinish(ctx, report, `✅ 已完成：${escapeHtml(partTitle(step))}。`, index);
      return moveCursor(ctx, report, cursorAfter(flow, report.draft, index), index);
    case "partReuse":
    case "partClear": {
      if (step.kind !== "part") return;
      const id = step.part.id;
      const text = callback.action === "partReuse" ? (report.previous?.narrative[id] ?? "") : "";
      const result = await mutateReport(ctx, report, (r) => {
        const narrative = { ...r.draft.narrative };
        if (text) narrative[id] = text;
        else delete narrative[id];
        return {
          change: { draft: { ...r.draft, narrative } },
          audit: [auditEntry(ctx, id, r.draft.narrative[id], text)],
          // Said once, when it is taken over: the 雷同 check would only repeat it at 100%.
          ack: () =>
            text
              ? `✅ 已沿用去年的文字（${visibleLength(text)} 字）。请把其中的年份、数字和做法改成今年的：点「清空重写」后发新的文字。`
              : "✅ 已清空这一部分，请重新发送。",
          next: () => index,
        };
      });
      if (!result.ok) return replyRefusal(ctx, result);
      await sendAck(
        ctx,
        result.ack,
        { reply_markup: partKeyboard(result.report, step) },
        {
          reportId: report.id,
          step: index,
          previous: index,
        },
      );
      return;
    }
  }
}

/** Moves the cursor (from the step `from`, when a button of that step was pressed) and asks there. */
async function moveCursor(ctx: BotContext, report: StoredReport, to: number, from?: number): Promise<void> {
  const result = await mutateReport(ctx, report, () => ({ change: { cursor: to }, next: () => to }));
  if (!result.ok) await replyRefusal(ctx, result);
  else await askCurrent(ctx, result.report, undefined, from === undefined ? {} : { previous: from });
}

export function fillFeature(): Composer<BotContext> {
  const composer = new BotComposer<BotContext>();
  composer.command("fill", async (ctx) => {
    const report = await currentReport(ctx);
    if (!report) await ctx.reply(NO_REPORT);
    else await askCurrent(ctx, report);
  });
  onReportAction(composer, STEP_ACTIONS, onButton);
  onReportAction(composer, ["partUndo"], onUndo);
  composer.on("message:text", async (ctx, next) => {
    if (ctx.message.text.startsWith("/")) return next();
    await onText(ctx, ctx.message.text);
  });
  return composer;
}
