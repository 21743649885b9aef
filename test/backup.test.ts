import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { flows } from "../flows/index.js";
import { exportReport, loadReport } from "../src/form/load-report.js";
import { ENVELOPE_FILE, exportAll, importAll } from "../src/store/backup.js";
import { openStore } from "../src/store/open-store.js";
import { type AuditEntry, type SentStage, type Store, type StoredReport, stageRefKey } from "../src/store/store.js";
import { fixture } from "./support/fixtures.js";
import { REDIS_URL } from "./support/redis-url.js";

/**
 * `nianbao export-all DIR` and `nianbao import-all DIR` (issue "Production"
 * 5): a store backed up and restored into an empty one, on each kind of
 * store, lets every officer carry on where they were.
 */

const ROOT = fileURLToPath(new URL("..", import.meta.url));

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

type Location = { env: Record<string, string>; open: () => Promise<Store> };

function location(kind: "redis" | "embedded"): Location {
  if (kind === "redis") {
    const prefix = `nianbao-backup:${process.pid}-${Math.random().toString(36).slice(2)}:`;
    cleanups.push(async () => {
      const raw = new Redis(REDIS_URL);
      const keys = await raw.keys(`${prefix}*`);
      if (keys.length > 0) await raw.del(...keys);
      await raw.quit();
    });
    return {
      env: { REDIS_URL, REDIS_PREFIX: prefix },
      open: () => openStore({ redisUrl: REDIS_URL, redisPrefix: prefix, dataDir: "" }),
    };
  }
  const dir = mkdtempSync(join(tmpdir(), "nianbao-backup-store-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return { env: { DATA_DIR: dir }, open: () => openStore({ redisPrefix: "unused:", dataDir: dir }) };
}

function cli(args: string[], env: Record<string, string>) {
  return spawnSync(process.execPath, ["--import", "tsx", "src/cli.ts", ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", ...env },
    encoding: "utf8",
  });
}

const CAMPAIGN = "Cmp2022aaa";

const entry = (by: number, target: string, old: number | null, next: number): AuditEntry => ({
  at: "2026-01-05T02:00:00.000Z",
  by,
  byName: `用户${by}`,
  target,
  old,
  new: next,
});

/** Two reports, three officers, with everything the interchange file does not hold. */
async function seed(store: Store): Promise<StoredReport[]> {
  const one = await store.createReport({
    draft: fixture("report-2022"),
    members: [11, 12],
    campaign: { id: CAMPAIGN, unitId: "u1" },
  });
  const at = "2026-01-02T00:00:00.000Z";
  const campaign = await store.commit(
    { userId: 11, updateId: 1, ack: "" },
    {
      campaign: {
        next: {
          ...{
            id: CAMPAIGN,
            version: 1,
            name: "区2022年报",
            year: 2022,
            dueDate: "2023-01-20",
            deadline: "2023-01-31",
          },
          ...{ createdBy: 11, supervisors: [11], invitations: [], createdAt: at, updatedAt: at },
          units: [
            { id: "u1", name: "某街道", reportId: one.id },
            { id: "u2", name: "另一单位" },
          ],
        },
      },
    },
  );
  if (campaign.status !== "applied") throw new Error("seed failed");
  const written = await store.updateReport(
    one.id,
    one.version,
    { cursor: 17, deadline: "2023-01-31", dueDate: "2023-01-20", muted: [12], previous: fixture("seed-2020") },
    [entry(11, "apply.new.natural", null, 3), entry(12, "apply.new.natural", 3, 4)],
  );
  if (!written.ok) throw new Error("seed failed");
  const two = await store.createReport({ draft: { ...fixture("seed-2020"), org: "另一单位" }, members: [13] });
  await store.setUser(11, { currentReportId: one.id, position: { reportId: one.id, step: 17, messageId: 40 } });
  await store.setUser(12, { currentReportId: one.id });
  await store.setUser(13, { currentReportId: two.id });
  // What the scheduler recorded, a member who blocked the bot, and the bot's saved state.
  await store.reminders.recordSent(11, [{ reportId: one.id, stage: "publication-14" }], new Date(at));
  await store.reminders.recordSent(
    11,
    [{ reportId: `campaign.${CAMPAIGN}`, stage: "digest-2023-01-13" }],
    new Date(at),
  );
  await store.reminders.markInactive(13, new Date(at));
  await store.writeState("lastYear:14", { ...fixture("seed-2020"), org: "新来的单位" });
  return [written.report, two];
}

const bySent = (a: SentStage, b: SentStage) => stageRefKey(a).localeCompare(stageRefKey(b)) || a.userId - b.userId;

describe.each([
  ["embedded", "embedded"],
  ["redis", "redis"],
  ["redis", "embedded"],
] as const)("export-all from the %s store, import-all into the %s store", (fromKind, toKind) => {
  it("back up every report and member, and restore them into an empty store where everyone carries on", async () => {
    const from = location(fromKind);
    const source = await from.open();
    cleanups.push(() => source.close());
    const seeded = await seed(source);
    const dir = mkdtempSync(join(tmpdir(), "nianbao-backup-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));

    const exported = cli(["export-all", dir], from.env);
    expect(exported.stderr).toBe("");
    expect(exported.status).toBe(0);
    expect(exported.stdout).toContain("exported 2 reports and 3 members");
    // Every report as its interchange file, readable by the loader the bot and the CLI use.
    for (const report of seeded) {
      const loaded = loadReport(readFileSync(join(dir, "reports", `${report.id}.json`), "utf8"), flows);
      expect(loaded.ok && loaded.draft).toEqual(report.draft);
    }
    expect(existsSync(join(dir, "reports", `${seeded[0]!.id}.previous.json`))).toBe(true);
    const envelope = JSON.parse(readFileSync(join(dir, "backup.json"), "utf8"));
    expect(envelope).toMatchObject({ kind: "nianbao-backup", version: 2 });

    const to = location(toKind);
    const restored = cli(["import-all", dir], to.env);
    expect(restored.stderr).toBe("");
    expect(restored.status).toBe(0);
    expect(restored.stdout).toContain("restored 2 reports and 3 members");

    const target = await to.open();
    cleanups.push(() => target.close());
    // Every report under its own id, as it was (the version, a compare-and-set token, starts again).
    expect((await target.reportIds()).sort()).toEqual((await source.reportIds()).sort());
    for (const report of seeded) {
      expect({ ...(await target.getReport(report.id)), version: 0 }).toEqual({ ...report, version: 0 });
      expect(await target.history(report.id, 100)).toEqual(await source.history(report.id, 100));
    }
    for (const user of [11, 12, 13]) {
      expect(await target.getUser(user)).toEqual(await source.getUser(user));
      expect((await target.listReports(user)).map((r) => r.id)).toEqual(
        (await source.listReports(user)).map((r) => r.id),
      );
    }
    // The campaign, its units pointing at the same reports.
    const [campaign] = await target.listCampaigns();
    expect({ ...campaign, version: 0, updatedAt: "" }).toEqual({
      ...(await source.listCampaigns())[0],
      version: 0,
      updatedAt: "",
    });
    // The sent reminders, the blocked member and the saved state.
    expect((await target.reminders.allSent()).sort(bySent)).toEqual((await source.reminders.allSent()).sort(bySent));
    expect((await target.reminders.allSent()).length).toBe(2);
    expect(await target.reminders.inactive([11, 12, 13])).toEqual(new Map([[13, "2026-01-02T00:00:00.000Z"]]));
    expect(await target.readState("lastYear:14")).toEqual(await source.readState("lastYear:14"));
    expect(await target.stateKeys()).toEqual(["lastYear:14"]);

    // Only into an empty store: a second restore is refused in one line, exit 2.
    const again = cli(["import-all", dir], to.env);
    expect(again.status).toBe(2);
    expect(again.stderr.trim()).toBe("the store is not empty: import-all restores into an empty store only");
    // And a backup never overwrites another.
    expect(cli(["export-all", dir], from.env).status).toBe(2);
  }, 60_000);
});

describe("an envelope of version 1 (before sent reminders and saved state were backed up)", () => {
  it("still restores, every report under its own id", async () => {
    const from = location("embedded");
    const source = await from.open();
    cleanups.push(() => source.close());
    const seeded = await seed(source);
    const { files } = await exportAll(source, exportReport, new Date());
    const { sent: _s, inactive: _i, state: _t, ...rest } = JSON.parse(files.get(ENVELOPE_FILE) ?? "");
    const target = await location("embedded").open();
    cleanups.push(() => target.close());
    const read = (file: string) => {
      const loaded = loadReport(files.get(file) ?? "", flows);
      if (!loaded.ok) throw new Error(loaded.error);
      return loaded.draft;
    };
    expect(await importAll(target, { ...rest, version: 1 }, read)).toEqual({ reports: 2, users: 3, campaigns: 1 });
    for (const report of seeded) expect((await target.getReport(report.id))?.draft).toEqual(report.draft);
    expect(await target.reminders.allSent()).toEqual([]);
  });
});
