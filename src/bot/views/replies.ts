/** Replies that several features give, written once. */

export const NO_REPORT = "还没有报告。发 /start 新建一份。";
/** The one refusal of a button whose data is forged or out of shape. */
export const INVALID_BUTTON = "按钮无效，请用最新一条消息上的按钮。";
export const STALE_BUTTON = "这是旧消息上的按钮，请用最新一条消息。";
export const EXPIRED_BUTTON = "这个按钮已过期。";
export const NOT_MEMBER = "这个按钮对应的报告不存在，或你不是它的填报人。";
export const REPORT_GONE = "这份报告已不存在，或你不再是它的填报人。";
export const ALL_DONE = "🎉 全部填完了！发 /report 生成报告，或点「目录」修改。";
