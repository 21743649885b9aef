import {
  type ConversationBuilder,
  type ConversationControls,
  type ConversationOptions,
  conversations,
  createConversation,
} from "@grammyjs/conversations";
import type { Composer, Context, MiddlewareFn } from "grammy";
import type { Store } from "../store/store.js";
import { type Action, decodeEnvelope } from "./callback-data.js";
import { BotComposer } from "./composer.js";
import type { BotContext } from "./context.js";
import type { SettingField } from "./report-settings.js";

/** The short dialogues (conversations) by name, so a feature can start one that another feature registers. */

export const CREATE_REPORT = "create-report";
export const EDIT_SETTING = "edit-setting";
export const CREATE_CAMPAIGN = "create-campaign";
export const RETURN_REPORT = "return-report";
export const EDIT_CAMPAIGN_DATES = "edit-campaign-dates";
export type WizardId =
  | typeof CREATE_REPORT
  | typeof EDIT_SETTING
  | typeof CREATE_CAMPAIGN
  | typeof RETURN_REPORT
  | typeof EDIT_CAMPAIGN_DATES;

/** Where a chat's dialogue state is stored (the conversations storage key, with its prefix). */
export const WIZARD_STATE_PREFIX = "conv:";
export const wizardStateKey = (chatId: number): string => `${WIZARD_STATE_PREFIX}${chatId}`;

/** The member a dialogue state belongs to: the bot talks in private chats only, whose id is the member's. */
export function wizardOwner(key: string): number | undefined {
  const id = Number(key.slice(WIZARD_STATE_PREFIX.length));
  return key.startsWith(WIZARD_STATE_PREFIX) && Number.isSafeInteger(id) && id > 0 ? id : undefined;
}

/**
 * The conversations plugin, run only for the updates that may need it
 * (issue "Speed"): an update of a chat with a dialogue state stored, and a
 * command or a button that may enter a dialogue (mayEnterWizard). Any other
 * update, i.e. a plain message (an answer of the form, a file) or a button of
 * the form of a member in no dialogue, skips the plugin and every dialogue's
 * registration (registerWizard): they would read the state, find nothing to
 * replay and write nothing. Its `ctx.conversation` says no dialogue is active.
 *
 * The state is read here once, as the plugin read it (Store.seen or recall
 * has it ready), and handed to the plugin for this update. It lives with the
 * member's record (their version moves with it: Store.recall), so a dialogue
 * goes on after a restart or on another instance.
 */
export function wizardsPlugin(
  store: Store,
  plugins: ConversationOptions<BotContext, Context>["plugins"],
  formButtons: ReadonlySet<Action>,
): MiddlewareFn<BotContext> {
  const read = new WeakMap<BotContext, unknown>();
  const plugin = conversations<BotContext, Context>({
    storage: {
      type: "context",
      version: 1,
      adapter: {
        read: (ctx) => read.get(ctx) as never,
        write: (ctx, state) => {
          const key = stateKeyOf(ctx);
          return store.writeState(key, state, wizardOwner(key));
        },
        delete: (ctx) => {
          const key = stateKeyOf(ctx);
          return store.deleteState(key, wizardOwner(key));
        },
      },
    },
    ...(plugins ? { plugins } : {}),
  });
  return async (ctx, next) => {
    const state = await store.readState(stateKeyOf(ctx));
    if (state === undefined && !mayEnterWizard(ctx, formButtons)) {
      ctx.conversation = NO_WIZARD;
      return next();
    }
    read.set(ctx, state);
    return plugin(ctx, next);
  };
}

/** The chat's state key as the plugin's key storage made it ("conv:undefined" for an update without a chat). */
const stateKeyOf = (ctx: Context): string => `${WIZARD_STATE_PREFIX}${ctx.chatId}`;

/**
 * Whether the update may enter a dialogue: everything but a message without
 * a command and a button of the form walk (`formButtons`, fill.ts: they move
 * through the form and never enter a dialogue); dialogues are entered by
 * commands and the other buttons only.
 */
function mayEnterWizard(ctx: BotContext, formButtons: ReadonlySet<Action>): boolean {
  const { message, callback_query: query } = ctx.update;
  if (query !== undefined) {
    const action = decodeEnvelope(query.data)?.action;
    return action === undefined || !formButtons.has(action);
  }
  if (message === undefined) return true;
  const entities = message.entities ?? message.caption_entities;
  return entities?.some((e) => e.type === "bot_command") ?? false;
}

/** `ctx.conversation` of an update that skipped the plugin: no dialogue is active, none can be entered. */
export const NO_WIZARD: ConversationControls = {
  enter: (name) =>
    Promise.reject(new Error(`the dialogue "${name}" can only be entered from a command or a button (wizardsPlugin)`)),
  exit: async () => undefined,
  exitAll: async () => undefined,
  exitOne: async () => undefined,
  active: ((name?: string) => (name === undefined ? {} : 0)) as ConversationControls["active"],
};

/**
 * A dialogue, registered for the updates that run the conversations plugin
 * (wizardsPlugin); the others pass by it. A filter rather than a middleware
 * that calls `next`: the feature's composer walks past it without a call
 * (composer.ts), and every plain answer passes five of them.
 */
export function registerWizard(builder: ConversationBuilder<BotContext, Context>, id: WizardId): Composer<BotContext> {
  const composer = new BotComposer<BotContext>();
  composer.filter(inWizardPlugin, createConversation<BotContext, Context>(builder, id));
  return composer;
}

const inWizardPlugin = (ctx: BotContext): boolean => ctx.conversation !== NO_WIZARD;

/** How the officer knows each dialogue, e.g. when a command leaves it. */
export const WIZARD_NAMES: Record<WizardId, string> = {
  [CREATE_REPORT]: "新建报告",
  [EDIT_SETTING]: "修改设置",
  [CREATE_CAMPAIGN]: "新建年报工作",
  [RETURN_REPORT]: "退回意见",
  [EDIT_CAMPAIGN_DATES]: "修改截止日期",
};

/** The name of a running dialogue as the officer knows it. */
function wizardName(id: string): string {
  return id in WIZARD_NAMES ? WIZARD_NAMES[id as WizardId] : "当前操作";
}

/** Buttons of the action table a dialogue asks with: pressed while it runs, they answer it and do not leave it. */
const DIALOGUE_BUTTONS: Partial<Record<WizardId, readonly Action[]>> = { [CREATE_REPORT]: ["year"] };

/** Whether a button of this action answers a dialogue that is running. */
export function answersDialogue(ctx: BotContext, action: Action): boolean {
  return Object.keys(ctx.conversation.active()).some((id) => DIALOGUE_BUTTONS[id as WizardId]?.includes(action));
}

/**
 * Middleware for what leaves a running dialogue (a command, another
 * message's button): leaves it and says so in its own message. Its question
 * was the last one asked, so the member's next text answers nothing in the
 * form until a question of the form is shown again (fill.ts, `interrupted`).
 */
export async function leavingDialogues(ctx: BotContext, next: () => Promise<void>): Promise<void> {
  const active = Object.keys(ctx.conversation.active());
  if (active.length > 0) {
    await ctx.conversation.exitAll();
    await sayLeft(ctx, active);
  }
  await next();
}

/**
 * Marks the member as having left these dialogues (`interrupted`: their next
 * text is saved nowhere) and says so in its own message: for whatever leaves
 * a dialogue, here or from inside it.
 */
export async function sayLeft(ctx: BotContext, ids: readonly string[]): Promise<void> {
  const userId = ctx.from?.id;
  if (userId === undefined) return;
  const names = ids.map(wizardName);
  const { store } = ctx.deps;
  await store.setUser(userId, { ...(await store.getUser(userId)), interrupted: names.join("、") });
  await ctx.reply(`（已退出${names.map((n) => `「${n}」`).join("")}，刚才的问题不再等回答，没有改动。）`);
}

/**
 * Starts the dialogue that changes one setting of a report (leaving any other
 * dialogue); `then: "report"` goes on with /report once it is saved.
 */
export async function editSetting(
  ctx: BotContext,
  reportId: string,
  field: SettingField,
  then?: "report",
): Promise<void> {
  if (Object.keys(ctx.conversation.active()).length > 0) await ctx.conversation.exitAll();
  await ctx.conversation.enter(EDIT_SETTING, reportId, field, ...(then ? [then] : []));
}
