/** The bot's commands: one list for Telegram's menu (setMyCommands) and for /help. */

export const COMMANDS = [
  { command: "start", description: "报告卡片：进度、问题、截止日期" },
  { command: "fill", description: "继续填写" },
  { command: "sections", description: "各部分目录，查看或修改" },
  { command: "check", description: "核对数字和文字" },
  { command: "preview", description: "预览全文" },
  { command: "report", description: "生成 Word 报告和网页版" },
  { command: "export", description: "导出数据文件（JSON）" },
  { command: "submit", description: "提交审核（区里统一组织时）" },
  { command: "dashboard", description: "审核人：各单位进度" },
  { command: "collect", description: "审核人：汇总已通过的报告" },
  { command: "links", description: "管理员：给单位换新的邀请链接" },
  { command: "dates", description: "管理员：修改年报工作的截止日期" },
  { command: "members", description: "填报人：查看、移除已离开的人" },
  { command: "reports", description: "我的报告：切换、改名、删除" },
  { command: "new", description: "新建报告：/new 单位名称 年度" },
  { command: "history", description: "最近的修改记录" },
  { command: "settings", description: "单位名称、年度、截止日期、联系方式、成文日期" },
  { command: "help", description: "使用说明" },
  { command: "cancel", description: "取消当前操作" },
] as const;

/** /help: how the bot works, then every command of the menu with its description. */
export function helpText(): string {
  return [
    "<b>怎么用</b>",
    "我一步步问年报的每一部分和每一行数字，每个回答都马上保存，随时可以停下，换手机也能接着填。",
    "",
    "• 表格一行一条消息，几个数用空格或逗号隔开，如 <code>3 0 0 0 1 0</code>；也可以写“十二”“无”“2.35万”。",
    "• 文字部分可以分几条发，写完点「完成」。",
    "• 数字对不上时我会马上提醒。",
    "",
    ...COMMANDS.map((c) => `/${c.command} ${c.description}`),
    "",
    "发来去年或今年的 JSON 数据文件，我会核对并导入。",
  ].join("\n");
}
