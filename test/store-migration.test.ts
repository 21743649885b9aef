import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { EMBEDDED_FILE_NAME, openStore } from "../src/store/open-store.js";
import { SCHEMA_VERSION, type Store } from "../src/store/store.js";

/**
 * Stores written by the first release (schema v1, main at 7ad3599): a Redis
 * dump (every key under the prefix with its type and value) and an embedded
 * store file, each with three reports, their members, audit trails, user
 * records and a conversation state. This build opens them, reads back the
 * same data, and writes over them in the current schema.
 */

const FIXTURES = fileURLToPath(new URL("./fixtures/store-v1/", import.meta.url));
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

type Dumped =
  | { type: "string"; value: string }
  | { type: "hash"; value: Record<string, string> }
  | { type: "list"; value: string[] }
  | { type: "set"; value: string[] };

/** What v1 stored, as the reader of the current schema should see it. */
interface Expected {
  reports: Map<string, Record<string, unknown>>;
  members: Map<number, string[]>;
  audit: Map<string, Record<string, unknown>[]>;
  users: Map<number, Record<string, unknown>>;
  states: Map<string, unknown>;
}

/** Drops the version and, from reports, the once-only record that v2 keeps per member. */
function current(json: string, kind: "report" | "other"): Record<string, unknown> {
  const { v, handled, ...rest } = JSON.parse(json) as Record<string, unknown>;
  expect(v).toBe(1);
  return kind === "report" ? rest : { ...rest, ...(handled === undefined ? {} : { handled }) };
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function redisFixture(): Promise<{ open: () => Promise<Store>; expected: Expected; raw: Redis; prefix: string }> {
  const dump = JSON.parse(readFileSync(join(FIXTURES, "redis-dump.json"), "utf8")) as {
    keys: Record<string, Dumped>;
  };
  const prefix = `nianbao-migration:${process.pid}-${Date.now()}:`;
  const raw = new Redis(REDIS_URL);
  cleanups.push(async () => {
    const keys = await raw.keys(`${prefix}*`);
    if (keys.length > 0) await raw.del(...keys);
    await raw.quit();
  });
  const expected: Expected = {
    reports: new Map(),
    members: new Map(),
    audit: new Map(),
    users: new Map(),
    states: new Map(),
  };
  for (const [key, entry] of Object.entries(dump.keys)) {
    const [kind, ...rest] = key.split(":");
    const id = rest.join(":");
    if (entry.type === "string") await raw.set(prefix + key, entry.value);
    if (entry.type === "hash") await raw.hset(prefix + key, entry.value);
    if (entry.type === "list") await raw.rpush(prefix + key, ...entry.value);
    if (entry.type === "set") await raw.sadd(prefix + key, ...entry.value);
    if (kind === "report" && entry.type === "hash") expected.reports.set(id, current(entry.value.json!, "report"));
    if (kind === "member" && entry.type === "set") expected.members.set(Number(id), [...entry.value].sort());
    if (kind === "audit" && entry.type === "list")
      expected.audit.set(
        id,
        entry.value.map((j) => current(j, "other")),
      );
    if (kind === "user" && entry.type === "string") expected.users.set(Number(id), current(entry.value, "other"));
    if (kind === "state" && entry.type === "string") expected.states.set(id, JSON.parse(entry.value).value);
  }
  return { open: () => openStore({ redisUrl: REDIS_URL, redisPrefix: prefix, dataDir: "" }), expected, raw, prefix };
}

function embeddedFixture(): { open: () => Promise<Store>; expected: Expected; file: string } {
  const dir = mkdtempSync(join(tmpdir(), "nianbao-migration-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, EMBEDDED_FILE_NAME);
  copyFileSync(join(FIXTURES, "embedded", EMBEDDED_FILE_NAME), file);
  const db = new Database(file, { readonly: true });
  const expected: Expected = {
    reports: new Map(),
    members: new Map(),
    audit: new Map(),
    users: new Map(),
    states: new Map(),
  };
  for (const row of db.prepare("SELECT id, json FROM reports").all() as { id: string; json: string }[])
    expected.reports.set(row.id, current(row.json, "report"));
  for (const row of db.prepare("SELECT user_id, report_id FROM members").all() as {
    user_id: number;
    report_id: string;
  }[])
    expected.members.set(row.user_id, [...(expected.members.get(row.user_id) ?? []), row.report_id].sort());
  for (const row of db.prepare("SELECT report_id, json FROM audit ORDER BY seq").all() as {
    report_id: string;
    json: string;
  }[])
    expected.audit.set(row.report_id, [...(expected.audit.get(row.report_id) ?? []), current(row.json, "other")]);
  for (const row of db.prepare("SELECT user_id, json FROM users").all() as { user_id: number; json: string }[])
    expected.users.set(row.user_id, current(row.json, "other"));
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
}

const ids = (name: string) => Object.values(JSON.parse(readFileSync(join(FIXTURES, name), "utf8")) as object);

describe("a store written by the first release (schema v1)", () => {
  it(`on Redis: reads back the same reports, members, audit trails, users and states, and writes v${SCHEMA_VERSION}`, async () => {
    const { open, expected, raw, prefix } = await redisFixture();
    const store = await open();
    cleanups.push(() => store.close());
    await readsBackTheSame(store, expected, ids("redis-ids.json") as string[]);

    const [id, before] = [...expected.reports.entries()][0]!;
    const report = (await store.getReport(id))!;
    const result = await store.updateReport(id, report.version, { cursor: report.cursor + 1 }, []);
    expect(result.ok).toBe(true);
    const stored = JSON.parse((await raw.hget(`${prefix}report:${id}`, "json"))!);
    expect(stored.v).toBe(SCHEMA_VERSION);
    expect(stored.handled).toBeUndefined();
    expect(stored.draft).toEqual(before.draft);
    // A second client (another process) reads the migrated report the same way.
    const again = await open();
    cleanups.push(() => again.close());
    expect((await again.getReport(id))?.cursor).toBe(report.cursor + 1);
  });

  it(`embedded: reads back the same reports, members, audit trails, users and states, and writes v${SCHEMA_VERSION}`, async () => {
    const { open, expected, file } = embeddedFixture();
    const store = await open();
    cleanups.push(() => store.close());
    await readsBackTheSame(store, expected, ids("embedded-ids.json") as string[]);

    const [id, before] = [...expected.reports.entries()][0]!;
    const report = (await store.getReport(id))!;
    expect((await store.updateReport(id, report.version, { cursor: report.cursor + 1 }, [])).ok).toBe(true);
    await store.close();
    const db = new Database(file, { readonly: true });
    const row = db.prepare("SELECT json FROM reports WHERE id = ?").get(id) as { json: string };
    db.close();
    const stored = JSON.parse(row.json);
    expect(stored.v).toBe(SCHEMA_VERSION);
    expect(stored.draft).toEqual(before.draft);
  });

  it("a value of a newer schema than this build is refused, never guessed at", async () => {
    const { open, raw, prefix, expected } = await redisFixture();
    const [id] = [...expected.reports.keys()];
    const json = JSON.parse((await raw.hget(`${prefix}report:${id}`, "json"))!);
    await raw.hset(`${prefix}report:${id}`, "json", JSON.stringify({ ...json, v: SCHEMA_VERSION + 1 }));
    const store = await open();
    cleanups.push(() => store.close());
    await expect(store.getReport(id!)).rejects.toThrow(`unknown schema version ${SCHEMA_VERSION + 1}`);
  });
});
