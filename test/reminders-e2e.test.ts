import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { fileClock } from "../src/clock.js";
import type { Draft } from "../src/form/draft.js";
import { draftFingerprint } from "../src/form/report-state.js";
import { openStore } from "../src/store/open-store.js";
import type { Store, StoredReport } from "../src/store/store.js";
import { BotProcess, waitUntil } from "./support/bot-process.js";
import { setFakeTime } from "./support/fake-clock.js";
import { type FakeTelegram, startFakeTelegram } from "./support/fake-telegram.js";
import { REDIS_URL } from "./support/redis-url.js";

/**
 * Two months of a reminder season in under a minute: a fake clock moves
 * from 1 December to 1 February over several reports, with the bot (which
 * runs a scheduler) and a second scheduler instance on one Redis, both killed
 * and restarted twice on the way; the same on the embedded store with one
 * instance. Every message each officer received is compared with the
 * schedule, step by step.
 */

const TOKEN = "555666777:AARemindersEndToEndTokenOnly_0123456789";

/** A Beijing wall-clock time ("2027-01-17 09:30") as a Date. */
const bj = (s: string) => new Date(`${s.replace(" ", "T")}:00+08:00`);

const OFFICERS = { both: 101, finishes: 102, muted: 103, blocked: 104, internal: 105, lastYear: 106 } as const;

const draft = (org: string, year = 2026, cells: Record<string, number> = { "apply.new.natural": 1 }): Draft => ({
  format: "2021",
  org,
  year,
  narrative: {},
  cells,
});

interface Stop {
  at: string;
  /** Start the instances again (they were killed) before moving the clock here. */
  restart?: boolean;
  /** The officer of 乙街道 generates the final document now. */
  finishR2?: boolean;
}

/** The clock's stops: 10:00 and 22:30 each day, with the two outages cut out (restarts are marked). */
function steps(): Stop[] {
  const out: Stop[] = [];
  for (let t = Date.parse("2026-12-01T00:00:00Z"); t <= Date.parse("2027-02-01T00:00:00Z"); t += 86_400_000) {
    const day = new Date(t).toISOString().slice(0, 10);
    // Outage 1: down from 16 January night to 17 January 23:00 (restart at night); the 14-day stage is missed.
    if (day === "2027-01-17") {
      out.push({ at: `${day} 23:00`, restart: true });
      continue;
    }
    if (day === "2027-01-18") out.push({ at: `${day} 08:30` });
    // Outage 2: down from 23 January night to 28 January 12:00; the 7-day stage is superseded by the 3-day one.
    if (day >= "2027-01-24" && day <= "2027-01-27") continue;
    if (day === "2027-01-28") {
      out.push({ at: `${day} 12:00`, restart: true }, { at: `${day} 22:30` });
      continue;
    }
    out.push({ at: `${day} 10:00`, ...(day === "2027-01-20" ? { finishR2: true } : {}) });
    out.push({ at: `${day} 22:30` });
  }
  return out;
}
const KILL_AFTER = new Set(["2027-01-16 22:30", "2027-01-23 22:30"]);

/** Expected: the stops at which each officer receives one message, and a phrase it must hold. */
const INTERNAL_AND_PUBLICATION: [string, string][] = [
  ["2026-12-16 10:00", "距内部截止还有 30 天"],
  ["2027-01-01 10:00", "距内部截止还有 14 天"],
  ["2027-01-08 10:00", "距内部截止还有 7 天"],
  ["2027-01-12 10:00", "距内部截止还有 3 天"],
  ["2027-01-14 10:00", "距内部截止还有 1 天"],
  ["2027-01-15 10:00", "距内部截止就是今天"],
  ["2027-01-18 08:30", "距截止还有 13 天"],
  ["2027-01-28 12:00", "距截止还有 3 天"],
  ["2027-01-30 10:00", "距截止还有 1 天"],
  ["2027-01-31 10:00", "距截止就是今天"],
];
const EXPECTED: Record<number, [string, string][]> = {
  [OFFICERS.both]: INTERNAL_AND_PUBLICATION,
  [OFFICERS.internal]: INTERNAL_AND_PUBLICATION,
  [OFFICERS.finishes]: [
    ["2027-01-01 10:00", "距截止还有 30 天"],
    ["2027-01-18 08:30", "距截止还有 13 天"],
  ],
  [OFFICERS.muted]: [],
  [OFFICERS.blocked]: [],
  [OFFICERS.lastYear]: [["2026-12-01 10:00", "甲街道 2026年度</b>的年报可以开始填了"]],
};

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

async function deleteRedisKeys(prefix: string): Promise<void> {
  const { Redis } = await import("ioredis");
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
}

/** Reports of the season, stored as the bot would have stored them on 1 December. */
async function seed(store: Store): Promise<{ r2: StoredReport }> {
  const { both, finishes, muted, blocked, internal, lastYear } = OFFICERS;
  await store.createReport({ draft: draft("甲街道"), members: [both], deadline: "2027-01-31" });
  const r2 = await store.createReport({ draft: draft("乙街道"), members: [finishes], deadline: "2027-01-31" });
  const r3 = await store.createReport({ draft: draft("丙街道"), members: [muted], deadline: "2027-01-31" });
  const mutedResult = await store.updateReport(r3.id, r3.version, { muted: [muted] }, []);
  expect(mutedResult.ok).toBe(true);
  await store.createReport({ draft: draft("丁街道"), members: [blocked], deadline: "2027-01-31" });
  const r5 = await store.createReport({ draft: draft("戊镇"), members: [internal, both], deadline: "2027-01-31" });
  expect((await store.updateReport(r5.id, r5.version, { dueDate: "2027-01-15" }, [])).ok).toBe(true);
  const done = draft("甲街道", 2025, { "apply.new.natural": 3 });
  const r6 = await store.createReport({ draft: done, members: [lastYear], deadline: "2026-01-31" });
  const finalized = { at: "2026-01-20T02:00:00.000Z", fingerprint: draftFingerprint(done) };
  expect((await store.updateReport(r6.id, r6.version, { finalized }, [])).ok).toBe(true);
  return { r2 };
}

describe.each(["redis", "embedded"] as const)("a reminder season on the %s store", (kind) => {
  it("sends each due reminder exactly once at its stage: none at night, to finished, muted or blocked officers; a missed stage once after a restart, a superseded one never", async () => {
    const fake: FakeTelegram = await startFakeTelegram({ token: TOKEN });
    cleanups.push(() => fake.close());
    const dir = mkdtempSync(join(tmpdir(), "nianbao-reminders-"));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const clockFile = join(dir, "now");
    setFakeTime(clockFile, bj("2026-12-01 08:00"));
    const prefix = `nianbao-reminders:${randomBytes(6).toString("hex")}:`;
    if (kind === "redis") cleanups.push(() => deleteRedisKeys(prefix));
    for (const id of Object.values(OFFICERS)) fake.user({ id, first_name: `科员${id}` });
    fake.refuse({
      method: "sendMessage",
      status: 403,
      times: 1000,
      when: (p) => Number(p.chat_id) === OFFICERS.blocked,
    });

    const store = await openStore({
      ...(kind === "redis" ? { redisUrl: REDIS_URL } : {}),
      redisPrefix: prefix,
      dataDir: join(dir, "data"),
      now: fileClock(clockFile),
    });
    cleanups.push(() => store.close());
    const { r2 } = await seed(store);

    const env = {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? dir,
      BOT_TOKEN: TOKEN,
      TELEGRAM_API_ROOT: fake.apiRoot,
      LOG_LEVEL: "info",
      NIANBAO_FAKE_CLOCK_FILE: clockFile,
      REMINDER_TICK_MS: "40",
      ...(kind === "redis"
        ? { REDIS_URL, REDIS_PREFIX: prefix, REDIS_ALLOW_NO_AOF: "1" }
        : { DATA_DIR: join(dir, "data") }),
    };
    // The bot polls and runs a scheduler; on Redis a second scheduler instance runs beside it.
    const instances = [new BotProcess(fake, env, "src/main.ts")];
    if (kind === "redis") instances.push(new BotProcess(fake, env, "src/scheduler.ts"));
    for (const p of instances) cleanups.push(() => p.stop());
    const startAll = () => Promise.all(instances.map((p) => p.start()));
    await startAll();

    /** Both instances have finished a look at the reminders at this fake time. */
    const ticked = (p: BotProcess, iso: string, from: number) =>
      p.logLines.slice(from).some((l) => l.includes('"msg":"reminders tick"') && l.includes(`"now":"${iso}"`));

    const received = new Map<number, { at: string; text: string }[]>();
    const seen = new Map<number, number>();
    const collect = (at: string) => {
      for (const id of Object.values(OFFICERS)) {
        const events = fake.chat(id)?.events ?? [];
        const from = seen.get(id) ?? 0;
        for (const e of events.slice(from)) received.set(id, [...(received.get(id) ?? []), { at, text: e.rawText }]);
        seen.set(id, events.length);
      }
    };

    let down = false;
    for (const step of steps()) {
      if (step.restart && down) {
        setFakeTime(clockFile, bj(step.at));
        await startAll();
        down = false;
      }
      if (step.finishR2) {
        const current = (await store.getReport(r2.id))!;
        const finalized = { at: bj(step.at).toISOString(), fingerprint: draftFingerprint(current.draft) };
        expect((await store.updateReport(r2.id, current.version, { finalized }, [])).ok).toBe(true);
      }
      const marks = instances.map((p) => p.logLines.length);
      const iso = bj(step.at).toISOString();
      setFakeTime(clockFile, iso);
      await waitUntil(() => instances.every((p, i) => ticked(p, iso, marks[i] ?? 0)), 20_000);
      collect(step.at);
      if (KILL_AFTER.has(step.at)) {
        for (const p of instances) await p.kill();
        down = true;
      }
    }

    for (const [officer, expected] of Object.entries(EXPECTED)) {
      const got = received.get(Number(officer)) ?? [];
      expect(
        got.map((m) => m.at),
        `officer ${officer}`,
      ).toEqual(expected.map(([at]) => at));
      got.forEach((m, i) => {
        expect(m.text, `officer ${officer} at ${m.at}`).toContain(expected[i]?.[1]);
      });
    }
    // Nothing at night: every message came at a daytime stop.
    for (const messages of received.values())
      for (const m of messages) expect(Number(m.at.slice(11, 13))).toBeGreaterThanOrEqual(8);
    // An officer in two units gets one message listing both.
    const first = received.get(OFFICERS.both)?.find((m) => m.at === "2027-01-01 10:00");
    expect(first?.text).toContain("甲街道 2026年度");
    expect(first?.text).toContain("戊镇 2026年度");
    // The blocked officer was tried once, then marked inactive and never tried again.
    const toBlocked = fake.calls.filter((c) => c.method === "sendMessage" && Number(c.params.chat_id) === 104);
    expect(toBlocked).toHaveLength(1);
    expect((await store.reminders.inactive([OFFICERS.blocked])).has(OFFICERS.blocked)).toBe(true);
    for (const p of instances) expect(p.errorLogs()).toEqual([]);
  }, 180_000);
});
