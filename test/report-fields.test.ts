import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Draft } from "../src/form/draft.js";
import { openStore } from "../src/store/open-store.js";
import {
  allFields,
  bySize,
  changedFields,
  decodeAudit,
  encodeAudit,
  isLegacy,
  nameFields,
  reportFromFields,
  SMALL_VALUE,
} from "../src/store/report-fields.js";
import {
  type AuditEntry,
  applyChange,
  auditValue,
  newReport,
  recordDiff,
  SCHEMA_VERSION,
  type Store,
  StoreDataError,
  type StoredReport,
  validateChange,
} from "../src/store/store.js";
import { commandsSent } from "./support/redis-commands.js";
import { REDIS_URL } from "./support/redis-url.js";

/**
 * Schema v3 keeps a report as fields so that a write sends only what
 * changed (issue "Speed" 1), v4 fewer and smaller ones (issue "Speed" 5):
 * the fields of a change, the round trip of all fields, the audit elements,
 * and what a write leaves in Redis.
 */

const fixture = Draft.parse(JSON.parse(readFileSync(new URL("./fixtures/report-2022.json", import.meta.url), "utf8")));
const now = new Date("2026-01-10T02:00:00.000Z");
const later = new Date("2026-01-10T02:00:05.000Z");
const full = (): StoredReport =>
  newReport("AAAAAAAAAA", { draft: fixture, members: [101, 102], deadline: "2026-01-31", previous: fixture }, now);

describe("the fields of a change", () => {
  it("a row answer writes its row (one field), the cursor and the time, nothing else", () => {
    const before = full();
    const cells = { ...before.draft.cells, "apply.new.natural": 41, "apply.new.business": 2 };
    const after = applyChange(before, { draft: { ...before.draft, cells }, cursor: 9 }, later);
    const { set, del } = changedFields(before, after);
    const row = Object.entries(cells)
      .filter(([id]) => id.startsWith("apply.new."))
      .map(([id, v]) => `${id.slice("apply.new.".length)}:${v}`)
      .sort()
      .join(",");
    expect(Object.fromEntries(set)).toEqual({
      "r:apply.new": row,
      "f:cursor": "9",
      "f:updatedAt": JSON.stringify(later.toISOString()),
    });
    expect(row).toContain("natural:41");
    expect(del).toEqual([]);
  });

  it("a cursor move sends no cell, part or last year's report", () => {
    const before = full();
    const { set } = changedFields(before, applyChange(before, { cursor: 3 }, later));
    expect([...set.keys()].sort()).toEqual(["f:cursor", "f:updatedAt"]);
  });

  it("a cleared part or optional field is deleted, a row keeps its other cells, a changed header is written", () => {
    const before = full();
    const { "overview.intro": _, ...narrative } = before.draft.narrative;
    const { "apply.new.natural": __, ...cells } = before.draft.cells;
    const after = applyChange(
      before,
      { draft: { ...before.draft, org: "新单位", narrative, cells }, deadline: undefined },
      later,
    );
    const { set, del } = changedFields(before, after);
    expect(del.sort()).toEqual(["f:deadline", "n:overview.intro"]);
    expect(set.get("r:apply.new")).not.toContain("natural:");
    expect(JSON.parse(set.get("d")!)).toMatchObject({ org: "新单位", year: fixture.year });
  });

  it("a row whose last cell is cleared is deleted", () => {
    const before = full();
    const cells = Object.fromEntries(Object.entries(before.draft.cells).filter(([id]) => !id.startsWith("review.")));
    const { del } = changedFields(before, applyChange(before, { draft: { ...before.draft, cells } }, later));
    expect(del).toEqual(["r:review"]);
  });

  it("equal copies are not written; a changed, added or dropped header value or field is", () => {
    const before = full();
    const keys = (change: Parameters<typeof applyChange>[1]) => {
      const { set, del } = changedFields(before, applyChange(before, change, later));
      return { set: [...set.keys()].filter((k) => k !== "f:updatedAt").sort(), del: del.sort() };
    };
    const { date, ...undated } = before.draft;
    expect(date).toBeDefined();
    expect(keys({ draft: { ...before.draft }, members: [101, 102], previous: { ...fixture } })).toEqual({
      set: [],
      del: [],
    });
    expect(keys({ draft: undated })).toEqual({ set: ["d"], del: [] });
    expect(keys({ draft: { ...before.draft, year: before.draft.year + 1 } })).toEqual({ set: ["d"], del: [] });
    expect(keys({ draft: { ...before.draft, date: undefined } })).toEqual({ set: ["d"], del: [] });
    expect(keys({ members: [101], muted: [102], cursor: 0, dueDate: undefined })).toEqual({
      set: ["f:members", "f:muted"],
      del: [],
    });
    expect(keys({ previous: undefined, deadline: "2026-02-01" })).toEqual({ set: ["f:deadline"], del: ["f:previous"] });
    const { draft: _, ...withoutDraft } = before;
    expect(changedFields({ ...withoutDraft, draft: undated }, before).set.get("d")).toBe(
      JSON.stringify((({ cells: __, narrative: ___, ...head }) => head)(before.draft)),
    );
  });

  it("all fields read back as the same report; an unknown schema version is refused", () => {
    const report = full();
    const fields = { version: String(report.version), ...Object.fromEntries(allFields(report)) };
    expect(reportFromFields("k", fields)).toEqual(report);
    expect(() => reportFromFields("k", { ...fields, v: "99" })).toThrow(StoreDataError);
    expect(() => reportFromFields("k", { ...fields, "f:cursor": "-1" })).toThrow(StoreDataError);
    expect(() => reportFromFields("k", { ...fields, "r:apply.new": "natural" })).toThrow(StoreDataError);
  });

  it("packs a row's cells into one field, and keeps a cell whose id does not split in a field of its own", () => {
    const odd = {
      "apply.new.natural": 1.5,
      "apply.new.legal": -2,
      plain: 3,
      ".lead": 4,
      "a.b:c": 5,
      "a.": 6,
      "x.y.z": 7,
    };
    const report = { ...full(), draft: { ...fixture, cells: odd } };
    const fields = allFields(report);
    expect(fields.get("r:apply.new")).toBe("legal:-2,natural:1.5");
    expect(fields.get("r:x.y")).toBe("z:7");
    expect([...fields.keys()].filter((f) => f.startsWith("c:")).sort()).toEqual([
      "c:.lead",
      "c:a.",
      "c:a.b:c",
      "c:plain",
    ]);
    const read = reportFromFields("k", { version: "1", ...Object.fromEntries(fields) });
    expect(read.draft.cells).toEqual(odd);
  });

  it("reads a report of schema v3, a field per cell", () => {
    const report = full();
    const { cells, narrative, ...head } = report.draft;
    const v3: Record<string, string> = { version: "1", v: "3", d: JSON.stringify(head) };
    for (const [name, value] of Object.entries(report))
      if (name !== "version" && name !== "draft" && value !== undefined) v3[`f:${name}`] = JSON.stringify(value);
    for (const [id, value] of Object.entries(cells)) v3[`c:${id}`] = JSON.stringify(value);
    for (const [id, text] of Object.entries(narrative)) v3[`n:${id}`] = text;
    expect(reportFromFields("k", v3)).toEqual(report);
    expect(isLegacy(v3)).toBe(true);
    expect(isLegacy({ v: String(SCHEMA_VERSION) })).toBe(false);
  });

  it("splits the fields at Redis' compact value size: the narrative parts are large, the rows small", () => {
    const fields = allFields(full());
    const { small, large } = bySize(fields, new Map([["w:1", "张 三"]]));
    const pairs = (flat: string[]) =>
      Array.from({ length: flat.length / 2 }, (_, i) => [flat[2 * i]!, flat[2 * i + 1]!]);
    expect(large.length + small.length).toBe(2 * (fields.size + 1));
    expect(pairs(large).every(([, v]) => Buffer.byteLength(v!) > SMALL_VALUE)).toBe(true);
    expect(pairs(small).every(([, v]) => Buffer.byteLength(v!) <= SMALL_VALUE)).toBe(true);
    expect(new Map([...pairs(small), ...pairs(large)] as [string, string][])).toEqual(
      new Map([...fields, ["w:1", "张 三"]]),
    );
    expect(pairs(large).map(([f]) => f)).toEqual(expect.arrayContaining(["n:overview.active", "f:previous"]));
    expect(pairs(small).map(([f]) => f)).toEqual(expect.arrayContaining(["r:apply.new", "f:cursor", "v", "w:1"]));
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
  const names = { "w:1001": "张 三", "w:7": "某人" };

  it("one element per write, author and time once, targets after their common start, no names", () => {
    const report = full();
    const entries = [entry, { ...entry, target: "apply.new.business", old: 3, new: 2 }];
    const raws = encodeAudit("k", entries, report, report);
    expect(raws).toEqual(['[[1768010405123,1001,1],"apply.new.","natural",null,41,"business",3,2]']);
    expect(Object.fromEntries(nameFields(entries))).toEqual({ "w:1001": "张 三" });
    expect(decodeAudit("k", raws, names)).toEqual([...entries].reverse());
  });

  it("keep a source, an entry without a name and a time that is not in the usual form", () => {
    const report = full();
    const other = { at: "2026-01-10T02:00:05Z", by: 7, target: "org", old: "甲", new: "乙", source: "来自去年" };
    const entries = [entry, other, { ...other, target: "settings.org" }];
    const raws = encodeAudit("k", entries, report, report);
    expect(raws).toHaveLength(2);
    expect(decodeAudit("k", raws.reverse(), names)).toEqual([...entries].reverse());
    expect(() => encodeAudit("k", [{ ...entry, by: -1 }], report, report)).toThrow(StoreDataError);
    expect(() => decodeAudit("k", ["[1,2]"], {})).toThrow(StoreDataError);
    expect(() => decodeAudit("k", ['[[1,2,0],"",3]'], {})).toThrow(StoreDataError);
  });

  it("still reads the rows of v3 and the objects of v2", () => {
    const v3 = ['[1768010405123,1001,"apply.new.natural",null,41,1]', '[1768010405000,7,"org","甲","乙",0,"来自去年"]'];
    const v2 = JSON.stringify({ v: 2, ...entry, byName: "旧名" });
    expect(decodeAudit("k", [...v3, v2], names)).toEqual([
      entry,
      { at: "2026-01-10T02:00:05.000Z", by: 7, target: "org", old: "甲", new: "乙", source: "来自去年" },
      { ...entry, byName: "旧名" },
    ]);
  });

  it("keeps a narrative text once: the entry that wrote what the report holds refers to it", () => {
    const before = full();
    const text = "新的概述".repeat(80);
    const after = applyChange(
      before,
      { draft: { ...before.draft, narrative: { ...before.draft.narrative, "overview.intro": text } } },
      later,
    );
    const written = {
      ...entry,
      target: "overview.intro",
      old: auditValue(before.draft.narrative["overview.intro"]),
      new: auditValue(text),
    };
    const raws = encodeAudit("k", [written], before, after);
    expect(raws).toHaveLength(1);
    expect(raws[0]).toContain(",true]");
    expect(raws[0]).not.toContain("新的概述");
    const fields = { ...names, ...Object.fromEntries(allFields(after)) };
    expect(decodeAudit("k", raws, fields)).toEqual([written]);
  });
});

/*
 * A narrative text an entry refers to is rebuilt from the report or a later
 * entry: whatever the writes (with or without entries, entries that do not
 * start from the stored text, several per write), and wherever the trim cut
 * the list, the trail reads back exactly as it was written.
 */
/**
 * A write works out which cells changed once (validateChange) and writes their
 * rows from that (changedFields): the shortcut must find exactly what looking
 * every key up in both records finds, for copies made as the bot makes them
 * (some cells set, some added, some dropped) and for unrelated records.
 */
describe("the cells a write changes, worked out once", () => {
  const ids = ["a.x", "a.y", "b.x", "b.y", "b.z", "c", "d.q", "e.r"];
  const cells = fc.dictionary(fc.constantFrom(...ids), fc.integer({ min: 0, max: 3 }));
  const edits = fc.array(fc.tuple(fc.constantFrom(...ids), fc.option(fc.integer({ min: 0, max: 3 }))), {
    maxLength: 6,
  });
  const naive = (before: Record<string, number>, after: Record<string, number>) => ({
    changed: Object.keys(after).filter((id) => !Object.hasOwn(before, id) || !Object.is(before[id], after[id])),
    drops: Object.keys(before).some((id) => !Object.hasOwn(after, id)),
  });

  it("finds the changed and dropped cells as a lookup of every key does, and the same fields", () => {
    fc.assert(
      fc.property(cells, edits, cells, fc.boolean(), (before, changes, other, unrelated) => {
        const after: Record<string, number> = unrelated ? other : { ...before };
        if (!unrelated)
          for (const [id, value] of changes) {
            if (value === null) delete after[id];
            else after[id] = value;
          }
        const diff = recordDiff(before, after);
        const expected = naive(before, after);
        expect([...diff.changed].sort()).toEqual([...expected.changed].sort());
        expect(diff.drops).toBe(expected.drops);
        const current = { ...full(), draft: { ...fixture, cells: before } };
        const change = { draft: { ...current.draft, cells: after } };
        const { cells: worked } = validateChange("k", current, change);
        const next = applyChange(current, change, later);
        expect(changedFields(current, next, worked)).toEqual(changedFields(current, next));
      }),
    );
  });
});

describe("narrative texts referred to, over any sequence of writes", () => {
  const parts = ["overview.intro", "problems"] as const;
  const texts = ["", "短", "甲".repeat(150), "乙".repeat(250), "乙".repeat(260), "丙".repeat(201)];
  const write = fc.record({
    changes: fc.array(fc.record({ part: fc.constantFrom(...parts), text: fc.constantFrom(...texts) }), {
      maxLength: 3,
    }),
    /** 0: entries as the bot writes them, 1: none, 2: an entry whose old is not the stored text. */
    audit: fc.constantFrom(0, 0, 0, 1, 2),
    sameTime: fc.boolean(),
  });

  it("reads back every entry, from the whole list and from every trimmed tail", () => {
    fc.assert(
      fc.property(fc.array(write, { minLength: 1, maxLength: 12 }), (writes) => {
        let report: StoredReport = { ...full(), draft: { ...fixture, narrative: {} } };
        const list: string[] = [];
        const entries: AuditEntry[][] = [];
        let t = Date.parse("2026-01-10T02:00:00.000Z");
        for (const w of writes) {
          const narrative: Record<string, string> = { ...report.draft.narrative };
          const audit: AuditEntry[] = [];
          for (const { part, text } of w.changes) {
            if (!w.sameTime) t += 1000;
            const old = w.audit === 2 ? "别的" : auditValue(narrative[part]);
            if (w.audit !== 1)
              audit.push({ at: new Date(t).toISOString(), by: 1001, target: part, old, new: auditValue(text) });
            if (text) narrative[part] = text;
            else delete narrative[part];
          }
          const next = applyChange(report, { draft: { ...report.draft, narrative } }, later);
          const raws = encodeAudit("k", audit, report, next);
          list.push(...raws);
          entries.push(audit);
          report = next;
        }
        const fields = Object.fromEntries(allFields(report));
        const all = entries.flat().reverse();
        expect(decodeAudit("k", [...list].reverse(), fields)).toEqual(all);
        // The trim drops the oldest elements: what is left still reads as the newest entries.
        for (let kept = 0; kept <= list.length; kept++) {
          const tail = list.slice(list.length - kept).reverse();
          const read = decodeAudit("k", tail, fields);
          expect(read).toEqual(all.slice(0, read.length));
        }
      }),
      { numRuns: 300 },
    );
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

  it("is a field per row, its long texts in a second hash; a write changes only the fields of its change", async () => {
    const created = await store.createReport({ draft: fixture, members: [101] });
    const key = `${prefix}report:${created.id}`;
    const before = await raw.hgetall(key);
    expect(before["r:apply.new"]).toContain(`natural:${fixture.cells["apply.new.natural"]}`);
    expect(before["n:overview.active"]).toBeUndefined();
    expect(await raw.hget(`${prefix}text:${created.id}`, "n:overview.active")).toBe(
      fixture.narrative["overview.active"],
    );
    // Every value small enough for Redis' compact encoding.
    expect(await raw.object("ENCODING", key)).toBe("listpack");
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
    expect(changed.sort()).toEqual(["f:cursor", "f:updatedAt", "r:apply.new", "version"]);
    expect(after["r:apply.new"]).toContain("natural:777");
  });

  it("moves a field between the hashes when its value grows or shrinks, and deletes it from both", async () => {
    const created = await store.createReport({ draft: { ...fixture, narrative: { other: "短" } }, members: [101] });
    const [key, text] = [`${prefix}report:${created.id}`, `${prefix}text:${created.id}`];
    expect(await raw.hget(key, "n:other")).toBe("短");
    const long = "长".repeat(40);
    const grown = await store.updateReport(
      created.id,
      1,
      { draft: { ...created.draft, narrative: { other: long } } },
      [],
    );
    expect(grown.ok).toBe(true);
    expect([await raw.hget(key, "n:other"), await raw.hget(text, "n:other")]).toEqual([null, long]);
    const report = grown.ok ? grown.report : created;
    const shrunk = await store.updateReport(
      created.id,
      2,
      { draft: { ...report.draft, narrative: { other: "又短" } } },
      [],
    );
    expect(shrunk.ok).toBe(true);
    expect([await raw.hget(key, "n:other"), await raw.hget(text, "n:other")]).toEqual(["又短", null]);
    const cleared = await store.updateReport(created.id, 3, { draft: { ...report.draft, narrative: {} } }, []);
    expect(cleared.ok).toBe(true);
    expect([await raw.hget(key, "n:other"), await raw.hget(text, "n:other")]).toEqual([null, null]);
    const other = await openStore({ redisUrl: REDIS_URL, redisPrefix: prefix, dataDir: "" });
    try {
      expect((await other.getReport(created.id))?.draft.narrative).toEqual({});
    } finally {
      await other.close();
    }
    expect(await store.deleteReport(created.id)).toBe(true);
    expect(await raw.exists(key, text, `${prefix}audit:${created.id}`)).toBe(0);
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
    expect(stored).toHaveLength(1);
    expect(stored.every((e) => !e.includes("王") && Buffer.byteLength(e) < 70)).toBe(true);
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
