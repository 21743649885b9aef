import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { Redis } from "ioredis";
import { afterAll, beforeAll, expect, it } from "vitest";
import { flowFor } from "../flows/index.js";
import type { BotContext } from "../src/bot/context.js";
import { auditEntry } from "../src/bot/report-access.js";
import { Draft } from "../src/form/draft.js";
import { formSteps } from "../src/form/form-steps.js";
import { openStore } from "../src/store/open-store.js";
import { type AuditEntry, auditValue, type Store, type StoredReport } from "../src/store/store.js";
import { REDIS_URL } from "./support/redis-url.js";

/**
 * Issue "Speed" 5: a finished report takes at most 16 KB of Redis memory
 * (MEMORY USAGE over its keys), audit trail included, and the trail still
 * says who, when, what and old → new. The fixture's 2021-format report is
 * filled as the bot writes it: one write per row (its cells, the cursor, an
 * entry per cell), one per narrative part (its text and an entry) and one for
 * the 完成 after it (the cursor), then the contact and the date. Memory is a count of bytes, the same on a
 * slow machine; bench/fill.ts prints the figure for the report filled through
 * the bot itself.
 */

const LIMIT = 16 * 1024;
const fixture = Draft.parse(JSON.parse(readFileSync(new URL("./fixtures/report-2022.json", import.meta.url), "utf8")));
const prefix = `nianbao-test-memory-${randomBytes(6).toString("hex")}:`;
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

it(`a finished report takes at most ${LIMIT} bytes of Redis, and its trail reads back whole`, async () => {
  // A Telegram id of ten digits and a name, as officers have.
  const by = 7_123_456_789;
  const byName = "王 小明";
  let report = await store.createReport({
    draft: { format: fixture.format, org: fixture.org, year: fixture.year, narrative: {}, cells: {} },
    members: [by],
    deadline: "2023-01-31",
  });
  const written: AuditEntry[] = [];
  let updateId = 0;
  let t = Date.parse("2023-01-05T01:00:00.000Z");
  const commit = async (change: Partial<StoredReport>, audit: AuditEntry[]) => {
    const result = await store.commit(
      { userId: by, updateId: ++updateId, ack: "" },
      { update: { id: report.id, expectedVersion: report.version, change, audit, basis: report } },
    );
    if (result.status !== "applied" || !result.report) throw new Error(`write ${updateId}: ${result.status}`);
    report = result.report;
    written.push(...audit);
  };
  const entry = (target: string, old: number | string | undefined, next: number | string): AuditEntry => {
    t += 7_321;
    return { at: new Date(t).toISOString(), by, byName, target, old: auditValue(old), new: auditValue(next) };
  };
  for (const step of formSteps(flowFor(fixture.format))) {
    if (step.kind === "row") {
      const cells = { ...report.draft.cells };
      const at = entry("", undefined, 0).at;
      const audit = step.row.cells.map((id) => ({ ...entry(id, cells[id], fixture.cells[id] ?? 0), at }));
      for (const id of step.row.cells) cells[id] = fixture.cells[id] ?? 0;
      await commit({ draft: { ...report.draft, cells }, cursor: step.index + 1 }, audit);
      continue;
    }
    const text = fixture.narrative[step.part.id];
    if (text === undefined) continue;
    const part = step.part.id;
    await commit({ draft: { ...report.draft, narrative: { ...report.draft.narrative, [part]: text } } }, [
      entry(part, report.draft.narrative[part], text),
    ]);
    await commit({ cursor: step.index + 1 }, []);
  }
  // The settings a finished report has too: the contact text and the date.
  await commit({ draft: { ...report.draft, contact: fixture.contact, date: fixture.date } }, [
    entry("settings.contact", undefined, fixture.contact ?? ""),
    entry("settings.date", undefined, fixture.date ?? ""),
  ]);
  expect(report.draft).toEqual(fixture);

  const keys = (await raw.keys(`${prefix}*`)).filter((k) => k.endsWith(`:${report.id}`));
  const bytes = await Promise.all(keys.map(async (k) => Number(await raw.memory("USAGE", k, "SAMPLES", 0))));
  const total = bytes.reduce((s, b) => s + b, 0);
  expect(keys.length).toBeGreaterThanOrEqual(2);
  expect(total, keys.map((k, i) => `${k.slice(prefix.length)} ${bytes[i]}`).join(", ")).toBeLessThanOrEqual(LIMIT);

  // Who, when, what, old → new of every entry, newest first, the texts clipped as written.
  expect(written.length).toBeGreaterThan(150);
  expect(await store.history(report.id, 10_000)).toEqual([...written].reverse());
  expect(await store.history(report.id, 3)).toEqual(written.slice(-3).reverse());
});

it("the entries of one update share its time, so a row answer is one audit element", () => {
  let t = Date.parse("2023-01-05T01:00:00.000Z");
  const now = () => {
    t += 3;
    return new Date(t);
  };
  const update = () => ({ from: { id: 5, is_bot: false, first_name: "张" }, deps: { now } }) as unknown as BotContext;
  const ctx = update();
  const [a, b] = [auditEntry(ctx, "apply.new.natural", undefined, 1), auditEntry(ctx, "apply.new.legal", 2, 3)];
  expect(a.at).toBe(b.at);
  expect(auditEntry(update(), "apply.new.natural", 1, 2).at).not.toBe(a.at);
});
