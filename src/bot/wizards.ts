import type { Action } from "./callback-data.js";
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
  const userId = ctx.from?.id;
  if (active.length > 0 && userId !== undefined) {
    await ctx.conversation.exitAll();
    const names = active.map(wizardName);
    const { store } = ctx.deps;
    await store.setUser(userId, { ...(await store.getUser(userId)), interrupted: names.join("、") });
    await ctx.reply(`（已退出${names.map((n) => `「${n}」`).join("")}，刚才的问题不再等回答，没有改动。）`);
  }
  await next();
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
