import { Composer } from "grammy";
import { type Draft, PART_LIMIT } from "../../form/draft.js";
import { type FormStep, formSteps, nextOpenStep } from "../../form/form-steps.js";
import { parseRow } from "../../form/parse-answer.js";
import type { AuditEntry, StoredReport } from "../../store/store.js";
import { askCurrent } from "../ask.js";
import type { CallbackOf } from "../callback-data.js";
import { onReportAction } from "../callbacks.js";
import type { BotContext } from "../context.js";
import { escapeHtml } from "../html.js";
import { auditEntry, currentReport, type Mutation, mutateReport } from "../report-access.js";
import { findingsOf, flowOf, stepAt } from "../report-view.js";
import { newFindings, partKeyboard, prefilledRow, rowSavedText } from "../views/question.js";
import { ALL_DONE, NO_REPORT, STALE_BUTTON } from "../views/replies.js";

/**
 * Walking the form: one row or narrative part per step, the cursor and the
 * answers in the stored report (never in a conversation), so the 200th answer
 * costs what the first does and a restart loses nothing acknowledged.
 */

type RowStepOf = Extract<FormStep, { kind: "row" }>;
type PartStepOf = Extract<FormStep, { kind: "part" }>;

/** Writes a change made at `step` (refused when the cursor has moved on), then asks the next question. */
async function commitAt(
  ctx: BotContext,
  report: StoredReport,
  step: FormStep,
  plan: (r: StoredReport) => Mutation | string,
  saved?: (before: StoredReport, after: StoredReport) => string,
): Promise<void> {
  let before = report;
  const result = await mutateReport(ctx, report, (r) => {
    if (r.cursor !== step.index) return STALE_BUTTON;
    before = r;
    return plan(r);
  });
  if (!result.ok) {
    await ctx.reply(escapeHtml(result.reason));
    return;
  }
  await askCurrent(ctx, result.report, saved?.(before, result.report));
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

function withCells(draft: Draft, ids: readonly string[], values: readonly number[]): Draft {
  const cells = { ...draft.cells };
  ids.forEach((id, i) => {
    cells[id] = values[i] ?? 0;
  });
  return { ...draft, cells };
}

function rowSaved(ctx: BotContext, step: RowStepOf, notes: string[]) {
  return (before: StoredReport, after: StoredReport) => {
    const flow = flowOf(ctx.deps, after);
    const caused = newFindings(findingsOf(ctx.deps, before), findingsOf(ctx.deps, after));
    const done = nextOpenStep(flow, after.draft) === undefined ? `\n${ALL_DONE}` : "";
    return rowSavedText(flow, after.draft, step, caused, notes) + done;
  };
}

async function answerRow(ctx: BotContext, report: StoredReport, step: RowStepOf, text: string): Promise<void> {
  const flow = flowOf(ctx.deps, report);
  const kinds = step.row.cells.map((id) => flow.cells.find((c) => c.id === id)?.kind ?? "count");
  const parsed = parseRow(text, kinds);
  if (!parsed.ok) {
    await ctx.reply(
      `${escapeHtml(parsed.reason)}\n这一行是：${escapeHtml(step.row.label)}\n请发：<code>${escapeHtml(parsed.example)}</code>`,
    );
    return;
  }
  await commitAt(
    ctx,
    report,
    step,
    (r) => {
      const draft = withCells(r.draft, step.row.cells, parsed.values);
      return {
        change: { draft, cursor: cursorAfter(flow, draft, step.index) },
        audit: cellAudit(ctx, r.draft, draft, step.row.cells),
      };
    },
    rowSaved(ctx, step, parsed.notes),
  );
}

async function appendToPart(ctx: BotContext, report: StoredReport, step: PartStepOf, text: string): Promise<void> {
  const id = step.part.id;
  const result = await mutateReport(ctx, report, (r) => {
    if (r.cursor !== step.index) return STALE_BUTTON;
    const old = r.draft.narrative[id] ?? "";
    const next = old.trim() ? `${old}\n${text}` : text;
    if (next.length > PART_LIMIT) return `这一部分太长了（超过 ${PART_LIMIT} 字），请精简后点「清空重写」再发。`;
    return {
      change: { draft: { ...r.draft, narrative: { ...r.draft.narrative, [id]: next } } },
      audit: [auditEntry(ctx, id, old, next)],
    };
  });
  if (!result.ok) {
    await ctx.reply(escapeHtml(result.reason));
    return;
  }
  const length = [...(result.report.draft.narrative[id] ?? "")].length;
  await ctx.reply(`✅ 已保存，这一部分现在 ${length} 字。可以接着发，写完点「完成」。`, {
    reply_markup: partKeyboard(result.report, step),
  });
}

async function onText(ctx: BotContext, text: string): Promise<void> {
  const report = await currentReport(ctx);
  if (!report) {
    await ctx.reply(NO_REPORT);
    return;
  }
  const step = stepAt(flowOf(ctx.deps, report), report.cursor);
  if (step.kind === "row") await answerRow(ctx, report, step, text);
  else await appendToPart(ctx, report, step, text);
}

const FILL_ACTIONS = [
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

/** The step index is valid for the report's flow (checked by onReportAction). */
async function onButton(
  ctx: BotContext,
  callback: CallbackOf<(typeof FILL_ACTIONS)[number]>,
  report: StoredReport,
): Promise<void> {
  const flow = flowOf(ctx.deps, report);
  const index = callback.arg;
  const steps = formSteps(flow);
  const step = steps[index];
  if (!step) return;
  if (callback.action === "goto") {
    await ctx.answerCallbackQuery();
    await moveCursor(ctx, report, index, undefined);
    return;
  }
  if (report.cursor !== index) {
    await ctx.answerCallbackQuery({ text: STALE_BUTTON });
    return;
  }
  await ctx.answerCallbackQuery();
  switch (callback.action) {
    case "previous":
      return moveCursor(ctx, report, (index - 1 + steps.length) % steps.length, index);
    case "skip":
      return moveCursor(ctx, report, (index + 1) % steps.length, index);
    case "rowZero":
      if (step.kind !== "row") return;
      return commitAt(
        ctx,
        report,
        step,
        (r) => {
          const draft = withCells(r.draft, step.row.cells, []);
          return {
            change: { draft, cursor: cursorAfter(flow, draft, index) },
            audit: cellAudit(ctx, r.draft, draft, step.row.cells),
          };
        },
        rowSaved(ctx, step, []),
      );
    case "rowPrefill":
      if (step.kind !== "row") return;
      return commitAt(
        ctx,
        report,
        step,
        (r) => {
          // Confirms what the officer was shown: every cell still pre-filled and unanswered.
          const { values, complete } = prefilledRow(r, step.row.cells);
          if (!complete) return STALE_BUTTON;
          const draft = withCells(r.draft, step.row.cells, values as number[]);
          const audit = cellAudit(ctx, r.draft, draft, step.row.cells).map((e) => {
            const from = r.prefilled?.[e.target]?.from;
            return from ? { ...e, source: `来自去年：${from.year}年度报告 ${from.cells.join("+")}` } : e;
          });
          return { change: { draft, cursor: cursorAfter(flow, draft, index) }, audit };
        },
        rowSaved(ctx, step, []),
      );
    case "tableZero": {
      if (step.kind !== "row") return;
      const ids = step.table.steps.flatMap((s) => s.cells);
      const last = index + step.table.steps.length - 1;
      return commitAt(
        ctx,
        report,
        step,
        (r) => {
          const draft = withCells(r.draft, ids, []);
          return {
            change: { draft, cursor: cursorAfter(flow, draft, last) },
            audit: cellAudit(ctx, r.draft, draft, ids),
          };
        },
        () => `✅ 已保存：${escapeHtml(step.table.name)}全部为0。`,
      );
    }
    case "partDone":
      if (step.kind !== "part") return;
      return moveCursor(
        ctx,
        report,
        cursorAfter(flow, report.draft, index),
        index,
        nextOpenStep(flow, report.draft) === undefined ? ALL_DONE : undefined,
      );
    case "partReuse":
    case "partClear": {
      if (step.kind !== "part") return;
      const id = step.part.id;
      const text = callback.action === "partReuse" ? (report.previous?.narrative[id] ?? "") : "";
      return commitAt(
        ctx,
        report,
        step,
        (r) => {
          const narrative = { ...r.draft.narrative };
          if (text) narrative[id] = text;
          else delete narrative[id];
          return {
            change: { draft: { ...r.draft, narrative } },
            audit: [auditEntry(ctx, id, r.draft.narrative[id], text)],
          };
        },
        (_, after) =>
          text
            ? `✅ 已沿用去年的文字（${[...text].length} 字）。${similarWarning(ctx, after, id)}`
            : "✅ 已清空这一部分，请重新发送。",
      );
    }
  }
}

/** The 雷同 warning for a part, when the checks find one. */
function similarWarning(ctx: BotContext, report: StoredReport, part: string): string {
  const finding = findingsOf(ctx.deps, report).find((f) => f.rule === "R-similar" && f.cells[0] === part);
  return finding ? `\n⚠️ ${escapeHtml(finding.message)}` : "";
}

/** Moves the cursor (from `expected`, when a button of that step was pressed) and asks there. */
async function moveCursor(
  ctx: BotContext,
  report: StoredReport,
  to: number,
  expected: number | undefined,
  before?: string,
): Promise<void> {
  const result = await mutateReport(ctx, report, (r) =>
    expected !== undefined && r.cursor !== expected ? STALE_BUTTON : { change: { cursor: to } },
  );
  if (!result.ok) await ctx.reply(escapeHtml(result.reason));
  else await askCurrent(ctx, result.report, before);
}

export function fillFeature(): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  composer.command("fill", async (ctx) => {
    const report = await currentReport(ctx);
    if (!report) await ctx.reply(NO_REPORT);
    else await askCurrent(ctx, report);
  });
  onReportAction(composer, FILL_ACTIONS, onButton);
  composer.on("message:text", async (ctx, next) => {
    if (ctx.message.text.startsWith("/")) return next();
    await onText(ctx, ctx.message.text);
  });
  return composer;
}
