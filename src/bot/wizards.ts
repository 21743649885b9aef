import type { BotContext } from "./context.js";
import type { SettingField } from "./report-settings.js";

/** The short dialogues (conversations) by name, so a feature can start one that another feature registers. */

export const CREATE_REPORT = "create-report";
export const EDIT_SETTING = "edit-setting";

/** Starts the dialogue that changes one setting of a report (leaving any other dialogue). */
export async function editSetting(ctx: BotContext, reportId: string, field: SettingField): Promise<void> {
  if (Object.keys(ctx.conversation.active()).length > 0) await ctx.conversation.exitAll();
  await ctx.conversation.enter(EDIT_SETTING, reportId, field);
}
