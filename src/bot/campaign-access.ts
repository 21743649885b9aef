import { InlineKeyboard } from "grammy";
import { type Action, type Actor, type Decision, decide, type Target } from "../campaign/access.js";
import type { Campaign } from "../campaign/campaign.js";
import type { Commit, Origin, StoredReport } from "../store/store.js";
import type { BotContext } from "./context.js";

/**
 * Loading what a campaign handler acts on and asking the one access rule
 * (campaign/access.ts). Callback data and deep links only name ids: the
 * report and the campaign are read from the store here, never trusted.
 */

export const actorOf = (ctx: BotContext): Actor => ({ userId: ctx.from?.id ?? 0, admins: ctx.deps.admins ?? [] });

export const originOf = (ctx: BotContext): Origin => ({
  userId: ctx.from?.id ?? 0,
  updateId: ctx.update.update_id,
  ack: "",
});

/** A report and the campaign it names (absent ones stay absent). */
export async function loadTarget(ctx: BotContext, reportId: string): Promise<Target & { report?: StoredReport }> {
  const report = await ctx.deps.store.getReport(reportId);
  const campaign = report?.campaign ? await ctx.deps.store.getCampaign(report.campaign.id) : undefined;
  return { ...(report ? { report } : {}), ...(campaign ? { campaign } : {}) };
}

export const decideFor = (ctx: BotContext, action: Action, target: Target): Decision =>
  decide(actorOf(ctx), action, target);

/** The campaigns the user supervises (or, as an administrator, manages), newest first. */
export async function supervisedCampaigns(ctx: BotContext): Promise<Campaign[]> {
  const all = await ctx.deps.store.listCampaigns();
  return all.filter((campaign) => decideFor(ctx, "supervise", { campaign }).ok);
}

/** Campaigns offered as buttons at once: a district runs a few a year. */
const CHOICES = 10;

/**
 * The campaign a command is about: the only one of `campaigns`, or buttons to
 * choose one (each `button(campaign)` is its callback data, handled by the
 * command's feature, which checks the access rule again).
 */
export async function chooseCampaign(
  ctx: BotContext,
  campaigns: readonly Campaign[],
  button: (campaign: Campaign) => string,
  then: (campaign: Campaign) => Promise<void>,
): Promise<void> {
  const [only] = campaigns;
  if (only && campaigns.length === 1) return then(only);
  const keyboard = new InlineKeyboard();
  for (const c of campaigns.slice(0, CHOICES)) keyboard.text(c.name.slice(0, 30), button(c)).row();
  await ctx.reply("你有多项年报工作，请选一项：", { reply_markup: keyboard });
}

/**
 * The campaign a button names, when the user may manage it (or that unit of
 * it); otherwise the tap is answered with the refusal and nothing is returned.
 */
export async function campaignToManage(
  ctx: BotContext & { callbackQuery: object },
  campaignId: string,
  unitId?: string,
): Promise<Campaign | undefined> {
  const campaign = await ctx.deps.store.getCampaign(campaignId);
  const decision = decideFor(ctx, "manage", { campaign, ...(unitId ? { unitId } : {}) });
  if (decision.ok && campaign) {
    await ctx.answerCallbackQuery();
    return campaign;
  }
  await ctx.answerCallbackQuery({
    text: decision.ok ? "这项年报工作已不存在。" : decision.message,
    show_alert: true,
  });
  return undefined;
}

export const NO_CAMPAIGN = "你不是任何年报工作的审核人。请向区政务公开办索取新的邀请链接。";

const ATTEMPTS = 3;

/**
 * A once-only write about a campaign, planned on the campaign as stored and
 * planned again after a conflict. `plan` returns a string to refuse.
 * `repeated`: this update was applied before (Telegram delivered it again).
 */
export async function commitCampaign(
  ctx: BotContext,
  campaignId: string,
  plan: (campaign: Campaign) => Commit | string | Promise<Commit | string>,
): Promise<
  { ok: true; campaign: Campaign; report?: StoredReport; repeated?: boolean } | { ok: false; reason: string }
> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const campaign = await ctx.deps.store.getCampaign(campaignId);
    if (!campaign) return { ok: false, reason: "这项年报工作已不存在。" };
    const commit = await plan(campaign);
    if (typeof commit === "string") return { ok: false, reason: commit };
    const result = await ctx.deps.store.commit(originOf(ctx), commit);
    const now = (await ctx.deps.store.getCampaign(campaignId)) ?? campaign;
    if (result.status === "applied")
      return { ok: true, campaign: now, ...(result.report ? { report: result.report } : {}) };
    if (result.status === "repeat") return { ok: true, campaign: now, repeated: true };
  }
  return { ok: false, reason: "刚才有人同时改动了，请再试一次。" };
}

/** Tells the report's members (the one acting excepted): how many got the message, how many it did not reach. */
export async function tellMembers(
  ctx: BotContext,
  report: StoredReport,
  text: string,
): Promise<{ told: number; missed: number }> {
  const counts = { told: 0, missed: 0 };
  for (const member of report.members) {
    if (member === ctx.from?.id) continue;
    if (await tell(ctx, member, () => ctx.api.sendMessage(member, text))) counts.told++;
    else counts.missed++;
  }
  return counts;
}

/** Sends a message to a user outside this chat; a user who blocked the bot is logged, not an error of this update. */
export async function tell(ctx: BotContext, userId: number, send: () => Promise<unknown>): Promise<boolean> {
  try {
    await send();
    return true;
  } catch (err) {
    ctx.log.warn({ to: userId, code: (err as { error_code?: number }).error_code }, "notification not delivered");
    return false;
  }
}
