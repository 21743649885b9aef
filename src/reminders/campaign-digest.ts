import { escapeHtml, packLines } from "../bot/html.js";
import type { View } from "../bot/views/question.js";
import type { Campaign } from "../campaign/campaign.js";
import { type DashboardRow, rowLine } from "../campaign/dashboard.js";
import { dashboardRows } from "../campaign/dashboard-rows.js";
import { beijingInstant, beijingIsoDate, chineseDate } from "../form/deadline.js";
import type { FlowRegistry } from "../form/flow-registry.js";
import { MESSAGE_LIMIT } from "../report/split-text.js";
import type { Store } from "../store/store.js";
import { isQuietTime } from "./schedule.js";

/**
 * The supervisors' digest: the day after the campaign's internal due date at
 * 09:30, then weekly until the publication deadline, each supervisor gets one
 * message listing the units not yet handed in, with their progress. Sent once
 * per supervisor and week through the reminder ledger (both stores).
 */

export const DIGEST_TIME = "09:30";
const WEEK_MS = 7 * 86_400_000;

/** The digest due at `now` (its key names the day it fell due), or undefined. */
export function digestDue(campaign: Pick<Campaign, "dueDate" | "deadline">, now: number): string | undefined {
  const first = beijingInstant(beijingIsoDate(beijingInstant(campaign.dueDate, "12:00"), 1), DIGEST_TIME);
  if (now < first || isQuietTime(now)) return undefined;
  const at = first + Math.floor((now - first) / WEEK_MS) * WEEK_MS;
  if (at > beijingInstant(campaign.deadline, "23:59")) return undefined;
  return `digest-${beijingIsoDate(at)}`;
}

const HANDED_IN = new Set(["submitted", "approved"]);

/** The digest's lines (plain text), or none when every unit handed in. */
export function digestLines(campaign: Campaign, rows: readonly DashboardRow[]): string[] {
  const open = rows.filter((r) => !HANDED_IN.has(r.state));
  if (open.length === 0) return [];
  return [
    `📋 ${campaign.name}：内部截止 ${chineseDate(campaign.dueDate)} 已过，还有 ${open.length} 个单位未提交：`,
    ...open.map((r, i) => rowLine(r, i + 1)),
    "",
    "发 /dashboard 查看并催办。",
  ];
}

export interface DigestDeps {
  store: Store;
  flows: FlowRegistry;
  sendMessage: (chatId: number, view: View) => Promise<unknown>;
}

/** How long a runner holds a supervisor while sending their digest (several runners may look at once). */
const LEASE_MS = 60_000;

/** Sends every digest due at `now` not yet sent; returns how many went out. A failed send is tried at the next look. */
export async function sendCampaignDigests(deps: DigestDeps, now: Date, owner: string): Promise<number> {
  let sent = 0;
  for (const campaign of await deps.store.listCampaigns()) {
    const stage = digestDue(campaign, now.getTime());
    if (!stage || campaign.supervisors.length === 0) continue;
    const ref = { reportId: `campaign.${campaign.id}`, stage };
    let messages: string[] | undefined;
    for (const supervisor of campaign.supervisors) {
      if (!(await deps.store.reminders.lease(supervisor, owner, LEASE_MS))) continue;
      try {
        if ((await deps.store.reminders.sentStages(supervisor, [ref])).size > 0) continue;
        messages ??= packLines(
          digestLines(campaign, await dashboardRows(deps, campaign)).map(escapeHtml),
          MESSAGE_LIMIT,
        );
        for (const text of messages) await deps.sendMessage(supervisor, { text });
        if (messages.length > 0) sent++;
        await deps.store.reminders.recordSent(supervisor, [ref], now);
      } finally {
        await deps.store.reminders.release(supervisor, owner);
      }
    }
  }
  return sent;
}
