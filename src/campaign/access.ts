import { isLocked, type Review } from "../form/review.js";
import { type Campaign, type CampaignLink, unitOf, unitOfReport } from "./campaign.js";
import { ASK_FOR_NEW_LINK } from "./invitation.js";

/**
 * Who may do what, in one pure function every campaign handler asks before
 * it reads or writes. Nothing a user sends is trusted: the report and the
 * campaign are loaded by the handler, and a report counts as a campaign's
 * unit only when the campaign itself records it.
 *
 * - Officers (a report's members) see and change only their reports, and
 *   cannot change a submitted or approved one.
 * - Supervisors see only their campaign's units and change review state and
 *   comments, never figures.
 * - Administrators (BOT_ADMINS) create campaigns and manage their links,
 *   supervisors and dashboards.
 */

export type Action =
  /** Read a report: card, preview, .docx. */
  | "view"
  /** Change figures, texts or settings of a report. */
  | "edit"
  /** Hand a report in for review (提交审核). */
  | "submit"
  /** Return (退回修改) or approve (审核通过) a submitted report. */
  | "review"
  /** Remove an officer who left from a unit's report. */
  | "remove_officer"
  /** The campaign's dashboard, roll-up, and 催办 of one of its units. */
  | "supervise"
  /** Invite supervisors, make or revoke a unit's links. */
  | "manage"
  | "create_campaign";

export interface Actor {
  userId: number;
  admins: readonly number[];
}

export interface Target {
  campaign?: Campaign | undefined;
  report?: { id: string; members: number[]; campaign?: CampaignLink | undefined; review?: Review | undefined };
  /** A unit named by a button (dashboard, 催办). */
  unitId?: string;
  /** The officer to remove. */
  officer?: number;
}

export type Role = "officer" | "supervisor" | "admin";
export type Refusal =
  | "not_admin"
  | "not_member"
  | "not_supervisor"
  | "other_campaign"
  | "locked"
  | "not_in_campaign"
  | "not_submitted"
  | "already_submitted"
  | "last_officer"
  | "no_such_officer";
export type Decision = { ok: true; role: Role } | { ok: false; refusal: Refusal; message: string };

const MESSAGE: Record<Refusal, string> = {
  not_admin: "只有管理员可以管理年报工作。",
  not_member: `你还不是这份报告的成员。${ASK_FOR_NEW_LINK}`,
  not_supervisor: `你不是这项年报工作的审核人。${ASK_FOR_NEW_LINK}`,
  other_campaign: `这个单位不属于你审核的年报工作。${ASK_FOR_NEW_LINK}`,
  locked: "报告已提交审核，暂不能修改；审核人退回后可以再改。",
  not_in_campaign: "这份报告不属于任何年报工作，不需要提交审核。",
  not_submitted: "这份报告现在不在待审核状态。",
  already_submitted: "这份报告已经提交过了，请等待审核。",
  last_officer: "这是该单位唯一的填报人，不能移除；请先邀请新的填报人。",
  no_such_officer: "这位填报人已不在这份报告里。",
};

const refuse = (refusal: Refusal): Decision => ({ ok: false, refusal, message: MESSAGE[refusal] });
const allow = (role: Role): Decision => ({ ok: true, role });

export const isAdmin = (actor: Actor): boolean => actor.admins.includes(actor.userId);
const supervises = (actor: Actor, campaign: Campaign | undefined): boolean =>
  campaign?.supervisors.includes(actor.userId) === true;
/** The campaign of the target records the report as one of its units. */
const reportInCampaign = (t: Target): boolean =>
  t.report !== undefined &&
  t.campaign !== undefined &&
  t.report.campaign?.id === t.campaign.id &&
  unitOfReport(t.campaign, t.report.id)?.id === t.report.campaign.unitId;

export function decide(actor: Actor, action: Action, target: Target = {}): Decision {
  const { campaign, report } = target;
  const member = report?.members.includes(actor.userId) === true;
  switch (action) {
    case "create_campaign":
      return isAdmin(actor) ? allow("admin") : refuse("not_admin");
    case "manage":
      if (!campaign) return refuse("not_admin");
      if (target.unitId !== undefined && !unitOf(campaign, target.unitId)) return refuse("other_campaign");
      return isAdmin(actor) ? allow("admin") : refuse("not_admin");
    case "supervise":
      if (!supervises(actor, campaign) && !(isAdmin(actor) && campaign)) return refuse("not_supervisor");
      if (campaign && target.unitId !== undefined && !unitOf(campaign, target.unitId)) return refuse("other_campaign");
      return allow(supervises(actor, campaign) ? "supervisor" : "admin");
    case "view":
      if (!report) return refuse("not_member");
      if (member) return allow("officer");
      return supervisorOf(actor, target);
    case "edit":
      if (!report || !member) return refuse("not_member");
      return isLocked(report.review) ? refuse("locked") : allow("officer");
    case "submit":
      if (!report || !member) return refuse("not_member");
      if (!report.campaign || !reportInCampaign(target)) return refuse("not_in_campaign");
      return isLocked(report.review) ? refuse("already_submitted") : allow("officer");
    case "review": {
      if (!report) return refuse("not_member");
      const decision = supervisorOf(actor, target, false);
      if (!decision.ok) return decision;
      return report.review?.state === "submitted" ? decision : refuse("not_submitted");
    }
    case "remove_officer": {
      if (!report) return refuse("not_member");
      const decision = member ? allow("officer") : supervisorOf(actor, target, false);
      if (!decision.ok) return decision;
      if (target.officer === undefined || !report.members.includes(target.officer)) return refuse("no_such_officer");
      return report.members.length <= 1 ? refuse("last_officer") : decision;
    }
  }
}

/** A supervisor (or, when `admins` is true, an administrator) of the report's campaign. */
function supervisorOf(actor: Actor, target: Target, admins = true): Decision {
  const { campaign, report } = target;
  const entitled = supervises(actor, campaign) || (admins && isAdmin(actor) && campaign !== undefined);
  if (!entitled) return refuse(report?.campaign ? "other_campaign" : "not_member");
  if (!reportInCampaign(target)) return refuse("other_campaign");
  return allow(supervises(actor, campaign) ? "supervisor" : "admin");
}
