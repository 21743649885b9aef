import { type Composer, InlineKeyboard } from "grammy";
import { reportSummary } from "../../form/report-summary.js";
import type { StoredReport } from "../../store/store.js";
import { resendAck, sendCard } from "../ask.js";
import { type CallbackOf, encodeCallback, type REPORT_BUTTONS } from "../callback-data.js";
import { onReportAction } from "../callbacks.js";
import { BotComposer } from "../composer.js";
import type { BotContext } from "../context.js";
import { createAndOpen } from "../create-report.js";
import { escapeHtml } from "../html.js";
import { answerRepeat, writeOnce } from "../once-only.js";
import { findingsOf, flowOf } from "../report-view.js";
import { NO_REPORT } from "../views/replies.js";
import { editSetting } from "../wizards.js";

/** /reports: the officer's reports; open one to switch to it, rename it or delete it (creator only). */

/** Keeps the keyboard well under Telegram's 100 buttons. */
const LIST_LIMIT = 30;
const LABEL_ORG = 18;

const title = (r: StoredReport) => `${r.draft.org} ${r.draft.year}年度`;
const isCreator = (r: StoredReport, userId: number | undefined) => r.members[0] === userId;
const NOT_CREATOR = "只有创建这份报告的人才能删除它。";

async function currentId(ctx: BotContext): Promise<string | undefined> {
  const userId = ctx.from?.id;
  return userId === undefined ? undefined : (await ctx.deps.store.getUser(userId)).currentReportId;
}

async function sendList(ctx: BotContext): Promise<void> {
  const userId = ctx.from?.id;
  if (userId === undefined) return;
  const all = await ctx.deps.store.listReports(userId);
  if (all.length === 0) {
    await ctx.reply(NO_REPORT);
    return;
  }
  const current = await currentId(ctx);
  const shown = all.slice(0, LIST_LIMIT);
  const keyboard = new InlineKeyboard();
  const lines = shown.map((r, i) => {
    const org = [...r.draft.org];
    const short = org.length > LABEL_ORG ? `${org.slice(0, LABEL_ORG - 1).join("")}…` : r.draft.org;
    const mark = r.id === current ? "▶ " : "";
    keyboard.text(`${mark}${short} ${r.draft.year}`, encodeCallback("reports", r.id, "open")).row();
    return `${i + 1}. ${escapeHtml(title(r))}（${r.draft.format}年格式）${r.id === current ? " · <b>当前</b>" : ""}`;
  });
  const more = all.length > shown.length ? [`……另有 ${all.length - shown.length} 份较早的报告。`] : [];
  await ctx.reply(
    [
      `<b>我的报告</b>（共 ${all.length} 份）`,
      ...lines,
      ...more,
      "",
      "点一份查看，可切换、改名或删除。新建请发 /new 单位名称 年度。",
    ].join("\n"),
    { reply_markup: keyboard },
  );
}

async function sendReport(ctx: BotContext, report: StoredReport): Promise<void> {
  const summary = reportSummary(flowOf(ctx.deps, report), findingsOf(ctx.deps, report));
  const current = (await currentId(ctx)) === report.id;
  // Members who blocked the bot get no reminders: the others should know (issue "Deadlines").
  const others = report.members.filter((m) => m !== ctx.from?.id);
  const blocked = (await ctx.deps.store.reminders.inactive(others)).size;
  const lines = [
    `<b>${escapeHtml(title(report))}</b>（${report.draft.format}年格式）`,
    `进度：${summary.sectionsDone}/${summary.sectionsTotal} 部分已填完`,
    `填报人：${report.members.length} 位${isCreator(report, ctx.from?.id) ? "（你创建的）" : ""}`,
    blocked > 0 ? `⚠️ 其中 ${blocked} 位已屏蔽机器人，收不到提醒，请当面告知。` : "",
    current ? "这是你当前在填的报告。" : "",
  ].filter(Boolean);
  const keyboard = new InlineKeyboard()
    .text("切换到这份", encodeCallback("reports", report.id, "sw"))
    .text("改名", encodeCallback("reports", report.id, "mv"))
    .text("删除", encodeCallback("reports", report.id, "rm"))
    .row()
    .text("« 返回列表", encodeCallback("reports", report.id, "list"));
  await ctx.reply(lines.join("\n"), { reply_markup: keyboard });
}

async function switchTo(ctx: BotContext, report: StoredReport): Promise<void> {
  const userId = ctx.from?.id;
  if (userId === undefined) return;
  const state = await ctx.deps.store.getUser(userId);
  const saved = "✅ 已切换到这份报告。";
  const result = await writeOnce(ctx, { user: { ...state, currentReportId: report.id } }, saved);
  if (result.status === "repeat") return answerRepeat(ctx, result.unsent, resendAck);
  await sendCard(ctx, report, saved);
}

async function askDelete(ctx: BotContext, report: StoredReport): Promise<void> {
  const keyboard = new InlineKeyboard()
    .text("确认删除", encodeCallback("reports", report.id, "rmok"))
    .text("不删了", encodeCallback("reports", report.id, "open"));
  await ctx.reply(`确定删除「${escapeHtml(title(report))}」吗？已填的内容和修改记录会一起删除，不能恢复。`, {
    reply_markup: keyboard,
  });
}

async function remove(ctx: BotContext, report: StoredReport): Promise<void> {
  const userId = ctx.from?.id;
  if (userId === undefined) return;
  await ctx.deps.store.deleteReport(report.id);
  // Only the presser's own record is touched: other members' chats run in parallel, and a
  // current id of a deleted report already reads as "no report".
  const { currentReportId, position, ...rest } = await ctx.deps.store.getUser(userId);
  const kept = position && position.reportId !== report.id ? { ...rest, position } : rest;
  if (currentReportId === report.id) await writeOnce(ctx, { user: kept }, "");
  ctx.log.info({ reportId: report.id }, "report deleted");
  const others = (await ctx.deps.store.listReports(userId)).length > 0;
  await ctx.reply(
    `🗑 已删除「${escapeHtml(title(report))}」。${others ? "发 /reports 选另一份报告。" : "发 /start 新建一份。"}`,
  );
}

/** What each button does (its argument is one of REPORT_BUTTONS, checked when decoded). */
const ACTIONS: Record<(typeof REPORT_BUTTONS)[number], (ctx: BotContext, report: StoredReport) => Promise<void>> = {
  list: sendList,
  open: sendReport,
  sw: switchTo,
  mv: (ctx, report) => editSetting(ctx, report.id, "org"),
  rm: askDelete,
  rmok: remove,
};

async function onButton(ctx: BotContext, callback: CallbackOf<"reports">, report: StoredReport): Promise<void> {
  const creator = isCreator(report, ctx.from?.id);
  if ((callback.arg === "rm" || callback.arg === "rmok") && !creator) {
    await ctx.answerCallbackQuery({ text: NOT_CREATOR, show_alert: true });
    return;
  }
  await ctx.answerCallbackQuery();
  await ACTIONS[callback.arg](ctx, report);
}

export function reportsFeature(): Composer<BotContext> {
  const composer = new BotComposer<BotContext>();
  composer.command("reports", sendList);
  onReportAction(composer, ["reports"], onButton);
  onReportAction(composer, ["newSame"], async (ctx, callback, report) => {
    await ctx.answerCallbackQuery();
    await createAndOpen(ctx, report.draft.org, report.draft.year, callback.arg);
  });
  return composer;
}
