import { z } from "zod";
import { Campaign } from "../campaign/campaign.js";
import { Draft } from "../form/draft.js";
import {
  AUDIT_LIMIT,
  AuditEntry,
  SCHEMA_VERSION,
  type Store,
  StoreDataError,
  StoredReport,
  UserId,
  UserState,
} from "./store.js";

/**
 * Backing up and restoring everything (`nianbao export-all DIR`,
 * `nianbao import-all DIR`). Every report goes out as its interchange file
 * (reports/<id>.json, last year's as reports/<id>.previous.json); what the
 * interchange file does not hold goes into one envelope, backup.json:
 * each report's members, place in the form, deadlines and reminder plan,
 * mutes, final document mark, pre-filled values, campaign link and review
 * state, and audit trail; each member's record (current report, position);
 * the campaigns; the reminder stages sent and the members who blocked the
 * bot; and the bot's saved state (conversations under way, imports waiting
 * for a confirmation, last year's report kept for a new one, today's 催办).
 * Reports keep their ids, so everything that names a report still does.
 * The envelope is written through the Store interface only, so it does not
 * depend on how a store lays its data out, and restores into either store.
 */

const ReportRecord = StoredReport.omit({ draft: true, previous: true, version: true }).extend({
  file: z.string().regex(/^reports\/[A-Za-z0-9_-]+\.json$/),
  previousFile: z
    .string()
    .regex(/^reports\/[A-Za-z0-9_-]+\.previous\.json$/)
    .optional(),
  /** Oldest first. */
  audit: z.array(AuditEntry).max(AUDIT_LIMIT),
});

export const BackupEnvelope = z.strictObject({
  kind: z.literal("nianbao-backup"),
  /** Layout of this envelope: 2 added sent, inactive and state (a version 1 envelope restores with none). */
  version: z.union([z.literal(1), z.literal(2)]),
  /** The store schema the data was read in (informative: the envelope itself is what is restored). */
  schemaVersion: z.number().int().min(1),
  exportedAt: z.iso.datetime(),
  reports: z.array(ReportRecord),
  users: z.array(z.strictObject({ id: UserId, state: UserState })),
  /** Campaigns with their units, supervisors and invitations (units name their reports by id). */
  campaigns: z.array(Campaign).default([]),
  /** Reminder stages sent, per member (a campaign's digest under "campaign.<id>"), so none is sent twice. */
  sent: z
    .array(
      z.strictObject({ reportId: z.string().min(1), stage: z.string().min(1), userId: UserId, at: z.iso.datetime() }),
    )
    .default([]),
  /** Members who blocked the bot, since when: nothing is sent to them. */
  inactive: z.array(z.strictObject({ userId: UserId, at: z.iso.datetime() })).default([]),
  /** The bot's saved state by key, as stored (JSON). */
  state: z.array(z.strictObject({ key: z.string().min(1), value: z.json() })).default([]),
});
export type BackupEnvelope = z.infer<typeof BackupEnvelope>;

/** What export-all writes: file name (relative to DIR) → contents. */
export type BackupFiles = Map<string, string>;

export const ENVELOPE_FILE = "backup.json";

/** Reads every report, its audit trail, every member record and the rest of the store. */
export async function exportAll(
  store: Store,
  exportDraft: (draft: Draft) => string,
  now: Date,
): Promise<{ files: BackupFiles; envelope: BackupEnvelope }> {
  const files: BackupFiles = new Map();
  const reports: BackupEnvelope["reports"] = [];
  const people = new Set<number>();
  for (const id of (await store.reportIds()).sort()) {
    const report = await store.getReport(id);
    if (!report) continue; // deleted meanwhile
    const { draft, previous, version: _, ...rest } = report;
    const file = `reports/${id}.json`;
    files.set(file, exportDraft(draft));
    const previousFile = previous ? `reports/${id}.previous.json` : undefined;
    if (previous && previousFile) files.set(previousFile, exportDraft(previous));
    const audit = (await store.history(id, AUDIT_LIMIT)).reverse();
    reports.push({ ...rest, file, ...(previousFile ? { previousFile } : {}), audit });
    for (const member of report.members) people.add(member);
  }
  const users: BackupEnvelope["users"] = [];
  for (const id of (await store.userIds()).sort((a, b) => a - b)) {
    users.push({ id, state: await store.getUser(id) });
    people.add(id);
  }
  const campaigns = await store.listCampaigns();
  for (const campaign of campaigns) for (const supervisor of campaign.supervisors) people.add(supervisor);
  const inactive = [...(await store.reminders.inactive([...people].sort((a, b) => a - b)))].map(([userId, at]) => ({
    userId,
    at,
  }));
  const state: BackupEnvelope["state"] = [];
  for (const key of (await store.stateKeys()).sort()) {
    const value = await store.readState(key);
    if (value !== undefined) state.push({ key, value: value as z.core.util.JSONType });
  }
  const envelope: BackupEnvelope = {
    kind: "nianbao-backup",
    version: 2,
    schemaVersion: SCHEMA_VERSION,
    exportedAt: now.toISOString(),
    reports,
    users,
    campaigns,
    sent: await store.reminders.allSent(),
    inactive,
    state,
  };
  files.set(ENVELOPE_FILE, `${JSON.stringify(BackupEnvelope.parse(envelope), null, 2)}\n`);
  return { files, envelope };
}

export class RestoreError extends Error {}

/**
 * Restores a backup into an empty store, every report under its own id.
 * Returns the number of reports, members and campaigns restored.
 */
export async function importAll(
  store: Store,
  envelope: unknown,
  readDraft: (file: string) => Draft,
): Promise<{ reports: number; users: number; campaigns: number }> {
  const parsed = BackupEnvelope.safeParse(envelope);
  if (!parsed.success) throw new RestoreError(`${ENVELOPE_FILE}: ${z.prettifyError(parsed.error).split("\n")[0]}`);
  const backup = parsed.data;
  if ((await store.reportIds()).length > 0 || (await store.userIds()).length > 0) {
    throw new RestoreError("the store is not empty: import-all restores into an empty store only");
  }
  for (const { file, previousFile, audit, ...rest } of backup.reports) {
    const draft = Draft.parse(readDraft(file));
    const previous = previousFile ? Draft.parse(readDraft(previousFile)) : undefined;
    const report = StoredReport.parse({ ...rest, version: 1, draft, ...(previous ? { previous } : {}) });
    if (!(await store.restoreReport(report, audit))) throw new RestoreError(`report ${report.id} exists already`);
  }
  for (const [k, campaign] of backup.campaigns.entries()) {
    // Campaigns are written only through the once-only commit; a restore is no Telegram update,
    // so it uses negative ids, which Telegram never sends.
    const origin = { userId: campaign.createdBy, updateId: -(k + 1), ack: "" };
    const result = await store.commit(origin, { campaign: { next: { ...campaign, version: 1 } } });
    if (result.status !== "applied") throw new StoreDataError(campaign.id, "the campaign could not be restored");
  }
  for (const { id, state } of backup.users) await store.setUser(id, state);
  for (const { userId, at, ...stage } of backup.sent) await store.reminders.recordSent(userId, [stage], new Date(at));
  for (const { userId, at } of backup.inactive) await store.reminders.markInactive(userId, new Date(at));
  for (const { key, value } of backup.state) await store.writeState(key, value);
  return { reports: backup.reports.length, users: backup.users.length, campaigns: backup.campaigns.length };
}
