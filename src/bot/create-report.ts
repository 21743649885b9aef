import { InlineKeyboard } from "grammy";
import { defaultDeadline } from "../form/deadline.js";
import { NEW_REPORT } from "../store/store.js";
import { askCurrent, resendAck } from "./ask.js";
import { encodeCallback } from "./callback-data.js";
import type { BotContext } from "./context.js";
import { escapeHtml } from "./html.js";
import { forgetLastYearReport, lastYearStart } from "./last-year-report.js";
import { answerRepeat, writeOnce } from "./once-only.js";

/**
 * Creating a report (the /start wizard, /new, the 1 December invitation):
 * next year's report starts from last year's when there is one.
 */

/**
 * Creates a report for the user, makes it current and asks its first
 * question, all in one once-only write for this update (a redelivered /new
 * creates nothing). A report of the same unit and year the user has already
 * is offered instead of a second one.
 */
export async function createAndOpen(
  ctx: BotContext,
  org: string,
  year: number,
  /** The officer chose 新建一份 when there were this many of the unit and year already. */
  chosenWith?: number,
): Promise<void> {
  const userId = ctx.from?.id;
  if (userId === undefined) return;
  const { store, flows } = ctx.deps;
  const same = (await store.listReports(userId)).filter((r) => r.draft.org === org && r.draft.year === year);
  const newest = same[0];
  if (newest && chosenWith === undefined) {
    await ctx.reply(`你已经有「${escapeHtml(org)} ${year}年度」这份报告了。打开已有的，还是新建一份？`, {
      reply_markup: new InlineKeyboard()
        .text("打开已有的", encodeCallback("reports", newest.id, "sw"))
        .text("新建一份", encodeCallback("newSame", newest.id, same.length)),
    });
    return;
  }
  if (newest && chosenWith !== undefined && same.length > chosenWith) {
    // 新建一份 tapped again: the first tap made it.
    await ctx.reply(`「${escapeHtml(org)} ${year}年度」刚才已经新建了一份，没有再建。发 /reports 可以看全部。`);
    return;
  }
  const format = flows.formatForYear(year);
  const steps = flows.flowFor(format).sections.length;
  const created = `✅ 已新建：<b>${escapeHtml(org)} ${year}年度</b>（${format}年格式，共 ${steps} 部分）。随时发 /start 看进度。`;
  const draft = { format, org, year, narrative: {}, cells: {} };
  const fromLastYear = await lastYearStart(ctx, userId, draft);
  const saved = fromLastYear ? `${created}\n${escapeHtml(fromLastYear.note)}` : created;
  const start = fromLastYear && {
    previous: fromLastYear.previous,
    audit: fromLastYear.audit,
    ...(fromLastYear.prefilled ? { prefilled: fromLastYear.prefilled } : {}),
  };
  const result = await writeOnce(
    ctx,
    {
      create: { draft, members: [userId], deadline: defaultDeadline(year), ...start },
      user: { currentReportId: NEW_REPORT },
    },
    saved,
  );
  if (result.status === "repeat") return answerRepeat(ctx, result.unsent, resendAck);
  if (result.status !== "applied" || !result.report) throw new Error("creating a report wrote nothing");
  if (fromLastYear?.kept) await forgetLastYearReport(ctx, userId);
  await askCurrent(ctx, result.report, saved);
}
