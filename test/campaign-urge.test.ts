import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { flows } from "../flows/index.js";
import { encodeCallback } from "../src/bot/callback-data.js";
import { type Campaign, changeCampaign, newCampaign } from "../src/campaign/campaign.js";
import { planUrge } from "../src/campaign/urge.js";
import { ReminderRunner } from "../src/reminders/runner.js";
import { RedisStore } from "../src/store/redis-store.js";
import { newCampaignId, type Store } from "../src/store/store.js";
import { type Harness, startHarness } from "./support/bot-harness.js";
import type { Officer } from "./support/fake-telegram.js";
import { REDIS_URL } from "./support/redis-url.js";

/**
 * 催办 (issue 10 point 4): at most once a day per unit, made once by the
 * campaign's compare-and-set (two supervisors tapping at once, or two
 * instances, send one), and never at night: a tap then is queued for 08:00
 * Beijing and the supervisor is told so.
 */

const SUPERVISOR = 2;
const OTHER_SUPERVISOR = 3;
const OFFICERS = [10, 11];

/** A campaign of two units; the first has a report with two officers. */
async function seedCampaign(store: Store, now: Date): Promise<Campaign> {
  const c0 = newCampaign(
    newCampaignId(),
    {
      name: "西湖区年报",
      year: 2026,
      dueDate: "2027-01-15",
      units: ["甲街道", "乙镇"],
      supervisors: [SUPERVISOR, OTHER_SUPERVISOR],
    },
    1,
    now,
  );
  const report = await store.createReport({
    draft: { format: "2021", org: "甲街道", year: 2026, narrative: {}, cells: {} },
    members: OFFICERS,
    campaign: { id: c0.id, unitId: "u1" },
  });
  const c = changeCampaign(
    c0,
    { units: c0.units.map((u) => (u.id === "u1" ? { ...u, reportId: report.id } : u)) },
    now,
  );
  const written = await store.commit(
    { userId: 1, updateId: Math.floor(Math.random() * 1e9), ack: "" },
    { campaign: { next: { ...c, version: 1 } } },
  );
  expect(written.status).toBe("applied");
  return { ...c, version: 1 };
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const answerOf = (officer: Officer, queryId: string) =>
  until(`the answer to ${queryId}`, () => officer.answers.find((a) => a.id === queryId && a.answer)?.answer?.text);

const urges = (officer: Officer) => officer.replies.filter((r) => r.text.includes("区政务公开办提醒"));

describe("two instances on one Redis", () => {
  it("record one 催办 of a unit a day when both try at once", async () => {
    const prefix = `nianbao-test:${randomBytes(6).toString("hex")}:`;
    const now = new Date("2027-01-10T02:00:00Z");
    const [a, b] = [await RedisStore.connect(REDIS_URL, prefix), await RedisStore.connect(REDIS_URL, prefix)];
    try {
      const campaign = await seedCampaign(a, now);
      // Each instance read the campaign as it was and plans its urge on it.
      const results = await Promise.all(
        [a, b].map((store, i) => {
          const plan = planUrge(campaign, "u1", SUPERVISOR + i, now);
          if (!plan.ok) throw new Error(plan.message);
          return store.commit({ userId: SUPERVISOR + i, updateId: 1, ack: "" }, { campaign: { next: plan.next } });
        }),
      );
      expect(results.map((r) => r.status).sort()).toEqual(["applied", "conflict"]);
      // The one that lost plans again on the campaign as stored: refused for today.
      const stored = await b.getCampaign(campaign.id);
      if (!stored) throw new Error("campaign gone");
      expect(planUrge(stored, "u1", OTHER_SUPERVISOR, now)).toMatchObject({ ok: false, message: /今天已经催办过/ });
      expect(stored.units[0]?.urge?.day).toBe("2027-01-10");
      // The next day it is allowed again.
      expect(planUrge(stored, "u1", OTHER_SUPERVISOR, new Date("2027-01-11T02:00:00Z")).ok).toBe(true);
    } finally {
      await a.close();
      await b.close();
      // Everything under the test's prefix (the campaign, its index, the once-only records), not only reports.
      const raw = new Redis(REDIS_URL);
      const keys = await raw.keys(`${prefix}*`);
      if (keys.length > 0) await raw.del(...keys);
      await raw.quit();
    }
  });
});

describe("催办 through the bot (real Redis)", () => {
  let h: Harness;
  let now = new Date("2027-01-10T02:00:00Z");
  let campaign: Campaign;

  /** The reminder scheduler on the bot's store, recording what it sends and the send-rate slots it was granted per chat. */
  const scheduler = () => {
    const sent: { chatId: number; text: string }[] = [];
    const slots: number[] = [];
    const reminders = h.store.reminders;
    const runner = new ReminderRunner(
      {
        store: Object.assign(Object.create(h.store), {
          reminders: Object.assign(Object.create(reminders), {
            // Only granted slots: a send asked to wait asks again.
            takeSendSlot: async (chatId: number, perSecond: number) => {
              const wait = await reminders.takeSendSlot(chatId, perSecond);
              if (wait === 0) slots.push(chatId);
              return wait;
            },
          }),
        }),
        flows,
        now: () => now,
        logger: pino({ level: "silent" }),
        sendMessage: async (chatId, view) => {
          sent.push({ chatId, text: view.text });
        },
      },
      { perSecond: 1000 },
    );
    return { runner, sent, slots };
  };

  beforeAll(async () => {
    h = await startHarness({ store: "redis", now: () => now, storeNow: () => now });
    campaign = await seedCampaign(h.store, now);
    for (const id of OFFICERS) h.officer(id);
  });
  afterAll(async () => {
    await h.close();
  });

  it("sends one 催办 when two supervisors tap it at once, and refuses a second that day", async () => {
    // 10:00 Beijing.
    const [s1, s2] = [h.officer(SUPERVISOR), h.officer(OTHER_SUPERVISOR)];
    const data = encodeCallback("unit", campaign.id, "ru1");
    const [q1, q2] = [s1.pressData(data, 1), s2.pressData(data, 1)];
    const answers = [await answerOf(s1, q1), await answerOf(s2, q2)].sort();
    expect(answers[0]).toMatch(/今天已经催办过/);
    expect(answers[1]).toMatch(/已催办 甲街道：发给 2 位填报人/);
    for (const id of OFFICERS) await until(`the urge to ${id}`, () => urges(h.officer(id)).length > 0 || undefined);
    await new Promise((r) => setTimeout(r, 200));
    for (const id of OFFICERS) expect(urges(h.officer(id))).toHaveLength(1);
    // A unit nobody joined has nobody to remind.
    const q3 = s1.pressData(encodeCallback("unit", campaign.id, "ru2"), 1);
    expect(await answerOf(s1, q3)).toMatch(/还没有人加入/);
  });

  it("at night queues the 催办 for 08:00 and says so; the scheduler sends it then, once", async () => {
    // 22:00 Beijing on the 10th.
    now = new Date("2027-01-10T14:00:00Z");
    const s1 = h.officer(SUPERVISOR);
    const data = encodeCallback("unit", campaign.id, "ru1");
    const q1 = s1.pressData(data, 1);
    expect(await answerOf(s1, q1)).toMatch(/现在是夜间，明早 8:00 发出/);
    const q2 = h.officer(OTHER_SUPERVISOR).pressData(data, 1);
    expect(await answerOf(h.officer(OTHER_SUPERVISOR), q2)).toMatch(/已经安排好了，明早 8:00 发出/);
    const stored = await h.store.getCampaign(campaign.id);
    expect(stored?.units[0]?.urge).toMatchObject({ day: "2027-01-11", at: "2027-01-11T00:00:00.000Z" });
    for (const id of OFFICERS) expect(urges(h.officer(id))).toHaveLength(1);

    const { runner, sent, slots } = scheduler();
    // 07:59: still night.
    now = new Date("2027-01-10T23:59:00Z");
    await runner.tick();
    expect(sent.filter((s) => s.text.includes("区政务公开办提醒"))).toEqual([]);
    // 08:00: sent to each officer, through the shared send rate.
    now = new Date("2027-01-11T00:00:00Z");
    await runner.tick();
    await runner.tick();
    const morning = sent.filter((s) => s.text.includes("区政务公开办提醒"));
    expect(morning.map((s) => s.chatId).sort()).toEqual(OFFICERS);
    for (const id of OFFICERS) expect(slots).toContain(id);
    // The morning's urge counts for the day: no second one.
    const q3 = s1.pressData(data, 1);
    expect(await answerOf(s1, q3)).toMatch(/今天已经催办过/);
  });

  it("sends the supervisors' digest through the shared send rate, like the reminders", async () => {
    const { runner, sent, slots } = scheduler();
    // 16 January, 10:00 Beijing: the day after the internal due date.
    now = new Date("2027-01-16T02:00:00Z");
    await runner.tick();
    const digests = sent.filter((s) => s.text.includes("还有 2 个单位未提交"));
    expect(digests.map((s) => s.chatId).sort()).toEqual([SUPERVISOR, OTHER_SUPERVISOR]);
    expect(slots.filter((id) => id === SUPERVISOR || id === OTHER_SUPERVISOR).sort()).toEqual([
      SUPERVISOR,
      OTHER_SUPERVISOR,
    ]);
  });
});
