import type { Conversation } from "@grammyjs/conversations";
import { type Composer, type Context, InlineKeyboard, InputFile } from "grammy";
import { formSteps, sectionNumber } from "../../form/form-steps.js";
import { reportSummary } from "../../form/report-summary.js";
import { REVIEW_COMMENT_LIMIT, type Review, type ReviewComment } from "../../form/review.js";
import { reportTitle } from "../../report/report-text.js";
import type { StoredReport } from "../../store/store.js";
import { decodeCallback, encodeCallback } from "../callback-data.js";
import { onReportAction } from "../callbacks.js";
import { decideFor, loadTarget, tell, tellMembers } from "../campaign-access.js";
import { BotComposer } from "../composer.js";
import type { BotContext } from "../context.js";
import { safeFileName } from "../file-name.js";
import { escapeHtml } from "../html.js";
import { auditEntry, currentReport, type Mutated, mutateReport, replyRefusal } from "../report-access.js";
import { findingsOf, flowOf } from "../report-view.js";
import { NO_REPORT } from "../views/replies.js";
import { RETURN_REPORT, registerWizard } from "../wizards.js";

/**
 * Hand-in and review (定稿): /submit runs every check (errors block,
 * warnings are confirmed), locks the report and sends the .docx to the
 * campaign's supervisors with 审核通过 · 退回修改; a return carries a comment
 * on a part, shown to the officers at that question, and unlocks the report.
 */

/** Writes a review step, deciding again on the report as stored (it may have moved on). */
async function writeReview(
  ctx: BotContext,
  report: StoredReport,
  action: "submit" | "review",
  review: Review,
): Promise<Mutated> {
  const target = await loadTarget(ctx, report.id);
  return mutateReport(ctx, report, (current) => {
    const decision = decideFor(ctx, action, { ...target, report: current });
    if (!decision.ok) return decision.message;
    const comment = review.comment ? ` ${review.comment.target ?? ""} ${review.comment.text}` : "";
    return {
      change: { review },
      audit: [auditEntry(ctx, "review", current.review?.state ?? null, `${review.state}${comment}`)],
    };
  });
}

const unitName = (report: StoredReport) => report.draft.org;

async function startSubmit(ctx: BotContext, report: StoredReport, confirmed: boolean): Promise<void> {
  const target = await loadTarget(ctx, report.id);
  const decision = decideFor(ctx, "submit", { ...target, report });
  if (!decision.ok) {
    await ctx.reply(decision.message);
    return;
  }
  const summary = reportSummary(flowOf(ctx.deps, report), findingsOf(ctx.deps, report));
  if (summary.errors.length > 0 || summary.missingSections > 0) {
    const what = [
      summary.errors.length > 0 ? `${summary.errors.length} 个错误` : "",
      summary.missingSections > 0 ? `${summary.missingSections} 个部分未填完` : "",
    ].filter(Boolean);
    await ctx.reply(`还有 ${what.join("，")}，不能提交审核。发 /check 查看，改好后再发 /submit。`);
    return;
  }
  if (summary.warnings.length > 0 && !confirmed) {
    await ctx.reply(`有 ${summary.warnings.length} 个提醒，请先发 /check 核实。核实无误就点「确认提交」。`, {
      reply_markup: new InlineKeyboard().text("确认提交", encodeCallback("submit", report.id, "ok")),
    });
    return;
  }
  const at = ctx.deps.now().toISOString();
  const written = await writeReview(ctx, report, "submit", { state: "submitted", at, by: ctx.from?.id ?? 0 });
  if (!written.ok) return replyRefusal(ctx, written);
  await ctx.reply("📨 已提交审核。报告已锁定，审核人退回后才能再改；通过后会通知你。");
  const campaign = target.campaign;
  if (!campaign) return;
  const docx = await ctx.deps.renderDocx(written.report.draft, {});
  const fileName = safeFileName(`${reportTitle(written.report.draft)}.docx`);
  const keyboard = new InlineKeyboard()
    .text("审核通过", encodeCallback("review", report.id, "ok"))
    .text("退回修改", encodeCallback("review", report.id, "back"));
  const caption = `📥 ${escapeHtml(unitName(report))} 提交了 ${report.draft.year} 年度报告（${escapeHtml(campaign.name)}），请审核。`;
  for (const supervisor of campaign.supervisors)
    await tell(ctx, supervisor, () =>
      ctx.api.sendDocument(supervisor, new InputFile(docx, fileName), { caption, reply_markup: keyboard }),
    );
}

async function approve(ctx: BotContext, report: StoredReport): Promise<void> {
  const at = ctx.deps.now().toISOString();
  const written = await writeReview(ctx, report, "review", { state: "approved", at, by: ctx.from?.id ?? 0 });
  if (!written.ok) return replyRefusal(ctx, written);
  await ctx.reply(`✅ 已通过：${escapeHtml(unitName(report))} ${report.draft.year} 年度报告。`);
  await tellMembers(
    ctx,
    written.report,
    `✅ ${escapeHtml(unitName(report))} ${report.draft.year} 年度报告已审核通过，可以盖章发布了。`,
  );
}

/** The first question of each section, for a comment on that part. */
function sectionStarts(report: StoredReport, ctx: { deps: BotContext["deps"] }): { label: string; step: number }[] {
  const flow = flowOf(ctx.deps, report);
  const steps = formSteps(flow);
  return flow.sections.map((section) => ({
    label: `${sectionNumber(section)}、${section.heading.replace(/^[一二三四五六七八九十]+、/, "")}`.slice(0, 20),
    step: steps.findIndex((s) => s.section === section),
  }));
}

async function returnConversation(
  conversation: Conversation<BotContext, Context>,
  ctx: Context,
  reportId: string,
): Promise<void> {
  await ctx.reply("请写退回意见，例如：三（三）3 与正文不符。发 /cancel 取消。");
  let text = "";
  while (!text) {
    const answer = await conversation.waitFor("message:text", { otherwise: (c) => c.reply("请发文字的退回意见。") });
    const t = answer.message.text.trim();
    if (t.length > REVIEW_COMMENT_LIMIT) await answer.reply(`意见太长了，最多 ${REVIEW_COMMENT_LIMIT} 字。`);
    else text = t;
  }
  const parts = await conversation.external(async (outer) => {
    const report = await outer.deps.store.getReport(reportId);
    return report ? sectionStarts(report, outer) : [];
  });
  const keyboard = new InlineKeyboard();
  for (const [i, p] of parts.entries()) keyboard.text(p.label, `part:${i}`).row();
  keyboard.text("整份报告", "part:all");
  await ctx.reply("这条意见针对哪一部分？填报人会在那个问题上看到它。", { reply_markup: keyboard });
  let comment: ReviewComment | undefined;
  while (!comment) {
    const answer = await conversation.waitFor("callback_query:data", { otherwise: (c) => c.reply("请点一个部分。") });
    const m = answer.callbackQuery.data.match(/^part:(\d{1,2}|all)$/);
    const part = m?.[1] === "all" ? undefined : parts[Number(m?.[1])];
    await answer.answerCallbackQuery();
    if (!m || (m[1] !== "all" && !part)) continue;
    comment = part ? { step: part.step, target: part.label, text } : { text };
  }
  const chosen = comment;
  await conversation.external(async (outer) => {
    const report = await outer.deps.store.getReport(reportId);
    if (!report) return;
    const at = outer.deps.now().toISOString();
    const review: Review = { state: "returned", at, by: outer.from?.id ?? 0, comment: chosen };
    const written = await writeReview(outer, report, "review", review);
    if (!written.ok) return replyRefusal(outer, written);
    const where = chosen.target ? `${escapeHtml(chosen.target)}：` : "";
    await outer.reply(`↩️ 已退回 ${escapeHtml(unitName(report))}，填报人会收到意见。`);
    await tellMembers(
      outer,
      written.report,
      `↩️ 审核人退回了 ${escapeHtml(unitName(report))} ${report.draft.year} 年度报告：\n退回修改：${where}${escapeHtml(chosen.text)}\n报告已解锁，改好后发 /submit 再次提交。`,
    );
  });
}

export function campaignReviewFeature(): Composer<BotContext> {
  const composer = new BotComposer<BotContext>();
  composer.use(registerWizard(returnConversation, RETURN_REPORT));
  composer.command("submit", async (ctx) => {
    const report = await currentReport(ctx);
    if (report) await startSubmit(ctx, report, false);
    else await ctx.reply(NO_REPORT);
  });
  onReportAction(composer, ["submit"], async (ctx, _callback, report) => {
    await ctx.answerCallbackQuery();
    await startSubmit(ctx, report, true);
  });
  // Supervisors are not members: the access rule, not onReportAction, decides.
  composer.on("callback_query:data", async (ctx, next) => {
    const callback = decodeCallback(ctx.callbackQuery.data);
    if (callback?.action !== "review") return next();
    const target = await loadTarget(ctx, callback.reportId);
    const decision = decideFor(ctx, "review", target);
    if (!decision.ok || !target.report) {
      ctx.log.info({ refusal: decision.ok ? "gone" : decision.refusal }, "review refused");
      await ctx.answerCallbackQuery({ text: decision.ok ? "这份报告已不存在。" : decision.message, show_alert: true });
      return;
    }
    await ctx.answerCallbackQuery();
    if (callback.arg === "ok") await approve(ctx, target.report);
    else await ctx.conversation.enter(RETURN_REPORT, target.report.id);
  });
  return composer;
}
