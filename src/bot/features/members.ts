import { Composer, InlineKeyboard } from "grammy";
import type { StoredReport } from "../../store/store.js";
import { decodeCallback, encodeCallback } from "../callback-data.js";
import { decideFor, loadTarget, tell } from "../campaign-access.js";
import type { BotContext } from "../context.js";
import { escapeHtml } from "../html.js";
import { auditEntry, currentReport, mutateReport } from "../report-access.js";
import { NO_REPORT } from "../views/replies.js";

/**
 * /members: who fills the current report, and removing an officer who left.
 * A unit's officer or its campaign's supervisor may remove one (never the
 * last); the audit trail keeps what they wrote.
 */

/** Names as the audit trail last recorded them (Telegram names are not stored elsewhere). */
async function memberNames(ctx: BotContext, report: StoredReport): Promise<Map<number, string>> {
  const names = new Map<number, string>();
  for (const entry of await ctx.deps.store.history(report.id, 200))
    if (entry.byName && !names.has(entry.by)) names.set(entry.by, entry.byName);
  return names;
}

async function showMembers(ctx: BotContext, report: StoredReport): Promise<void> {
  const names = await memberNames(ctx, report);
  const inactive = await ctx.deps.store.reminders.inactive(report.members);
  const keyboard = new InlineKeyboard();
  const lines = [`<b>${escapeHtml(report.draft.org)} ${report.draft.year}年度</b>的填报人：`];
  for (const member of report.members) {
    const name = names.get(member) ?? `用户 ${member}`;
    const marks = [member === ctx.from?.id ? "（你）" : "", inactive.has(member) ? "（已屏蔽机器人）" : ""].join("");
    lines.push(`• ${escapeHtml(name)}${marks}`);
    if (member !== ctx.from?.id && report.members.length > 1)
      keyboard.text(`移除 ${name.slice(0, 20)}`, encodeCallback("removeOfficer", report.id, member)).row();
  }
  if (report.members.length > 1) lines.push("", "有人离开了单位，可以把他移出；他写过的内容和修改记录都会保留。");
  await ctx.reply(lines.join("\n"), report.members.length > 1 ? { reply_markup: keyboard } : {});
}

export function membersFeature(): Composer<BotContext> {
  const composer = new Composer<BotContext>();
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
      await ctx.answerCallbackQuery({ text: result.reason, show_alert: true });
      return;
    }
    await ctx.answerCallbackQuery({ text: "已移除。" });
    const unit = `${result.report.draft.org} ${result.report.draft.year}年度`;
    await tell(ctx, officer, () => ctx.api.sendMessage(officer, `你已被移出 ${escapeHtml(unit)} 的填报人。`));
    await ctx.reply(`已把这位填报人移出 ${escapeHtml(unit)}。他写过的内容和修改记录都保留。`);
  });
  return composer;
}
