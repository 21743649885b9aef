import type { Composer } from "grammy";
import { decodeCallback } from "../callback-data.js";
import { decideFor, loadTarget, tell } from "../campaign-access.js";
import { BotComposer } from "../composer.js";
import type { BotContext } from "../context.js";
import { escapeHtml } from "../html.js";
import { showMembers } from "../members-view.js";
import { auditEntry, currentReport, mutateReport } from "../report-access.js";
import { NO_REPORT } from "../views/replies.js";

/**
 * /members: who fills the current report, and removing an officer who left.
 * A unit's officer or its campaign's supervisor may remove one (never the
 * last); the audit trail keeps what they wrote.
 */

export function membersFeature(): Composer<BotContext> {
  const composer = new BotComposer<BotContext>();
  composer.command("members", async (ctx) => {
    const report = await currentReport(ctx);
    if (report) await showMembers(ctx, report);
    else await ctx.reply(NO_REPORT);
  });
  // A supervisor is not a member: the access rule, not membership, decides.
  composer.on("callback_query:data", async (ctx, next) => {
    const callback = decodeCallback(ctx.callbackQuery.data);
    if (callback?.action !== "removeOfficer") return next();
    const officer = Number(callback.arg);
    const target = await loadTarget(ctx, callback.reportId);
    const decision = decideFor(ctx, "remove_officer", { ...target, officer });
    if (!decision.ok || !target.report) {
      await ctx.answerCallbackQuery({ text: decision.ok ? "这份报告已不存在。" : decision.message, show_alert: true });
      return;
    }
    const result = await mutateReport(ctx, target.report, (current) => {
      const again = decideFor(ctx, "remove_officer", { ...target, report: current, officer });
      if (!again.ok) return again.message;
      return {
        change: { members: current.members.filter((m) => m !== officer) },
        audit: [auditEntry(ctx, "members", officer, null)],
      };
    });
    if (!result.ok) {
      if (!result.repeat) await ctx.answerCallbackQuery({ text: result.reason, show_alert: true });
      return;
    }
    await ctx.answerCallbackQuery({ text: "已移除。" });
    const unit = `${result.report.draft.org} ${result.report.draft.year}年度`;
    await tell(ctx, officer, () => ctx.api.sendMessage(officer, `你已被移出 ${escapeHtml(unit)} 的填报人。`));
    await ctx.reply(`已把这位填报人移出 ${escapeHtml(unit)}。他写过的内容和修改记录都保留。`);
  });
  return composer;
}
