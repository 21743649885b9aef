import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore } from "../src/store/open-store.js";
import type { Store } from "../src/store/store.js";
import { commandsSent } from "./support/redis-commands.js";
import { REDIS_URL } from "./support/redis-url.js";

/**
 * The handling of an update reads first whether it was handled, then the
 * member's record, the conversation state and the current report: Redis
 * answers all of them in the round trip of `seen` (issue "Speed" 2), and a
 * write in between is never hidden by that earlier read.
 */

const draft = { format: "2021", org: "某某局", year: 2025, narrative: {}, cells: {} };

describe("the first reads of an update's handling (Redis)", () => {
  const prefix = `nianbao-test-first-${randomBytes(6).toString("hex")}:`;
  let raw: Redis;
  let store: Store;
  let other: Store;
  beforeAll(async () => {
    raw = new Redis(REDIS_URL);
    store = await openStore({ redisUrl: REDIS_URL, redisPrefix: prefix, dataDir: "" });
    other = await openStore({ redisUrl: REDIS_URL, redisPrefix: prefix, dataDir: "" });
  });
  afterAll(async () => {
    await store.close();
    await other.close();
    const keys = await raw.keys(`${prefix}*`);
    if (keys.length > 0) await raw.del(...keys);
    await raw.quit();
  });

  it("come in the round trip of seen: the record, the state and the current report need none of their own", async () => {
    const report = await store.createReport({ draft, members: [201] });
    await store.setUser(201, { currentReportId: report.id });
    await store.writeState("conv:201", { wizard: "x" });
    expect(await store.getReport(report.id)).toEqual(report);
    const sent = await commandsSent(async () => {
      const seen = await store.seen(201, 1, "conv:201");
      return [seen, await store.getUser(201), await store.readState("conv:201"), await store.getReport(report.id)];
    });
    expect(sent.result).toEqual([
      { handled: false, unsent: [] },
      { currentReportId: report.id },
      { wizard: "x" },
      report,
    ]);
    expect(sent.commands.map((c) => c.replace("evalsha", "eval"))).toEqual(["eval"]);
  });

  it("a write in between is read back, and an earlier read stands in once only", async () => {
    const report = await store.createReport({ draft, members: [202] });
    await store.setUser(202, { currentReportId: report.id });
    await store.seen(202, 1, "conv:202");
    await store.setUser(202, {});
    await store.writeState("conv:202", { step: 2 });
    expect(await store.getUser(202)).toEqual({});
    expect(await store.readState("conv:202")).toEqual({ step: 2 });

    await store.setUser(202, { currentReportId: report.id });
    await store.seen(202, 2, "conv:202");
    const position = { reportId: report.id, step: 4, messageId: 9 };
    await store.markSent(202, [], position);
    expect(await store.getUser(202)).toEqual({ currentReportId: report.id, position });

    await store.seen(202, 3, "conv:202");
    expect(await store.getUser(202)).toEqual({ currentReportId: report.id, position });
    // Another instance moves the member on: the next read asks Redis again.
    await other.setUser(202, {});
    expect(await store.getUser(202)).toEqual({});
  });

  it("marking a reply sent writes the position into the record this process holds, or into the one Redis holds when another instance wrote it", async () => {
    const report = await store.createReport({ draft, members: [204] });
    await store.setUser(204, { currentReportId: report.id, interrupted: "新建报告" });
    await store.seen(204, 1);
    expect(await store.getUser(204)).toEqual({ currentReportId: report.id, interrupted: "新建报告" });
    const first = { reportId: report.id, step: 4, messageId: 9, seen: { "a.b": 1.5, "a.c": null } };
    const bare = (await commandsSent(() => store.markSent(204, [0]))).bytes;
    const marked = (await commandsSent(() => store.markSent(204, [1], first))).bytes;
    // The record as this process worked it out, byte for byte what Redis holds, and no read to answer it.
    const written = await raw.get(`${prefix}user:204`);
    expect(written).toBe(`{"v":4,"currentReportId":"${report.id}","position":${JSON.stringify(first)}}`);
    // The position goes once, in the record (and its length prefix): not beside it too.
    expect(marked - bare).toBeLessThan(Buffer.byteLength(written ?? "") + 10);
    expect(store.recall(204)).toEqual([]);
    const read = await commandsSent(() => store.getUser(204));
    expect(read).toMatchObject({ result: { currentReportId: report.id, position: first }, commands: [] });
    // Kept decoded: the next update's read is the same record, not parsed again.
    store.recall(204);
    expect(await store.getUser(204)).toBe(read.result);

    // Another instance writes the record: the position goes into its record, not this process's copy.
    await other.setUser(204, { currentReportId: "other" });
    const second = { reportId: report.id, step: 5, messageId: 10 };
    await store.markSent(204, [], second);
    expect(await other.getUser(204)).toEqual({ currentReportId: "other", position: second });
    expect(await store.getUser(204)).toEqual({ currentReportId: "other", position: second });
  });

  it("a report another instance wrote after seen is read again at its next write's conflict, never lost", async () => {
    const report = await store.createReport({ draft, members: [203] });
    await store.setUser(203, { currentReportId: report.id });
    await store.getReport(report.id);
    await store.seen(203, 1);
    const won = await other.updateReport(report.id, 1, { cursor: 5 }, []);
    const stale = (await store.getReport(report.id))!;
    expect(stale.version).toBe(1);
    const lost = await store.updateReport(report.id, stale.version, { cursor: 6 }, [], stale);
    expect(lost).toEqual({ ok: false, current: won.ok ? won.report : undefined });
  });
});
