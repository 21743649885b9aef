import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Campaign, changeCampaign, newCampaign } from "../src/campaign/campaign.js";
import type { Draft } from "../src/form/draft.js";
import { openStore } from "../src/store/open-store.js";
import { NEW_REPORT, newCampaignId, type Store } from "../src/store/store.js";
import { REDIS_URL } from "./support/redis-url.js";

const NOW = new Date("2027-01-05T02:00:00.000Z");

interface Backend {
  open(): Promise<Store>;
  cleanup(): Promise<void>;
}

async function redisBackend(): Promise<Backend> {
  const prefix = `nianbao-test-${randomBytes(6).toString("hex")}:`;
  const opened: Store[] = [];
  return {
    async open() {
      const store = await openStore({ redisUrl: REDIS_URL, redisPrefix: prefix, dataDir: "", now: () => NOW });
      opened.push(store);
      return store;
    },
    async cleanup() {
      await Promise.all(opened.map((s) => s.close()));
      const raw = new Redis(REDIS_URL);
      const keys = await raw.keys(`${prefix}*`);
      if (keys.length > 0) await raw.del(...keys);
      await raw.quit();
    },
  };
}

async function embeddedBackend(): Promise<Backend> {
  const dir = mkdtempSync(join(tmpdir(), "nianbao-campaign-"));
  const opened: Store[] = [];
  return {
    async open() {
      const store = await openStore({ redisPrefix: "unused:", dataDir: join(dir, "data"), now: () => NOW });
      opened.push(store);
      return store;
    },
    async cleanup() {
      await Promise.all(opened.map((s) => s.close()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const draft = (org: string): Draft => ({ format: "2021", org, year: 2026, narrative: {}, cells: {} });
const campaign = (): Campaign =>
  newCampaign(
    newCampaignId(),
    { name: "西湖区2026年度年报", year: 2026, dueDate: "2027-01-15", units: ["甲街道", "乙镇"] },
    1,
    NOW,
  );

let updateId = 1000;
const origin = (userId: number) => ({ userId, updateId: updateId++, ack: "" });

describe.each([
  { name: "Redis store", make: redisBackend },
  { name: "embedded store", make: embeddedBackend },
])("campaigns in the $name", ({ make }) => {
  let backend: Backend;
  let store: Store;
  beforeEach(async () => {
    backend = await make();
    store = await backend.open();
  });
  afterEach(async () => {
    await backend.cleanup();
  });

  it("creates a campaign at version 1 and reads it back from a second client; lists it", async () => {
    const c = campaign();
    expect(await store.commit(origin(1), { campaign: { next: c } })).toEqual({ status: "applied" });
    const other = await backend.open();
    expect(await other.getCampaign(c.id)).toEqual(c);
    expect(await other.getCampaign("missing000")).toBeUndefined();
    const second = campaign();
    await store.commit(origin(1), { campaign: { next: second } });
    expect((await other.listCampaigns()).map((x) => x.id).sort()).toEqual([c.id, second.id].sort());
  });

  it("writes compare-and-set: a stale version is a conflict and changes nothing", async () => {
    const c = campaign();
    await store.commit(origin(1), { campaign: { next: c } });
    const renamed = changeCampaign(c, { name: "改名" }, NOW);
    expect((await store.commit(origin(1), { campaign: { next: renamed } })).status).toBe("applied");
    const stale = changeCampaign(c, { name: "旧的改名" }, NOW);
    expect((await store.commit(origin(1), { campaign: { next: stale } })).status).toBe("conflict");
    // Creating again over an existing id is a conflict too.
    expect((await store.commit(origin(1), { campaign: { next: c } })).status).toBe("conflict");
    expect(await store.getCampaign(c.id)).toEqual(renamed);
  });

  it("a join creates the unit's report and records it in the campaign in one write", async () => {
    const c = campaign();
    await store.commit(origin(1), { campaign: { next: c } });
    const joined = changeCampaign(
      c,
      { units: c.units.map((u) => (u.id === "u2" ? { ...u, reportId: NEW_REPORT } : u)) },
      NOW,
    );
    const result = await store.commit(origin(7), {
      create: {
        draft: draft("乙镇"),
        members: [7],
        deadline: c.deadline,
        dueDate: c.dueDate,
        campaign: { id: c.id, unitId: "u2" },
      },
      campaign: { next: joined },
      user: { currentReportId: NEW_REPORT },
    });
    expect(result.status).toBe("applied");
    const report = result.status === "applied" ? result.report : undefined;
    expect(report).toMatchObject({ campaign: { id: c.id, unitId: "u2" }, dueDate: "2027-01-15", members: [7] });
    const stored = await store.getCampaign(c.id);
    expect(stored?.version).toBe(2);
    expect(stored?.units.find((u) => u.id === "u2")?.reportId).toBe(report?.id);
    expect((await store.getUser(7)).currentReportId).toBe(report?.id);
  });

  it("a campaign conflict in a join writes neither the report nor the user", async () => {
    const c = campaign();
    await store.commit(origin(1), { campaign: { next: c } });
    await store.commit(origin(1), { campaign: { next: changeCampaign(c, { name: "先改" }, NOW) } });
    const late = changeCampaign(c, { units: c.units.map((u) => ({ ...u, reportId: NEW_REPORT })) }, NOW);
    const result = await store.commit(origin(8), {
      create: { draft: draft("甲街道"), members: [8] },
      campaign: { next: late },
      user: { currentReportId: NEW_REPORT },
    });
    expect(result.status).toBe("conflict");
    expect(await store.listReports(8)).toEqual([]);
    expect(await store.getUser(8)).toEqual({});
    expect((await store.getCampaign(c.id))?.name).toBe("先改");
  });

  it("an update repeated with the same update id is not applied twice", async () => {
    const c = campaign();
    const o = origin(1);
    await store.commit(o, { campaign: { next: c } });
    expect((await store.commit(o, { campaign: { next: changeCampaign(c, { name: "x" }, NOW) } })).status).toBe(
      "repeat",
    );
    expect(await store.getCampaign(c.id)).toEqual(c);
  });

  it("stores a report's review state and campaign link, and clears the review", async () => {
    const report = await store.createReport({ draft: draft("甲街道"), members: [5] });
    const review = {
      state: "returned" as const,
      at: NOW.toISOString(),
      by: 2,
      comment: { step: 3, text: "与正文不符" },
    };
    const written = await store.updateReport(report.id, 1, { review }, []);
    expect(written.ok && written.report.review).toEqual(review);
    expect((await store.getReport(report.id))?.review).toEqual(review);
    const cleared = await store.updateReport(report.id, 2, { review: undefined }, []);
    expect(cleared.ok && "review" in cleared.report).toBe(false);
  });

  it("refuses an invalid campaign and stores nothing", async () => {
    const bad = { ...campaign(), units: [] };
    await expect(store.commit(origin(1), { campaign: { next: bad } })).rejects.toThrow(/units/);
    expect(await store.listCampaigns()).toEqual([]);
  });
});
