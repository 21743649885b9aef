import type { Conversation } from "@grammyjs/conversations";
import { type Composer, type Context, InlineKeyboard } from "grammy";
import { defaultReportYear } from "../../form/deadline.js";
import type { StoredReport } from "../../store/store.js";
import { askCurrent, sendCard } from "../ask.js";
import { decodeCallback, encodeCallback, NO_REPORT } from "../callback-data.js";
import { onReportAction } from "../callbacks.js";
import { BotComposer } from "../composer.js";
import type { BotContext } from "../context.js";
import { createAndOpen } from "../create-report.js";
import { escapeHtml } from "../html.js";
import { currentReport } from "../report-access.js";
import { checkOrgName, checkYear } from "../report-settings.js";
import { CREATE_REPORT, registerWizard } from "../wizards.js";

/** /start: the report card, and creating a report (a short conversation, or /new in one step). */

const ASK_YEAR = "请点年份按钮或发年份数字。";

/** What the bot is for, said once before the officer's first question. */
const GREETING =
  "你好！我帮你填写《政府信息公开工作年度报告》：按报告格式一项一项问，表格发数字，文字部分发文字，每个回答都马上保存；填完核对后生成 Word 文件。发 /help 看怎么用。";

/** The wizard: unit name, then the year (buttons for the likely ones); the format follows from the year. */
async function createReportConversation(
  conversation: Conversation<BotContext, Context>,
  ctx: Context,
  knownOrg?: string,
  problem?: string,
  /** The officer's first /start: say what the bot is for first. */
  greet?: boolean,
): Promise<void> {
  // Arguments are stored as JSON between replays: an absent one comes back as null.
  let org: string | undefined = knownOrg ?? undefined;
  if (org === undefined)
    await ctx.reply(`${greet ? `${GREETING}\n\n` : ""}先新建一份年报。请发单位名称，例如：大关街道`);
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
      .text(`${suggested}年度`, encodeCallback("year", NO_REPORT, suggested))
      .text(`${suggested - 1}年度`, encodeCallback("year", NO_REPORT, suggested - 1)),
  });
  let year: number | undefined;
  while (year === undefined) {
    const answer = await conversation.waitFor(["message:text", "callback_query:data"], {
      otherwise: (c) => c.reply(ASK_YEAR),
    });
    let text = answer.message?.text ?? "";
    if (answer.callbackQuery) {
      const pressed = decodeCallback(answer.callbackQuery.data);
      // Forged data, or a year button out of shape (another message's button has left the wizard).
      if (pressed?.action !== "year") {
        await answer.answerCallbackQuery({ text: ASK_YEAR });
        continue;
      }
      await answer.answerCallbackQuery();
      text = pressed.arg;
    }
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
  const composer = new BotComposer<BotContext>();
  composer.use(registerWizard(createReportConversation, CREATE_REPORT));

  composer.command("start", async (ctx) => {
    // Unblocking the bot in Telegram sends /start: the officer can be reminded again.
    if (ctx.from) await ctx.deps.store.reminders.clearInactive(ctx.from.id);
    const report = await currentReport(ctx);
    if (report) await sendCard(ctx, report);
    else {
      const first = ctx.from !== undefined && (await ctx.deps.store.listReports(ctx.from.id)).length === 0;
      await ctx.conversation.enter(CREATE_REPORT, undefined, undefined, first);
    }
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
