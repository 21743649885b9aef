import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { flows } from "../flows/index.js";
import { encodeCallback } from "../src/bot/callback-data.js";
import { type Campaign, changeCampaign, newCampaign } from "../src/campaign/campaign.js";
import { newInvitation } from "../src/campaign/invitation.js";
import { ReminderRunner } from "../src/reminders/runner.js";
import { newCampaignId, type StoredReport } from "../src/store/store.js";
import { type Harness, startHarness } from "./support/bot-harness.js";
import type { Officer } from "./support/fake-telegram.js";

/**
 * An administrator changes a campaign's dates with /dates: the campaign and
 * every unit's report take them, the audit trail says who changed what, and
 * the units' reminders follow the new dates.
 */

const ADMIN = 1;
const SUPERVISOR = 2;
const OFFICER = 10;

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const replyMatching = (officer: Officer, pattern: RegExp) =>
  until(`a reply matching ${pattern}`, () => officer.replies.find((r) => pattern.test(r.text)));

describe("changing a campaign's dates", () => {
  let h: Harness;
  // 5 January 2027, 10:00 Beijing.
  let now = new Date("2027-01-05T02:00:00Z");
  let campaign: Campaign;
  let report: StoredReport;
  const sent: number[] = [];
  let runner: ReminderRunner;

  beforeAll(async () => {
    h = await startHarness({ now: () => now, storeNow: () => now, admins: [ADMIN] });
    const c0 = newCampaign(
      newCampaignId(),
      { name: "西湖区年报", year: 2026, dueDate: "2027-01-15", units: ["甲街道", "乙镇"], supervisors: [SUPERVISOR] },
      ADMIN,
      now,
    );
    report = await h.store.createReport({
      draft: { format: "2021", org: "甲街道", year: 2026, narrative: {}, cells: { "apply.new.natural": 1 } },
      members: [OFFICER],
      campaign: { id: c0.id, unitId: "u1" },
      dueDate: c0.dueDate,
      deadline: c0.deadline,
    });
    const link = newInvitation(c0, "officer", "u2", ADMIN, now);
    campaign = changeCampaign(
      c0,
      {
        units: c0.units.map((u) => (u.id === "u1" ? { ...u, reportId: report.id } : u)),
        invitations: [link.invitation],
      },
      now,
    );
    await h.store.commit({ userId: ADMIN, updateId: 1, ack: "" }, { campaign: { next: { ...campaign, version: 1 } } });
    runner = new ReminderRunner(
      {
        store: h.store,
        flows,
        now: () => now,
        logger: pino({ level: "silent" }),
        sendMessage: async (chatId) => {
          sent.push(chatId);
        },
      },
      { perSecond: 1000 },
    );
    await runner.tick();
  });
  afterAll(async () => {
    await h.close();
  });

  it("refuses anyone but an administrator", async () => {
    const sup = h.officer(SUPERVISOR);
    sup.send("/dates");
    await replyMatching(sup, /只有管理员/);
    const q = sup.pressData(encodeCallback("campaignDates", campaign.id), 1);
    const answer = await until("the answer", () => sup.answers.find((a) => a.id === q && a.answer)?.answer?.text);
    expect(answer).toMatch(/只有管理员/);
    expect((await h.store.getCampaign(campaign.id))?.version).toBe(1);
  });

  it("moves the campaign and every unit's report to the new dates, with the audit trail", async () => {
    const officer = h.officer(OFFICER);
    const admin = h.officer(ADMIN, "管理员");
    admin.send("/dates");
    await replyMatching(admin, /请发新的日期/);
    admin.send("内部截止：2027-01-40");
    await replyMatching(admin, /「内部截止：」请写日期/);
    admin.send("内部截止：2027-02-08");
    await replyMatching(admin, /内部截止不能晚于公开截止/);
    // Telegram makes the officer's notice wait (429): the administrator is answered meanwhile.
    h.fake.refuse({ method: "sendMessage", status: 429, retryAfter: 2, when: (p) => Number(p.chat_id) === OFFICER });
    admin.send("内部截止：2027-01-08\n公开截止：2027-02-05");
    const done = await replyMatching(admin, /✅ 「西湖区年报」现在是/);
    expect(done.text).toContain("内部截止 2027年1月8日，公开截止 2027年2月5日");
    expect(done.text).toContain("1 个单位的报告已改用新日期");
    expect(done.text).toContain("正在通知这些单位的填报人");
    expect(officer.replies.filter((r) => /区里改了/.test(r.text))).toHaveLength(0);
    // The unit's officer hears of it from the bot, not only from the next reminder.
    const notice = await replyMatching(officer, /区里改了「西湖区年报」的日期/);
    expect(notice.text).toContain("内部截止 2027年1月8日，公开截止 2027年2月5日");
    expect(notice.text).toContain("「甲街道」的报告已改用新日期");
    const told = await replyMatching(admin, /📨/);
    expect(told.text).toBe("📨 已通知 1 位填报人。");

    const stored = await h.store.getCampaign(campaign.id);
    expect(stored).toMatchObject({ dueDate: "2027-01-08", deadline: "2027-02-05" });
    // The unit's link expires with the new publication deadline (its end, Beijing).
    expect(stored?.invitations[0]?.expiresAt).toBe("2027-02-05T15:59:00.000Z");
    const after = await h.store.getReport(report.id);
    expect(after).toMatchObject({ dueDate: "2027-01-08", deadline: "2027-02-05", deadlinesSetAt: now.toISOString() });
    const trail = await h.store.history(report.id, 10);
    expect(trail.map((e) => [e.target, e.old, e.new, e.by])).toEqual(
      expect.arrayContaining([
        ["settings.dueDate", "2027-01-15", "2027-01-08", ADMIN],
        ["settings.deadline", "2027-01-31", "2027-02-05", ADMIN],
      ]),
    );
  });

  it("tells no officer again when the same dates are sent again", async () => {
    const admin = h.officer(ADMIN, "管理员");
    const before = admin.replies.length;
    admin.send("/dates");
    await until("the question", () => admin.replies.slice(before).find((r) => /请发新的日期/.test(r.text)));
    admin.send("内部截止：2027-01-08\n公开截止：2027-02-05");
    const done = await until("the reply", () => admin.replies.slice(before).find((r) => /✅/.test(r.text)));
    expect(done.text).toContain("0 个单位的报告已改用新日期");
    expect(done.text).not.toContain("正在通知");
    expect(h.officer(OFFICER).replies.filter((r) => /区里改了/.test(r.text))).toHaveLength(1);
    // Nothing to count: the reply above was the last (a later message would be a second reply).
    admin.send("/help");
    await until("the help", () => admin.replies.slice(before).find((r) => /\/dates|\/new/.test(r.text)));
    expect(admin.replies.slice(before).filter((r) => /📨/.test(r.text))).toHaveLength(0);
  });

  it("does not let a unit's officer change the dates the campaign sets", async () => {
    const officer = h.officer(OFFICER);
    const before = await h.store.getReport(report.id);
    for (const field of ["dueDate", "deadline"] as const) {
      const q = officer.pressData(encodeCallback("settings", report.id, field), 1);
      const answer = await until("the answer", () => officer.answers.find((a) => a.id === q && a.answer)?.answer?.text);
      expect(answer).toMatch(/截止日期由区政务公开办统一设定/);
    }
    expect((await h.store.getReport(report.id))?.version).toBe(before?.version);
  });

  it("re-plans the units' reminders on the new dates", async () => {
    // 7 January, 10:00: the day before the new due date (the old one, 15 January, has no stage today).
    now = new Date("2027-01-07T02:00:00Z");
    await runner.tick();
    expect(sent).toEqual([OFFICER]);
  });

  it("tells the administrator how many officers the notice did not reach", async () => {
    const admin = h.officer(ADMIN, "管理员");
    const before = admin.replies.length;
    h.fake.refuse({ method: "sendMessage", status: 403, when: (p) => Number(p.chat_id) === OFFICER });
    admin.send("/dates");
    await until("the question", () => admin.replies.slice(before).find((r) => /请发新的日期/.test(r.text)));
    admin.send("内部截止：2027-01-12");
    const told = await until("the count", () => admin.replies.slice(before).find((r) => /📨/.test(r.text)));
    expect(told.text).toBe("📨 已通知 0 位填报人；1 位没有收到（可能停用了机器人），请另行告诉他们。");
    expect((await h.store.getReport(report.id))?.dueDate).toBe("2027-01-12");
  });
});
