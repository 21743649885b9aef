import { z } from "zod";
import { defaultDeadline } from "../form/deadline.js";

/**
 * A campaign: one district or city office's round of reports for one year.
 * It lists the units it supervises, who supervises them, and the invitation
 * links it handed out. A unit's report is an ordinary report that points back
 * at the campaign (StoredReport.campaign); the campaign records which report
 * each unit joined.
 */

const UserId = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

/** A unit's id within its campaign: short, for callback data. */
export const UnitId = z.string().regex(/^u\d{1,4}$/, "a unit id like u12");
export type UnitId = z.infer<typeof UnitId>;

/** Random ids as the store makes them (10 url-safe characters). */
export const CampaignId = z.string().regex(/^[A-Za-z0-9_-]{10}$/, "a campaign id is 10 url-safe characters");

export const UNIT_NAME_LIMIT = 60;
export const UNIT_LIMIT = 500;
export const CAMPAIGN_NAME_LIMIT = 60;

/**
 * The last 催办 of a unit: the Beijing day it counts for (at most one a day)
 * and when it goes out (a tap at night waits for 08:00). Kept on the campaign,
 * which is written compare-and-set, so two supervisors tapping at once, or
 * two instances, record one.
 */
export const Urge = z.strictObject({ day: z.iso.date(), at: z.iso.datetime(), by: UserId });
export type Urge = z.infer<typeof Urge>;

export const CampaignUnit = z.strictObject({
  id: UnitId,
  name: z.string().min(1).max(UNIT_NAME_LIMIT),
  /** The unit's report, once its first officer joined. */
  reportId: z.string().min(1).optional(),
  urge: Urge.optional(),
});
export type CampaignUnit = z.infer<typeof CampaignUnit>;

export const InvitationRole = z.enum(["officer", "supervisor"]);
export type InvitationRole = z.infer<typeof InvitationRole>;

/**
 * An invitation link handed out. Only a digest of its secret is stored, so
 * whoever reads the store cannot join; the link itself is shown once.
 */
export const Invitation = z.strictObject({
  /** Public handle (for revoking): the start of the secret's digest. */
  id: z.string().regex(/^[A-Za-z0-9_-]{8}$/),
  role: InvitationRole,
  /** Officer invitations are for one unit. */
  unitId: UnitId.optional(),
  secretDigest: z.string().min(1),
  createdBy: UserId,
  createdAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
  revokedAt: z.iso.datetime().optional(),
});
export type Invitation = z.infer<typeof Invitation>;

const unique = <T>(values: T[]) => new Set(values).size === values.length;

export const Campaign = z
  .strictObject({
    id: CampaignId,
    /** Starts at 1, +1 on every write (compare-and-set token). */
    version: z.number().int().min(1),
    name: z.string().min(1).max(CAMPAIGN_NAME_LIMIT),
    year: z.number().int().min(2000).max(2100),
    /** The internal date units hand in for review. */
    dueDate: z.iso.date(),
    /** Publication deadline, 31 January of the next year by default. */
    deadline: z.iso.date(),
    createdBy: UserId,
    supervisors: z.array(UserId).refine(unique, "supervisors must be unique"),
    units: z
      .array(CampaignUnit)
      .min(1)
      .max(UNIT_LIMIT)
      .refine((units) => unique(units.map((u) => u.id)), "unit ids must be unique")
      .refine((units) => unique(units.map((u) => u.name)), "unit names must be unique"),
    invitations: z.array(Invitation),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .refine((c) => c.dueDate <= c.deadline, { message: "the due date must not be after the publication deadline" });
export type Campaign = z.infer<typeof Campaign>;

/** Where a unit's report belongs (stored on the report). */
export const CampaignLink = z.strictObject({ id: CampaignId, unitId: UnitId });
export type CampaignLink = z.infer<typeof CampaignLink>;

/** What the administrator types in the /campaign wizard. */
export interface CampaignInput {
  name: string;
  year: number;
  dueDate: string;
  deadline?: string;
  units: string[];
  supervisors?: number[];
}

/** The units pasted one per line: trimmed, numbering and blank lines dropped, duplicates refused. */
export function parseUnitList(text: string): { ok: true; units: string[] } | { ok: false; message: string } {
  const names = text
    .split(/\r?\n/)
    .map((line) => line.replace(/^\s*(\d+[.、．)）]|[-•·*])\s*/, "").trim())
    .filter((line) => line.length > 0);
  if (names.length === 0) return { ok: false, message: "请把单位名称粘贴进来，每行一个。" };
  if (names.length > UNIT_LIMIT) return { ok: false, message: `单位太多：一次最多 ${UNIT_LIMIT} 个。` };
  const long = names.find((n) => n.length > UNIT_NAME_LIMIT);
  if (long !== undefined)
    return { ok: false, message: `单位名称太长（最多 ${UNIT_NAME_LIMIT} 字）：${long.slice(0, 20)}…` };
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) return { ok: false, message: `单位重复了：${twice}。每个单位只写一次。` };
  return { ok: true, units: names };
}

/** A new campaign at version 1 (its id comes from the store's id maker). */
export function newCampaign(id: string, input: CampaignInput, createdBy: number, now: Date): Campaign {
  const at = now.toISOString();
  return Campaign.parse({
    id,
    version: 1,
    name: input.name,
    year: input.year,
    dueDate: input.dueDate,
    deadline: input.deadline ?? defaultDeadline(input.year),
    createdBy,
    supervisors: input.supervisors ?? [],
    units: input.units.map((name, i) => ({ id: `u${i + 1}`, name })),
    invitations: [],
    createdAt: at,
    updatedAt: at,
  });
}

/** The next version of a campaign with `patch` applied (what a compare-and-set writes). */
export function changeCampaign(
  current: Campaign,
  patch: Partial<Pick<Campaign, "name" | "dueDate" | "deadline" | "supervisors" | "units" | "invitations">>,
  now: Date,
): Campaign {
  return { ...current, ...patch, version: current.version + 1, updatedAt: now.toISOString() };
}

export function unitOf(campaign: Campaign, unitId: string): CampaignUnit | undefined {
  return campaign.units.find((u) => u.id === unitId);
}

/** The unit whose report this is, only when the campaign itself records it (a report's own claim is not trusted). */
export function unitOfReport(campaign: Campaign, reportId: string): CampaignUnit | undefined {
  return campaign.units.find((u) => u.reportId === reportId);
}
