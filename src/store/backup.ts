import { z } from "zod";
import { Campaign } from "../campaign/campaign.js";
import { Draft } from "../form/draft.js";
import {
  AuditEntry,
  type ReportChange,
  SCHEMA_VERSION,
  type Store,
  StoreDataError,
  StoredReport,
  UserState,
} from "./store.js";

/**
 * Backing up and restoring everything (`nianbao export-all DIR`,
 * `nianbao import-all DIR`). Every report goes out as its interchange file
 * (reports/<id>.json, last year's as reports/<id>.previous.json); what the
 * interchange file does not hold goes into one envelope, backup.json:
 * members, the officer's place in the form, deadlines and reminder settings,
 * mutes, the final document's mark, pre-filled values, the campaign link and
 * review state, the audit trail, each member's record (current report,
 * position), and the campaigns. The envelope is written
 * through the Store interface only, so it does not depend on how a store
 * lays its data out, and restores into either store.
 */

const ReportRecord = StoredReport.omit({ draft: true, previous: true, version: true }).extend({
  file: z.string().regex(/^reports\/[A-Za-z0-9_-]+\.json$/),
  previousFile: z
    .string()
    .regex(/^reports\/[A-Za-z0-9_-]+\.previous\.json$/)
    .optional(),
  /** Oldest first. */
  audit: z.array(AuditEntry),
});

export const BackupEnvelope = z.strictObject({
  kind: z.literal("nianbao-backup"),
  /** Layout of this envelope. */
  version: z.literal(1),
  /** The store schema the data was read in (informative: the envelope itself is what is restored). */
  schemaVersion: z.number().int().min(1),
  exportedAt: z.iso.datetime(),
  reports: z.array(ReportRecord),
  users: z.array(z.strictObject({ id: z.number().int().positive(), state: UserState })),
  /** Campaigns with their units, supervisors and invitations (units name their reports by id). */
  campaigns: z.array(Campaign).default([]),
});
export type BackupEnvelope = z.infer<typeof BackupEnvelope>;

/** What export-all writes: file name (relative to DIR) → contents. */
export type BackupFiles = Map<string, string>;

export const ENVELOPE_FILE = "backup.json";

/** Reads every report, its audit trail and every member record of the store. */
export async function exportAll(
  store: Store,
  exportDraft: (draft: Draft) => string,
  now: Date,
): Promise<{ files: BackupFiles; envelope: BackupEnvelope }> {
  const files: BackupFiles = new Map();
  const reports: BackupEnvelope["reports"] = [];
  for (const id of (await store.reportIds()).sort()) {
    const report = await store.getReport(id);
    if (!report) continue; // deleted meanwhile
    const { draft, previous, version: _, ...rest } = report;
    const file = `reports/${id}.json`;
    files.set(file, exportDraft(draft));
    const previousFile = previous ? `reports/${id}.previous.json` : undefined;
    if (previous && previousFile) files.set(previousFile, exportDraft(previous));
    const audit = (await store.history(id, Number.MAX_SAFE_INTEGER)).reverse();
    reports.push({ ...rest, file, ...(previousFile ? { previousFile } : {}), audit });
  }
  const users: BackupEnvelope["users"] = [];
  for (const id of (await store.userIds()).sort((a, b) => a - b)) users.push({ id, state: await store.getUser(id) });
  const envelope: BackupEnvelope = {
    kind: "nianbao-backup",
    version: 1,
    schemaVersion: SCHEMA_VERSION,
    exportedAt: now.toISOString(),
    reports,
    users,
    campaigns: await store.listCampaigns(),
  };
  files.set(ENVELOPE_FILE, `${JSON.stringify(BackupEnvelope.parse(envelope), null, 2)}\n`);
  return { files, envelope };
}

export class RestoreError extends Error {}

/**
 * Restores a backup into an empty store. Reports get new ids (a store picks
 * its own); member records follow them. Returns the number of reports and
 * members restored.
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
  const newIds = new Map<string, string>();
  for (const record of backup.reports) {
    const { file, previousFile, audit, members, deadline, id, createdAt: _c, updatedAt: _u, ...rest } = record;
    const draft = Draft.parse(readDraft(file));
    const previous = previousFile ? Draft.parse(readDraft(previousFile)) : undefined;
    const created = await store.createReport({
      draft,
      members,
      ...(deadline ? { deadline } : {}),
      ...(previous ? { previous } : {}),
    });
    const change: ReportChange = { ...rest, ...(previous ? { previous } : {}) };
    const written = await store.updateReport(created.id, created.version, change, audit);
    if (!written.ok) throw new StoreDataError(created.id, "the restored report changed while it was written");
    newIds.set(id, created.id);
  }
  for (const [k, campaign] of backup.campaigns.entries()) {
    const units = campaign.units.map(({ reportId, ...unit }) => {
      const restored = reportId === undefined ? undefined : newIds.get(reportId);
      return restored ? { ...unit, reportId: restored } : unit;
    });
    // Campaigns are written only through the once-only commit; a restore is no Telegram update,
    // so it uses negative ids, which Telegram never sends.
    const origin = { userId: campaign.createdBy, updateId: -(k + 1), ack: "" };
    const result = await store.commit(origin, { campaign: { next: { ...campaign, version: 1, units } } });
    if (result.status !== "applied") throw new StoreDataError(campaign.id, "the campaign could not be restored");
  }
  for (const { id, state } of backup.users) {
    const current = state.currentReportId === undefined ? undefined : newIds.get(state.currentReportId);
    const restored: UserState = { ...state };
    if (state.currentReportId !== undefined) {
      if (current) restored.currentReportId = current;
      else delete restored.currentReportId;
    }
    if (restored.position) {
      const at = newIds.get(restored.position.reportId);
      if (at) restored.position = { ...restored.position, reportId: at };
      else delete restored.position;
    }
    await store.setUser(id, restored);
  }
  return { reports: backup.reports.length, users: backup.users.length, campaigns: backup.campaigns.length };
}
