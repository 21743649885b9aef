import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Draft } from "../src/form/draft.js";
import { openStore } from "../src/store/open-store.js";
import {
  allFields,
  authorsOf,
  changedFields,
  decodeAudit,
  encodeAudit,
  nameFields,
  reportFromFields,
} from "../src/store/report-fields.js";
import { applyChange, newReport, type Store, StoreDataError, type StoredReport } from "../src/store/store.js";
import { commandsSent } from "./support/redis-commands.js";

/**
 * Schema v3 keeps a report as fields so that a write sends only what
 * changed (issue "Speed" 1): the fields of a change, the round trip of all
 * fields, and what a write leaves in Redis.
 */

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const fixture = Draft.parse(JSON.parse(readFileSync(new URL("./fixtures/report-2022.json", import.meta.url), "utf8")));
const now = new Date("2026-01-10T02:00:00.000Z");
const later = new Date("2026-01-10T02:00:05.000Z");
const full = (): StoredReport =>
  newReport("AAAAAAAAAA", { draft: fixture, members: [101, 102], deadline: "2026-01-31", previous: fixture }, now);

describe("the fields of a change", () => {
  it("a row answer changes its cells, the cursor and the time, nothing else", () => {
    const before = full();
    const cells = { ...before.draft.cells, "apply.new.natural": 41, "apply.new.business": 2 };
    const after = applyChange(before, { draft: { ...before.draft, cells }, cursor: 9 }, later);
    const { set, del } = changedFields(before, after);
    expect(Object.fromEntries(set)).toEqual({
      "c:apply.new.natural": "41",
      "c:apply.new.business": "2",
      "f:cursor": "9",
      "f:updatedAt": JSON.stringify(later.toISOString()),
    });
    expect(del).toEqual([]);
  });

  it("a cursor move sends no cell, part or last year's report", () => {
    const before = full();
    const { set } = changedFields(before, applyChange(before, { cursor: 3 }, later));
    expect([...set.keys()].sort()).toEqual(["f:cursor", "f:updatedAt"]);
  });

  it("a cleared part, cell or optional field is deleted; a changed header is written", () => {
    const before = full();
    const { "overview.intro": _, ...narrative } = before.draft.narrative;
    const { "apply.new.natural": __, ...cells } = before.draft.cells;
    const after = applyChange(
      before,
      { draft: { ...before.draft, org: "新单位", narrative, cells }, deadline: undefined },
      later,
    );
    const { set, del } = changedFields(before, after);
    expect(del.sort()).toEqual(["c:apply.new.natural", "f:deadline", "n:overview.intro"]);
    expect(JSON.parse(set.get("d")!)).toMatchObject({ org: "新单位", year: fixture.year });
  });

  it("all fields read back as the same report; an unknown schema version is refused", () => {
    const report = full();
    const fields = { version: String(report.version), ...Object.fromEntries(allFields(report)) };
    expect(reportFromFields("k", fields)).toEqual(report);
    expect(() => reportFromFields("k", { ...fields, v: "99" })).toThrow(StoreDataError);
    expect(() => reportFromFields("k", { ...fields, "f:cursor": "-1" })).toThrow(StoreDataError);
  });
});

describe("audit entries as Redis keeps them", () => {
  const entry = {
    at: "2026-01-10T02:00:05.123Z",
    by: 1001,
    byName: "张 三",
    target: "apply.new.natural",
    old: null,
    new: 41,
  };

  it("are short rows without keys or names, and read back whole with the author's name", () => {
    const raw = encodeAudit("k", entry);
    expect(raw).toBe('[1768010405123,1001,"apply.new.natural",null,41,1]');
    expect(Object.fromEntries(nameFields([entry]))).toEqual({ "w:1001": "张 三" });
    expect(authorsOf([raw])).toEqual([1001]);
    expect(decodeAudit("k", raw, new Map([[1001, "张 三"]]))).toEqual(entry);
  });

  it("keep a source, an entry without a name and a time that is not in the usual form", () => {
    const other = { at: "2026-01-10T02:00:05Z", by: 7, target: "org", old: "甲", new: "乙", source: "来自去年" };
    expect(decodeAudit("k", encodeAudit("k", other), new Map([[7, "某人"]]))).toEqual(other);
    expect(() => encodeAudit("k", { ...entry, by: -1 })).toThrow(StoreDataError);
    expect(() => decodeAudit("k", "[1,2]", new Map())).toThrow(StoreDataError);
  });
});

describe("a report in Redis", () => {
  const prefix = `nianbao-test-fields-${randomBytes(6).toString("hex")}:`;
  let raw: Redis;
  let store: Store;
  beforeAll(async () => {
    raw = new Redis(REDIS_URL);
    store = await openStore({ redisUrl: REDIS_URL, redisPrefix: prefix, dataDir: "" });
  });
  afterAll(async () => {
    await store.close();
    const keys = await raw.keys(`${prefix}*`);
    if (keys.length > 0) await raw.del(...keys);
    await raw.quit();
  });

  it("is a field per cell and part; a write changes only the fields of its change", async () => {
    const created = await store.createReport({ draft: fixture, members: [101] });
    const key = `${prefix}report:${created.id}`;
    const before = await raw.hgetall(key);
    expect(before["c:apply.new.natural"]).toBe(String(fixture.cells["apply.new.natural"]));
    expect(before["n:overview.active"]).toBe(fixture.narrative["overview.active"]);
    const cells = { ...created.draft.cells, "apply.new.natural": 777 };
    const sent = await commandsSent(() =>
      store.updateReport(created.id, 1, { draft: { ...created.draft, cells }, cursor: 4 }, [], created),
    );
    expect(sent.result.ok).toBe(true);
    // The report is over 10 KB; the write is its script with the changed fields.
    expect(sent.commands.map((c) => c.replace("evalsha", "eval"))).toEqual(["eval"]);
    expect(sent.bytes).toBeLessThan(1024);
    const after = await raw.hgetall(key);
    const changed = Object.keys(after).filter((f) => after[f] !== before[f]);
    expect(changed.sort()).toEqual(["c:apply.new.natural", "f:cursor", "f:updatedAt", "version"]);
    expect(after["c:apply.new.natural"]).toBe("777");
  });

  it("keeps who, when, what and old → new in its audit trail, each name once", async () => {
    const created = await store.createReport({ draft: fixture, members: [101] });
    const at = "2026-01-10T02:00:05.000Z";
    const entries = ["apply.new.natural", "apply.new.business"].map((target, i) => ({
      at,
      by: 101,
      byName: "王 五",
      target,
      old: i,
      new: i + 10,
    }));
    const result = await store.updateReport(created.id, 1, { cursor: 1 }, entries, created);
    expect(result.ok).toBe(true);
    expect(await store.history(created.id, 10)).toEqual([...entries].reverse());
    const stored = await raw.lrange(`${prefix}audit:${created.id}`, 0, -1);
    expect(stored.every((e) => !e.includes("王") && Buffer.byteLength(e) < 60)).toBe(true);
    expect(await raw.hget(`${prefix}report:${created.id}`, "w:101")).toBe("王 五");
  });

  it("a stale write gets the current report from the script, as another instance wrote it", async () => {
    const created = await store.createReport({ draft: fixture, members: [101] });
    const other = await openStore({ redisUrl: REDIS_URL, redisPrefix: prefix, dataDir: "" });
    try {
      const won = await other.updateReport(created.id, 1, { cursor: 7 }, []);
      expect(won.ok).toBe(true);
      const sent = await commandsSent(() =>
        store.commit(
          { userId: 101, updateId: 1, ack: "" },
          { update: { id: created.id, expectedVersion: 1, change: { cursor: 2 }, audit: [], basis: created } },
        ),
      );
      expect(sent.result).toEqual({ status: "conflict", current: won.ok ? won.report : undefined });
      // One round trip: the script, which answered with the current fields (no read before or after).
      expect(sent.commands.map((c) => c.replace("evalsha", "eval"))).toEqual(["eval"]);
    } finally {
      await other.close();
    }
  });
});
