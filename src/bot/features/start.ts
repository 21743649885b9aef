import { type Conversation, createConversation } from "@grammyjs/conversations";
import { Composer, type Context, InlineKeyboard } from "grammy";
import { defaultReportYear } from "../../form/deadline.js";
import type { StoredReport } from "../../store/store.js";
import { askCurrent, sendCard } from "../ask.js";
import { onReportAction } from "../callbacks.js";
import type { BotContext } from "../context.js";
import { createAndOpen } from "../create-report.js";
import { currentReport } from "../report-access.js";
import { checkOrgName, checkYear } from "../report-settings.js";
import { CREATE_REPORT } from "../wizards.js";

/** /start: the report card, and creating a report (a short conversation, or /new in one step). */

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
    // The argument is one of CARD_BUTTONS (checked when decoded).
    const action = callback.arg === "fill" ? askCurrent : card[callback.arg];
    await ctx.answerCallbackQuery();
    await action(ctx, report);
  });
  return composer;
}
