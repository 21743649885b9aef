import { beijingIsoDate } from "../form/deadline.js";
import { outOfQuietHours } from "../reminders/schedule.js";
import { type Campaign, changeCampaign, type Urge, unitOf } from "./campaign.js";

/**
 * 催办 (pure): a supervisor reminds one unit's officers now, or, at night,
 * at 08:00 Beijing; at most once per Beijing day per unit, the day being the
 * one it goes out on. The campaign written with it is what makes it once:
 * its compare-and-set lets one of two taps at once through.
 */

export type UrgePlan = { ok: true; next: Campaign; urge: Urge } | { ok: false; message: string };

/** When the urge goes out, said to the supervisor: "今早 8:00" or "明早 8:00" at night. */
export function urgeWhen(urge: Urge, now: Date): string {
  return urge.day === beijingIsoDate(now.getTime()) ? "今早 8:00" : "明早 8:00";
}

export function planUrge(campaign: Campaign, unitId: string, by: number, now: Date): UrgePlan {
  const unit = unitOf(campaign, unitId);
  if (!unit) return { ok: false, message: "这个单位不在这项年报工作里。" };
  if (unit.reportId === undefined) return { ok: false, message: "这个单位还没有人加入，请把邀请链接发给他们。" };
  const at = outOfQuietHours(now.getTime());
  const day = beijingIsoDate(at);
  const last = unit.urge;
  if (last?.day === day)
    return {
      ok: false,
      message:
        Date.parse(last.at) > now.getTime()
          ? `已经安排好了，${urgeWhen(last, now)} 发出。每个单位每天最多催办一次。`
          : "今天已经催办过这个单位了，每天最多一次。",
    };
  const urge: Urge = { day, at: new Date(at).toISOString(), by };
  const units = campaign.units.map((u) => (u.id === unitId ? { ...u, urge } : u));
  return { ok: true, next: changeCampaign(campaign, { units }, now), urge };
}

/** The urges to send at `now`: recorded for today and come (those of past days are not sent late). */
export function dueUrges(campaign: Campaign, now: Date): { unitId: string; reportId: string; urge: Urge }[] {
  const today = beijingIsoDate(now.getTime());
  return campaign.units.flatMap((u) =>
    u.urge && u.reportId !== undefined && u.urge.day === today && Date.parse(u.urge.at) <= now.getTime()
      ? [{ unitId: u.id, reportId: u.reportId, urge: u.urge }]
      : [],
  );
}
