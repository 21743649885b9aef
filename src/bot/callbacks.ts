import type { Composer } from "grammy";
import type { StoredReport } from "../store/store.js";
import { type Action, type Callback, decodeCallback } from "./callback-data.js";
import type { BotContext } from "./context.js";
import { memberReport } from "./report-access.js";

/**
 * Registers a handler for some callback actions. The data is decoded and the
 * presser must be a member of the report it names; anything else is answered
 * by the catch-all in create-bot and changes nothing.
 */
export function onReportAction(
  composer: Composer<BotContext>,
  actions: readonly Action[],
  handler: (ctx: BotContext, callback: Callback, report: StoredReport) => Promise<unknown>,
): void {
  composer.on("callback_query:data", async (ctx, next) => {
    const callback = decodeCallback(ctx.callbackQuery.data);
    if (!callback || !actions.includes(callback.action)) return next();
    const report = await memberReport(ctx, callback.reportId);
    if (!report) {
      await ctx.answerCallbackQuery({ text: "这个按钮对应的报告不存在，或你不是它的填报人。" });
      return;
    }
    await handler(ctx, callback, report);
  });
}

export const STALE_BUTTON = "这是旧消息上的按钮，请用最新一条消息。";
