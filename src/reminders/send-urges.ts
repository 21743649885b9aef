import { randomBytes } from "node:crypto";
import { GrammyError, InlineKeyboard } from "grammy";
import type { Logger } from "pino";
import { encodeCallback } from "../bot/callback-data.js";
import { escapeHtml } from "../bot/html.js";
import type { View } from "../bot/views/question.js";
import type { Campaign, Urge } from "../campaign/campaign.js";
import { dueUrges } from "../campaign/urge.js";
import { chineseDate } from "../form/deadline.js";
import type { Store, StoredReport } from "../store/store.js";
import { isQuietTime } from "./schedule.js";

/**
 * Sending a recorded 催办 to the unit's officers, once per officer: the bot
 * sends a daytime one at once, the scheduler one queued at night (and any
 * the bot did not finish). Each officer's copy is recorded in the reminder
 * ledger under their lease, like a reminder stage, so whoever sends first is
 * the only one.
 */

export interface UrgeSender {
  store: Store;
  /** Sends one HTML message (the scheduler's goes through its send queue). */
  send: (chatId: number, view: View) => Promise<unknown>;
  logger: Logger;
}

/** How long one sender holds an officer while sending them the urge. */
const LEASE_MS = 60_000;

export function urgeView(campaign: Campaign, report: StoredReport): View {
  return {
    text: `⏰ 区政务公开办提醒：请尽快完成 ${escapeHtml(report.draft.org)} ${report.draft.year} 年度报告（内部截止 ${chineseDate(campaign.dueDate)}）。`,
    keyboard: new InlineKeyboard().text("继续填写", encodeCallback("resume", report.id)),
  };
}

/**
 * Sends `urge` of the unit whose report is `reportId` to each of its officers
 * not yet sent it (officers who blocked the bot are skipped, and marked when
 * Telegram says so). Returns how many it sent; a failed send is left for the
 * scheduler's next look that day.
 */
export async function deliverUrge(
  deps: UrgeSender,
  campaign: Campaign,
  reportId: string,
  urge: Urge,
  now: Date,
): Promise<number> {
  const { reminders } = deps.store;
  const report = await deps.store.getReport(reportId);
  if (!report) return 0;
  const ref = { reportId, stage: `urge:${urge.day}` };
  const inactive = await reminders.inactive(report.members);
  const owner = randomBytes(6).toString("hex");
  let sent = 0;
  for (const member of report.members) {
    if (inactive.has(member) || !(await reminders.lease(member, owner, LEASE_MS))) continue;
    try {
      if ((await reminders.sentStages(member, [ref])).size > 0) continue;
      await deps.send(member, urgeView(campaign, report));
      await reminders.recordSent(member, [ref], now);
      sent++;
    } catch (err) {
      // Not recorded: the scheduler tries again at its next look that day.
      const code = err instanceof GrammyError ? err.error_code : undefined;
      deps.logger.warn({ to: member, code, err: code === undefined ? String(err) : undefined }, "urge not delivered");
      if (code === 403) await reminders.markInactive(member, now);
    } finally {
      await reminders.release(member, owner);
    }
  }
  return sent;
}

/** Sends every campaign's urges due at `now` (never at night); returns how many messages went out. */
export async function sendDueUrges(deps: UrgeSender, now: Date): Promise<number> {
  if (isQuietTime(now.getTime())) return 0;
  let sent = 0;
  for (const campaign of await deps.store.listCampaigns())
    for (const due of dueUrges(campaign, now)) sent += await deliverUrge(deps, campaign, due.reportId, due.urge, now);
  return sent;
}
