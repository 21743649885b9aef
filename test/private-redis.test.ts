import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RedisStore } from "../src/store/redis-store.js";
import { PrivateRedis } from "./support/private-redis.js";

const draft = { format: "2021" as const, org: "某街道", year: 2024, narrative: {}, cells: {} };

let redis: PrivateRedis;
let store: RedisStore | undefined;
beforeEach(async () => {
  redis = await PrivateRedis.start();
});
afterEach(async () => {
  await store?.close().catch(() => undefined);
  store = undefined;
  await redis.close();
});

describe("a private redis-server for fault tests", () => {
  it("stalls on SIGSTOP (a write waits) and finishes that write once resumed", async () => {
    store = await RedisStore.connect(redis.url, "t:");
    const report = await store.createReport({ draft, members: [1] });
    redis.stall();
    let settled = false;
    const write = store
      .commit(
        { userId: 1, updateId: 5, ack: "✅" },
        { update: { id: report.id, expectedVersion: 1, change: { cursor: 2 }, audit: [] } },
      )
      .finally(() => {
        settled = true;
      });
    await new Promise((r) => setTimeout(r, 300));
    expect(settled).toBe(false);
    redis.resume();
    expect((await write).status).toBe("applied");
    expect((await store.getReport(report.id))?.cursor).toBe(2);
  });

  it("keeps acknowledged writes across a SIGKILL and a restart (AOF on)", async () => {
    store = await RedisStore.connect(redis.url, "t:");
    const report = await store.createReport({ draft, members: [1] });
    await store.commit({ userId: 1, updateId: 9, ack: "✅ 已保存" }, { user: { currentReportId: report.id } });
    await store.close();
    await redis.kill();
    await redis.launch();
    store = await RedisStore.connect(redis.url, "t:");
    expect(await store.getReport(report.id)).toEqual(report);
    expect(await store.getUser(1)).toEqual({ currentReportId: report.id });
    expect(await store.unsentAcks(1)).toMatchObject([{ updateId: 9, text: "✅ 已保存" }]);
  });
});
