import { beijingInstant, beijingIsoDate, beijingMinutes, clockMinutes, type ReminderPlan } from "../form/deadline.js";

/**
 * When reminders fall due (pure). A report has one or two deadlines (the
 * publication deadline, and optionally an internal due date set by the
 * supervising office); each deadline has stages some days before it and on the
 * day itself, at one time of day, in Beijing. A stage is due from its moment
 * until the next stage of the same deadline supersedes it, so a stage missed
 * while the bot was down is still sent after a restart unless a later one has
 * come. Nothing is due at night: a stage that falls in the quiet hours waits
 * for the morning.
 */

/** No reminder between these Beijing times. */
export const QUIET_HOURS = { from: "21:00", to: "08:00" } as const;

export type DeadlineKind = "internal" | "publication";

export interface Deadlines {
  publication: string;
  internal?: string | undefined;
}

export interface Stage {
  /** Stable id of the stage, the key of the once-only record: "publication:2027-01-31:7". */
  key: string;
  /** The deadline it reminds of, or the invitation to start next year's report. */
  deadline: DeadlineKind | "new-year";
  date: string;
  days: number;
  /** When it is sent: the planned moment, moved out of the quiet hours. */
  at: number;
  /** When the next stage of the same deadline supersedes it (end of the day itself for the last). */
  until: number;
}

export function isQuietTime(at: number): boolean {
  const minutes = beijingMinutes(at);
  return minutes >= clockMinutes(QUIET_HOURS.from) || minutes < clockMinutes(QUIET_HOURS.to);
}

/** The first moment at or after `at` outside the quiet hours. */
export function outOfQuietHours(at: number): number {
  if (!isQuietTime(at)) return at;
  const minutes = beijingMinutes(at);
  const morningDate = beijingIsoDate(at, minutes >= clockMinutes(QUIET_HOURS.from) ? 1 : 0);
  return beijingInstant(morningDate, QUIET_HOURS.to);
}

/** Every stage of every deadline, in time order. */
export function stagesOf(deadlines: Deadlines, plan: ReminderPlan): Stage[] {
  const days = [...new Set(plan.days)].sort((a, b) => b - a);
  const stages: Stage[] = [];
  const kinds: [DeadlineKind, string | undefined][] = [
    ["internal", deadlines.internal],
    ["publication", deadlines.publication],
  ];
  for (const [deadline, date] of kinds) {
    if (!date) continue;
    const endOfDay = beijingInstant(date, "00:00") + 86_400_000;
    const planned = days.map((d) => outOfQuietHours(beijingInstant(date, plan.time) - d * 86_400_000));
    days.forEach((d, i) => {
      stages.push({
        key: `${deadline}:${date}:${d}`,
        deadline,
        date,
        days: d,
        at: planned[i] ?? 0,
        until: planned[i + 1] ?? endOfDay,
      });
    });
  }
  return stages.sort((a, b) => a.at - b.at || a.key.localeCompare(b.key));
}

/**
 * Of `stages`, those due at `now`: per deadline, the one whose moment has
 * come and that no later stage has superseded, planned after `since` (when
 * the deadlines were set: a report created on 20 January is not reminded of
 * the 30-day stage). Nothing at night.
 */
export function dueAmong(stages: readonly Stage[], since: number, now: number): Stage[] {
  if (isQuietTime(now)) return [];
  return stages.filter((s) => s.at >= since && s.at <= now && now < s.until);
}

/** When to look again after `now`: the next stage, or the morning for one waiting out the night. */
export function nextAmong(stages: readonly Stage[], since: number, now: number): number | undefined {
  let next: number | undefined;
  for (const s of stages) {
    if (s.at < since) continue;
    const candidate = s.at > now ? s.at : now < s.until ? outOfQuietHours(now) : undefined;
    if (candidate !== undefined && candidate > now && (next === undefined || candidate < next)) next = candidate;
  }
  return next;
}

export function dueStages(deadlines: Deadlines, plan: ReminderPlan, since: number, now: number): Stage[] {
  return dueAmong(stagesOf(deadlines, plan), since, now);
}

export function nextStageAt(deadlines: Deadlines, plan: ReminderPlan, since: number, now: number): number | undefined {
  return nextAmong(stagesOf(deadlines, plan), since, now);
}

/**
 * 1 December of the year after the report's year, at the plan's time: the
 * officers of a finished report are invited to start the next one (valid
 * through December).
 */
export function newYearStage(reportYear: number, plan: ReminderPlan): Stage {
  const year = reportYear + 1;
  const date = `${year}-12-01`;
  return {
    key: `newyear:${year}`,
    deadline: "new-year",
    date,
    days: 0,
    at: outOfQuietHours(beijingInstant(date, plan.time)),
    until: beijingInstant(`${year + 1}-01-01`, "00:00"),
  };
}
