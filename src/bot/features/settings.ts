import type { Conversation } from "@grammyjs/conversations";
import { type Composer, type Context, InlineKeyboard } from "grammy";
import { chineseDate, DEFAULT_PLAN, defaultDeadline, parseDate } from "../../form/deadline.js";
import type { FormatId } from "../../form/draft.js";
import type { FlowRegistry } from "../../form/flow-registry.js";
import { parseReportDate } from "../../form/report-date.js";
import type { StoredReport } from "../../store/store.js";
import { sendCard } from "../ask.js";
import { encodeCallback } from "../callback-data.js";
import { onReportAction } from "../callbacks.js";
import { BotComposer } from "../composer.js";
import type { BotContext } from "../context.js";
import { escapeHtml } from "../html.js";
import {
  auditEntry,
  currentReport,
  type Mutation,
  memberReport,
  mutateReport,
  replyRefusal,
} from "../report-access.js";
import {
  checkOrgName,
  checkYear,
  isSettingField,
  SETTING_NAMES,
  type SettingField,
  settingTarget,
} from "../report-settings.js";
import { INVALID_BUTTON, NO_REPORT, REPORT_GONE } from "../views/replies.js";
import { EDIT_SETTING, editSetting, registerWizard, sayLeft } from "../wizards.js";

/**
 * /settings: unit name, year, deadlines, contact line and 成文日期. Each
 * change is one short dialogue (the "edit-setting" conversation, also used by
 * /reports to rename and by /report to ask for a missing date or contact);
 * the write goes through the store with an audit entry.
 */

/** Where the dialogue goes once a setting is saved: /report goes on with its next question. */
export type ContinueReport = (ctx: BotContext, report: StoredReport, saved: string) => Promise<void>;

const MAX_CONTACT = 300;
const CLEAR_WORD = "无";
/** A deadline more than this many years after the report year is surely a typo. */
const DEADLINE_SPAN = 2;

/** The four values and a button for each. */
export async function showSettings(ctx: BotContext, report: StoredReport): Promise<void> {
  const { draft } = report;
  const deadline = report.deadline ?? defaultDeadline(draft.year);
  const muted = ctx.from !== undefined && report.muted?.includes(ctx.from.id) === true;
  const plan = report.reminderPlan ?? DEFAULT_PLAN;
  const lines = [
    `<b>设置</b>：${escapeHtml(draft.org)} ${draft.year}年度`,
    `单位名称：${escapeHtml(draft.org)}`,
    `年度：${draft.year}（${draft.format}年格式）`,
    `截止日期：${chineseDate(deadline)}${deadline === defaultDeadline(draft.year) ? "（默认）" : ""}`,
    `内部截止日期：${report.dueDate ? chineseDate(report.dueDate) : "未设"}`,
    `联系方式：${draft.contact ? escapeHtml(draft.contact) : "未填"}`,
    `成文日期：${draft.date ? chineseDate(draft.date) : "未填"}`,
    `提醒：${muted ? "已关闭" : "开启"}（截止前 ${plan.days.filter((d) => d > 0).join("、")} 天和当天 ${plan.time}）`,
    "",
    "点按钮修改：",
  ];
  const button = (field: SettingField) => encodeCallback("settings", report.id, field);
  const keyboard = new InlineKeyboard()
    .text(SETTING_NAMES.org, button("org"))
    .text(SETTING_NAMES.year, button("year"))
    .row()
    .text(SETTING_NAMES.deadline, button("deadline"))
    .text(SETTING_NAMES.dueDate, button("dueDate"))
    .row()
    .text(SETTING_NAMES.contact, button("contact"))
    .text(SETTING_NAMES.date, button("date"))
    .row()
    .text(muted ? "打开提醒" : "关闭提醒", encodeCallback("mute", report.id, muted ? "off" : "on"));
  await ctx.reply(lines.join("\n"), { reply_markup: keyboard });
}

/** What the dialogue needs to know of the report; plain data, as conversation results are stored. */
interface Snapshot {
  org: string;
  year: number;
  format: FormatId;
  deadline: string;
  dueDate: string | null;
  contact: string | null;
  date: string | null;
  now: number;
}

function snapshot(report: StoredReport, now: Date): Snapshot {
  const { draft } = report;
  return {
    org: draft.org,
    year: draft.year,
    format: draft.format,
    deadline: report.deadline ?? defaultDeadline(draft.year),
    dueDate: report.dueDate ?? null,
    contact: draft.contact ?? null,
    date: draft.date ?? null,
    now: now.getTime(),
  };
}

function prompt(field: SettingField, s: Snapshot, flows: FlowRegistry): string {
  const cancel = "（发 /cancel 取消）";
  switch (field) {
    case "org":
      return `现在的单位名称：<b>${escapeHtml(s.org)}</b>\n请发新的单位名称${cancel}。`;
    case "year":
      return `现在是 ${s.year} 年度（${s.format}年格式）。\n请发新的年度，只能是同一格式的年份（${flows.formatYears(s.format)}）${cancel}。`;
    case "deadline":
      return `现在的截止日期：${chineseDate(s.deadline)}。\n请发新的日期，例如 ${s.year + 1}-01-31${cancel}。`;
    case "dueDate":
      return [
        `现在的内部截止日期：${s.dueDate ? chineseDate(s.dueDate) : "未设"}。`,
        `上级要求提前报送的，请发那个日期，例如 ${s.year + 1}-01-15；发“${CLEAR_WORD}”清除${cancel}。`,
      ].join("\n");
    case "contact":
      return [
        `现在的联系方式：${s.contact ? escapeHtml(s.contact) : "未填"}`,
        "报告开头写明电子版的下载网址和咨询电话。",
        `请发联系方式，例如：网址：…；电话：…。发“${CLEAR_WORD}”清除${cancel}。`,
      ].join("\n");
    case "date":
      return [
        `现在的成文日期：${s.date ? chineseDate(s.date) : "未填"}（印在报告末尾单位名称下）。`,
        `请发日期，例如 ${s.year + 1}-01-20 或 ${s.year + 1}年1月20日；发“${CLEAR_WORD}”清除${cancel}。`,
      ].join("\n");
  }
}

type Checked = { ok: true; value: string | number | null } | { ok: false; problem: string };

/** Validates an answer for a setting; problems are plain text. */
function checkValue(field: SettingField, text: string, s: Snapshot, flows: FlowRegistry): Checked {
  const value = text.trim();
  switch (field) {
    case "org": {
      const problem = checkOrgName(value);
      return problem ? { ok: false, problem } : { ok: true, value };
    }
    case "year": {
      const year = checkYear(value, new Date(s.now));
      if (typeof year === "string") return { ok: false, problem: year };
      if (flows.formatForYear(year) !== s.format)
        return {
          ok: false,
          problem:
            `${year} 年度要用${flows.formatForYear(year)}年格式，这份报告是${s.format}年格式，不能直接改。` +
            `请发 /new 单位名称 ${year} 新建一份；或发 ${flows.formatYears(s.format)}的年份。`,
        };
      return { ok: true, value: year };
    }
    case "dueDate":
    case "deadline": {
      if (field === "dueDate" && value === CLEAR_WORD) return { ok: true, value: null };
      const date = parseDate(value);
      if (!date) return { ok: false, problem: `没有看懂这个日期。请按 ${s.year + 1}-01-31 这样发。` };
      const year = Number(date.slice(0, 4));
      if (year < s.year || year > s.year + DEADLINE_SPAN)
        return { ok: false, problem: `截止日期应在 ${s.year}–${s.year + DEADLINE_SPAN} 年之间，请再发一次。` };
      return { ok: true, value: date };
    }
    case "contact":
      if (value === CLEAR_WORD) return { ok: true, value: null };
      if (!value) return { ok: false, problem: `请发联系方式，或发“${CLEAR_WORD}”清除。` };
      if ([...value].length > MAX_CONTACT)
        return { ok: false, problem: `联系方式太长了，请在 ${MAX_CONTACT} 字以内。` };
      return { ok: true, value };
    case "date": {
      if (value === CLEAR_WORD) return { ok: true, value: null };
      const date = parseReportDate(value, s.year);
      return date.ok ? { ok: true, value: date.date } : { ok: false, problem: date.problem };
    }
  }
}

/** A campaign's units take its dates (an administrator changes them with /dates for every unit at once). */
const isCampaignDate = (field: SettingField) => field === "deadline" || field === "dueDate";
const CAMPAIGN_DATES = "这份报告的截止日期由区政务公开办统一设定，需要调整请联系他们。";

/** The change a setting makes on the freshest report, or why there is nothing to do. */
function planSetting(
  ctx: BotContext,
  r: StoredReport,
  field: SettingField,
  value: string | number | null,
): Mutation | string {
  const target = settingTarget(field);
  const same = "和原来一样，没有改动。";
  if (r.campaign && isCampaignDate(field)) return CAMPAIGN_DATES;
  switch (field) {
    case "org": {
      const org = String(value);
      if (org === r.draft.org) return same;
      return { change: { draft: { ...r.draft, org } }, audit: [auditEntry(ctx, target, r.draft.org, org)] };
    }
    case "year": {
      const year = Number(value);
      if (year === r.draft.year) return same;
      if (ctx.deps.flows.formatForYear(year) !== r.draft.format) return "年度只能改成同一格式的年份，请发 /new 新建。";
      const audit = [auditEntry(ctx, target, r.draft.year, year)];
      const mutation: Mutation = { change: { draft: { ...r.draft, year } }, audit };
      // A deadline left at the default moves with the year; one set by hand stays.
      if (r.deadline === defaultDeadline(r.draft.year)) {
        mutation.change.deadline = defaultDeadline(year);
        audit.push(auditEntry(ctx, settingTarget("deadline"), r.deadline, defaultDeadline(year)));
      }
      return mutation;
    }
    case "deadline": {
      const deadline = String(value);
      if (deadline === r.deadline) return same;
      // Stages planned before the change are not reminded of (reminders/schedule.ts).
      const deadlinesSetAt = ctx.deps.now().toISOString();
      return { change: { deadline, deadlinesSetAt }, audit: [auditEntry(ctx, target, r.deadline, deadline)] };
    }
    case "dueDate": {
      const dueDate = value === null ? undefined : String(value);
      if (dueDate === r.dueDate) return same;
      const deadlinesSetAt = ctx.deps.now().toISOString();
      return { change: { dueDate, deadlinesSetAt }, audit: [auditEntry(ctx, target, r.dueDate, dueDate)] };
    }
    case "contact":
    case "date": {
      // Both live in the draft (the interchange file's `contact` and `date`); "无" removes the key.
      const { [field]: old, ...rest } = r.draft;
      const next = value === null ? undefined : String(value);
      if (next === old) return same;
      return {
        change: { draft: next === undefined ? rest : { ...rest, [field]: next } },
        audit: [auditEntry(ctx, target, old, next)],
      };
    }
  }
}

function shown(field: SettingField, value: string | number | null): string {
  if (value === null) return "空";
  return field === "deadline" || field === "dueDate" || field === "date"
    ? chineseDate(String(value))
    : escapeHtml(String(value));
}

/** Writes the setting on a freshly loaded report, then shows the card (or goes on with /report). */
async function saveSetting(
  ctx: BotContext,
  reportId: string,
  field: SettingField,
  value: string | number | null,
  onward?: ContinueReport,
): Promise<void> {
  const report = await memberReport(ctx, reportId);
  if (!report) {
    await ctx.reply(REPORT_GONE);
    return;
  }
  const saved = `✅ 已保存：${SETTING_NAMES[field]}${value === null ? "已清除" : `改为 ${shown(field, value)}`}。`;
  const result = await mutateReport(ctx, report, (r) => {
    const plan = planSetting(ctx, r, field, value);
    return typeof plan === "string" ? plan : { ...plan, ack: () => saved };
  });
  if (!result.ok) return replyRefusal(ctx, result);
  if (onward) return onward(ctx, result.report, saved);
  const previous = result.report.previous;
  const mismatch = field === "year" && previous && previous.year !== result.report.draft.year - 1;
  const note = mismatch
    ? `\n⚠️ 已导入的去年报告是 ${previous.year} 年度的，和新的年度对不上；请发来 ${result.report.draft.year - 1} 年度的数据文件。`
    : "";
  await sendCard(ctx, result.report, saved + note);
}

/**
 * The dialogue: ask, validate until the answer is usable, write. Any other
 * message (a file, a sticker) leaves the dialogue, says so, and is handled as
 * usual; commands and other buttons leave it already in create-bot.
 */
async function editSettingConversation(
  flows: FlowRegistry,
  onward: ContinueReport,
  conversation: Conversation<BotContext, Context>,
  ctx: Context,
  reportId: string,
  fieldName: string,
  then: string | undefined,
): Promise<void> {
  if (!isSettingField(fieldName)) return;
  const field = fieldName;
  const start = await conversation.external(async (outer) => {
    const report = await memberReport(outer, reportId);
    return report ? snapshot(report, outer.deps.now()) : null;
  });
  if (!start) {
    await ctx.reply(REPORT_GONE);
    return;
  }
  await ctx.reply(prompt(field, start, flows));
  for (;;) {
    const answer = await conversation.wait();
    const text = answer.message?.text;
    if (text === undefined) {
      // Left as a command leaves it: said, and the text meant for it is not taken as a form answer.
      await conversation.external((outer) => sayLeft(outer, [EDIT_SETTING]));
      await conversation.halt({ next: true });
    } else {
      const checked = checkValue(field, text, start, flows);
      if (!checked.ok) await answer.reply(checked.problem);
      else {
        const { value } = checked;
        const next = then === "report" ? onward : undefined;
        await conversation.external((outer) => saveSetting(outer, reportId, field, value, next));
        return;
      }
    }
  }
}

/** `onward`: how /report goes on after a date or contact it asked for was saved. */
export function settingsFeature(flows: FlowRegistry, onward: ContinueReport): Composer<BotContext> {
  const composer = new BotComposer<BotContext>();
  composer.use(
    registerWizard(
      (conversation: Conversation<BotContext, Context>, ctx: Context, reportId: string, field: string, then?: string) =>
        editSettingConversation(flows, onward, conversation, ctx, reportId, field, then),
      EDIT_SETTING,
    ),
  );

  composer.command("settings", async (ctx) => {
    const report = await currentReport(ctx);
    if (!report) await ctx.reply(NO_REPORT);
    else await showSettings(ctx, report);
  });

  onReportAction(composer, ["settings"], async (ctx, callback, report) => {
    if (report.campaign && isCampaignDate(callback.arg)) {
      await ctx.answerCallbackQuery({ text: CAMPAIGN_DATES, show_alert: true });
      return;
    }
    await ctx.answerCallbackQuery();
    await editSetting(ctx, report.id, callback.arg);
  });

  // /report asked for a missing 成文日期 or contact: the dialogue goes on with /report once it is saved.
  onReportAction(composer, ["reportAsk"], async (ctx, callback, report) => {
    await ctx.answerCallbackQuery();
    await editSetting(ctx, report.id, callback.arg, "report");
  });

  // 用这个: the date /report suggested, as the officer saw it on the button.
  onReportAction(composer, ["reportDate"], async (ctx, callback, report) => {
    const digits = callback.arg;
    const date = parseReportDate(`${digits.slice(0, 4)}-${digits.slice(4, 6)}-${digits.slice(6)}`, report.draft.year);
    if (!date.ok) {
      await ctx.answerCallbackQuery({ text: INVALID_BUTTON });
      return;
    }
    await ctx.answerCallbackQuery();
    await saveSetting(ctx, report.id, "date", date.date, onward);
  });

  // Reminders of one report, on or off for the officer who presses (the others keep theirs).
  onReportAction(composer, ["mute"], async (ctx, callback, report) => {
    const userId = ctx.from?.id ?? 0;
    const mute = callback.arg === "on";
    const result = await mutateReport(ctx, report, (r) => {
      const muted = r.muted ?? [];
      if (muted.includes(userId) === mute) return mute ? "提醒已经是关闭的。" : "提醒已经是开启的。";
      const next = mute ? [...muted, userId] : muted.filter((id) => id !== userId);
      return {
        change: { muted: next.length > 0 ? next : undefined },
        audit: [auditEntry(ctx, "settings.reminders", mute ? "开启" : "关闭", mute ? "关闭" : "开启")],
      };
    });
    await ctx.answerCallbackQuery();
    if (!result.ok) await replyRefusal(ctx, result);
    else {
      await ctx.reply(mute ? "🔕 已关闭这份报告的提醒。" : "🔔 已打开这份报告的提醒。");
      await showSettings(ctx, result.report);
    }
  });
  return composer;
}
