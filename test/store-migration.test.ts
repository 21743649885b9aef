import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import type { Draft } from "../src/form/draft.js";
import { EMBEDDED_FILE_NAME, openStore } from "../src/store/open-store.js";
import { SCHEMA_VERSION, type Store } from "../src/store/store.js";
import { REDIS_URL } from "./support/redis-url.js";

/**
 * Stores written by earlier releases: schema v1 (main at 7ad3599), schema
 * v2 (main at 93a62ae) and schema v3 (main at bc25ae9: in Redis a report as
 * hash fields, in the embedded store the last file keeping a report as one
 * JSON row), the last two by test/support/write-store-fixtures.ts. Each is a
 * Redis dump (every key under the prefix with its type and value) and an
 * embedded store file, with three reports, their members, audit trails, user
 * records and a conversation state (v2 on also handled update ids, an unsent
 * acknowledgement and positions). This build opens them, reads back the same
 * data, and writes over them in the current schema.
 */

const fixtures = (schema: number) => fileURLToPath(new URL(`./fixtures/store-v${schema}/`, import.meta.url));

type Dumped =
  | { type: "string"; value: string }
  | { type: "hash"; value: Record<string, string> }
  | { type: "list"; value: string[] }
  | { type: "set"; value: string[] }
  | { type: "zset"; value: [string, string][] };

/** What v1 stored, as the reader of the current schema should see it. */
interface Expected {
  reports: Map<string, Record<string, unknown>>;
  members: Map<number, string[]>;
  audit: Map<string, Record<string, unknown>[]>;
  users: Map<number, Record<string, unknown>>;
  states: Map<string, unknown>;
  /** Unsent acknowledgements by member (schema v2 on). */
  acks: Map<number, Record<string, unknown>[]>;
}

const emptyExpected = (): Expected => ({
  reports: new Map(),
  members: new Map(),
  audit: new Map(),
  users: new Map(),
  states: new Map(),
  acks: new Map(),
});

/** Drops the version and, from reports, the once-only record that v2 keeps per member. */
function current(json: string, kind: "report" | "other", schema: number): Record<string, unknown> {
  const { v, handled, ...rest } = JSON.parse(json) as Record<string, unknown>;
  expect(v).toBe(schema);
  return kind === "report" ? rest : { ...rest, ...(handled === undefined ? {} : { handled }) };
}

/**
 * A report of schema v3 as hash fields (report-fields.ts at bc25ae9), read
 * here on its own so the expectation does not come from the code under test.
 */
function reportOfV3(fields: Record<string, string>): Record<string, unknown> {
  expect(fields.v).toBe("3");
  const report: Record<string, unknown> = { version: Number(fields.version) };
  const cells: Record<string, unknown> = {};
  const narrative: Record<string, string> = {};
  let head: object = {};
  for (const [name, value] of Object.entries(fields)) {
    if (name.startsWith("f:")) report[name.slice(2)] = JSON.parse(value);
    else if (name.startsWith("c:")) cells[name.slice(2)] = JSON.parse(value);
    else if (name.startsWith("n:")) narrative[name.slice(2)] = value;
    else if (name === "d") head = JSON.parse(value);
  }
  return { ...report, draft: { ...head, cells, narrative } };
}

/** An audit row of schema v3: `[at ms, by, target, old, new, named, source?]`, the name in the report's `w:<by>`. */
function auditOfV3(row: string, fields: Record<string, string>): Record<string, unknown> {
  const [at, by, target, old, next, named, source] = JSON.parse(row) as unknown[];
  return {
    at: typeof at === "number" ? new Date(at).toISOString() : at,
    by,
    ...(named === 1 ? { byName: fields[`w:${by}`] } : {}),
    target,
    old,
    new: next,
    ...(source === undefined ? {} : { source }),
  };
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function redisFixture(
  schema: number,
): Promise<{ open: () => Promise<Store>; expected: Expected; raw: Redis; prefix: string }> {
  const dump = JSON.parse(readFileSync(join(fixtures(schema), "redis-dump.json"), "utf8")) as {
    keys: Record<string, Dumped>;
  };
  const prefix = `nianbao-migration:${process.pid}-${Date.now()}:`;
  const raw = new Redis(REDIS_URL);
  cleanups.push(async () => {
    const keys = await raw.keys(`${prefix}*`);
    if (keys.length > 0) await raw.del(...keys);
    await raw.quit();
  });
  const expected = emptyExpected();
  for (const [key, entry] of Object.entries(dump.keys)) {
    const [kind, ...rest] = key.split(":");
    const id = rest.join(":");
    if (entry.type === "string") await raw.set(prefix + key, entry.value);
    if (entry.type === "hash") await raw.hset(prefix + key, entry.value);
    if (entry.type === "list") await raw.rpush(prefix + key, ...entry.value);
    if (entry.type === "set") await raw.sadd(prefix + key, ...entry.value);
    if (entry.type === "zset") await raw.zadd(prefix + key, ...entry.value.flatMap(([m, score]) => [score, m]));
    if (kind === "report" && entry.type === "hash")
      expected.reports.set(id, schema >= 3 ? reportOfV3(entry.value) : current(entry.value.json!, "report", schema));
    if (kind === "member" && entry.type === "set") expected.members.set(Number(id), [...entry.value].sort());
    if (kind === "audit" && entry.type === "list") {
      const report = dump.keys[`report:${id}`];
      const fields = report?.type === "hash" ? report.value : {};
      expected.audit.set(
        id,
        entry.value.map((j) => (schema >= 3 ? auditOfV3(j, fields) : current(j, "other", schema))),
      );
    }
    if (kind === "acks" && entry.type === "list")
      expected.acks.set(
        Number(id),
        entry.value.map((j) => current(j, "other", schema)),
      );
    if (kind === "user" && entry.type === "string")
      expected.users.set(Number(id), current(entry.value, "other", schema));
    if (kind === "state" && entry.type === "string") expected.states.set(id, JSON.parse(entry.value).value);
  }
  return { open: () => openStore({ redisUrl: REDIS_URL, redisPrefix: prefix, dataDir: "" }), expected, raw, prefix };
}

function embeddedFixture(schema: number): { open: () => Promise<Store>; expected: Expected; file: string } {
  const dir = mkdtempSync(join(tmpdir(), "nianbao-migration-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, EMBEDDED_FILE_NAME);
  copyFileSync(join(fixtures(schema), "embedded", EMBEDDED_FILE_NAME), file);
  const db = new Database(file, { readonly: true });
  const expected = emptyExpected();
  for (const row of db.prepare("SELECT id, json FROM reports").all() as { id: string; json: string }[])
    expected.reports.set(row.id, current(row.json, "report", schema));
  for (const row of db.prepare("SELECT user_id, report_id FROM members").all() as {
    user_id: number;
    report_id: string;
  }[])
    expected.members.set(row.user_id, [...(expected.members.get(row.user_id) ?? []), row.report_id].sort());
  for (const row of db.prepare("SELECT report_id, json FROM audit ORDER BY seq").all() as {
    report_id: string;
    json: string;
  }[])
    expected.audit.set(row.report_id, [
      ...(expected.audit.get(row.report_id) ?? []),
      current(row.json, "other", schema),
    ]);
  for (const row of db.prepare("SELECT user_id, json FROM users").all() as { user_id: number; json: string }[])
    expected.users.set(row.user_id, current(row.json, "other", schema));
  if (schema >= 2)
    for (const row of db.prepare("SELECT user_id, json FROM acks ORDER BY seq").all() as {
      user_id: number;
      json: string;
    }[])
      expected.acks.set(row.user_id, [...(expected.acks.get(row.user_id) ?? []), current(row.json, "other", schema)]);
  for (const row of db.prepare("SELECT key, json FROM state").all() as { key: string; json: string }[])
    expected.states.set(row.key, JSON.parse(row.json).value);
  db.close();
  return { open: () => openStore({ redisPrefix: "unused:", dataDir: dir }), expected, file };
}

async function readsBackTheSame(store: Store, expected: Expected, ids: string[]): Promise<void> {
  expect([...expected.reports.keys()].sort()).toEqual([...ids].sort());
  expect(expected.audit.size).toBeGreaterThan(0);
  expect(expected.users.size).toBeGreaterThan(0);
  expect(expected.members.size).toBeGreaterThan(0);
  expect(expected.states.size).toBeGreaterThan(0);
  // Report drafts survive whole: every cell and every narrative part.
  for (const [id, report] of expected.reports) expect(await store.getReport(id)).toEqual(report);
  const drafts = [...expected.reports.values()].map((r) => r.draft as { cells: object; narrative: object });
  expect(drafts.some((d) => Object.keys(d.cells).length > 0 && Object.keys(d.narrative).length > 0)).toBe(true);
  for (const [userId, reportIds] of expected.members) {
    expect((await store.listReports(userId)).map((r) => r.id).sort()).toEqual(reportIds);
  }
  for (const [id, entries] of expected.audit) {
    expect(await store.history(id, 10_000)).toEqual([...entries].reverse());
  }
  for (const [userId, user] of expected.users) expect(await store.getUser(userId)).toEqual(user);
  for (const [key, value] of expected.states) expect(await store.readState(key)).toEqual(value);
  for (const [userId, acks] of expected.acks) expect(await store.unsentAcks(userId)).toEqual(acks);
}

const ids = (schema: number, name: string) =>
  Object.values(JSON.parse(readFileSync(join(fixtures(schema), name), "utf8")) as object) as string[];

describe.each([1, 2, 3])("a store written by schema v%i", (schema) => {
  it(`on Redis: reads back the same reports, members, audit trails, users, states and acknowledgements, and writes v${SCHEMA_VERSION} as fields`, async () => {
    const { open, expected, raw, prefix } = await redisFixture(schema);
    const store = await open();
    cleanups.push(() => store.close());
    await readsBackTheSame(store, expected, ids(schema, "redis-ids.json"));

    // The first write after the upgrade rewrites a report whole in fields, whichever store instance read it.
    for (const [id, before] of expected.reports) {
      const report = (await store.getReport(id))!;
      const entry = { at: "2026-02-01T00:00:00.000Z", by: 1009, byName: "新 名", target: "cursor", old: 0, new: 1 };
      const result = await store.updateReport(id, report.version, { cursor: report.cursor + 1 }, [entry]);
      expect(result.ok).toBe(true);
      // The trail reads on: the new short entry first, then the entries of the earlier schema as they were.
      expect(await store.history(id, 10_000)).toEqual([entry, ...[...(expected.audit.get(id) ?? [])].reverse()]);
      const fields = await raw.hgetall(`${prefix}report:${id}`);
      expect(fields.json).toBeUndefined();
      expect(fields.v).toBe(String(SCHEMA_VERSION));
      // Cells by row, long texts in the second hash: no field of a cell or part left in the report's hash.
      expect(Object.keys(fields).filter((f) => f.startsWith("c:") || f.startsWith("n:"))).toEqual([]);
      expect(fields.version).toBe(String(report.version + 1));
      const again = await open();
      cleanups.push(() => again.close());
      const read = await again.getReport(id);
      expect(read).toEqual({
        ...before,
        cursor: report.cursor + 1,
        version: report.version + 1,
        updatedAt: read?.updatedAt,
      });
      expect(read).not.toHaveProperty("handled");
    }
    // A stale copy of the v2 layout (another instance read it before the upgrade) still writes whole.
    const { open: openOther, expected: other } = await redisFixture(schema);
    const [id, before] = [...other.reports.entries()].find(
      ([, r]) => Object.keys((r.draft as Draft).cells).length > 0,
    )!;
    const reader = await openOther();
    cleanups.push(() => reader.close());
    const basis = structuredClone((await reader.getReport(id))!);
    const cell = Object.keys(basis.draft.cells)[0]!;
    const writer = await openOther();
    cleanups.push(() => writer.close());
    const draft = { ...basis.draft, cells: { ...basis.draft.cells, [cell]: 12345 } };
    expect((await writer.updateReport(id, basis.version, { draft }, [], basis)).ok).toBe(true);
    expect((await (await openOther()).getReport(id))?.draft).toEqual({
      ...(before.draft as Draft),
      cells: { ...(before.draft as Draft).cells, [cell]: 12345 },
    });
  });

  it("a value of a newer schema than this build is refused, never guessed at", async () => {
    const { open, raw, prefix, expected } = await redisFixture(schema);
    const [id] = [...expected.reports.keys()];
    const key = `${prefix}report:${id}`;
    const json = await raw.hget(key, "json");
    if (json === null) await raw.hset(key, "v", String(SCHEMA_VERSION + 1));
    else await raw.hset(key, "json", JSON.stringify({ ...JSON.parse(json), v: SCHEMA_VERSION + 1 }));
    const store = await open();
    cleanups.push(() => store.close());
    await expect(store.getReport(id!)).rejects.toThrow(new RegExp(`unknown schema version "?${SCHEMA_VERSION + 1}`));
  });
});

describe.each([1, 2, 3])("an embedded store written by schema v%i", (schema) => {
  it("reads back the same reports, members, audit trails, users, states and acknowledgements, keeps every report as fields, and writes each", async () => {
    const { open, expected, file } = embeddedFixture(schema);
    const store = await open();
    cleanups.push(() => store.close());
    await readsBackTheSame(store, expected, ids(schema, "embedded-ids.json"));

    // Opening the file moved every report out of its JSON row into field rows (table layout v4).
    const probe = new Database(file, { readonly: true });
    expect(probe.pragma("user_version", { simple: true })).toBe(4);
    expect(probe.prepare("SELECT count(*) AS n FROM reports WHERE json <> ''").get()).toEqual({ n: 0 });
    const fieldRows = probe
      .prepare(
        "SELECT report_id AS id, count(*) AS n FROM report_fields WHERE name = 'v' AND value = ? GROUP BY report_id",
      )
      .all(String(SCHEMA_VERSION)) as { id: string; n: number }[];
    probe.close();
    expect(fieldRows.map((r) => r.id).sort()).toEqual([...expected.reports.keys()].sort());

    // Every report takes a write of a cell, a narrative part and its cursor, and reads back with it, also from another process.
    const entry = { at: "2026-02-01T00:00:00.000Z", by: 1001, byName: "新 名", target: "x", old: null, new: 5 };
    const written = new Map<string, unknown>();
    for (const [id, before] of expected.reports) {
      const report = (await store.getReport(id))!;
      const draft = {
        ...report.draft,
        cells: { ...report.draft.cells, "migrated.cell": 5 },
        narrative: { ...report.draft.narrative, other: "迁移后写入" },
      };
      const result = await store.updateReport(id, report.version, { draft, cursor: report.cursor + 1 }, [entry]);
      expect(result.ok).toBe(true);
      if (!result.ok) continue;
      expect(result.report).toEqual({
        ...before,
        draft: { ...(before.draft as Draft), ...draft },
        cursor: report.cursor + 1,
        version: report.version + 1,
        updatedAt: result.report.updatedAt,
      });
      written.set(id, result.report);
      expect(await store.history(id, 10_000)).toEqual([entry, ...[...(expected.audit.get(id) ?? [])].reverse()]);
    }
    await store.close();
    const again = await open();
    cleanups.push(() => again.close());
    for (const [id, report] of written) expect(await again.getReport(id)).toEqual(report);
    for (const [userId, reportIds] of expected.members)
      expect((await again.listReports(userId)).map((r) => r.id).sort()).toEqual(reportIds);
  });
});
