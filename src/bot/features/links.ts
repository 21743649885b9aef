import { type Composer, InlineKeyboard } from "grammy";
import { type Campaign, changeCampaign, unitOf } from "../../campaign/campaign.js";
import { joinLink, newInvitation, revokeInvitations } from "../../campaign/invitation.js";
import { decodeCallback, encodeCallback } from "../callback-data.js";
import { campaignToManage, chooseCampaign, commitCampaign, decideFor } from "../campaign-access.js";
import { BotComposer } from "../composer.js";
import type { BotContext } from "../context.js";
import { escapeHtml } from "../html.js";

/**
 * /links for administrators: a new invitation link for one unit (or for
 * supervisors), which revokes the ones handed out before, e.g. when a link
 * was forwarded to the wrong person or has expired.
 */

const UNITS_SHOWN = 60;

async function showUnits(ctx: BotContext, campaign: Campaign): Promise<void> {
  const keyboard = new InlineKeyboard().text("审核人链接", encodeCallback("links", campaign.id, "s")).row();
  campaign.units.slice(0, UNITS_SHOWN).forEach((u, i) => {
    keyboard.text(u.name.slice(0, 20), encodeCallback("links", campaign.id, u.id));
    if (i % 2 === 1) keyboard.row();
  });
  await ctx.reply(
    `「${escapeHtml(campaign.name)}」：给哪个单位换新的邀请链接？旧链接会立即失效，已加入的人不受影响。`,
    { reply_markup: keyboard },
  );
}

export function linksFeature(): Composer<BotContext> {
  const composer = new BotComposer<BotContext>();
  composer.command("links", async (ctx) => {
    const campaigns = (await ctx.deps.store.listCampaigns()).filter(
      (c) => decideFor(ctx, "manage", { campaign: c }).ok,
    );
    if (campaigns.length === 0) {
      await ctx.reply(
        decideFor(ctx, "create_campaign", {}).ok
          ? "还没有年报工作。发 /campaign 新建。"
          : "只有管理员可以管理邀请链接。",
      );
      return;
    }
    await chooseCampaign(
      ctx,
      campaigns,
      (c) => encodeCallback("linksOf", c.id),
      (c) => showUnits(ctx, c),
    );
  });
  composer.on("callback_query:data", async (ctx, next) => {
    const callback = decodeCallback(ctx.callbackQuery.data);
    if (callback?.action !== "links" && callback?.action !== "linksOf") return next();
    const unitId = callback.action === "links" && callback.arg !== "s" ? callback.arg : undefined;
    const campaign = await campaignToManage(ctx, callback.reportId, unitId);
    if (!campaign) return;
    if (callback.action === "linksOf") return showUnits(ctx, campaign);
    const role = unitId ? "officer" : "supervisor";
    let token = "";
    const result = await commitCampaign(ctx, campaign.id, (current) => {
      const now = ctx.deps.now();
      const made = newInvitation(current, role, unitId, ctx.from.id, now);
      token = made.token;
      const kept = revokeInvitations(current.invitations, (i) => i.role === role && i.unitId === unitId, now);
      return { campaign: { next: changeCampaign(current, { invitations: [...kept, made.invitation] }, now) } };
    });
    if (!result.ok) {
      await ctx.reply(result.reason);
      return;
    }
    if (result.repeated) return;
    const who = unitId ? (unitOf(campaign, unitId)?.name ?? "") : "审核人";
    ctx.log.info({ campaignId: campaign.id, unitId: unitId ?? "supervisors" }, "invitation renewed");
    await ctx.reply(
      `新的邀请链接（${escapeHtml(who)}），旧链接已失效：\n${escapeHtml(joinLink(ctx.me.username, token))}`,
      { link_preview_options: { is_disabled: true } },
    );
  });
  return composer;
}
