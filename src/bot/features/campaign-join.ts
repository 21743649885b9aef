import { type Composer, InlineKeyboard } from "grammy";
import { type Campaign, changeCampaign, unitOf } from "../../campaign/campaign.js";
import { ASK_FOR_NEW_LINK, checkInvitation, JOIN_PREFIX, parseJoinPayload } from "../../campaign/invitation.js";
import { NEW_REPORT, type StoredReport } from "../../store/store.js";
import { askCurrent } from "../ask.js";
import { decodeCallback, encodeCallback } from "../callback-data.js";
import { commitCampaign } from "../campaign-access.js";
import { BotComposer } from "../composer.js";
import type { BotContext } from "../context.js";
import { escapeHtml } from "../html.js";
import { auditEntry } from "../report-access.js";

/**
 * `/start join_<token>`: an officer joins their unit's report for the
 * campaign's year (the first one creates it, or attaches the self-service
 * report they already have), a supervisor joins the campaign.
 */

const INVALID_LINK = `这个邀请链接无效。${ASK_FOR_NEW_LINK}`;
/** The offer to attach an existing report waits here (per user) until a button is pressed. */
const pendingKey = (userId: number) => `join:${userId}`;
type Pending = { campaignId: string; invitationId: string; reportId: string };

/** The invitation by id, still open now (a button pressed later is checked again). */
function openInvitation(campaign: Campaign, invitationId: string, now: Date) {
  const inv = campaign.invitations.find((i) => i.id === invitationId);
  return inv && inv.revokedAt === undefined && Date.parse(inv.expiresAt) > now.getTime() ? inv : undefined;
}

/** A self-service report of the user for this unit and year, which the unit's report could be instead of a new one. */
async function ownReportFor(ctx: BotContext, campaign: Campaign, unitName: string): Promise<StoredReport | undefined> {
  const reports = await ctx.deps.store.listReports(ctx.from?.id ?? 0);
  return reports.find((r) => !r.campaign && r.draft.year === campaign.year && r.draft.org.trim() === unitName);
}

async function joinOfficer(ctx: BotContext, campaignId: string, invitationId: string, attach?: string): Promise<void> {
  const userId = ctx.from?.id ?? 0;
  const { store, now, flows } = ctx.deps;
  const user = await store.getUser(userId);
  let note = "";
  const result = await commitCampaign(ctx, campaignId, async (campaign) => {
    const inv = openInvitation(campaign, invitationId, now());
    const unit = inv?.unitId === undefined ? undefined : unitOf(campaign, inv.unitId);
    if (!inv || !unit) return `这个邀请链接已失效。${ASK_FOR_NEW_LINK}`;
    const link = { id: campaign.id, unitId: unit.id };
    note = `✅ 已加入「${escapeHtml(campaign.name)}」：<b>${escapeHtml(unit.name)}</b> ${campaign.year} 年度报告。`;
    if (unit.reportId !== undefined) {
      const report = await store.getReport(unit.reportId);
      if (!report) return "这个单位的报告已不存在，请联系区政务公开办。";
      if (report.members.includes(userId)) return { user: { ...user, currentReportId: report.id } };
      return {
        update: {
          id: report.id,
          expectedVersion: report.version,
          change: { members: [...report.members, userId] },
          audit: [auditEntry(ctx, "members", null, userId)],
          basis: report,
        },
        user: { ...user, currentReportId: report.id },
      };
    }
    const units = (reportId: string) => campaign.units.map((u) => (u.id === unit.id ? { ...u, reportId } : u));
    if (attach !== undefined) {
      const own = await store.getReport(attach);
      if (!own?.members.includes(userId) || own.campaign || own.draft.year !== campaign.year)
        return "这份报告不能用于这个单位，请重新打开邀请链接。";
      note += "\n已沿用你之前填写的报告。";
      return {
        update: {
          id: own.id,
          expectedVersion: own.version,
          change: { campaign: link, deadline: campaign.deadline, dueDate: campaign.dueDate },
          audit: [auditEntry(ctx, "campaign", null, campaign.name)],
          basis: own,
        },
        campaign: { next: changeCampaign(campaign, { units: units(own.id) }, now()) },
        user: { ...user, currentReportId: own.id },
      };
    }
    return {
      create: {
        draft: {
          format: flows.formatForYear(campaign.year),
          org: unit.name,
          year: campaign.year,
          narrative: {},
          cells: {},
        },
        members: [userId],
        deadline: campaign.deadline,
        dueDate: campaign.dueDate,
        campaign: link,
      },
      campaign: { next: changeCampaign(campaign, { units: units(NEW_REPORT) }, now()) },
      user: { ...user, currentReportId: NEW_REPORT },
    };
  });
  if (!result.ok) {
    await ctx.reply(result.reason);
    return;
  }
  const current = (await store.getUser(userId)).currentReportId;
  const report = current === undefined ? undefined : await store.getReport(current);
  ctx.log.info({ campaignId, reportId: report?.id }, "officer joined");
  if (report) await askCurrent(ctx, report, note);
}

async function joinSupervisor(ctx: BotContext, campaignId: string, invitationId: string): Promise<void> {
  const userId = ctx.from?.id ?? 0;
  const result = await commitCampaign(ctx, campaignId, (campaign) => {
    if (!openInvitation(campaign, invitationId, ctx.deps.now())) return `这个邀请链接已失效。${ASK_FOR_NEW_LINK}`;
    if (campaign.supervisors.includes(userId))
      return `你已经是「${escapeHtml(campaign.name)}」的审核人。发 /dashboard 查看。`;
    return {
      campaign: { next: changeCampaign(campaign, { supervisors: [...campaign.supervisors, userId] }, ctx.deps.now()) },
    };
  });
  if (!result.ok) await ctx.reply(result.reason);
  else
    await ctx.reply(
      `✅ 你已成为「${escapeHtml(result.campaign.name)}」的审核人（${result.campaign.units.length} 个单位）。发 /dashboard 查看各单位进度，/collect 汇总已通过的报告。`,
    );
}

async function openJoinLink(ctx: BotContext, payload: string): Promise<void> {
  const token = parseJoinPayload(payload);
  if (!token) {
    await ctx.reply(INVALID_LINK);
    return;
  }
  const campaign = await ctx.deps.store.getCampaign(token.campaignId);
  const check = checkInvitation(campaign, token, ctx.deps.now());
  if (!check.ok || !campaign) {
    ctx.log.info({ reason: check.ok ? "unknown" : check.reason }, "invitation refused");
    await ctx.reply(check.ok ? INVALID_LINK : check.message);
    return;
  }
  const { invitation } = check;
  if (invitation.role === "supervisor") return joinSupervisor(ctx, campaign.id, invitation.id);
  const unit = invitation.unitId === undefined ? undefined : unitOf(campaign, invitation.unitId);
  const own = unit && unit.reportId === undefined ? await ownReportFor(ctx, campaign, unit.name) : undefined;
  if (!unit || !own) return joinOfficer(ctx, campaign.id, invitation.id);
  const pending: Pending = { campaignId: campaign.id, invitationId: invitation.id, reportId: own.id };
  await ctx.deps.store.writeState(pendingKey(ctx.from?.id ?? 0), pending);
  await ctx.reply(
    `你已经有一份「${escapeHtml(unit.name)}」${campaign.year} 年度的报告。要把它交给「${escapeHtml(campaign.name)}」，还是新建一份？`,
    {
      reply_markup: new InlineKeyboard()
        .text("用已有的报告", encodeCallback("join", campaign.id, "attach"))
        .text("新建一份", encodeCallback("join", campaign.id, "new")),
    },
  );
}

export function campaignJoinFeature(): Composer<BotContext> {
  const composer = new BotComposer<BotContext>();
  composer.command("start", async (ctx, next) => {
    const payload = ctx.match.trim();
    if (!payload.startsWith(JOIN_PREFIX)) return next();
    await openJoinLink(ctx, payload);
  });
  composer.on("callback_query:data", async (ctx, next) => {
    const callback = decodeCallback(ctx.callbackQuery.data);
    if (callback?.action !== "join") return next();
    const userId = ctx.from.id;
    const pending = (await ctx.deps.store.readState(pendingKey(userId))) as Pending | undefined;
    if (!pending || pending.campaignId !== callback.reportId) {
      await ctx.answerCallbackQuery({ text: `这个按钮已失效，请重新打开邀请链接。` });
      return;
    }
    await ctx.answerCallbackQuery();
    await joinOfficer(
      ctx,
      pending.campaignId,
      pending.invitationId,
      callback.arg === "attach" ? pending.reportId : undefined,
    );
    await ctx.deps.store.deleteState(pendingKey(userId));
  });
  return composer;
}
