import type { Conversation } from "@grammyjs/conversations";
import type { Composer, Context } from "grammy";
import { type CampaignInput, newCampaign } from "../../campaign/campaign.js";
import { CAMPAIGN_FORM_EXAMPLE, parseCampaignForm } from "../../campaign/campaign-form.js";
import { joinLink, newInvitation } from "../../campaign/invitation.js";
import { chineseDate } from "../../form/deadline.js";
import { MESSAGE_LIMIT } from "../../report/split-text.js";
import { newCampaignId } from "../../store/store.js";
import { decideFor, originOf } from "../campaign-access.js";
import { BotComposer } from "../composer.js";
import type { BotContext } from "../context.js";
import { escapeHtml, packLines } from "../html.js";
import { CREATE_CAMPAIGN, registerWizard } from "../wizards.js";

/**
 * /campaign for administrators (BOT_ADMINS): one pasted message with the
 * name, year, dates and units creates the campaign, an invitation link per
 * unit and one for supervisors. Links are shown once: only digests are kept.
 */

async function createCampaign(ctx: BotContext, input: CampaignInput): Promise<void> {
  const userId = ctx.from?.id ?? 0;
  const decision = decideFor(ctx, "create_campaign", {});
  if (!decision.ok) {
    await ctx.reply(decision.message);
    return;
  }
  const now = ctx.deps.now();
  const base = newCampaign(newCampaignId(), input, userId, now);
  const officers = base.units.map((u) => ({ unit: u, ...newInvitation(base, "officer", u.id, userId, now) }));
  const supervisor = newInvitation(base, "supervisor", undefined, userId, now);
  const campaign = { ...base, invitations: [supervisor.invitation, ...officers.map((o) => o.invitation)] };
  const result = await ctx.deps.store.commit(originOf(ctx), { campaign: { next: campaign } });
  if (result.status === "conflict") {
    await ctx.reply("没有创建成功，请再发一次 /campaign。");
    return;
  }
  if (result.status === "repeat") return;
  ctx.log.info({ campaignId: campaign.id, units: campaign.units.length }, "campaign created");
  const bot = ctx.me.username;
  const lines = [
    `✅ 已创建：<b>${escapeHtml(campaign.name)}</b>（${campaign.year} 年度，${campaign.units.length} 个单位）`,
    `内部截止 ${chineseDate(campaign.dueDate)}，公开截止 ${chineseDate(campaign.deadline)}。链接 ${chineseDate(campaign.deadline)} 后失效。`,
    "",
    "<b>审核人邀请链接</b>（发给区政务公开办的审核人）：",
    escapeHtml(joinLink(bot, supervisor.token)),
    "",
    "<b>各单位邀请链接</b>（每个单位一条，发给该单位的填报人；同一单位可多人加入）：",
    ...officers.map((o) => `${escapeHtml(o.unit.name)}：${escapeHtml(joinLink(bot, o.token))}`),
    "",
    "链接只显示这一次，请妥善转发。审核人发 /dashboard 看各单位进度。",
  ];
  for (const message of packLines(lines, MESSAGE_LIMIT))
    await ctx.reply(message, { link_preview_options: { is_disabled: true } });
}

async function campaignConversation(conversation: Conversation<BotContext, Context>, ctx: Context): Promise<void> {
  await ctx.reply(
    `新建年报工作：请按下面的格式发一条消息（复制后改好再发回来），单位每行一个。\n\n<pre>${escapeHtml(CAMPAIGN_FORM_EXAMPLE)}</pre>`,
  );
  for (;;) {
    const answer = await conversation.waitFor("message:text", {
      otherwise: (c) => c.reply("请按格式发文字消息，或发 /cancel 取消。"),
    });
    const parsed = parseCampaignForm(answer.message.text);
    if (!parsed.ok) {
      await answer.reply(`${escapeHtml(parsed.message)}\n请改好后再发一次，或发 /cancel 取消。`);
      continue;
    }
    const input = parsed.input;
    await conversation.external((outer) => createCampaign(outer, input));
    return;
  }
}

export function campaignAdminFeature(): Composer<BotContext> {
  const composer = new BotComposer<BotContext>();
  composer.use(registerWizard(campaignConversation, CREATE_CAMPAIGN));
  composer.command("campaign", async (ctx) => {
    const decision = decideFor(ctx, "create_campaign", {});
    if (!decision.ok) await ctx.reply(decision.message);
    else await ctx.conversation.enter(CREATE_CAMPAIGN);
  });
  return composer;
}
