import type { Conversation } from "@grammyjs/conversations";
import type { Composer, Context } from "grammy";
import { type Campaign, changeCampaign } from "../../campaign/campaign.js";
import { type CampaignDates, parseDatesForm } from "../../campaign/campaign-form.js";
import { defaultExpiry } from "../../campaign/invitation.js";
import { chineseDate } from "../../form/deadline.js";
import type { AuditEntry, StoredReport } from "../../store/store.js";
import { decodeCallback, encodeCallback } from "../callback-data.js";
import { campaignToManage, chooseCampaign, commitCampaign, decideFor, tellMembers } from "../campaign-access.js";
import { BotComposer } from "../composer.js";
import type { BotContext } from "../context.js";
import { escapeHtml } from "../html.js";
import { auditEntry } from "../report-access.js";
import { settingTarget } from "../report-settings.js";
import { EDIT_CAMPAIGN_DATES, registerWizard } from "../wizards.js";

/**
 * /dates for administrators: a campaign's internal due date and publication
 * deadline change, and with them every unit's report, so the reminders of
 * the units are planned again on the new dates (a report write makes the
 * scheduler look at it again; stages planned before the change are not sent).
 */

const ATTEMPTS = 3;

/** Invitations that expire with the publication deadline follow it; others keep their own expiry. */
function withDeadline(campaign: Campaign, dates: CampaignDates, now: Date): Campaign {
  const old = defaultExpiry(campaign).toISOString();
  const expiry = defaultExpiry(dates).toISOString();
  const invitations = campaign.invitations.map((i) => (i.expiresAt === old ? { ...i, expiresAt: expiry } : i));
  return changeCampaign(campaign, { ...dates, invitations }, now);
}

/**
 * Gives every unit's report the campaign's dates. Each report is written
 * compare-and-set with its audit entries; one already on the dates is left
 * alone, so running it again (a redelivered update, the same dates sent
 * again) finishes what an interrupted run left, and its officers are not
 * told twice. Returns the reports moved (as they were before) and how many
 * could not be written.
 */
async function replanUnits(ctx: BotContext, campaign: Campaign): Promise<{ moved: StoredReport[]; failed: number }> {
  const moved: StoredReport[] = [];
  let failed = 0;
  for (const unit of campaign.units) {
    const outcome = unit.reportId === undefined ? "kept" : await moveReport(ctx, unit.reportId, campaign);
    if (outcome === "failed") failed++;
    else if (outcome !== "kept") moved.push(outcome);
  }
  return { moved, failed };
}

/** What a unit's officers are told when the district office moves their dates. */
const datesNotice = (campaign: Campaign, report: StoredReport) =>
  `📅 区里改了「${escapeHtml(campaign.name)}」的日期：${datesLine(campaign)}。` +
  `「${escapeHtml(report.draft.org)}」的报告已改用新日期，提醒也按新日期发。`;

/**
 * One unit's report onto the campaign's dates: the report as it was before
 * when moved, kept when it is on them already (or gone), failed when it kept changing.
 */
async function moveReport(
  ctx: BotContext,
  reportId: string,
  campaign: Campaign,
): Promise<StoredReport | "kept" | "failed"> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const report = await ctx.deps.store.getReport(reportId);
    if (!report || (report.dueDate === campaign.dueDate && report.deadline === campaign.deadline)) return "kept";
    const change = {
      dueDate: campaign.dueDate,
      deadline: campaign.deadline,
      deadlinesSetAt: ctx.deps.now().toISOString(),
    };
    const written = await ctx.deps.store.updateReport(
      report.id,
      report.version,
      change,
      datesAudit(ctx, report, campaign),
      report,
    );
    if (written.ok) return report;
  }
  return "failed";
}

function datesAudit(ctx: BotContext, report: StoredReport, campaign: Campaign): AuditEntry[] {
  const entries: AuditEntry[] = [];
  if (report.dueDate !== campaign.dueDate)
    entries.push(auditEntry(ctx, settingTarget("dueDate"), report.dueDate, campaign.dueDate));
  if (report.deadline !== campaign.deadline)
    entries.push(auditEntry(ctx, settingTarget("deadline"), report.deadline, campaign.deadline));
  return entries;
}

const datesLine = (d: CampaignDates) => `内部截止 ${chineseDate(d.dueDate)}，公开截止 ${chineseDate(d.deadline)}`;

async function changeDates(ctx: BotContext, campaignId: string, dates: CampaignDates): Promise<void> {
  const now = ctx.deps.now();
  const result = await commitCampaign(ctx, campaignId, (campaign) => {
    const decision = decideFor(ctx, "manage", { campaign });
    if (!decision.ok) return decision.message;
    // The same dates again still finish the units an interrupted change left.
    if (campaign.dueDate === dates.dueDate && campaign.deadline === dates.deadline) return {};
    return { campaign: { next: withDeadline(campaign, dates, now) } };
  });
  if (!result.ok) {
    await ctx.reply(escapeHtml(result.reason));
    return;
  }
  const { moved, failed } = await replanUnits(ctx, result.campaign);
  const lines = [
    `✅ 「${escapeHtml(result.campaign.name)}」现在是：${datesLine(result.campaign)}。`,
    `${moved.length} 个单位的报告已改用新日期，提醒按新日期重新安排；还没人加入的单位，加入时就用新日期。`,
  ];
  if (failed > 0) lines.push(`有 ${failed} 个单位这次没有改成（报告正被修改），请再发一次 /dates 和同样的日期。`);
  // The administrator hears at once; telling a district's officers one by one can take a minute.
  if (moved.length > 0) lines.push("正在通知这些单位的填报人，发完告诉你。");
  await ctx.reply(lines.join("\n"));
  let told = 0;
  let missed = 0;
  for (const report of moved) {
    const counts = await tellMembers(ctx, report, datesNotice(result.campaign, report));
    told += counts.told;
    missed += counts.missed;
  }
  ctx.log.info({ campaignId, moved: moved.length, failed, told, missed }, "campaign dates changed");
  if (moved.length === 0) return;
  await ctx.reply(
    missed > 0
      ? `📨 已通知 ${told} 位填报人；${missed} 位没有收到（可能停用了机器人），请另行告诉他们。`
      : `📨 已通知 ${told} 位填报人。`,
  );
}

async function datesConversation(
  conversation: Conversation<BotContext, Context>,
  ctx: Context,
  campaignId: string,
): Promise<void> {
  const current = await conversation.external(async (outer) => {
    const campaign = await outer.deps.store.getCampaign(campaignId);
    if (!campaign || !decideFor(outer, "manage", { campaign }).ok) return null;
    return { name: campaign.name, year: campaign.year, dueDate: campaign.dueDate, deadline: campaign.deadline };
  });
  if (!current) {
    await ctx.reply("这项年报工作已不存在。");
    return;
  }
  await ctx.reply(
    [
      `「${escapeHtml(current.name)}」现在：${datesLine(current)}。`,
      "请发新的日期，可以只写要改的一行：",
      `<pre>内部截止：${current.dueDate}\n公开截止：${current.deadline}</pre>`,
      "各单位的报告和提醒会跟着改。发 /cancel 取消。",
    ].join("\n"),
  );
  for (;;) {
    const answer = await conversation.waitFor("message:text", {
      otherwise: (c) => c.reply("请发文字消息，或发 /cancel 取消。"),
    });
    const parsed = parseDatesForm(answer.message.text, current);
    if (!parsed.ok) {
      await answer.reply(`${escapeHtml(parsed.message)}\n请改好后再发一次，或发 /cancel 取消。`);
      continue;
    }
    const { dates } = parsed;
    await conversation.external((outer) => changeDates(outer, campaignId, dates));
    return;
  }
}

export function campaignDatesFeature(): Composer<BotContext> {
  const composer = new BotComposer<BotContext>();
  composer.use(registerWizard(datesConversation, EDIT_CAMPAIGN_DATES));
  composer.command("dates", async (ctx) => {
    const campaigns = (await ctx.deps.store.listCampaigns()).filter(
      (campaign) => decideFor(ctx, "manage", { campaign }).ok,
    );
    if (campaigns.length === 0) {
      const admin = decideFor(ctx, "create_campaign", {});
      await ctx.reply(admin.ok ? "还没有年报工作。发 /campaign 新建。" : admin.message);
      return;
    }
    await chooseCampaign(
      ctx,
      campaigns,
      (c) => encodeCallback("campaignDates", c.id),
      (c) => ctx.conversation.enter(EDIT_CAMPAIGN_DATES, c.id),
    );
  });
  composer.on("callback_query:data", async (ctx, next) => {
    const callback = decodeCallback(ctx.callbackQuery.data);
    if (callback?.action !== "campaignDates") return next();
    const campaign = await campaignToManage(ctx, callback.reportId);
    if (campaign) await ctx.conversation.enter(EDIT_CAMPAIGN_DATES, campaign.id);
  });
  return composer;
}
