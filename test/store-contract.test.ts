import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { Redis } from "ioredis";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Draft } from "../src/form/draft.js";
import { EmbeddedStore } from "../src/store/embedded-store.js";
import { EMBEDDED_FILE_NAME, openStore } from "../src/store/open-store.js";
import { RedisStore } from "../src/store/redis-store.js";
import {
  AUDIT_LIMIT,
  type AuditEntry,
  NEW_REPORT,
  PENDING_ACK_LIMIT,
  StaleMember,
  type Store,
  StoreDataError,
  type StoredReport,
  type StoreLimits,
} from "../src/store/store.js";
import { REDIS_URL } from "./support/redis-url.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const WRITER = fileURLToPath(new URL("./support/store-writer.ts", import.meta.url));

type RawKind = "report" | "audit" | "user" | "state";

/** One store backend under test: fresh, empty, isolated per test. */
interface Backend {
  kind: "redis" | "embedded";
  /** Redis URL or data folder, as the writer process takes it. */
  location: string;
  prefix: string;
  /** A new Store instance on the same data (a second client), optionally with other limits. */
  open(limits?: StoreLimits): Promise<Store>;
  /** Writes a raw stored value behind the store's back. */
  tamper(kind: RawKind, id: string, json: string): Promise<void>;
  /** The key a StoreDataError names for this value. */
  keyOf(kind: RawKind, id: string): string;
  cleanup(): Promise<void>;
}

/** A clock that moves one second per reading, so updatedAt never ties. */
function steppingClock(): () => Date {
  let t = Date.parse("2025-01-10T00:00:00.000Z");
  return () => {
    t += 1000;
    return new Date(t);
  };
}

function trackStores(open: (limits?: StoreLimits) => Promise<Store>) {
  const opened: Store[] = [];
  return {
    open: async (limits?: StoreLimits) => {
      const store = await open(limits);
      opened.push(store);
      return store;
    },
    closeAll: () => Promise.all(opened.map((s) => s.close())),
  };
}

async function redisBackend(): Promise<Backend> {
  const prefix = `nianbao-test-${randomBytes(6).toString("hex")}:`;
  const raw = new Redis(REDIS_URL);
  const now = steppingClock();
  const stores = trackStores((limits) =>
    openStore({ redisUrl: REDIS_URL, redisPrefix: prefix, dataDir: "", now, ...(limits ? { limits } : {}) }),
  );
  return {
    kind: "redis",
    location: REDIS_URL,
    prefix,
    open: stores.open,
    keyOf: (kind, id) => `${prefix}${kind}:${id}`,
    async tamper(kind, id, json) {
      const key = `${prefix}${kind}:${id}`;
      if (kind === "report") await raw.hset(key, "json", json);
      else if (kind === "audit") await raw.rpush(key, json);
      else await raw.set(key, json);
    },
    async cleanup() {
      await stores.closeAll();
      const keys: string[] = [];
      let cursor = "0";
      do {
        const [next, batch] = await raw.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
        keys.push(...batch);
        cursor = next;
      } while (cursor !== "0");
      if (keys.length > 0) await raw.del(...keys);
      await raw.quit();
    },
  };
}

async function embeddedBackend(): Promise<Backend> {
  const dir = mkdtempSync(join(tmpdir(), "nianbao-store-"));
  const dataDir = join(dir, "data");
  const now = steppingClock();
  const stores = trackStores((limits) =>
    openStore({ redisPrefix: "unused:", dataDir, now, ...(limits ? { limits } : {}) }),
  );
  const table = { report: "reports", audit: "audit", user: "users", state: "state" } as const;
  return {
    kind: "embedded",
    location: dataDir,
    prefix: "unused:",
    open: stores.open,
    keyOf: (kind, id) => `${table[kind]}/${id}`,
    async tamper(kind, id, json) {
      const db = new Database(join(dataDir, EMBEDDED_FILE_NAME), { timeout: 5000 });
      if (kind === "report") db.prepare("UPDATE reports SET json = ? WHERE id = ?").run(json, id);
      else if (kind === "audit") db.prepare("INSERT INTO audit (report_id, json) VALUES (?, ?)").run(id, json);
      else if (kind === "user")
        db.prepare("INSERT OR REPLACE INTO users (user_id, json) VALUES (?, ?)").run(Number(id), json);
      else db.prepare("INSERT OR REPLACE INTO state (key, json) VALUES (?, ?)").run(id, json);
      db.close();
    },
    async cleanup() {
      await stores.closeAll();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function draft(cells: Record<string, number> = {}): Draft {
  return { format: "2021", org: "杭州市某街道办事处", year: 2024, narrative: {}, cells };
}

function entry(target: string, old: number | string | null, next: number | string | null, by = 101): AuditEntry {
  return { at: "2025-01-10T08:00:00.000Z", by, byName: "王科员", target, old, new: next };
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Read-modify-write with retry, as the bot does: one increment of cell "n". */
async function increment(store: Store, id: string, by: number): Promise<void> {
  let report = await store.getReport(id);
  for (;;) {
    if (!report) throw new Error("report vanished");
    const n = report.draft.cells.n ?? 0;
    const draftNext = { ...report.draft, cells: { ...report.draft.cells, n: n + 1 } };
    const result = await store.updateReport(id, report.version, { draft: draftNext }, [entry("n", n, n + 1, by)]);
    if (result.ok) return;
    report = result.current;
  }
}

describe.each([
  { name: "Redis store", make: redisBackend },
  { name: "embedded store", make: embeddedBackend },
])("$name", ({ make }) => {
  let backend: Backend;
  let store: Store;

  beforeEach(async () => {
    backend = await make();
    store = await backend.open();
  });
  afterEach(async () => {
    await backend.cleanup();
  });

  it("creates a report at version 1, cursor 0, with a short url-safe id, and reads it back", async () => {
    const report = await store.createReport({ draft: draft(), members: [101, 102], deadline: "2025-01-31" });
    expect(report.id).toMatch(/^[A-Za-z0-9_-]{10}$/);
    expect(report).toMatchObject({
      members: [101, 102],
      version: 1,
      cursor: 0,
      deadline: "2025-01-31",
      draft: draft(),
    });
    expect(report.updatedAt).toBe(report.createdAt);
    expect(await store.getReport(report.id)).toEqual(report);
    expect(await store.getReport("missing000")).toBeUndefined();
    const other = await store.createReport({ draft: draft(), members: [101] });
    expect(other.id).not.toBe(report.id);
    expect(other).not.toHaveProperty("deadline");
  });

  it("lists the reports a user is a member of, newest updatedAt first", async () => {
    const first = await store.createReport({ draft: draft(), members: [1] });
    const second = await store.createReport({ draft: draft(), members: [1, 2] });
    await store.createReport({ draft: draft(), members: [3] });
    expect((await store.listReports(1)).map((r) => r.id)).toEqual([second.id, first.id]);
    await store.updateReport(first.id, 1, { cursor: 1 }, []);
    expect((await store.listReports(1)).map((r) => r.id)).toEqual([first.id, second.id]);
    expect((await store.listReports(2)).map((r) => r.id)).toEqual([second.id]);
    expect(await store.listReports(99)).toEqual([]);
  });

  it("a successful compare-and-set stores the change and bumps the version by one", async () => {
    const created = await store.createReport({ draft: draft(), members: [101] });
    const result = await store.updateReport(created.id, 1, { draft: draft({ "t1.a": 3 }), cursor: 5 }, [
      entry("t1.a", null, 3),
    ]);
    if (!result.ok) throw new Error("expected the write to succeed");
    expect(result.report).toMatchObject({
      version: 2,
      cursor: 5,
      draft: draft({ "t1.a": 3 }),
      createdAt: created.createdAt,
    });
    expect(result.report.updatedAt > created.updatedAt).toBe(true);
    expect(await store.getReport(created.id)).toEqual(result.report);
    const again = await store.updateReport(created.id, 2, { previous: draft({ "t1.a": 1 }) }, []);
    expect(again.ok && again.report.version).toBe(3);
    expect((await store.getReport(created.id))?.previous).toEqual(draft({ "t1.a": 1 }));
  });

  it("refuses a write with a stale version, returns the current report and changes nothing", async () => {
    const created = await store.createReport({ draft: draft(), members: [101] });
    expect(await store.updateReport(created.id, 7, { cursor: 9 }, [entry("cursor", 0, 9)])).toEqual({
      ok: false,
      current: created,
    });
    expect(await store.getReport(created.id)).toEqual(created);
    expect(await store.history(created.id, 10)).toEqual([]);
    expect(await store.updateReport("missing000", 1, { cursor: 1 }, [])).toEqual({ ok: false, current: undefined });
  });

  it("two clients that both read version 1: one wins, the other gets the winner's report, nothing is lost", async () => {
    const other = await backend.open();
    const { id } = await store.createReport({ draft: draft(), members: [101, 102] });
    const [seenA, seenB] = await Promise.all([store.getReport(id), other.getReport(id)]);
    expect(seenA?.version).toBe(1);
    expect(seenB?.version).toBe(1);
    const results = await Promise.all([
      store.updateReport(id, 1, { draft: draft({ a: 1 }) }, [entry("a", null, 1, 101)]),
      other.updateReport(id, 1, { draft: draft({ b: 2 }) }, [entry("b", null, 2, 102)]),
    ]);
    const winners = results.filter((r) => r.ok);
    const losers = results.filter((r) => !r.ok);
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(1);
    const won = winners[0];
    const lost = losers[0];
    if (!won?.ok || !lost || lost.ok) throw new Error("unreachable");
    expect(lost.current).toEqual(won.report);
    // The loser merges its answer into what it was given and writes again.
    const loserClient = results[0] === lost ? store : other;
    const loserCells: Record<string, number> = results[0] === lost ? { a: 1 } : { b: 2 };
    const current = lost.current as StoredReport;
    const retry = await loserClient.updateReport(
      id,
      current.version,
      { draft: { ...current.draft, cells: { ...current.draft.cells, ...loserCells } } },
      [
        entry(
          Object.keys(loserCells)[0] ?? "",
          null,
          Object.values(loserCells)[0] ?? null,
          results[0] === lost ? 101 : 102,
        ),
      ],
    );
    expect(retry.ok).toBe(true);
    const final = await other.getReport(id);
    expect(final).toMatchObject({ version: 3, draft: { cells: { a: 1, b: 2 } } });
    const trail = await store.history(id, 10);
    expect(trail).toHaveLength(2);
    expect(trail[0]?.target).toBe(Object.keys(loserCells)[0]);
  });

  it("read-modify-write loops on two clients at once lose no increment", async () => {
    const other = await backend.open();
    const { id } = await store.createReport({ draft: draft(), members: [101, 102] });
    const loop = async (s: Store, by: number) => {
      for (let i = 0; i < 15; i++) await increment(s, id, by);
    };
    await Promise.all([loop(store, 101), loop(other, 102)]);
    const final = await store.getReport(id);
    expect(final?.draft.cells.n).toBe(30);
    expect(final?.version).toBe(31);
    const trail = await other.history(id, 100);
    expect(trail.map((e) => e.new)).toEqual(Array.from({ length: 30 }, (_, i) => 30 - i));
  });

  it("returns the audit trail newest first, cut at the limit", async () => {
    const { id } = await store.createReport({ draft: draft(), members: [101] });
    await store.updateReport(id, 1, { cursor: 1 }, [entry("a", null, 1), entry("b", null, 2)]);
    await store.updateReport(id, 2, { cursor: 2 }, [entry("c", null, "文字")]);
    await store.updateReport(id, 3, { cursor: 3 }, [entry("d", 4, null), entry("settings.org", "旧名", "新名")]);
    expect((await store.history(id, 10)).map((e) => e.target)).toEqual(["settings.org", "d", "c", "b", "a"]);
    expect((await store.history(id, 2)).map((e) => e.target)).toEqual(["settings.org", "d"]);
    expect(await store.history(id, 0)).toEqual([]);
    expect((await store.history(id, 1))[0]).toEqual(entry("settings.org", "旧名", "新名"));
    expect(await store.history("missing000", 10)).toEqual([]);
  });

  it(`keeps only the last ${AUDIT_LIMIT} audit entries of a report`, async () => {
    const { id } = await store.createReport({ draft: draft(), members: [101] });
    const many = Array.from({ length: AUDIT_LIMIT + 5 }, (_, i) => entry("n", i, i + 1));
    expect((await store.updateReport(id, 1, { cursor: 1 }, many)).ok).toBe(true);
    const trail = await store.history(id, AUDIT_LIMIT * 2);
    expect(trail).toHaveLength(AUDIT_LIMIT);
    expect(trail[0]?.new).toBe(AUDIT_LIMIT + 5);
    expect(trail.at(-1)?.new).toBe(6);
  });

  it("changing the members changes whose list shows the report", async () => {
    const { id } = await store.createReport({ draft: draft(), members: [1] });
    await store.updateReport(id, 1, { members: [1, 2] }, []);
    expect((await store.listReports(2)).map((r) => r.id)).toEqual([id]);
    await store.updateReport(id, 2, { members: [2] }, []);
    expect(await store.listReports(1)).toEqual([]);
    expect((await store.getReport(id))?.members).toEqual([2]);
  });

  it("clears an optional field given as undefined and keeps fields not named in the change", async () => {
    const { id } = await store.createReport({ draft: draft({ x: 1 }), members: [1], deadline: "2025-01-31" });
    const result = await store.updateReport(id, 1, { deadline: undefined }, []);
    expect(result.ok).toBe(true);
    const stored = await store.getReport(id);
    expect(stored).not.toHaveProperty("deadline");
    expect(stored?.draft).toEqual(draft({ x: 1 }));
    expect(result.ok && result.report).toEqual(stored);
  });

  it("deletes a report with its audit trail and membership, leaving other reports alone", async () => {
    const doomed = await store.createReport({ draft: draft(), members: [1, 2] });
    const kept = await store.createReport({ draft: draft(), members: [1] });
    await store.updateReport(doomed.id, 1, { cursor: 1 }, [entry("a", null, 1)]);
    await store.updateReport(kept.id, 1, { cursor: 1 }, [entry("b", null, 1)]);
    expect(await store.deleteReport(doomed.id)).toBe(true);
    expect(await store.getReport(doomed.id)).toBeUndefined();
    expect(await store.history(doomed.id, 10)).toEqual([]);
    expect((await store.listReports(1)).map((r) => r.id)).toEqual([kept.id]);
    expect(await store.listReports(2)).toEqual([]);
    expect(await store.history(kept.id, 10)).toHaveLength(1);
    expect(await store.deleteReport(doomed.id)).toBe(false);
    expect(await store.updateReport(doomed.id, 2, { cursor: 2 }, [])).toEqual({ ok: false, current: undefined });
  });

  it("keeps a small state per user; an unknown user has an empty state", async () => {
    expect(await store.getUser(5)).toEqual({});
    await store.setUser(5, { currentReportId: "abcdefghij" });
    expect(await store.getUser(5)).toEqual({ currentReportId: "abcdefghij" });
    await store.setUser(5, {});
    expect(await store.getUser(5)).toEqual({});
    await expect(store.setUser(5, { other: 1 } as never)).rejects.toBeInstanceOf(StoreDataError);
  });

  it("round-trips conversation state: write, read, overwrite, delete", async () => {
    const value = {
      version: [0, "v1"],
      state: { send: [{ payload: "年报 ✓" }], receive: [{ send: 0, returnValue: { a: [1, null, { b: true }] } }] },
    };
    expect(await store.readState("chat:1")).toBeUndefined();
    await store.writeState("chat:1", value);
    expect(await store.readState("chat:1")).toEqual(value);
    await store.writeState("chat:1", [1, 2]);
    expect(await store.readState("chat:1")).toEqual([1, 2]);
    await store.deleteState("chat:1");
    expect(await store.readState("chat:1")).toBeUndefined();
    await store.deleteState("chat:1");
  });

  it("restores a report from a backup under its own id, with its dates, members and trail, once", async () => {
    const entry: AuditEntry = { at: "2025-01-02T00:00:00.000Z", by: 7, target: "apply.new.natural", old: null, new: 2 };
    const report: StoredReport = {
      ...(await store.createReport({ draft: draft(), members: [7] })),
      id: "Restored_1",
      members: [7, 8],
      version: 1,
      cursor: 4,
      muted: [8],
      createdAt: "2024-12-01T00:00:00.000Z",
      updatedAt: "2025-01-02T00:00:00.000Z",
    };
    expect(await store.restoreReport({ ...report, version: 9 }, [entry])).toBe(true);
    expect(await store.getReport("Restored_1")).toEqual(report);
    expect(await store.history("Restored_1", 10)).toEqual([entry]);
    expect((await store.listReports(8)).map((r) => r.id)).toEqual(["Restored_1"]);
    expect((await store.reminders.due(new Date("2100-01-01T00:00:00Z"), 10)).map((d) => d.id)).toContain("Restored_1");
    // An id that is taken is refused and nothing changes.
    expect(await store.restoreReport({ ...report, cursor: 0, members: [9] }, [])).toBe(false);
    expect(await store.getReport("Restored_1")).toEqual(report);
    expect(await store.listReports(9)).toEqual([]);
  });

  it("lists every state key (backups)", async () => {
    expect(await store.stateKeys()).toEqual([]);
    await store.writeState("conv:1", { a: 1 });
    await store.writeState("lastYear:2", [1]);
    expect((await store.stateKeys()).sort()).toEqual(["conv:1", "lastYear:2"]);
    await store.deleteState("conv:1");
    expect(await store.stateKeys()).toEqual(["lastYear:2"]);
  });

  it("refuses invalid data on write and stores nothing", async () => {
    await expect(store.createReport({ draft: { ...draft(), year: 1999 }, members: [1] })).rejects.toBeInstanceOf(
      StoreDataError,
    );
    await expect(store.createReport({ draft: draft(), members: [] })).rejects.toBeInstanceOf(StoreDataError);
    expect(await store.listReports(1)).toEqual([]);
    const created = await store.createReport({ draft: draft(), members: [1] });
    await expect(store.updateReport(created.id, 1, { cursor: -1 }, [])).rejects.toBeInstanceOf(StoreDataError);
    await expect(store.updateReport(created.id, 1, { deadline: "31.01.2025" }, [])).rejects.toBeInstanceOf(
      StoreDataError,
    );
    await expect(
      store.updateReport(created.id, 1, { cursor: 1 }, [{ ...entry("a", 1, 2), by: 0 }]),
    ).rejects.toBeInstanceOf(StoreDataError);
    // Only what changes is validated, and a bad cell, part or name in a new draft is still refused.
    const bad = (d: Partial<Draft>) => store.updateReport(created.id, 1, { draft: { ...created.draft, ...d } }, []);
    const badCells: Record<string, number>[] = [
      { a: Number.NaN },
      { b: Number.POSITIVE_INFINITY },
      { c: "3" as never },
    ];
    for (const cells of badCells)
      await expect(bad({ cells: { ...created.draft.cells, ...cells } })).rejects.toBeInstanceOf(StoreDataError);
    await expect(bad({ narrative: { nonsense: "文字" } as never })).rejects.toBeInstanceOf(StoreDataError);
    await expect(bad({ narrative: { problems: 3 as never } })).rejects.toBeInstanceOf(StoreDataError);
    await expect(bad({ org: "" })).rejects.toBeInstanceOf(StoreDataError);
    await expect(bad({ extra: 1 } as never)).rejects.toBeInstanceOf(StoreDataError);
    await expect(store.updateReport(created.id, 1, { draft: undefined }, [])).rejects.toBeInstanceOf(StoreDataError);
    await expect(store.updateReport(created.id, 1, { members: [1, 1] }, [])).rejects.toBeInstanceOf(StoreDataError);
    expect(await store.getReport(created.id)).toEqual(created);
    expect(await store.history(created.id, 10)).toEqual([]);
  });

  describe("refuses a stored value of an unknown schema version with an error naming the key", () => {
    const cases: { kind: RawKind; via: string; read: (s: Store, id: string) => Promise<unknown> }[] = [
      { kind: "report", via: "getReport", read: (s, id) => s.getReport(id) },
      { kind: "report", via: "listReports", read: (s) => s.listReports(101) },
      { kind: "audit", via: "history", read: (s, id) => s.history(id, 10) },
      { kind: "user", via: "getUser", read: (s) => s.getUser(101) },
      { kind: "state", via: "readState", read: (s) => s.readState("chat:9") },
    ];
    it.each(cases)("$kind read by $via", async ({ kind, read }) => {
      const report = await store.createReport({ draft: draft(), members: [101] });
      const id = kind === "user" ? "101" : kind === "state" ? "chat:9" : report.id;
      await backend.tamper(kind, id, JSON.stringify({ ...report, v: 99 }));
      const error = await read(store, report.id).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(StoreDataError);
      expect((error as Error).message).toContain(backend.keyOf(kind, id));
      expect((error as Error).message).toContain("unknown schema version 99");
    });
  });

  it("refuses a stored report of the right version but the wrong shape, naming the key", async () => {
    const report = await store.createReport({ draft: draft(), members: [101] });
    await backend.tamper("report", report.id, JSON.stringify({ ...report, v: 1, cursor: -1 }));
    await expect(store.getReport(report.id)).rejects.toThrow(backend.keyOf("report", report.id));
    await backend.tamper("report", report.id, "{not json");
    await expect(store.getReport(report.id)).rejects.toBeInstanceOf(StoreDataError);
  });

  describe("the once-only write (commit)", () => {
    const cell = (report: StoredReport, value: number) => ({
      update: {
        id: report.id,
        expectedVersion: report.version,
        change: { draft: { ...report.draft, cells: { ...report.draft.cells, n: value } } },
        audit: [entry("n", report.draft.cells.n ?? null, value)],
        basis: report,
      },
    });

    it("recognises a repeat by its exact update id, also when the ids jump down by 10^6", async () => {
      let report = await store.createReport({ draft: draft(), members: [101] });
      const ids = [5_000_000, 4_000_000, 4_000_001, 3_000_001]; // Telegram's random next id after a quiet week
      for (const [i, updateId] of ids.entries()) {
        const result = await store.commit({ userId: 101, updateId, ack: `✅ 已保存 ${i}` }, cell(report, i + 1));
        if (result.status !== "applied" || !result.report) throw new Error(`update ${updateId} was not applied`);
        report = result.report;
      }
      expect(report.draft.cells.n).toBe(4);
      expect(report.version).toBe(5);
      for (const updateId of ids) {
        const again = await store.commit({ userId: 101, updateId, ack: "不该记下" }, cell(report, 99));
        expect(again.status).toBe("repeat");
      }
      expect(await store.getReport(report.id)).toEqual(report);
      expect(await store.history(report.id, 100)).toHaveLength(4);
      // Another member's update with the same id is another update.
      const other = await store.commit({ userId: 102, updateId: 5_000_000, ack: "" }, { user: {} });
      expect(other.status).toBe("applied");
    });

    it("keeps a bounded window of update ids per member: the oldest are forgotten", async () => {
      const small = await backend.open({ handledLimit: 5 });
      for (let updateId = 1; updateId <= 8; updateId++) {
        expect((await small.commit({ userId: 7, updateId, ack: "" }, { user: {} })).status).toBe("applied");
      }
      const repeated = [];
      for (let updateId = 1; updateId <= 8; updateId++) {
        // Re-committing a forgotten id records it again, so ask from the newest down.
        const id = 9 - updateId;
        repeated.push((await small.commit({ userId: 7, updateId: id, ack: "" }, { user: {} })).status === "repeat");
      }
      expect(repeated).toEqual([true, true, true, true, true, false, false, false]);
    });

    it("records the acknowledgement with the change; a repeat gets it back until it is marked sent", async () => {
      const report = await store.createReport({ draft: draft(), members: [101] });
      const applied = await store.commit({ userId: 101, updateId: 77, ack: "✅ 已保存：n 1" }, cell(report, 1));
      expect(applied.status).toBe("applied");
      const unsent = await store.unsentAcks(101);
      expect(unsent).toMatchObject([{ updateId: 77, text: "✅ 已保存：n 1" }]);
      expect(await store.commit({ userId: 101, updateId: 77, ack: "x" }, cell(report, 2))).toEqual({
        status: "repeat",
        unsent: unsent[0],
      });
      await store.markSent(101, [77]);
      expect(await store.unsentAcks(101)).toEqual([]);
      expect(await store.commit({ userId: 101, updateId: 77, ack: "x" }, cell(report, 2))).toEqual({
        status: "repeat",
      });
      expect(await store.unsentAcks(102)).toEqual([]);
    });

    it("records an acknowledgement given by reference without its text, and a repeat gets the reference back", async () => {
      const report = await store.createReport({ draft: draft(), members: [101] });
      const ackRef = {
        row: ["2021", 7, [1, 2, 3]] as [string, number, number[]],
        findings: [["r", "", 4, 5] as [string, string, number, number]],
      };
      const applied = await store.commit({ userId: 101, updateId: 78, ack: "✅ 已保存：…", ackRef }, cell(report, 1));
      expect(applied.status).toBe("applied");
      const unsent = await store.unsentAcks(101);
      expect(unsent).toEqual([{ updateId: 78, ref: ackRef, at: expect.any(String) }]);
      expect(await store.commit({ userId: 101, updateId: 78, ack: "x" }, cell(report, 2))).toEqual({
        status: "repeat",
        unsent: unsent[0],
      });
    });

    it("a commit after another client wrote the member is refused as stale while this client's copy is fresh, and written after a fresh read", async () => {
      const other = await backend.open();
      expect(await store.seen(101, 1)).toEqual({ handled: false, unsent: [] });
      const recalled = store.recall(101);
      // The Redis store keeps a copy (no read for the next update); the embedded store reads the file every time.
      if (recalled === undefined) return;
      expect(recalled).toEqual([]);
      await other.setUser(101, { interrupted: "新建报告" });
      await expect(store.commit({ userId: 101, updateId: 2, ack: "✅" }, { user: {} })).rejects.toBeInstanceOf(
        StaleMember,
      );
      expect(await store.unsentAcks(101)).toEqual([]);
      expect(store.recall(101)).toBeUndefined();
      expect(await store.seen(101, 2)).toEqual({ handled: false, unsent: [] });
      expect((await store.commit({ userId: 101, updateId: 2, ack: "✅" }, { user: {} })).status).toBe("applied");
      // Its own writes keep the copy current: no read, and the next commit is not refused.
      expect(store.recall(101)).toHaveLength(1);
      await store.markSent(101, [2]);
      expect(store.recall(101)).toEqual([]);
      expect((await store.commit({ userId: 101, updateId: 3, ack: "" }, { user: { interrupted: "x" } })).status).toBe(
        "applied",
      );
      expect(await store.getUser(101)).toEqual({ interrupted: "x" });
    });

    it("tells in one read whether an update was handled and what the member has not been told", async () => {
      expect(await store.seen(101, 1)).toEqual({ handled: false, unsent: [] });
      const next = { reportId: "abcdefghij", step: 12 };
      await store.commit({ userId: 101, updateId: 1, ack: "✅ 已保存：行 1", next }, { user: {} });
      await store.commit({ userId: 101, updateId: 2, ack: "" }, { user: {} });
      const seen = await store.seen(101, 1);
      expect(seen).toMatchObject({ handled: true, unsent: [{ updateId: 1, text: "✅ 已保存：行 1", next }] });
      expect(await store.seen(101, 2)).toEqual({ handled: true, unsent: seen.unsent });
      expect(await store.seen(101, 3)).toEqual({ handled: false, unsent: seen.unsent });
      expect(await store.seen(102, 1)).toEqual({ handled: false, unsent: [] });
    });

    it("a conflict records neither the update id nor the acknowledgement", async () => {
      const report = await store.createReport({ draft: draft(), members: [101] });
      const moved = await store.updateReport(report.id, 1, { cursor: 3 }, []);
      if (!moved.ok) throw new Error("setup write failed");
      const stale = await store.commit({ userId: 101, updateId: 9, ack: "✅" }, cell(report, 1));
      expect(stale).toEqual({ status: "conflict", current: moved.report });
      expect(await store.unsentAcks(101)).toEqual([]);
      const retried = await store.commit({ userId: 101, updateId: 9, ack: "✅" }, cell(moved.report, 1));
      expect(retried.status === "applied" && retried.report?.draft.cells.n).toBe(1);
      expect(await store.commit({ userId: 101, updateId: 9, ack: "" }, { user: {} })).toMatchObject({
        status: "repeat",
      });
    });

    it("keeps only the newest unsent acknowledgements of a member", async () => {
      for (let updateId = 1; updateId <= PENDING_ACK_LIMIT + 3; updateId++) {
        await store.commit({ userId: 5, updateId, ack: `ack ${updateId}` }, { user: {} });
      }
      const unsent = await store.unsentAcks(5);
      expect(unsent.map((a) => a.updateId)).toEqual(Array.from({ length: PENDING_ACK_LIMIT }, (_, i) => i + 4));
      await store.markSent(5, [4, 6, 999]);
      expect((await store.unsentAcks(5)).map((a) => a.text).slice(0, 2)).toEqual(["ack 5", "ack 7"]);
    });

    it("creates a report and makes it the member's current one in the same write; a repeat creates nothing", async () => {
      const origin = { userId: 101, updateId: 12, ack: "✅ 已新建" };
      const created = await store.commit(origin, {
        create: { draft: draft(), members: [101] },
        user: { currentReportId: NEW_REPORT },
      });
      if (created.status !== "applied" || !created.report) throw new Error("not created");
      expect(await store.getUser(101)).toEqual({ currentReportId: created.report.id });
      expect(await store.commit(origin, { create: { draft: draft(), members: [101] } })).toMatchObject({
        status: "repeat",
      });
      expect(await store.listReports(101)).toHaveLength(1);
    });

    it("keeps each member's position; marking an acknowledgement sent moves it in the same write", async () => {
      const report = await store.createReport({ draft: draft(), members: [1, 2] });
      await store.commit({ userId: 1, updateId: 10, ack: "✅ 1" }, { user: { currentReportId: report.id } });
      await store.commit({ userId: 2, updateId: 10, ack: "✅ 2" }, { user: { currentReportId: report.id } });
      await store.markSent(1, [10], { reportId: report.id, step: 4, messageId: 30, previous: 3 });
      await store.markSent(2, [], { reportId: report.id, step: 9, messageId: 31 });
      expect(await store.getUser(1)).toEqual({
        currentReportId: report.id,
        position: { reportId: report.id, step: 4, messageId: 30, previous: 3 },
      });
      expect(await store.getUser(2)).toEqual({
        currentReportId: report.id,
        position: { reportId: report.id, step: 9, messageId: 31 },
      });
      expect(await store.unsentAcks(1)).toEqual([]);
      expect((await store.unsentAcks(2)).map((a) => a.text)).toEqual(["✅ 2"]);
    });

    it("refuses a position or an acknowledgement the schema refuses, and the member's record stays readable", async () => {
      const report = await store.createReport({ draft: draft(), members: [4] });
      await store.commit({ userId: 4, updateId: 12, ack: "✅ 4" }, { user: { currentReportId: report.id } });
      await expect(store.markSent(4, [12], { reportId: report.id, step: -1, messageId: 0 })).rejects.toThrow(
        StoreDataError,
      );
      const badAck = { userId: 4, updateId: 13, ack: "✅", next: { reportId: "", step: 1 } };
      await expect(store.commit(badAck, { user: { currentReportId: report.id } })).rejects.toThrow(StoreDataError);
      expect(await store.getUser(4)).toEqual({ currentReportId: report.id });
      expect((await store.unsentAcks(4)).map((a) => a.updateId)).toEqual([12]);
    });

    it("a dialogue left by a command stays noted until a question of the form is shown again", async () => {
      const report = await store.createReport({ draft: draft(), members: [3] });
      await store.setUser(3, { currentReportId: report.id, interrupted: "修改设置" });
      await store.markSent(3, [11]);
      expect((await store.getUser(3)).interrupted).toBe("修改设置");
      await store.markSent(3, [], { reportId: report.id, step: 2, messageId: 40 });
      expect(await store.getUser(3)).toEqual({
        currentReportId: report.id,
        position: { reportId: report.id, step: 2, messageId: 40 },
      });
    });

    it("reads a report stored with the old per-user `handled` record, dropping it", async () => {
      const report = await store.createReport({ draft: draft(), members: [101] });
      await backend.tamper("report", report.id, JSON.stringify({ v: 1, ...report, handled: { "101": 900 } }));
      const read = await (await backend.open()).getReport(report.id);
      expect(read).toEqual(report);
      expect(read).not.toHaveProperty("handled");
    });
  });

  describe("the reminder ledger", () => {
    const FAR = new Date("2100-01-01T00:00:00Z");

    it("lists every stage sent, to whom and when (backups)", async () => {
      expect(await store.reminders.allSent()).toEqual([]);
      const at = new Date("2025-01-17T01:30:00.000Z");
      await store.reminders.recordSent(1, [{ reportId: "r1", stage: "publication-14" }], at);
      await store.reminders.recordSent(2, [{ reportId: "campaign.c1", stage: "digest|2025-01-13" }], at);
      const sent = (await store.reminders.allSent()).sort((a, b) => a.userId - b.userId);
      expect(sent).toEqual([
        { reportId: "r1", stage: "publication-14", userId: 1, at: at.toISOString() },
        { reportId: "campaign.c1", stage: "digest|2025-01-13", userId: 2, at: at.toISOString() },
      ]);
    });

    it("every report write makes the report due at once; the scheduler sets the next look", async () => {
      const a = await store.createReport({ draft: draft(), members: [1] });
      const b = await store.createReport({ draft: draft(), members: [2] });
      const due = await store.reminders.due(FAR, 10);
      expect(due.map((d) => d.id)).toEqual([a.id, b.id]);
      const [dueA] = due;
      expect(dueA!.at).toBeGreaterThanOrEqual(Date.parse(a.createdAt));
      const later = Date.parse("2030-01-01T00:00:00Z");
      expect(await store.reminders.reschedule(a.id, dueA!.at, later)).toBe(true);
      expect((await store.reminders.due(new Date(later - 1), 10)).map((d) => d.id)).toEqual([b.id]);
      expect(await store.reminders.due(new Date(later), 10)).toEqual([
        { id: b.id, at: due[1]!.at },
        { id: a.id, at: later },
      ]);
      // A write in between wins over a reschedule based on what was read before it.
      await store.updateReport(a.id, 1, { dueDate: "2026-01-15" }, []);
      expect(await store.reminders.reschedule(a.id, later, later + 1)).toBe(false);
      const again = (await store.reminders.due(new Date(later - 1), 10)).find((d) => d.id === a.id);
      expect(again!.at).toBeLessThan(later);
      // No further stage: out of the index until the next write.
      expect(await store.reminders.reschedule(a.id, again!.at, undefined)).toBe(true);
      expect((await store.reminders.due(FAR, 10)).map((d) => d.id)).toEqual([b.id]);
      await store.reminders.backfill();
      expect((await store.reminders.due(FAR, 10)).map((d) => d.id).sort()).toEqual([a.id, b.id].sort());
      await store.deleteReport(b.id);
      expect((await store.reminders.due(FAR, 10)).map((d) => d.id)).toEqual([a.id]);
      expect(await store.reminders.due(FAR, 0)).toEqual([]);
    });

    it("a once-only commit also makes its report due", async () => {
      const report = await store.createReport({ draft: draft(), members: [7] });
      const [first] = await store.reminders.due(FAR, 1);
      await store.reminders.reschedule(report.id, first!.at, Date.parse("2099-01-01T00:00:00Z"));
      const change = { draft: { ...report.draft, cells: { n: 1 } } };
      await store.commit(
        { userId: 7, updateId: 1, ack: "" },
        { update: { id: report.id, expectedVersion: 1, change, audit: [] } },
      );
      expect((await store.reminders.due(new Date("2098-01-01T00:00:00Z"), 1)).map((d) => d.id)).toEqual([report.id]);
    });

    it("records a stage as sent once per report, stage and member; a deleted report forgets", async () => {
      const r = await store.createReport({ draft: draft(), members: [1, 2] });
      const stage = { reportId: r.id, stage: "publication:2026-01-31:7" };
      const other = { reportId: r.id, stage: "publication:2026-01-31:3" };
      expect(await store.reminders.sentStages(1, [stage, other])).toEqual(new Set());
      await store.reminders.recordSent(1, [stage], new Date("2026-01-24T01:30:00Z"));
      await store.reminders.recordSent(1, [stage], new Date("2026-01-24T02:00:00Z"));
      const second = await backend.open();
      expect(await second.reminders.sentStages(1, [stage, other])).toEqual(new Set([`${r.id} ${stage.stage}`]));
      expect(await second.reminders.sentStages(2, [stage])).toEqual(new Set());
      await store.deleteReport(r.id);
      expect(await store.reminders.sentStages(1, [stage])).toEqual(new Set());
    });

    it("lets one owner at a time hold an officer's lease, until it is released or expires", async () => {
      const other = await backend.open();
      expect(await store.reminders.lease(5, "a", 60_000)).toBe(true);
      expect(await other.reminders.lease(5, "b", 60_000)).toBe(false);
      await other.reminders.release(5, "b");
      expect(await other.reminders.lease(5, "b", 60_000)).toBe(false);
      await store.reminders.release(5, "a");
      expect(await other.reminders.lease(5, "b", 50)).toBe(true);
      await new Promise((r) => setTimeout(r, 120));
      expect(await store.reminders.lease(5, "a", 60_000)).toBe(true);
    });

    it("marks members inactive (blocked the bot) and active again", async () => {
      await store.reminders.markInactive(3, new Date("2026-01-02T00:00:00Z"));
      expect(await store.reminders.inactive([1, 3])).toEqual(new Map([[3, "2026-01-02T00:00:00.000Z"]]));
      await store.reminders.clearInactive(3);
      expect(await store.reminders.inactive([3])).toEqual(new Map());
      expect(await store.reminders.inactive([])).toEqual(new Map());
    });

    it("shares the send rate between instances: one a second per chat, the overall rate across chats", async () => {
      const other = await backend.open();
      expect(await store.reminders.takeSendSlot(11, 25)).toBe(0);
      const sameChat = await other.reminders.takeSendSlot(11, 25);
      expect(sameChat).toBeGreaterThan(900);
      expect(sameChat).toBeLessThanOrEqual(1000);
      const otherChat = await other.reminders.takeSendSlot(12, 25);
      expect(otherChat).toBeLessThanOrEqual(40);
      await new Promise((r) => setTimeout(r, otherChat + 1));
      expect(await other.reminders.takeSendSlot(12, 25)).toBe(0);
    });
  });

  it("keeps every acknowledged write when the writing process is killed with SIGKILL", async () => {
    const report = await store.createReport({ draft: draft(), members: [101] });
    const child: ChildProcessWithoutNullStreams = spawn(
      process.execPath,
      ["--import", "tsx", WRITER, backend.kind, backend.location, backend.prefix, report.id],
      { cwd: ROOT },
    );
    const acks: number[] = [];
    let pending = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      const lines = (pending + chunk).split("\n");
      pending = lines.pop() ?? "";
      acks.push(...lines.map(Number));
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    const closed = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on("close", (_code, signal) => resolve(signal)),
    );
    try {
      await waitFor(() => acks.length >= 20 || child.exitCode !== null, `20 acks (stderr: ${stderr})`);
      expect(child.exitCode, stderr).toBeNull();
      // Meanwhile this process reads and writes the same data (for the
      // embedded store: a second process on the same file, through WAL).
      const ackedBefore = acks.at(-1) ?? 0;
      expect((await store.getReport(report.id))?.version).toBeGreaterThanOrEqual(ackedBefore);
      await store.writeState("parent", { alive: true });
      const target = acks.length + 20;
      await waitFor(() => acks.length >= target, "20 more acks");
      child.kill("SIGKILL");
      expect(await closed).toBe("SIGKILL");
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
    const lastAck = acks.at(-1) ?? 0;
    expect(acks).toEqual(Array.from({ length: lastAck - 1 }, (_, i) => i + 2));

    const reopened = await backend.open();
    const after = await reopened.getReport(report.id);
    if (!after) throw new Error("report lost");
    expect(after.version).toBeGreaterThanOrEqual(lastAck);
    expect(after.version).toBeLessThanOrEqual(lastAck + 1); // at most the write in flight
    expect(after.cursor).toBe(after.version);
    const trail = await reopened.history(report.id, 10_000);
    expect(trail).toHaveLength(after.version - 1); // one entry per write, written with it
    expect(trail.map((e) => e.new)).toEqual(Array.from({ length: after.version - 1 }, (_, i) => after.version - i));
    // Nothing of the killed process blocks later writes.
    expect((await reopened.updateReport(report.id, after.version, { cursor: 0 }, [])).ok).toBe(true);
    expect(await reopened.readState("parent")).toEqual({ alive: true });
  });
});

describe("openStore", () => {
  it("without a Redis URL opens the embedded store in the data folder, creating it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "nianbao-open-"));
    const dataDir = join(dir, "a", "b");
    try {
      const store = await openStore({ redisPrefix: "nianbao:", dataDir });
      expect(store).toBeInstanceOf(EmbeddedStore);
      expect(existsSync(join(dataDir, EMBEDDED_FILE_NAME))).toBe(true);
      await store.close();
      const raw = new Database(join(dataDir, EMBEDDED_FILE_NAME));
      expect(raw.pragma("journal_mode", { simple: true })).toBe("wal");
      raw.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("with a Redis URL opens the Redis store and does not touch the data folder", async () => {
    const dataDir = join(tmpdir(), `nianbao-unused-${randomBytes(4).toString("hex")}`);
    const store = await openStore({ redisUrl: REDIS_URL, redisPrefix: "nianbao-test-open:", dataDir });
    try {
      expect(store).toBeInstanceOf(RedisStore);
      expect(await store.readState("never-written")).toBeUndefined();
      expect(existsSync(dataDir)).toBe(false);
    } finally {
      await store.close();
    }
  });
});
