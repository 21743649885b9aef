import type { Composer } from "grammy";
import { BotComposer } from "../composer.js";
import type { BotContext } from "../context.js";
import { helpText } from "../views/commands.js";

/** /help and /cancel. */

export function cancelFeature(): Composer<BotContext> {
  const composer = new BotComposer<BotContext>();
  composer.command("help", (ctx) => ctx.reply(helpText()));
  // A running wizard was already left by the command itself (create-bot).
  composer.command("cancel", (ctx) => ctx.reply("已取消。发 /fill 继续填写，或发 /start 看报告卡片。"));
  return composer;
}
