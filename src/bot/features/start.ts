import { type Conversation, createConversation } from "@grammyjs/conversations";
import { Composer, type Context, InlineKeyboard } from "grammy";
import { chineseDate, daysLeft, defaultDeadline, defaultReportYear } from "../../form/deadline.js";
import { sectionProgress } from "../../form/form-steps.js";
import type { StoredReport } from "../../store/store.js";
import { encodeCallback } from "../callback-data.js";
import { onReportAction } from "../callbacks.js";
import type { BotContext } from "../context.js";
import { escapeHtml } from "../html.js";
import { currentReport } from "../report-access.js";
import { findingsOf, flowOf } from "../report-view.js";
import { askCurrent } from "./fill.js";

/** /start: the report card, and creating a report (a short conversation, or /new in one step). */

const MAX_ORG = 40;
const FIRST_YEAR = 2019;

/** The card: unit, year, progress, open problems, deadline and days left, with the main buttons. */
export async function sendCard(ctx: BotContext, report: StoredReport, before?: string): Promise<void> {
  const flow = flowOf(ctx.deps, report);
  const sections = sectionProgress(flow, report.draft);
  const done = sections.filter((s) => s.answered === s.total).length;
  const findings = findingsOf(ctx.deps, report).filter((f) => f.rule !== "missing");
  const errors = findings.filter((f) => f.severity === "error").length;
  const deadline = report.deadline ?? defaultDeadline(report.draft.year);
  const left = daysLeft(deadline, ctx.deps.now());
  const lines = [
    `<b>${escapeHtml(report.draft.org)} ${report.draft.year}年度</b>（${report.draft.format}年格式）`,
    `进度：${done}/${sections.length} 部分已填完`,
    findings.length === 0 ? "问题：暂无" : `问题：${errors} 个错误，${findings.length - errors} 个提醒`,
    `截止：${chineseDate(deadline)}，${left >= 0 ? `还有 ${left} 天` : `已过 ${-left} 天`}`,
  ];
  const id = report.id;
  const keyboard = new InlineKeyboard()
    .text("继续填写", encodeCallback("card", id, "fill"))
    .text("各部分", encodeCallback("sections", id))
    .row()
    .text("核对", encodeCallback("card", id, "check"))
    .text("预览", encodeCallback("card", id, "preview"))
    .row()
    .text("生成报告", encodeCallback("card", id, "report"))
    .text("设置", encodeCallback("card", id, "settings"));
  await ctx.reply(before ? `${before}\n\n${lines.join("\n")}` : lines.join("\n"), {
    parse_mode: "HTML",
    reply_markup: keyboard,
  });
}

/** Creates a report for the user, makes it current and asks its first question. */
export async function createAndOpen(ctx: BotContext, org: string, year: number): Promise<void> {
  const userId = ctx.from?.id;
  if (userId === undefined) return;
  const { store, flows } = ctx.deps;
  const format = flows.formatForYear(year);
  const report = await store.createReport({
    draft: { format, org, year, narrative: {}, cells: {} },
    members: [userId],
    deadline: defaultDeadline(year),
  });
  await store.setUser(userId, { currentReportId: report.id });
  const steps = flows.flowFor(format).sections.length;
  await askCurrent(
    ctx,
    report,
    `✅ 已新建：<b>${escapeHtml(org)} ${year}年度</b>（${format}年格式，共 ${steps} 部分）。随时发 /start 看进度。`,
  );
}

export function checkOrgName(text: string): string | undefined {
  const name = text.trim();
  if (!name || name.startsWith("/")) return "请发单位名称，例如：大关街道";
  if ([...name].length > MAX_ORG) return `单位名称太长了，请在 ${MAX_ORG} 字以内。`;
  if (/[\n<>]/.test(name)) return "单位名称里不能有换行或尖括号。";
  return undefined;
}

export function checkYear(text: string, now: Date): number | string {
  const year = Number(text.trim().replace(/年度?$/, ""));
  const latest = defaultReportYear(now) + 1;
  if (!Number.isInteger(year) || year < FIRST_YEAR || year > latest)
    return `请发 ${FIRST_YEAR}–${latest} 之间的年份，例如：${defaultReportYear(now)}`;
  return year;
}

/** The wizard: unit name, then the year (buttons for the likely ones); the format follows from the year. */
async function createReportConversation(conversation: Conversation<BotContext, Context>, ctx: Context): Promise<void> {
  await ctx.reply("先新建一份年报。请发单位名称，例如：大关街道");
  let org: string | undefined;
  while (org === undefined) {
    const answer = await conversation.waitFor("message:text", {
      otherwise: (c) => c.reply("请发文字的单位名称，例如：大关街道"),
    });
    const problem = checkOrgName(answer.message.text);
    if (problem) await answer.reply(problem);
    else org = answer.message.text.trim();
  }
  const now = await conversation.external((outer) => outer.deps.now().getTime());
  const suggested = defaultReportYear(new Date(now));
  await ctx.reply(`报告哪一年？点按钮或直接发年份。`, {
    reply_markup: new InlineKeyboard()
      .text(`${suggested}年度`, `year:${suggested}`)
      .text(`${suggested - 1}年度`, `year:${suggested - 1}`),
  });
  let year: number | undefined;
  while (year === undefined) {
    const answer = await conversation.waitFor(["message:text", "callback_query:data"], {
      otherwise: (c) => c.reply("请点年份按钮或发年份数字。"),
    });
    const text = answer.callbackQuery?.data?.replace(/^year:/, "") ?? answer.message?.text ?? "";
    if (answer.callbackQuery) await answer.answerCallbackQuery();
    const checked = checkYear(text, new Date(now));
    if (typeof checked === "string") await answer.reply(checked);
    else year = checked;
  }
  const chosen = { org, year };
  await conversation.external((outer) => createAndOpen(outer, chosen.org, chosen.year));
}

/** What the card's buttons do besides 继续填写 and 各部分, provided by their features. */
export type CardActions = Record<
  "check" | "preview" | "report" | "settings",
  (ctx: BotContext, report: StoredReport) => Promise<void>
>;

export function startFeature(card: CardActions): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  composer.use(createConversation(createReportConversation, "create-report"));

  composer.command("start", async (ctx) => {
    const report = await currentReport(ctx);
    if (report) await sendCard(ctx, report);
    else await ctx.conversation.enter("create-report");
  });

  composer.command("new", async (ctx) => {
    const words = ctx.match.trim().split(/\s+/).filter(Boolean);
    const yearText = words.at(-1);
    if (words.length === 0) return ctx.conversation.enter("create-report");
    if (words.length < 2 || !yearText) {
      await ctx.reply("用法：/new 单位名称 年度，例如：/new 大关街道 2025");
      return;
    }
    const org = words.slice(0, -1).join(" ");
    const year = checkYear(yearText, ctx.deps.now());
    const problem = checkOrgName(org) ?? (typeof year === "string" ? year : undefined);
    if (problem || typeof year === "string") await ctx.reply(problem ?? "");
    else await createAndOpen(ctx, org, year);
  });

  onReportAction(composer, ["card"], async (ctx, callback, report) => {
    // Own keys only: forged data such as "__proto__" or "hasOwnProperty" must not reach Object.prototype.
    const known = callback.arg === "fill" || Object.hasOwn(card, callback.arg);
    const action = callback.arg === "fill" ? askCurrent : known ? card[callback.arg as keyof CardActions] : undefined;
    if (!action) return ctx.answerCallbackQuery({ text: "按钮无效。" });
    await ctx.answerCallbackQuery();
    await action(ctx, report);
  });
  return composer;
}
