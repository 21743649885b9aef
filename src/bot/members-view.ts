import { InlineKeyboard } from "grammy";
import type { StoredReport } from "../store/store.js";
import { encodeCallback } from "./callback-data.js";
import type { BotContext } from "./context.js";
import { escapeHtml } from "./html.js";

/** Who fills a report, as /members (officers) and the dashboard (supervisors) show it. */

/** Names as the audit trail last recorded them (Telegram names are not stored elsewhere). */
async function memberNames(ctx: BotContext, report: StoredReport): Promise<Map<number, string>> {
  const names = new Map<number, string>();
  for (const entry of await ctx.deps.store.history(report.id, 200))
    if (entry.byName && !names.has(entry.by)) names.set(entry.by, entry.byName);
  return names;
}

/** The members of a report, each (but the one asking) with a 移除 button while more than one is left. */
export async function showMembers(ctx: BotContext, report: StoredReport): Promise<void> {
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
