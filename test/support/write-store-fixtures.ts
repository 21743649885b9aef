/**
 * Writes the migration fixtures of the current store layout (run once per
 * schema change, BEFORE the layout changes, and commit what it writes):
 *   REDIS_URL=redis://127.0.0.1:6379 node --import tsx test/support/write-store-fixtures.ts test/fixtures/store-vN "main <commit>"
 * Both stores get the same few reports through the store's own writes: a
 * filled report of two members with an audit trail, last year's report and
 * pre-filled values, an empty one, handled update ids, an unsent
 * acknowledgement, positions and a conversation state. Redis is dumped key by
 * key (type and value); the embedded store is its file.
 */

import { randomBytes } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { Draft } from "../../src/form/draft.js";
import { EMBEDDED_FILE_NAME, openStore } from "../../src/store/open-store.js";
import { SCHEMA_VERSION, type Store } from "../../src/store/store.js";
import { testRedisUrl } from "./redis-url.js";

const [outDir, writtenBy] = process.argv.slice(2);
if (!outDir || !writtenBy) {
  process.stderr.write("usage: write-store-fixtures <out dir> <written by>\n");
  process.exit(2);
}
const redisUrl = testRedisUrl();
const draft = Draft.parse(JSON.parse(readFileSync(new URL("../fixtures/report-2022.json", import.meta.url), "utf8")));

/** A clock one second on per call, so every stored time is fixed. */
function fixedClock(): () => Date {
  let t = Date.parse("2026-01-10T02:00:00.000Z");
  return () => {
    t += 1000;
    return new Date(t);
  };
}

async function fill(store: Store, now: () => Date): Promise<Record<string, string>> {
  const at = () => now().toISOString();
  const a = await store.createReport({
    draft: { ...draft, narrative: {}, cells: {} },
    members: [1001, 1002],
    previous: { ...draft, year: 2021 },
    prefilled: {
      "active.rules.in_force": { value: 7, from: { year: 2021, cells: ["active.rules.in_force"], rule: "carry" } },
    },
  });
  let report = a;
  let updateId = 500;
  // Half the cells and parts, one commit each, as the bot writes them.
  const cells = Object.entries(draft.cells).slice(0, 40);
  for (const [cell, value] of cells) {
    const result = await store.commit(
      { userId: 1001, updateId: ++updateId, ack: `✅ 已保存：${cell}` },
      {
        update: {
          id: report.id,
          expectedVersion: report.version,
          change: {
            draft: { ...report.draft, cells: { ...report.draft.cells, [cell]: value } },
            cursor: report.cursor + 1,
          },
          audit: [{ at: at(), by: 1001, byName: "张 三", target: cell, old: null, new: value }],
        },
      },
    );
    if (result.status !== "applied" || !result.report) throw new Error(`commit ${cell}: ${result.status}`);
    report = result.report;
  }
  for (const [part, text] of Object.entries(draft.narrative).slice(0, 3)) {
    const result = await store.updateReport(
      report.id,
      report.version,
      { draft: { ...report.draft, narrative: { ...report.draft.narrative, [part]: text } } },
      [{ at: at(), by: 1002, byName: "李四", target: part, old: null, new: text.slice(0, 200) }],
    );
    if (!result.ok) throw new Error(`narrative ${part}: conflict`);
    report = result.report;
  }
  // Acknowledged to Telegram except the last one.
  await store.markSent(1001, [501, 502, 503], { reportId: a.id, step: 5, messageId: 77, previous: 4 });
  await store.setUser(1002, { currentReportId: a.id, position: { reportId: a.id, step: 3, messageId: 12 } });

  const b = await store.commit(
    { userId: 1003, updateId: 900, ack: "✅ 已新建" },
    {
      create: {
        draft: { format: "2021", org: "某某镇人民政府", year: 2025, narrative: {}, cells: {} },
        members: [1003],
      },
      user: { currentReportId: "(new)" },
    },
  );
  if (b.status !== "applied" || !b.report) throw new Error("create b");
  await store.markSent(1003, [900]);
  const c = await store.createReport({ draft: { ...draft, year: 2023 }, members: [1001], deadline: "2024-01-31" });
  await store.setUser(1001, {
    currentReportId: a.id,
    position: { reportId: a.id, step: 41, messageId: 90, previous: 40 },
  });
  await store.writeState("conv:1003", { v: 1, example: true });
  return { a: a.id, b: b.report.id, c: c.id };
}

type Dumped =
  | { type: "string"; value: string }
  | { type: "hash"; value: Record<string, string> }
  | { type: "list"; value: string[] }
  | { type: "set"; value: string[] }
  | { type: "zset"; value: [string, string][] };

async function dumpRedis(redis: Redis, prefix: string): Promise<Record<string, Dumped>> {
  const keys = (await redis.keys(`${prefix}*`)).sort();
  const out: Record<string, Dumped> = {};
  for (const key of keys) {
    const name = key.slice(prefix.length);
    const type = await redis.type(key);
    if (type === "string") out[name] = { type, value: (await redis.get(key))! };
    else if (type === "hash") out[name] = { type, value: await redis.hgetall(key) };
    else if (type === "list") out[name] = { type, value: await redis.lrange(key, 0, -1) };
    else if (type === "set") out[name] = { type, value: (await redis.smembers(key)).sort() };
    else if (type === "zset") {
      const flat = await redis.zrange(key, "0", "-1", "WITHSCORES");
      const pairs: [string, string][] = [];
      for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i]!, flat[i + 1]!]);
      out[name] = { type, value: pairs };
    } else throw new Error(`${name}: type ${type} is not dumped`);
  }
  return out;
}

mkdirSync(join(outDir, "embedded"), { recursive: true });
const prefix = `nianbao-fixture:${randomBytes(4).toString("hex")}:`;
const redis = new Redis(redisUrl);
try {
  const store = await openStore({ redisUrl, redisPrefix: prefix, dataDir: "", now: fixedClock() });
  const ids = await fill(store, fixedClock());
  await store.close();
  const header = `nianbao ${writtenBy} (store schema v${SCHEMA_VERSION})`;
  writeFileSync(
    join(outDir, "redis-dump.json"),
    `${JSON.stringify({ writtenBy: header, keys: await dumpRedis(redis, prefix) }, null, 2)}\n`,
  );
  writeFileSync(join(outDir, "redis-ids.json"), `${JSON.stringify(ids)}\n`);

  const dir = mkdtempSync(join(tmpdir(), "nianbao-fixture-"));
  const embedded = await openStore({ redisPrefix: "unused:", dataDir: dir, now: fixedClock() });
  const embeddedIds = await fill(embedded, fixedClock());
  await embedded.close();
  copyFileSync(join(dir, EMBEDDED_FILE_NAME), join(outDir, "embedded", EMBEDDED_FILE_NAME));
  rmSync(dir, { recursive: true, force: true });
  writeFileSync(join(outDir, "embedded-ids.json"), `${JSON.stringify(embeddedIds)}\n`);
} finally {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
}
