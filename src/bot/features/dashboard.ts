import { createHash } from "node:crypto";
import { type Composer, InlineKeyboard, InputFile } from "grammy";
import { type Campaign, unitOf } from "../../campaign/campaign.js";
import { dashboardPage, FILTERS, type Filter, isFilter } from "../../campaign/dashboard.js";
import { dashboardRows, unitReports } from "../../campaign/dashboard-rows.js";
import { planUrge, urgeWhen } from "../../campaign/urge.js";
import { draftFingerprint } from "../../form/report-state.js";
import { deliverUrge } from "../../reminders/send-urges.js";
import { collectZip } from "../../report/collect-zip.js";
import { reportTitle } from "../../report/report-text.js";
import type { StoredReport } from "../../store/store.js";
import { decodeCallback, encodeCallback } from "../callback-data.js";
import { chooseCampaign, commitCampaign, decideFor, NO_CAMPAIGN, supervisedCampaigns } from "../campaign-access.js";
import { BotComposer } from "../composer.js";
import type { BotContext } from "../context.js";
import { safeFileName } from "../file-name.js";
import { escapeHtml } from "../html.js";
import { showMembers } from "../members-view.js";
import { writeOnce } from "../once-only.js";
import { documentKey, documentSent, sentJustNow } from "../sent-documents.js";
import type { View } from "../views/question.js";

/**
 * For supervisors: /dashboard lists every unit of their campaign (state,
 * progress, problems, last activity, officers), a page at a time with
 * filters; a unit's buttons give its preview, its .docx and 催办 (at most
 * once a day per unit, never at night). /collect sends the .zip of the
 * approved reports with the roll-up and the .csv.
 */

export type ReportSender = (ctx: BotContext, report: StoredReport) => Promise<void>;

async function showDashboard(ctx: BotContext, campaign: Campaign, filter: Filter, page: number, edit: boolean) {
  const rows = await dashboardRows(ctx.deps, campaign);
  const view = dashboardPage(campaign, rows, filter, page, ctx.deps.now());
  const keyboard = new InlineKeyboard();
  const first = view.page * 5;
  view.rows.forEach((row, i) => {
    const n = first + i + 1;
    keyboard
      .text(`${n} 预览`, encodeCallback("unit", campaign.id, `v${row.unitId}`))
      .text(`${n} 文档`, encodeCallback("unit", campaign.id, `d${row.unitId}`))
      .text(`${n} 催办`, encodeCallback("unit", campaign.id, `r${row.unitId}`))
      .text(`${n} 成员`, encodeCallback("unit", campaign.id, `m${row.unitId}`))
      .row();
  });
  (Object.keys(FILTERS) as Filter[]).forEach((f, i) => {
    keyboard.text(
      f === filter ? `·${FILTERS[f].label}·` : FILTERS[f].label,
      encodeCallback("dashboard", campaign.id, `${f}0`),
    );
    if (i === 2) keyboard.row();
  });
  if (view.pages > 1) {
    keyboard.row();
    if (view.page > 0) keyboard.text("◀ 上一页", encodeCallback("dashboard", campaign.id, `${filter}${view.page - 1}`));
    if (view.page < view.pages - 1)
      keyboard.text("下一页 ▶", encodeCallback("dashboard", campaign.id, `${filter}${view.page + 1}`));
  }
  const text = `<pre>${escapeHtml(view.text)}</pre>`;
  if (edit)
    await ctx
      .editMessageText(text, { reply_markup: keyboard })
      .catch(() => ctx.reply(text, { reply_markup: keyboard }));
  else await ctx.reply(text, { reply_markup: keyboard });
}

/** The supervised campaign a command is about: the only one, or a choice whose button does `button`. */
async function pickCampaign(
  ctx: BotContext,
  button: (campaign: Campaign) => string,
  then: (campaign: Campaign) => Promise<void>,
): Promise<void> {
  const campaigns = await supervisedCampaigns(ctx);
  if (campaigns.length === 0) await ctx.reply(NO_CAMPAIGN);
  else await chooseCampaign(ctx, campaigns, button, then);
}

/**
 * 催办: recorded on the campaign first (compare-and-set: of two taps at once,
 * or on two instances, one gets through), then sent at once, or at 08:00 by
 * the scheduler when it is night. A redelivered tap finishes the sending.
 */
async function urge(ctx: BotContext, campaignId: string, unitId: string): Promise<void> {
  const now = ctx.deps.now();
  const result = await commitCampaign(ctx, campaignId, (campaign) => {
    const plan = planUrge(campaign, unitId, ctx.from?.id ?? 0, now);
    return plan.ok ? { campaign: { next: plan.next } } : plan.message;
  });
  if (!result.ok) {
    await ctx.answerCallbackQuery({ text: result.reason, show_alert: true });
    return;
  }
  const unit = unitOf(result.campaign, unitId);
  if (!unit?.urge || unit.reportId === undefined) {
    await ctx.answerCallbackQuery();
    return;
  }
  if (Date.parse(unit.urge.at) > now.getTime()) {
    ctx.log.info({ campaignId, unitId, at: unit.urge.at }, "urge queued for the morning");
    await ctx.answerCallbackQuery({
      text: `现在是夜间，${urgeWhen(unit.urge, now)} 发出，不打扰填报人休息。`,
      show_alert: true,
    });
    return;
  }
  const sent = await deliverUrge(
    {
      store: ctx.deps.store,
      logger: ctx.log,
      send: (chatId, view) => ctx.api.sendMessage(chatId, view.text, keyboardOf(view)),
    },
    result.campaign,
    unit.reportId,
    unit.urge,
    now,
  );
  ctx.log.info({ campaignId, unitId, sent }, "urged");
  await ctx.answerCallbackQuery({ text: `已催办 ${unit.name}：发给 ${sent} 位填报人。` });
}

const keyboardOf = (view: View) => (view.keyboard ? { reply_markup: view.keyboard } : {});

/** A unit's .docx; a double tap, or the tap delivered again, sends it once. */
async function sendDocx(ctx: BotContext, report: StoredReport): Promise<void> {
  const key = documentKey(ctx, report.id, "unit", draftFingerprint(report.draft));
  if (await sentJustNow(ctx, key, "正在生成……")) return;
  await ctx.replyWithChatAction("upload_document");
  const docx = await ctx.deps.renderDocx(report.draft, {});
  await ctx.replyWithDocument(new InputFile(docx, safeFileName(`${reportTitle(report.draft)}.docx`)));
  documentSent(ctx, key);
  await writeOnce(ctx, {}, "");
}

/** The 汇总.zip; a double tap, or the tap delivered again, sends it once while no unit's report changed. */
async function collect(ctx: BotContext, campaign: Campaign): Promise<void> {
  const reports = await unitReports(ctx.deps.store, campaign);
  const versions = campaign.units.map((u) => {
    const report = reports.get(u.id);
    return report ? `${report.id}.${report.version}` : "-";
  });
  const content = createHash("sha256").update(versions.join(",")).digest("base64url").slice(0, 16);
  const key = documentKey(ctx, campaign.id, "collect", campaign.version, content);
  if (await sentJustNow(ctx, key, "正在汇总……")) return;
  await ctx.replyWithChatAction("upload_document");
  const flow = ctx.deps.flows.flowFor(ctx.deps.flows.formatForYear(campaign.year));
  const units = campaign.units.map((u) => {
    const report = reports.get(u.id);
    const approved = report?.review?.state === "approved" && report.draft.format === flow.format;
    return approved ? { name: u.name, approved: report.draft } : { name: u.name };
  });
  const result = await collectZip({
    flow,
    title: { org: `${campaign.name}（汇总）`, year: campaign.year },
    units,
    // The render pool works on several documents at once.
    render: (_flow, draft) => ctx.deps.renderDocx(draft, {}),
  });
  ctx.log.info({ campaignId: campaign.id, included: result.included.length, bytes: result.zip.length }, "collected");
  const missing =
    result.missing.length > 0
      ? `\n未计入（尚未通过）${result.missing.length} 个：${result.missing.slice(0, 30).join("、")}${result.missing.length > 30 ? "……" : ""}`
      : "";
  await ctx.replyWithDocument(new InputFile(result.zip, safeFileName(`${campaign.name}汇总.zip`)), {
    caption: escapeHtml(
      `已汇总 ${result.included.length} 个已通过单位：各单位报告和数据文件、汇总报告、各单位数据.csv。${missing}`,
    ).slice(0, 1000),
  });
  documentSent(ctx, key);
  await writeOnce(ctx, {}, "");
}

export function dashboardFeature(preview: ReportSender): Composer<BotContext> {
  const composer = new BotComposer<BotContext>();
  composer.command("dashboard", (ctx) =>
    pickCampaign(
      ctx,
      (c) => encodeCallback("dashboard", c.id, "a0"),
      (c) => showDashboard(ctx, c, "a", 0, false),
    ),
  );
  composer.command("collect", (ctx) =>
    pickCampaign(
      ctx,
      (c) => encodeCallback("collect", c.id),
      (c) => collect(ctx, c),
    ),
  );

  composer.on("callback_query:data", async (ctx, next) => {
    const callback = decodeCallback(ctx.callbackQuery.data);
    if (callback?.action !== "dashboard" && callback?.action !== "unit" && callback?.action !== "collect")
      return next();
    const campaign = await ctx.deps.store.getCampaign(callback.reportId);
    const unitId = callback.action === "unit" ? callback.arg.slice(1) : undefined;
    const decision = decideFor(ctx, "supervise", { campaign, ...(unitId ? { unitId } : {}) });
    if (!decision.ok || !campaign) {
      ctx.log.info({ refusal: decision.ok ? "gone" : decision.refusal }, "dashboard refused");
      await ctx.answerCallbackQuery({ text: decision.ok ? NO_CAMPAIGN : decision.message, show_alert: true });
      return;
    }
    if (callback.action === "collect") {
      await collect(ctx, campaign);
      return;
    }
    if (callback.action === "dashboard") {
      const filter = callback.arg.slice(0, 1);
      await ctx.answerCallbackQuery();
      await showDashboard(ctx, campaign, isFilter(filter) ? filter : "a", Number(callback.arg.slice(1)), true);
      return;
    }
    const kind = callback.arg.slice(0, 1);
    if (kind === "r") return urge(ctx, campaign.id, unitId ?? "");
    const unit = unitId === undefined ? undefined : unitOf(campaign, unitId);
    const report = unit?.reportId === undefined ? undefined : await ctx.deps.store.getReport(unit.reportId);
    if (!report) {
      await ctx.answerCallbackQuery({ text: "这个单位还没有人加入。", show_alert: true });
      return;
    }
    if (kind === "d") return sendDocx(ctx, report);
    await ctx.answerCallbackQuery();
    if (kind === "v") await preview(ctx, report);
    else if (kind === "m") await showMembers(ctx, report);
  });
  return composer;
}
