import { type Composer, InlineKeyboard } from "grammy";
import { type FormStep, formSteps, isAnswered, sectionProgress } from "../../form/form-steps.js";
import type { StoredReport } from "../../store/store.js";
import { encodeCallback } from "../callback-data.js";
import { onReportAction } from "../callbacks.js";
import { BotComposer } from "../composer.js";
import type { BotContext } from "../context.js";
import { escapeHtml } from "../html.js";
import { currentReport } from "../report-access.js";
import { flowOf } from "../report-view.js";
import { NO_REPORT } from "../views/replies.js";

/** /sections: the six sections with progress, then the rows and parts of one, each a button to (re)answer it. */

const LABEL_LIMIT = 24;

const clip = (text: string, limit: number) => {
  const chars = [...text];
  return chars.length > limit ? `${chars.slice(0, Math.max(1, limit - 1)).join("")}…` : text;
};

/** A row keeps its group ("（三）不予公开 · 1.属于国家秘密"); a long label is cut, never the group. */
function stepButton(step: FormStep): string {
  if (step.kind === "part") return clip(step.part.heading ?? "正文", LABEL_LIMIT);
  const group = step.row.group;
  if (!group) return clip(step.row.label, LABEL_LIMIT);
  const head = `${group} · `;
  return head + clip(step.row.label, LABEL_LIMIT - [...head].length);
}

export async function sendSections(ctx: BotContext, report: StoredReport): Promise<void> {
  const progress = sectionProgress(flowOf(ctx.deps, report), report.draft);
  const keyboard = new InlineKeyboard();
  progress.forEach((p, i) => {
    const mark = p.answered === p.total ? "✅" : `${p.answered}/${p.total}`;
    keyboard.text(`${p.section.short} ${mark}`, encodeCallback("section", report.id, i)).row();
  });
  await ctx.reply(`<b>${escapeHtml(report.draft.org)} ${report.draft.year}年度</b>\n选一个部分查看或修改：`, {
    reply_markup: keyboard,
  });
}

async function sendSection(ctx: BotContext, report: StoredReport, index: number): Promise<void> {
  const flow = flowOf(ctx.deps, report);
  const section = flow.sections[index];
  if (!section) return;
  const keyboard = new InlineKeyboard();
  for (const step of formSteps(flow).filter((s) => s.section === section)) {
    const mark = isAnswered(step, report.draft) ? "✅ " : "";
    keyboard.text(`${mark}${stepButton(step)}`, encodeCallback("goto", report.id, step.index)).row();
  }
  keyboard.text("« 返回目录", encodeCallback("sections", report.id));
  await ctx.reply(`<b>${escapeHtml(section.heading)}</b>\n点一项修改（✅ 为已填）：`, {
    reply_markup: keyboard,
  });
}

export function sectionsFeature(): Composer<BotContext> {
  const composer = new BotComposer<BotContext>();
  composer.command("sections", async (ctx) => {
    const report = await currentReport(ctx);
    if (!report) await ctx.reply(NO_REPORT);
    else await sendSections(ctx, report);
  });
  onReportAction(composer, ["sections", "section"], async (ctx, callback, report) => {
    await ctx.answerCallbackQuery();
    if (callback.action === "sections") await sendSections(ctx, report);
    else await sendSection(ctx, report, callback.arg);
  });
  return composer;
}
