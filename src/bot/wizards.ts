import type { BotContext } from "./context.js";
import type { SettingField } from "./report-settings.js";

/** The short dialogues (conversations) by name, so a feature can start one that another feature registers. */

export const CREATE_REPORT = "create-report";
export const EDIT_SETTING = "edit-setting";
export const CREATE_CAMPAIGN = "create-campaign";
export const RETURN_REPORT = "return-report";
export type WizardId = typeof CREATE_REPORT | typeof EDIT_SETTING | typeof CREATE_CAMPAIGN | typeof RETURN_REPORT;

/** How the officer knows each dialogue, e.g. when a command leaves it. */
export const WIZARD_NAMES: Record<WizardId, string> = {
  [CREATE_REPORT]: "新建报告",
  [EDIT_SETTING]: "修改设置",
  [CREATE_CAMPAIGN]: "新建年报工作",
  [RETURN_REPORT]: "退回意见",
};

/** The name of a running dialogue as the officer knows it. */
export function wizardName(id: string): string {
  return id in WIZARD_NAMES ? WIZARD_NAMES[id as WizardId] : "当前操作";
}

/** Starts the dialogue that changes one setting of a report (leaving any other dialogue). */
export async function editSetting(ctx: BotContext, reportId: string, field: SettingField): Promise<void> {
  if (Object.keys(ctx.conversation.active()).length > 0) await ctx.conversation.exitAll();
  await ctx.conversation.enter(EDIT_SETTING, reportId, field);
}
