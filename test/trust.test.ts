import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { flowFor } from "../flows/index.js";
import { formSteps } from "../src/form/form-steps.js";
import { openStore } from "../src/store/open-store.js";
import type { StoredReport } from "../src/store/store.js";
import { type Harness, startHarness } from "./support/bot-harness.js";
import { BotProcess, waitUntil } from "./support/bot-process.js";
import { startFakeTelegram } from "./support/fake-telegram.js";
import { PrivateRedis } from "./support/private-redis.js";

/**
 * Issue "Trust", points 1–3: "已保存" always means stored, once, in the row
 * the officer saw.
 */

const flow = flowFor("2021");
const stepIndex = (id: string) => formSteps(flow).find((s) => (s.kind === "row" ? s.row.id : s.part.id) === id)!.index;
const emptyDraft = { format: "2021" as const, org: "测试街道", year: 2025, narrative: {}, cells: {} };
const NOW = () => new Date("2026-02-10T02:00:00Z");

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function harness(options: Parameters<typeof startHarness>[0]): Promise<Harness> {
  const h = await startHarness({ now: NOW, ...options });
  cleanups.push(() => h.close());
  return h;
}

const reportOf = async (h: Harness, userId: number): Promise<StoredReport> => {
  const { currentReportId } = await h.store.getUser(userId);
  return (await h.store.getReport(currentReportId!))!;
};

describe.each(["embedded", "redis"] as const)("point 1 on the %s store", (store) => {
  it("update ids that jump down by 10^6: every answer is still stored and acknowledged once", async () => {
    const h = await harness({ store });
    const officer = h.officer(21);
    await h.seedReport(21, emptyDraft, { cursor: stepIndex("apply.new") });
    officer.send("/fill");
    await officer.nextReply();

    officer.send("2 0 0 0 0 0");
    expect((await officer.nextReply()).text).toContain("✅ 已保存：一、本年新收政府信息公开申请数量");
    h.fake.jumpUpdateIds(-1_000_000); // a week without updates: Telegram picks the next id at random
    officer.send("3 0 0 0 0 0");
    expect((await officer.nextReply()).text).toContain("✅ 已保存：二、上年结转政府信息公开申请数量");
    officer.press("本行全为0");
    expect((await officer.nextReply()).text).toContain("✅ 已保存：（一）予以公开");
    h.fake.jumpUpdateIds(-1_000_000);
    officer.send("1 1 0 0 0 0");
    expect((await officer.nextReply()).text).toContain("✅ 已保存：（二）部分公开");
    officer.press("跳过");
    expect((await officer.nextReply()).text).toContain("（三）不予公开");

    const report = await reportOf(h, 21);
    expect(report.draft.cells).toMatchObject({
      "apply.new.natural": 2,
      "apply.carried_in.natural": 3,
      "apply.disclosed.natural": 0,
      "apply.partial.natural": 1,
      "apply.partial.business": 1,
    });
    const saved = officer.replies.filter((r) => r.text.includes("✅ 已保存"));
    expect(saved).toHaveLength(4);
    expect(h.fake.errors).toEqual([]);
  });
});

describe("point 1: one reply rule for a repeat", () => {
  it("a repeated update whose acknowledgement was sent gets no reply and changes nothing", async () => {
    const h = await harness({});
    const officer = h.officer(22);
    const seeded = await h.seedReport(22, emptyDraft, { cursor: stepIndex("apply.new") });
    officer.send("/fill");
    await officer.nextReply();
    officer.send("2 0 0 0 0 0");
    const answerId = h.fake.lastUpdateId;
    await officer.nextReply();
    const before = await h.store.getReport(seeded.id);
    const replies = officer.replies.length;
    // Telegram delivers the same update again (the bot died before confirming it).
    h.fake.redeliver(answerId);
    officer.send("/sections"); // a later update, so the test knows the repeat was handled
    await officer.nextReply();
    expect(await h.store.getReport(seeded.id)).toEqual(before);
    expect(officer.replies).toHaveLength(replies + 1);
  });
});

describe.each(["embedded", "redis"] as const)("point 2 on the %s store: saved but never acknowledged", (kind) => {
  const TOKEN = "555:AAKillBetweenWriteAndReply_0123456789";

  /** A report at the first row of 申请表 for member 23, and the bot (src/main.ts, with its inbox) on it. */
  async function start() {
    const fake = await startFakeTelegram({ token: TOKEN });
    cleanups.push(() => fake.close());
    const dir = mkdtempSync(join(tmpdir(), "nianbao-trust-"));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    let redis: PrivateRedis | undefined;
    if (kind === "redis") {
      redis = await PrivateRedis.start();
      cleanups.push(() => (redis as PrivateRedis).close());
    }
    const storeEnv: Record<string, string> = redis ? { REDIS_URL: redis.url } : { DATA_DIR: dir };
    const env = {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? dir,
      BOT_TOKEN: TOKEN,
      TELEGRAM_API_ROOT: fake.apiRoot,
      LOG_LEVEL: "warn",
      ...storeEnv,
    };
    const store = await openStore({ ...(redis ? { redisUrl: redis.url } : {}), redisPrefix: "nianbao:", dataDir: dir });
    cleanups.push(() => store.close());
    const created = await store.createReport({ draft: emptyDraft, members: [23] });
    await store.updateReport(created.id, 1, { cursor: stepIndex("apply.new") }, []);
    await store.setUser(23, { currentReportId: created.id });
    const bots: BotProcess[] = [];
    cleanups.push(async () => {
      for (const bot of bots) await bot.stop();
    });
    const bot = async () => {
      const b = new BotProcess(fake, env);
      bots.push(b);
      await b.start();
      return b;
    };
    const officer = fake.user({ id: 23, first_name: "王科员" });
    const cells = async () => (await store.getReport(created.id))!.draft.cells;
    return { fake, bot, officer, cells };
  }

  it("a kill between write and reply: the update comes back from the inbox, its stored acknowledgement is sent, the same figures sent again stay in their row", async () => {
    const { fake, bot, officer, cells } = await start();
    const first = await bot();
    officer.send("/fill");
    await officer.nextReply({ timeoutMs: 20_000 });
    // The reply to the answer never reaches Telegram: the bot is killed while it waits.
    fake.refuse({ method: "sendMessage", status: "hold" });
    officer.send("2 0 0 0 0 0");
    await waitUntil(() => fake.calls.filter((c) => c.method === "sendMessage").length >= 2, 20_000);
    await first.kill();
    expect((await cells())["apply.new.natural"]).toBe(2);
    // The officer saw no 已保存 and sends the same figures again while the bot is down.
    officer.send("2 0 0 0 0 0");
    const second = await bot();
    const resent = await officer.nextReply({ timeoutMs: 20_000 });
    expect(resent.text).toMatch(/^✅ 已保存：一、本年新收政府信息公开申请数量/);
    const again = await officer.nextReply({ timeoutMs: 20_000 });
    // Sent before the re-sent acknowledgement reached them, the figures answer the question they saw.
    expect(again.text).toMatch(/^✅ 已保存：一、本年新收政府信息公开申请数量/);
    expect((await cells())["apply.new.natural"]).toBe(2);
    expect((await cells())["apply.carried_in.natural"]).toBeUndefined();
    expect(second.errorLogs()).toEqual([]);
  }, 60_000);

  it("a reply Telegram refused after the write: the member's next message begins 上次发的已保存 and nothing spills", async () => {
    const { fake, bot, officer, cells } = await start();
    const b = await bot();
    officer.send("/fill");
    await officer.nextReply({ timeoutMs: 20_000 });
    // The officer blocked the bot for a moment: the answer is stored, its acknowledgement never arrives.
    fake.refuse({ method: "sendMessage", status: 403, times: 2 });
    officer.send("2 0 0 0 0 0");
    await waitUntil(() => fake.errors.length >= 2, 20_000);
    expect((await cells())["apply.new.natural"]).toBe(2);
    officer.send("2 0 0 0 0 0");
    const reply = await officer.nextReply({ timeoutMs: 20_000 });
    expect(reply.text).toMatch(/^上次发的已保存：一、本年新收政府信息公开申请数量/);
    expect(reply.text).toContain("✅ 已保存：一、本年新收政府信息公开申请数量");
    expect((await cells())["apply.carried_in.natural"]).toBeUndefined();
    b.signal("SIGTERM");
    expect(await b.exit()).toBe(0);
  }, 60_000);
});

describe("point 2: a failed reply after a stored write", () => {
  it("says what was saved, not 刚才的操作没有完成", async () => {
    const h = await harness({});
    const officer = h.officer(26);
    const seeded = await h.seedReport(26, emptyDraft, { cursor: stepIndex("apply.new") });
    officer.send("/fill");
    await officer.nextReply();
    fake403Once(h);
    officer.send("2 0 0 0 0 0");
    const reply = await officer.nextReply();
    expect(reply.text).toMatch(/^✅ 已保存：一、本年新收政府信息公开申请数量/);
    expect(reply.text).not.toContain("没有完成");
    for (let tries = 0; (await h.store.unsentAcks(26)).length > 0; tries++) {
      expect(tries).toBeLessThan(50); // recorded as sent once Telegram accepted it
      await new Promise((r) => setTimeout(r, 100));
    }
    // The figures sent again after that reply answer the question it shows.
    officer.send("1 0 0 0 0 0");
    expect((await officer.nextReply()).text).toMatch(/^✅ 已保存：二、上年结转政府信息公开申请数量/);
    expect((await h.store.getReport(seeded.id))!.draft.cells["apply.new.natural"]).toBe(2);
  });
});

const fake403Once = (h: Harness) => h.fake.refuse({ method: "sendMessage", status: 403 });

describe("point 3: an answer belongs to the question the officer saw", () => {
  it("a store stall (private redis-server SIGSTOP), the same answer re-sent: the next row stays empty", async () => {
    const redis = await PrivateRedis.start();
    cleanups.push(() => redis.close());
    const h = await harness({ redisUrl: redis.url });
    const officer = h.officer(24);
    const seeded = await h.seedReport(24, emptyDraft, { cursor: stepIndex("apply.new") });
    officer.send("/fill");
    await officer.nextReply();
    const count = officer.replies.length;
    redis.stall();
    officer.send("2 0 0 0 0 0");
    await new Promise((r) => setTimeout(r, 400));
    officer.send("2 0 0 0 0 0"); // nothing came back: the officer sends it again
    await new Promise((r) => setTimeout(r, 200));
    redis.resume();
    await waitUntil(() => officer.replies.length >= count + 2, 10_000);
    const report = (await h.store.getReport(seeded.id))!;
    expect(report.draft.cells["apply.new.natural"]).toBe(2);
    expect(report.draft.cells["apply.carried_in.natural"]).toBeUndefined();
    const texts = officer.replies.slice(count).map((r) => r.text);
    expect(texts.every((t) => t.includes("✅ 已保存：一、本年新收政府信息公开申请数量"))).toBe(true);
  });

  it("a redelivered /new does not create a second report", async () => {
    const h = await harness({});
    const officer = h.officer(25);
    officer.send("/new 大关街道 2025");
    const command = h.fake.lastUpdateId;
    expect((await officer.nextReply()).text).toContain("已新建");
    h.fake.redeliver(command);
    officer.send("/reports");
    await officer.nextReply();
    expect(await h.store.listReports(25)).toHaveLength(1);
  });
});
