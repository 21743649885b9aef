import { type Composer, InlineKeyboard } from "grammy";
import { beijingStamp } from "../../form/beijing-time.js";
import { describeCell } from "../../form/cell-names.js";
import { chineseDate } from "../../form/deadline.js";
import { NARRATIVE_IDS } from "../../form/draft.js";
import type { Flow } from "../../form/flow-schema.js";
import { MESSAGE_LIMIT } from "../../report/split-text.js";
import type { AuditEntry, StoredReport } from "../../store/store.js";
import { encodeCallback } from "../callback-data.js";
import { onReportAction } from "../callbacks.js";
import { BotComposer } from "../composer.js";
import type { BotContext } from "../context.js";
import { escapeHtml, packLines } from "../html.js";
import { currentReport } from "../report-access.js";
import { isSettingField, SETTING_NAMES } from "../report-settings.js";
import { flowOf } from "../report-view.js";
import { NO_REPORT } from "../views/replies.js";

/** /history: the last changes of the current report, who, when, what, old → new. */

const ENTRIES = 15;
const VALUE_CLIP = 30;
const NAME_CLIP = 20;

function clip(text: string, limit: number): string {
  const chars = [...text.replace(/\s+/g, " ").trim()];
  return chars.length > limit ? `${chars.slice(0, limit).join("")}…` : chars.join("");
}

/** What an audit target names, in the officer's words. */
export function describeTarget(flow: Flow, target: string): string {
  if (target.startsWith("settings.")) {
    const field = target.slice("settings.".length);
    if (field === "reminders") return "提醒";
    return isSettingField(field) ? SETTING_NAMES[field] : target;
  }
  if (target === "previous") return "去年的报告";
  if ((NARRATIVE_IDS as readonly string[]).includes(target)) {
    for (const section of flow.sections) {
      const part = section.parts.find((p) => p.id === target);
      if (part) return part.heading ?? section.heading;
    }
    return target;
  }
  const known = flow.cells.some((c) => c.id === target) || flow.totals.some((t) => t.id === target);
  return known ? describeCell(flow, target) : target;
}

function value(target: string, v: AuditEntry["old"]): string {
  if (v === null || v === "") return "空";
  if (typeof v === "number") return String(v);
  if ((target === "settings.deadline" || target === "settings.dueDate") && /^\d{4}-\d{2}-\d{2}$/.test(v))
    return chineseDate(v);
  return clip(v, VALUE_CLIP);
}

/** One line of the list, HTML-escaped. */
export function historyLine(flow: Flow, e: AuditEntry): string {
  const who = clip(e.byName ?? String(e.by), NAME_CLIP);
  const what = describeTarget(flow, e.target);
  return (
    `${beijingStamp(new Date(e.at))} <b>${escapeHtml(who)}</b>：${escapeHtml(what)}\n` +
    `　${escapeHtml(value(e.target, e.old))} → ${escapeHtml(value(e.target, e.new))}` +
    (e.source ? `（${escapeHtml(clip(e.source, VALUE_CLIP))}）` : "")
  );
}

/** One page of the trail, newest first, with a button to the older entries when there are more. */
async function sendPage(ctx: BotContext, report: StoredReport, page: number): Promise<void> {
  // The store reads the newest entries; one more than the page tells whether older ones exist.
  const upTo = await ctx.deps.store.history(report.id, (page + 1) * ENTRIES + 1);
  const entries = upTo.slice(page * ENTRIES, (page + 1) * ENTRIES);
  const title = `<b>${escapeHtml(report.draft.org)} ${report.draft.year}年度</b>`;
  if (entries.length === 0) {
    await ctx.reply(page === 0 ? `${title}\n还没有修改记录。` : `${title}\n没有更早的修改记录了。`);
    return;
  }
  const flow = flowOf(ctx.deps, report);
  const first = page * ENTRIES + 1;
  const head =
    page === 0
      ? `${title} 最近 ${entries.length} 条修改（北京时间，新的在前）：`
      : `${title} 第 ${first}–${first + entries.length - 1} 条修改（北京时间，新的在前）：`;
  const lines = entries.flatMap((e) => ["", historyLine(flow, e)]);
  const messages = packLines([head, ...lines], MESSAGE_LIMIT);
  const more = upTo.length > (page + 1) * ENTRIES;
  for (const [i, text] of messages.entries()) {
    const last = i === messages.length - 1;
    const keyboard =
      last && more
        ? new InlineKeyboard().text(`更早的 ${ENTRIES} 条 »`, encodeCallback("history", report.id, page + 1))
        : undefined;
    await ctx.reply(text, keyboard ? { reply_markup: keyboard } : {});
  }
}

export function historyFeature(): Composer<BotContext> {
  const composer = new BotComposer<BotContext>();
  composer.command("history", async (ctx) => {
    const report = await currentReport(ctx);
    if (!report) await ctx.reply(NO_REPORT);
    else await sendPage(ctx, report, 0);
  });
  onReportAction(composer, ["history"], async (ctx, callback, report) => {
    await ctx.answerCallbackQuery();
    await sendPage(ctx, report, callback.arg);
  });
  return composer;
}
