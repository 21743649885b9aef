import { type Conversation, createConversation } from "@grammyjs/conversations";
import { Composer, type Context, InlineKeyboard } from "grammy";
import { defaultDeadline, defaultReportYear } from "../../form/deadline.js";
import { NEW_REPORT, type StoredReport } from "../../store/store.js";
import { askCurrent, resendAck, sendCard } from "../ask.js";
import { encodeCallback } from "../callback-data.js";
import { onReportAction } from "../callbacks.js";
import type { BotContext } from "../context.js";
import { escapeHtml } from "../html.js";
import { forgetLastYearReport, lastYearStart } from "../last-year-report.js";
import { answerRepeat, writeOnce } from "../once-only.js";
import { currentReport } from "../report-access.js";
import { checkOrgName, checkYear } from "../report-settings.js";
import { CREATE_REPORT } from "../wizards.js";

/** /start: the report card, and creating a report (a short conversation, or /new in one step). */

/**
 * Creates a report for the user, makes it current and asks its first
 * question, all once for this update. A report of the same unit and year
 * the user has already is offered instead of a second one.
 */
export async function createAndOpen(ctx: BotContext, org: string, year: number): Promise<void> {
  const userId = ctx.from?.id;
  if (userId === undefined) return;
  const { store, flows } = ctx.deps;
  const same = (await store.listReports(userId)).find((r) => r.draft.org === org && r.draft.year === year);
  if (same) {
    await ctx.reply(
      `你已经有「${escapeHtml(org)} ${year}年度」这份报告了，没有再建一份。要打开它吗？\n（确实要两份时，先把原来的改名。）`,
      { reply_markup: new InlineKeyboard().text("打开它", encodeCallback("reports", same.id, "sw")) },
    );
    return;
  }
  const format = flows.formatForYear(year);
  const steps = flows.flowFor(format).sections.length;
  const created = `✅ 已新建：<b>${escapeHtml(org)} ${year}年度</b>（${format}年格式，共 ${steps} 部分）。随时发 /start 看进度。`;
  const draft = { format, org, year, narrative: {}, cells: {} };
  // Last year's report the officer kept comes in the same write, with the cells it pre-fills.
  const fromLastYear = await lastYearStart(ctx, userId, draft);
  const saved = fromLastYear ? `${created}\n${escapeHtml(fromLastYear.note)}` : created;
  const result = await writeOnce(
    ctx,
    {
      create: {
        draft: fromLastYear?.draft ?? draft,
        members: [userId],
        deadline: defaultDeadline(year),
        ...(fromLastYear ? { previous: fromLastYear.previous, audit: fromLastYear.audit } : {}),
      },
      user: { currentReportId: NEW_REPORT },
    },
    saved,
  );
  if (result.status === "repeat") return answerRepeat(ctx, result.unsent, resendAck);
  if (result.status !== "applied" || !result.report) throw new Error("creating a report wrote nothing");
  if (fromLastYear) await forgetLastYearReport(ctx, userId);
  await askCurrent(ctx, result.report, saved);
}

/** The wizard: unit name, then the year (buttons for the likely ones); the format follows from the year. */
async function createReportConversation(
  conversation: Conversation<BotContext, Context>,
  ctx: Context,
  knownOrg?: string,
  problem?: string,
): Promise<void> {
  let org: string | undefined = knownOrg;
  if (org === undefined) await ctx.reply("先新建一份年报。请发单位名称，例如：大关街道");
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
  const asked = org === knownOrg ? `新建「${escapeHtml(org)}」的年报。` : "";
  await ctx.reply(`${problem ? `${escapeHtml(problem)}\n` : ""}${asked}报告哪一年？点按钮或直接发年份。`, {
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
  composer.use(createConversation(createReportConversation, CREATE_REPORT));

  composer.command("start", async (ctx) => {
    const report = await currentReport(ctx);
    if (report) await sendCard(ctx, report);
    else await ctx.conversation.enter(CREATE_REPORT);
  });

  composer.command("new", async (ctx) => {
    const words = ctx.match.trim().split(/\s+/).filter(Boolean);
    const yearText = words.at(-1);
    if (words.length === 0) return ctx.conversation.enter(CREATE_REPORT);
    // The last word is the year when it looks like one; otherwise the whole text is the unit.
    const looksLikeYear = words.length >= 2 && /^[0-9０-９〇一二三四五六七八九零]{4}年?度?$/.test(yearText ?? "");
    const org = looksLikeYear ? words.slice(0, -1).join(" ") : words.join(" ");
    const orgProblem = checkOrgName(org);
    if (orgProblem) {
      await ctx.reply(`${escapeHtml(orgProblem)}\n用法：/new 单位名称 年度，例如：/new 大关街道 2025`);
      return;
    }
    const year = looksLikeYear && yearText ? checkYear(yearText, ctx.deps.now()) : undefined;
    // Without a usable year the wizard asks for it, and takes the answer.
    if (typeof year === "number") await createAndOpen(ctx, org, year);
    else await ctx.conversation.enter(CREATE_REPORT, org, year);
  });

  onReportAction(composer, ["card"], async (ctx, callback, report) => {
    // The argument is one of CARD_BUTTONS (checked when decoded).
    const action = callback.arg === "fill" ? askCurrent : card[callback.arg];
    await ctx.answerCallbackQuery();
    await action(ctx, report);
  });
  return composer;
}
