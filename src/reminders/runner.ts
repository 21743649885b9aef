import { randomBytes } from "node:crypto";
import { GrammyError } from "grammy";
import type { Logger } from "pino";
import type { View } from "../bot/views/question.js";
import { newYearView, type ReminderItem, reminderView } from "../bot/views/reminder.js";
import type { Clock } from "../clock.js";
import { DEFAULT_PLAN, daysLeft, defaultDeadline } from "../form/deadline.js";
import type { FlowRegistry } from "../form/flow-registry.js";
import { reportFindings } from "../form/report-findings.js";
import { getsReminders, type ReportState, reportState } from "../form/report-state.js";
import { type ReminderStageRef, type Store, type StoredReport, stageRefKey } from "../store/store.js";
import { sendCampaignDigests } from "./campaign-digest.js";
import { dueAmong, newYearStage, nextAmong, outOfQuietHours, type Stage, stagesOf } from "./schedule.js";
import { createSendQueue, type SendQueue } from "./send-queue.js";
import { sendDueUrges } from "./send-urges.js";

/**
 * The reminder scheduler: on its own timer, apart from update handling, so
 * any number of instances can run against one store (one of them polling or
 * none). Each tick it takes the reports whose next look has come (the
 * store's index), finds the stages due, and has every officer concerned sent
 * one message listing all their unfinished reports. An officer's lease makes
 * one instance at a time compose their message; the once-only record of sent
 * stages (report, stage, member) is written after Telegram accepted it, so a
 * crash or a network error before that sends again rather than never.
 */

export interface RunnerOptions {
  /** Real time between ticks. */
  tickMs: number;
  /** Reminder messages a second, all instances together (Telegram allows about 30 for the whole bot). */
  perSecond: number;
  /** Messages in flight at once. */
  concurrency: number;
  /** Officers composed at once. */
  officers: number;
  /** How long an officer's lease lasts (real time): longer than a send with its retries. */
  leaseMs: number;
  /** When an officer could not be reached (network, another instance busy): look again after this. */
  retryMs: number;
  /** Reports taken from the index per round. */
  batch: number;
}

export const DEFAULT_RUNNER_OPTIONS: RunnerOptions = {
  tickMs: 30_000,
  perSecond: 25,
  concurrency: 8,
  officers: 32,
  leaseMs: 10 * 60_000,
  retryMs: 60_000,
  batch: 500,
};

export interface RunnerDeps {
  store: Store;
  flows: FlowRegistry;
  now: Clock;
  logger: Logger;
  /** Sends one HTML message (with auto-retry on 429 and network errors). */
  sendMessage: (chatId: number, view: View) => Promise<unknown>;
}

type Outcome = "sent" | "nothing" | "skipped" | "busy" | "failed" | "blocked";

export interface TickResult {
  now: string;
  reports: number;
  outcomes: Record<Outcome, number>;
}

export class ReminderRunner {
  private readonly options: RunnerOptions;
  private readonly queue: SendQueue;
  private readonly owner = randomBytes(6).toString("hex");
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = false;

  constructor(
    private readonly deps: RunnerDeps,
    options: Partial<RunnerOptions> = {},
  ) {
    this.options = { ...DEFAULT_RUNNER_OPTIONS, ...options };
    this.queue = createSendQueue({
      takeSlot: (chatId) => deps.store.reminders.takeSendSlot(chatId, this.options.perSecond),
      concurrency: this.options.concurrency,
    });
  }

  /** Indexes reports older than the index, then ticks until stopped. */
  async start(): Promise<void> {
    await this.deps.store.reminders.backfill();
    const loop = async () => {
      if (this.stopped) return;
      this.running = this.tick().catch((err) => this.deps.logger.error({ err }, "reminders tick failed"));
      await this.running;
      if (!this.stopped) this.timer = setTimeout(loop, this.options.tickMs);
    };
    void loop();
  }

  /** Lets a tick in progress finish (its leases are released), then stops. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  async tick(): Promise<TickResult> {
    const now = this.deps.now();
    const nowMs = now.getTime();
    const outcomes: Record<Outcome, number> = { sent: 0, nothing: 0, skipped: 0, busy: 0, failed: 0, blocked: 0 };
    let reports = 0;
    // Rounds until the due reports are done; a report written meanwhile comes back in the next tick.
    for (let round = 0; round < 100; round++) {
      const due = await this.deps.store.reminders.due(now, this.options.batch);
      const fresh = due.filter((d) => d.at <= nowMs);
      if (fresh.length === 0) break;
      reports += fresh.length;
      const plans: { id: string; at: number; next: number | undefined; officers: number[] }[] = [];
      const officers = new Set<number>();
      for (const { id, at } of fresh) {
        const report = await this.deps.store.getReport(id);
        if (!report) {
          await this.deps.store.reminders.reschedule(id, at, undefined);
          continue;
        }
        const { stages, since } = this.stagesOf(report);
        const due = dueAmong(stages, since, nowMs);
        const members = due.length === 0 ? [] : report.members.filter((m) => !report.muted?.includes(m));
        for (const m of members) officers.add(m);
        plans.push({ id, at, next: nextAmong(stages, since, nowMs), officers: members });
      }
      const results = await this.forEachOfficer([...officers], (uid) => this.remind(uid, nowMs));
      for (const r of results.values()) outcomes[r]++;
      for (const plan of plans) {
        const retry = plan.officers.some((m) => results.get(m) === "busy" || results.get(m) === "failed");
        const next = retry ? outOfQuietHours(nowMs + this.options.retryMs) : plan.next;
        await this.deps.store.reminders.reschedule(plan.id, plan.at, next);
      }
      if (due.length < this.options.batch) break;
    }
    // Campaigns: 催办 queued at night (or not finished by the bot), and the supervisors' weekly digests,
    // under the same shared send rate as the reminders.
    const queued = { ...this.deps, send: this.queued, sendMessage: this.queued };
    const urged = await sendDueUrges(queued, now).catch((err) => {
      this.deps.logger.error({ err }, "campaign urges failed");
      return 0;
    });
    if (urged > 0) this.deps.logger.info({ messages: urged }, "campaign urges sent");
    await sendCampaignDigests(queued, now, this.owner).catch((err) =>
      this.deps.logger.error({ err }, "campaign digests failed"),
    );
    const result = { now: now.toISOString(), reports, outcomes };
    this.deps.logger.info(result, "reminders tick");
    return result;
  }

  /** The stages of a report in its state: deadline stages while unfinished, the next year's invitation once finished. */
  /** Sends one message through the shared send queue. */
  private readonly queued = (chatId: number, view: View): Promise<unknown> =>
    this.queue.send(chatId, () => this.deps.sendMessage(chatId, view));

  private stagesOf(report: StoredReport): { stages: Stage[]; since: number; state: ReportState } {
    const flow = this.deps.flows.flowFor(report.draft.format);
    const state = reportState(flow, report);
    const plan = report.reminderPlan ?? DEFAULT_PLAN;
    if (state === "finished") return { stages: [newYearStage(report.draft.year, plan)], since: 0, state };
    // Handed in or approved: nothing to remind of (a returned report is reminded again).
    if (!getsReminders(state)) return { stages: [], since: 0, state };
    const deadlines = { publication: report.deadline ?? defaultDeadline(report.draft.year), internal: report.dueDate };
    return { stages: stagesOf(deadlines, plan), since: Date.parse(report.deadlinesSetAt ?? report.createdAt), state };
  }

  private async forEachOfficer(ids: number[], work: (uid: number) => Promise<Outcome>): Promise<Map<number, Outcome>> {
    const results = new Map<number, Outcome>();
    let next = 0;
    const worker = async () => {
      while (next < ids.length) {
        const uid = ids[next++] as number;
        results.set(uid, await work(uid));
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.officers, ids.length) }, worker));
    return results;
  }

  /** One officer: every report of theirs with a stage due and not yet sent to them, in one message. */
  private async remind(uid: number, nowMs: number): Promise<Outcome> {
    const { store, logger } = this.deps;
    if ((await store.reminders.inactive([uid])).has(uid)) return "skipped";
    if (!(await store.reminders.lease(uid, this.owner, this.options.leaseMs))) return "busy";
    try {
      const now = new Date(nowMs);
      const listed: ReminderItem[] = [];
      const reminderRefs: ReminderStageRef[] = [];
      const invitations: { report: StoredReport; ref: ReminderStageRef }[] = [];
      const reports = await store.listReports(uid);
      for (const report of reports) {
        if (report.muted?.includes(uid)) continue;
        const { stages, since, state } = this.stagesOf(report);
        const due = dueAmong(stages, since, nowMs);
        if (state === "finished") {
          const next = reports.some((r) => r.draft.org === report.draft.org && r.draft.year === report.draft.year + 1);
          for (const stage of due)
            if (!next) invitations.push({ report, ref: { reportId: report.id, stage: stage.key } });
          continue;
        }
        if (!getsReminders(state)) continue;
        reminderRefs.push(...due.map((s) => ({ reportId: report.id, stage: s.key })));
        // Every unfinished report still ahead of its deadline is listed, not only the one whose stage came.
        const deadline = report.deadline ?? defaultDeadline(report.draft.year);
        if (due.length > 0 || daysLeft(deadline, now) >= 0) listed.push(this.item(report, state));
      }
      const sent = await store.reminders.sentStages(uid, [...reminderRefs, ...invitations.map((i) => i.ref)]);
      const isNew = (ref: ReminderStageRef) => !sent.has(stageRefKey(ref));
      let outcome: Outcome = "nothing";
      if (reminderRefs.some(isNew)) {
        await this.queue.send(uid, () => this.deps.sendMessage(uid, reminderView(listed, now)));
        await store.reminders.recordSent(uid, reminderRefs, now);
        outcome = "sent";
      }
      for (const { report, ref } of invitations.filter((i) => isNew(i.ref))) {
        await this.queue.send(uid, () => this.deps.sendMessage(uid, newYearView(report)));
        await store.reminders.recordSent(uid, [ref], now);
        outcome = "sent";
      }
      if (outcome === "sent") logger.info({ user: uid, stages: reminderRefs.map((r) => r.stage) }, "reminder sent");
      return outcome;
    } catch (err) {
      if (err instanceof GrammyError && err.error_code === 403) {
        await store.reminders.markInactive(uid, new Date(nowMs));
        logger.info({ user: uid }, "reminder refused: the officer blocked the bot; marked inactive");
        return "blocked";
      }
      logger.warn({ user: uid, err: err instanceof GrammyError ? err.error_code : String(err) }, "reminder not sent");
      return "failed";
    } finally {
      await store.reminders.release(uid, this.owner);
    }
  }

  private item(report: StoredReport, state: ReportState): ReminderItem {
    const flow = this.deps.flows.flowFor(report.draft.format);
    const previous = report.previous && {
      draft: report.previous,
      flow: this.deps.flows.flowFor(report.previous.format),
    };
    return { report, flow, state, findings: reportFindings(flow, report.draft, previous, report.id) };
  }
}
