import { Composer } from "grammy";
import type { BotContext } from "../context.js";

/** /help and /cancel. */

const HELP = [
  "<b>怎么用</b>",
  "我一步步问年报的每一部分和每一行数字，每个回答都马上保存，随时可以停下，换手机也能接着填。",
  "",
  "• 表格一行一条消息，几个数用空格或逗号隔开，如 <code>3 0 0 0 1 0</code>；也可以写“十二”“无”“2.35万”。",
  "• 文字部分可以分几条发，写完点「完成」。",
  "• 数字对不上时我会马上提醒。",
  "",
  "/start 报告卡片　/fill 继续填写　/sections 目录",
  "/check 核对　/preview 预览　/report 生成 Word",
  "/export 导出数据　/reports 我的报告　/history 修改记录",
  "/settings 设置　/cancel 取消当前操作",
  "",
  "发来去年或今年的 JSON 数据文件，我会核对并导入。",
].join("\n");

export function cancelFeature(): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  composer.command("help", (ctx) => ctx.reply(HELP, { parse_mode: "HTML" }));
  // A running wizard was already left by the command itself (create-bot).
  composer.command("cancel", (ctx) => ctx.reply("已取消。发 /fill 继续填写，或发 /start 看报告卡片。"));
  return composer;
}
