import { autoRetry } from "@grammyjs/auto-retry";
import type { ConversationControls } from "@grammyjs/conversations";
import { Bot, type BotConfig, type Composer, Context } from "grammy";
import type { Logger } from "pino";
import { isStaleMember } from "../store/store.js";
import { isStoreUnavailable } from "../store/store-unavailable.js";
import { resendAck } from "./ask.js";
import { decodeEnvelope } from "./callback-data.js";
import { BotComposer } from "./composer.js";
import type { BotContext, Deps } from "./context.js";
import { campaignAdminFeature } from "./features/campaign-admin.js";
import { campaignDatesFeature } from "./features/campaign-dates.js";
import { campaignJoinFeature } from "./features/campaign-join.js";
import { campaignReviewFeature } from "./features/campaign-review.js";
import { cancelFeature } from "./features/cancel.js";
import { dashboardFeature } from "./features/dashboard.js";
import { FILL_ACTIONS, fillFeature } from "./features/fill.js";
import { finalizeFeature, sendCheck, sendPreview, startReport } from "./features/finalize.js";
import { historyFeature } from "./features/history.js";
import { importFeature } from "./features/import.js";
import { linksFeature } from "./features/links.js";
import { membersFeature } from "./features/members.js";
import { remindersFeature } from "./features/reminders.js";
import { reportsFeature } from "./features/reports.js";
import { sectionsFeature } from "./features/sections.js";
import { settingsFeature, showSettings } from "./features/settings.js";
import { startFeature } from "./features/start.js";
import { htmlParseMode } from "./html-parse-mode.js";
import { answerFailure, onceOnly } from "./once-only.js";
import { EXPIRED_BUTTON, INVALID_BUTTON } from "./views/replies.js";
import { answersDialogue, leavingDialogues, NO_WIZARD, wizardsPlugin } from "./wizards.js";

const PRIVATE_ONLY = "请在和我的私聊中填写年报，群里我不处理消息。";

/**
 * Builds the bot without any network call, so tests can build as many as they
 * like. Its updates come from the durable inbox (main.ts): the InboxConsumer
 * hands it one update of a chat at a time, in order, and stops a chat's flood
 * (floodLimit), so the bot itself neither queues per chat nor counts a backlog.
 * Middleware order, outermost first:
 * The context carries deps and a logger from its construction (contextClass).
 *   error boundary → private chats and allowed users
 *   → once-only (repeats end here) → edited messages
 *   → conversations (state in the store; only for updates that may need them) → commands leave a running wizard
 *   → features → replies for anything else.
 */
export function createBot(token: string, deps: Deps, config: Partial<BotConfig<BotContext>> = {}): Bot<BotContext> {
  const bot = new Bot<BotContext>(token, { ...config, ContextConstructor: contextClass(deps) });
  bot.api.config.use(autoRetry());
  bot.api.config.use(htmlParseMode);

  // Everything inside the boundary runs on the cheaper composer (composer.ts).
  const guarded = new BotComposer<BotContext>();
  bot.errorBoundary(async (err) => {
    // The store is down: the update stays in the inbox; the consumer tells the officer and tries again.
    if (isStoreUnavailable(err.error)) throw err.error;
    // The member changed elsewhere before this update's write: handled again below, nothing was written.
    if (isStaleMember(err.error)) throw err.error;
    err.ctx.log.error({ err: err.error }, "update failed");
    await answerFailure(err.ctx, "抱歉，出错了，刚才的操作没有完成。请再试一次，或发 /start。", resendAck).catch(
      () => undefined,
    );
  }, guarded);

  guarded.use(async (ctx, next) => {
    if (ctx.chat && ctx.chat.type !== "private") {
      // A button is answered with a toast (an unanswered one keeps spinning), a command with a message.
      if (ctx.callbackQuery) await ctx.answerCallbackQuery({ text: PRIVATE_ONLY }).catch(() => undefined);
      else if (ctx.message?.text?.startsWith("/")) await ctx.reply(PRIVATE_ONLY).catch(() => undefined);
      return;
    }
    const allowed = deps.allowedUserIds;
    if (allowed && ctx.from && !allowed.includes(ctx.from.id)) {
      // The administrator needs the id for ALLOWED_USER_IDS.
      const refusal = `你没有使用这个机器人的权限。你的 Telegram 用户 ID 是 ${ctx.from.id}，请把它发给管理员开通。`;
      if (ctx.callbackQuery) await ctx.answerCallbackQuery({ text: refusal, show_alert: true });
      else await ctx.reply(refusal);
      return;
    }
    await next();
  });

  // Repeats stop here; acknowledgements that never reached the member start this update's reply.
  guarded.use(onceOnly(resendAck));

  guarded.on("edited_message", (ctx) =>
    ctx.reply("改动已发出的消息不会改动报告。要修改某一项，请发 /sections 找到它重新填写。"),
  );

  // Dialogues (conversations) for the updates that may need them; their state is kept in the store.
  guarded.use(
    wizardsPlugin(
      deps.store,
      [
        // Conversations build their own Api object: auto-retry and the parse mode must be installed again inside.
        async (ctx, next) => {
          ctx.api.config.use(autoRetry());
          ctx.api.config.use(htmlParseMode);
          await next();
        },
      ],
      new Set(FILL_ACTIONS),
    ),
  );

  // A command, or a button of the bot's other messages (not the dialogue's own), leaves a dialogue that
  // is waiting for an answer, says so, and is then handled as usual.
  guarded.on("message::bot_command", leavingDialogues);
  guarded.on("callback_query:data", async (ctx, next) => {
    const envelope = decodeEnvelope(ctx.callbackQuery.data);
    if (envelope && !answersDialogue(ctx, envelope.action)) return leavingDialogues(ctx, next);
    await next();
  });

  guarded.use(cancelFeature());
  // A date or contact /report asked for is saved by the settings dialogue, which then goes on with /report.
  guarded.use(settingsFeature(deps.flows, (ctx, report, saved) => startReport(ctx, report, { before: saved })));
  // Before /start: a deep link join_<token> is an invitation.
  guarded.use(campaignJoinFeature());
  guarded.use(startFeature({ check: sendCheck, preview: sendPreview, report: startReport, settings: showSettings }));
  guarded.use(sectionsFeature());
  guarded.use(finalizeFeature());
  guarded.use(campaignAdminFeature());
  guarded.use(campaignReviewFeature());
  guarded.use(dashboardFeature(sendPreview));
  guarded.use(membersFeature());
  guarded.use(linksFeature());
  guarded.use(campaignDatesFeature());
  guarded.use(reportsFeature());
  guarded.use(historyFeature());
  guarded.use(importFeature());
  guarded.use(remindersFeature());
  guarded.use(fillFeature());
  guarded.use(fallbacks());

  // An update whose write found the member changed elsewhere (StaleMember, once-only.ts) is handled
  // again on a fresh read; a third time is not expected (the fresh read is what the write checks).
  const handleUpdate = bot.handleUpdate.bind(bot);
  bot.handleUpdate = async (update, webhookReplyEnvelope) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await handleUpdate(update, webhookReplyEnvelope);
      } catch (err) {
        if (attempt >= 3 || !isStaleMember(err)) throw err;
      }
    }
  };
  return bot;
}

/**
 * The context of every update: the dependencies and the update's logger are
 * set when it is made, and the properties the middleware sets later
 * (`conversation`, `match`) exist from the start. Every context then has the
 * same object shape, which keeps property access on it fast (issue "Speed");
 * added one by one, each middleware's additions made another shape.
 */
function contextClass(deps: Deps): new (...args: ConstructorParameters<typeof Context>) => BotContext {
  return class extends Context {
    readonly deps = deps;
    /** No dialogue until the conversations plugin, for an update that needs it, puts its controls here (wizards.ts). */
    conversation: ConversationControls = NO_WIZARD;
    override match: string | RegExpMatchArray | undefined = undefined;
    #log: Logger | undefined;

    /** The update's logger, made when first used: most updates log nothing. */
    get log(): Logger {
      this.#log ??= deps.logger.child({ update_id: this.update.update_id });
      return this.#log;
    }
  };
}

/** Replies for what no feature took: unknown commands, stickers and photos, forged or stale buttons. */
function fallbacks(): Composer<BotContext> {
  const composer = new BotComposer<BotContext>();
  composer.on("callback_query", (ctx) =>
    ctx.answerCallbackQuery({
      text: decodeEnvelope(ctx.callbackQuery.data) ? EXPIRED_BUTTON : INVALID_BUTTON,
    }),
  );
  composer.on("message::bot_command", (ctx) => ctx.reply("没有这个命令。发 /help 看能做什么。"));
  composer.on("message", (ctx) => ctx.reply("我只看得懂文字和 JSON 数据文件。请直接发文字或数字。"));
  return composer;
}
