import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { beijingInstant } from "../form/deadline.js";
import type { Campaign, Invitation, InvitationRole } from "./campaign.js";

/**
 * Invitation links: `t.me/<bot>?start=join_<token>`. The token is a role
 * letter (o officer, s supervisor), the campaign id and 128 random bits. The
 * campaign keeps only a digest of the random part, so a token can be checked,
 * expired and revoked, but not rebuilt from the store.
 */

const PREFIX: Record<InvitationRole, string> = { officer: "o", supervisor: "s" };
const SECRET_BYTES = 16;
/** 16 bytes in base64url. */
const SECRET_LENGTH = 22;
export const JOIN_PREFIX = "join_";
const TOKEN = /^([os])([A-Za-z0-9_-]{10})([A-Za-z0-9_-]{22})$/;

export interface ParsedToken {
  role: InvitationRole;
  campaignId: string;
  secret: string;
}

const digest = (secret: string): string => createHash("sha256").update(secret).digest("base64url");

/** When a link stops working unless set otherwise: the end of the campaign's publication deadline (Beijing). */
export function defaultExpiry(campaign: Pick<Campaign, "deadline">): Date {
  return new Date(beijingInstant(campaign.deadline, "23:59"));
}

/** A new invitation and the token that opens it (shown once, never stored). */
export function newInvitation(
  campaign: Pick<Campaign, "id" | "deadline">,
  role: InvitationRole,
  unitId: string | undefined,
  createdBy: number,
  now: Date,
  expiresAt: Date = defaultExpiry(campaign),
): { token: string; invitation: Invitation } {
  const secret = randomBytes(SECRET_BYTES).toString("base64url");
  const secretDigest = digest(secret);
  const invitation: Invitation = {
    id: secretDigest.slice(0, 8),
    role,
    ...(role === "officer" && unitId !== undefined ? { unitId } : {}),
    secretDigest,
    createdBy,
    createdAt: now.toISOString(),
    expiresAt: expiresAt.toISOString(),
  };
  return { token: `${PREFIX[role]}${campaign.id}${secret}`, invitation };
}

export function joinLink(botUsername: string, token: string): string {
  return `https://t.me/${botUsername}?start=${JOIN_PREFIX}${token}`;
}

/** The token of a /start payload, or undefined when it is not an invitation's shape. */
export function parseJoinPayload(payload: string): ParsedToken | undefined {
  if (!payload.startsWith(JOIN_PREFIX)) return undefined;
  const m = payload.slice(JOIN_PREFIX.length).match(TOKEN);
  if (!m || m[3]?.length !== SECRET_LENGTH) return undefined;
  return { role: m[1] === "s" ? "supervisor" : "officer", campaignId: m[2] ?? "", secret: m[3] };
}

export type InvitationCheck =
  | { ok: true; invitation: Invitation }
  | { ok: false; reason: "unknown" | "expired" | "revoked"; message: string };

export const ASK_FOR_NEW_LINK = "请向区政务公开办索取新的邀请链接。";

const REFUSAL: Record<"unknown" | "expired" | "revoked", string> = {
  unknown: `这个邀请链接无效。${ASK_FOR_NEW_LINK}`,
  expired: `这个邀请链接已过期。${ASK_FOR_NEW_LINK}`,
  revoked: `这个邀请链接已被收回。${ASK_FOR_NEW_LINK}`,
};

/** Whether the token opens one of the campaign's invitations now (digests compared in constant time). */
export function checkInvitation(campaign: Campaign | undefined, token: ParsedToken, now: Date): InvitationCheck {
  const refuse = (reason: "unknown" | "expired" | "revoked"): InvitationCheck => ({
    ok: false,
    reason,
    message: REFUSAL[reason],
  });
  if (!campaign || campaign.id !== token.campaignId) return refuse("unknown");
  const wanted = Buffer.from(digest(token.secret));
  const invitation = campaign.invitations.find((i) => {
    const have = Buffer.from(i.secretDigest);
    return have.length === wanted.length && timingSafeEqual(have, wanted);
  });
  if (!invitation || invitation.role !== token.role) return refuse("unknown");
  if (invitation.revokedAt !== undefined) return refuse("revoked");
  if (Date.parse(invitation.expiresAt) <= now.getTime()) return refuse("expired");
  if (invitation.role === "officer" && !campaign.units.some((u) => u.id === invitation.unitId))
    return refuse("unknown");
  return { ok: true, invitation };
}

/** The invitations with the matching ones revoked (already revoked ones keep their time). */
export function revokeInvitations(
  invitations: Invitation[],
  match: (i: Invitation) => boolean,
  now: Date,
): Invitation[] {
  return invitations.map((i) => (i.revokedAt === undefined && match(i) ? { ...i, revokedAt: now.toISOString() } : i));
}
