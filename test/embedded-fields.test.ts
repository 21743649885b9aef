import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import type { Draft } from "../src/form/draft.js";
import { EmbeddedStore } from "../src/store/embedded-store.js";
import { EMBEDDED_FILE_NAME } from "../src/store/open-store.js";
import { SCHEMA_VERSION, StoreDataError, type StoredReport } from "../src/store/store.js";
import { fixture } from "./support/fixtures.js";

/**
 * The embedded store keeps a report as fields (report-fields.ts, one row
 * each), so an answer writes the rows it changes, not the whole report.
 * Triggers added beside the store's tables count the rows and bytes each
 * write makes.
 */

const dirs: string[] = [];
const stores: EmbeddedStore[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function fileIn(dir = mkdtempSync(join(tmpdir(), "nianbao-fields-"))): string {
  dirs.push(dir);
  return join(dir, EMBEDDED_FILE_NAME);
}

function open(file: string): EmbeddedStore {
  let t = Date.parse("2026-01-10T02:00:00.000Z");
  const store = new EmbeddedStore(file, () => {
    t += 1000;
    return new Date(t);
  });
  stores.push(store);
  return store;
}

/** Counts, per table, the rows every later write inserts, updates or deletes and the bytes it stores. */
function countWrites(file: string): { take(): Record<string, { rows: number; bytes: number }>; close(): void } {
  const db = new Database(file, { timeout: 5000 });
  const size = (v: string) => `length(CAST(${v} AS BLOB))`;
  db.exec(`
    CREATE TABLE written (tbl TEXT NOT NULL, bytes INTEGER NOT NULL);
    CREATE TRIGGER w1 AFTER INSERT ON report_fields BEGIN
      INSERT INTO written VALUES ('report_fields', ${size("NEW.name")} + ${size("NEW.value")}); END;
    CREATE TRIGGER w2 AFTER UPDATE ON report_fields BEGIN
      INSERT INTO written VALUES ('report_fields', ${size("NEW.name")} + ${size("NEW.value")}); END;
    CREATE TRIGGER w3 AFTER DELETE ON report_fields BEGIN INSERT INTO written VALUES ('report_fields', 0); END;
    CREATE TRIGGER w4 AFTER UPDATE ON reports BEGIN INSERT INTO written VALUES ('reports', ${size("NEW.json")}); END;
  `);
  return {
    take() {
      const rows = db.prepare("SELECT tbl, count(*) AS rows, sum(bytes) AS bytes FROM written GROUP BY tbl").all() as {
        tbl: string;
        rows: number;
        bytes: number;
      }[];
      db.exec("DELETE FROM written");
      return Object.fromEntries(rows.map((r) => [r.tbl, { rows: r.rows, bytes: r.bytes }]));
    },
    close: () => db.close(),
  };
}

/** One row answer as the bot commits it: a cell, the cursor on, an audit entry, the update id and acknowledgement. */
async function answer(store: EmbeddedStore, report: StoredReport, updateId: number, cell: string, value: number) {
  const result = await store.commit(
    { userId: 1001, updateId, ack: `✅ 已保存：${cell}` },
    {
      update: {
        id: report.id,
        expectedVersion: report.version,
        change: {
          draft: { ...report.draft, cells: { ...report.draft.cells, [cell]: value } },
          cursor: report.cursor + 1,
        },
        audit: [{ at: "2026-01-10T03:00:00.000Z", by: 1001, byName: "张 三", target: cell, old: null, new: value }],
        basis: report,
      },
    },
  );
  if (result.status !== "applied" || !result.report) throw new Error(`answer ${cell}: ${result.status}`);
  return result.report;
}

describe("the embedded store keeps a report as fields", () => {
  it("a row answer writes the rows it changes: the same few on an empty report and on a full one", async () => {
    const file = fileIn();
    const store = open(file);
    const full = fixture("report-2022");
    expect(Object.keys(full.cells).length).toBeGreaterThan(100);
    const empty: Draft = { ...full, narrative: {}, cells: {} };
    let small = await store.createReport({ draft: empty, members: [1001] });
    let big = await store.createReport({ draft: full, members: [1001] });
    const counter = countWrites(file);
    try {
      small = await answer(store, small, 1, "active.rules.issued", 3);
      const onSmall = counter.take();
      big = await answer(store, big, 2, "active.rules.issued", 4);
      const onBig = counter.take();
      // The cell's field (its table row's), the cursor and updatedAt; the report's own row only gets its version (no JSON).
      expect(onSmall.report_fields?.rows).toBe(3);
      expect(onSmall.reports).toEqual({ rows: 1, bytes: 0 });
      expect(onBig.report_fields?.rows).toBe(3);
      expect(onBig.reports).toEqual(onSmall.reports);
      const wholeReport = Buffer.byteLength(JSON.stringify(big));
      expect(wholeReport).toBeGreaterThan(5000);
      expect(onBig.report_fields!.bytes).toBeLessThan(150);

      // A narrative part writes that part (and updatedAt).
      const narrative = { ...big.draft.narrative, problems: "新的问题说明" };
      const part = await store.updateReport(big.id, big.version, { draft: { ...big.draft, narrative } }, []);
      expect(part.ok).toBe(true);
      expect(counter.take().report_fields?.rows).toBe(2);
      if (!part.ok) return;
      // Clearing a row's last cell deletes its field (and writes updatedAt).
      const cleared = await store.updateReport(small.id, small.version, { draft: { ...small.draft, cells: {} } }, []);
      expect(counter.take().report_fields).toEqual({ rows: 2, bytes: "f:updatedAt".length + 26 });
      expect(cleared.ok && cleared.report.draft.cells).toEqual({});

      // What was written reads back the same in another process.
      const other = open(file);
      expect(await other.getReport(small.id)).toEqual(cleared.ok && cleared.report);
      expect(await other.getReport(big.id)).toEqual(part.report);
    } finally {
      counter.close();
    }
  });

  it("a copy this process holds is not served once another process wrote the report", async () => {
    const file = fileIn();
    const one = open(file);
    const two = open(file);
    const created = await one.createReport({ draft: fixture("report-2022"), members: [1001] });
    const read = (await one.getReport(created.id))!;
    const written = await answer(two, read, 1, "active.rules.issued", 99);
    expect(await one.getReport(created.id)).toEqual(written);
    // The stale copy as a basis is refused as a conflict that hands back the current report.
    const stale = await one.updateReport(created.id, read.version, { cursor: 5 }, [], read);
    expect(stale).toEqual({ ok: false, current: written });
    expect((await one.listReports(1001)).map((r) => r.draft.cells["active.rules.issued"])).toEqual([99]);
  });

  it("a report still in a JSON row (it did not read at the upgrade) names its key, and a readable one is written again whole as fields", async () => {
    const file = fileIn();
    copyFileSync(new URL("./fixtures/store-v3/embedded/nianbao.sqlite", import.meta.url), file);
    const ids = JSON.parse(
      readFileSync(new URL("./fixtures/store-v3/embedded-ids.json", import.meta.url), "utf8"),
    ) as Record<"a" | "b" | "c", string>;
    const raw = new Database(file);
    raw.prepare("UPDATE reports SET json = '{not json' WHERE id = ?").run(ids.c);
    raw.close();
    const store = open(file);
    await expect(store.getReport(ids.c)).rejects.toThrow(
      new StoreDataError(`reports/${ids.c}`, "stored value is not valid JSON"),
    );
    const a = (await store.getReport(ids.a))!;

    // A row put back in the old layout (as an older build would have written it) reads, then is rewritten whole.
    const db = new Database(file, { timeout: 5000 });
    db.prepare("UPDATE reports SET json = ? WHERE id = ?").run(JSON.stringify({ v: 2, ...a, cursor: 7 }), ids.a);
    db.prepare("UPDATE report_fields SET value = '0' WHERE report_id = ? AND name = 'f:cursor'").run(ids.a);
    const fresh = open(file);
    const legacy = (await fresh.getReport(ids.a))!;
    expect(legacy).toEqual({ ...a, cursor: 7 });
    const result = await fresh.updateReport(ids.a, legacy.version, { cursor: 8 }, []);
    expect(result.ok).toBe(true);
    expect(db.prepare("SELECT json FROM reports WHERE id = ?").get(ids.a)).toEqual({ json: "" });
    expect(db.prepare("SELECT value FROM report_fields WHERE report_id = ? AND name = 'f:cursor'").get(ids.a)).toEqual({
      value: "8",
    });
    db.close();
    expect(await open(file).getReport(ids.a)).toEqual(result.ok && result.report);
  });

  it("a report kept in the fields of an earlier schema (v3: a field per cell) is written again whole in the current ones", async () => {
    const file = fileIn();
    const store = open(file);
    const created = await store.createReport({ draft: fixture("report-2022"), members: [1001] });
    const db = new Database(file, { timeout: 5000 });
    db.prepare("DELETE FROM report_fields WHERE report_id = ? AND name LIKE 'r:%'").run(created.id);
    const put = db.prepare("INSERT OR REPLACE INTO report_fields (report_id, name, value) VALUES (?, ?, ?)");
    for (const [cell, value] of Object.entries(created.draft.cells)) put.run(created.id, `c:${cell}`, String(value));
    put.run(created.id, "v", "3");
    const names = db.prepare<[string], { name: string }>("SELECT name FROM report_fields WHERE report_id = ?");
    try {
      const other = open(file);
      const read = (await other.getReport(created.id))!;
      expect(read).toEqual(created);
      const written = await answer(other, read, 1, "active.rules.issued", 12345);
      const after = names.all(created.id).map((r) => r.name);
      expect(after.filter((n) => n.startsWith("c:"))).toEqual([]);
      expect(after).toContain("r:active.rules");
      expect(db.prepare("SELECT value FROM report_fields WHERE report_id = ? AND name = 'v'").get(created.id)).toEqual({
        value: String(SCHEMA_VERSION),
      });
      expect(await open(file).getReport(created.id)).toEqual(written);
      expect(written.draft.cells).toEqual({ ...created.draft.cells, "active.rules.issued": 12345 });
    } finally {
      db.close();
    }
  });
});
