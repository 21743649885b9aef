import type { Composer } from "grammy";
import { formSteps } from "../form/form-steps.js";
import type { StoredReport } from "../store/store.js";
import {
  type Action,
  argKind,
  type Callback,
  type CallbackOf,
  decodeEnvelope,
  parseCallback,
} from "./callback-data.js";
import type { BotContext } from "./context.js";
import { memberReport } from "./report-access.js";
import { flowOf } from "./report-view.js";
import { INVALID_BUTTON, NOT_MEMBER } from "./views/replies.js";

/**
 * Registers a handler for some callback actions. The presser must be a
 * member of the report the data names, the argument must be of the kind its
 * action declares (callback-data.ts), and a step or section index must exist
 * in that report's flow: the handler only sees valid buttons, and every
 * forged one gets the same refusal (data out of shape altogether is answered
 * by the catch-all in create-bot with it too).
 */
export function onReportAction<A extends Action>(
  composer: Composer<BotContext>,
  actions: readonly A[],
  handler: (ctx: BotContext, callback: CallbackOf<A>, report: StoredReport) => Promise<unknown>,
): void {
  const wanted: ReadonlySet<Action> = new Set(actions);
  // A filter, not a handler that calls next for other buttons: the composer walks past it without a
  // call (composer.ts), and a button passes every feature's handler before its own.
  const ours = (ctx: BotContext) => {
    const action = decodeEnvelope(ctx.callbackQuery?.data)?.action;
    return action !== undefined && wanted.has(action);
  };
  composer.on("callback_query:data").filter(ours, async (ctx) => {
    const envelope = decodeEnvelope(ctx.callbackQuery.data);
    if (!envelope) return;
    const report = await memberReport(ctx, envelope.reportId);
    if (!report) {
      await ctx.answerCallbackQuery({ text: NOT_MEMBER });
      return;
    }
    const decoded = parseCallback(envelope);
    if (!decoded || !inFlow(decoded, report, ctx)) {
      await ctx.answerCallbackQuery({ text: INVALID_BUTTON });
      return;
    }
    await handler(ctx, decoded as CallbackOf<A>, report);
  });
}

/** A step or section index names one of the report's flow. */
function inFlow(callback: Callback, report: StoredReport, ctx: BotContext): boolean {
  const kind = argKind(callback.action);
  if (kind !== "step" && kind !== "section") return true;
  const flow = flowOf(ctx.deps, report);
  const count = kind === "section" ? flow.sections.length : formSteps(flow).length;
  return Number(callback.arg) < count;
}
