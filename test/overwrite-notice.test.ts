import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { flowFor } from "../flows/index.js";
import type { Draft } from "../src/form/draft.js";
import { formSteps } from "../src/form/form-steps.js";
import type { Commit, Origin, StoredReport } from "../src/store/store.js";
import { type Harness, startHarness } from "./support/bot-harness.js";
import type { Officer } from "./support/fake-telegram.js";

/**
 * Two officers on one report (issue 10 point 2): writes stay compare-and-set,
 * and when both change the same cell, the second is told what the first
 * wrote. The second's answer is saved (it is what they typed to the question
 * they saw); the acknowledgement says whose figures it replaced.
 */

const ZHANG = 10;
const LI = 11;
const draft: Draft = { format: "2021", org: "甲街道", year: 2025, narrative: {}, cells: {} };
const APPLY_NEW = formSteps(flowFor("2021")).find((s) => s.kind === "row" && s.row.id === "apply.new")?.index ?? -1;

let h: Harness;
let report: StoredReport;
let zhang: Officer;
let li: Officer;
/** Runs once just before the second officer's next write reaches the store. */
let beforeLisWrite: (() => Promise<unknown>) | undefined;

beforeEach(async () => {
  h = await startHarness({
    store: "redis",
    now: () => new Date("2026-02-10T02:00:00Z"),
    wrapStore: (store) =>
      Object.assign(Object.create(store), {
        commit: async (origin: Origin, commit: Commit) => {
          const hook = origin.userId === LI ? beforeLisWrite : undefined;
          beforeLisWrite = undefined;
          await hook?.();
          return store.commit(origin, commit);
        },
      }),
  });
  const seeded = await h.seedReport(ZHANG, draft, { cursor: APPLY_NEW });
  const shared = await h.store.updateReport(seeded.id, seeded.version, { members: [ZHANG, LI] }, []);
  if (!shared.ok) throw new Error("could not add the second officer");
  report = shared.report;
  await h.store.setUser(LI, { currentReportId: report.id });
  zhang = h.officer(ZHANG, "张三");
  li = h.officer(LI, "李四");
});
afterEach(async () => {
  expect(h.fake.errors).toEqual([]);
  await h.close();
});

/** Both are shown the first row of the application table, still empty. */
async function bothAtTheRow(): Promise<void> {
  for (const o of [zhang, li]) {
    o.send("/fill");
    expect((await o.nextReply()).text).toContain("本年新收政府信息公开申请数量");
  }
}

const cells = async () => (await h.store.getReport(report.id))?.draft.cells ?? {};

describe("two officers answer the same row", () => {
  it("tells the second what the first wrote, and saves the second's figures", async () => {
    await bothAtTheRow();
    zhang.send("3 0 0 0 1 0");
    expect((await zhang.nextReply()).text).toMatch(/^✅ 已保存/);
    li.send("5 0 0 0 1 0");
    const reply = (await li.nextReply()).text;
    // Only the cell both changed to different figures is named.
    expect(reply).toMatch(
      /^⚠️ 张三 刚把这一行改成：自然人 3。你填的 自然人 5 已保存，覆盖了它；如果 张三 的才对，请回到这一行再改。/,
    );
    expect(reply).toContain("✅ 已保存");
    expect(Object.values(await cells()).filter((v) => v === 5)).toHaveLength(1);
    // Both writes are in the audit trail, the second replacing the first.
    const trail = await h.store.history(report.id, 20);
    const changes = trail.filter((e) => e.old === 3 && e.new === 5 && e.by === LI);
    expect(changes).toHaveLength(1);
    expect(trail.some((e) => e.target === changes[0]?.target && e.new === 3 && e.by === ZHANG)).toBe(true);
  });

  it("says nothing when the second saw the first's figures before answering, or agrees with them", async () => {
    await bothAtTheRow();
    zhang.send("3 0 0 0 1 0");
    await zhang.nextReply();
    // Same figures as the first: nothing overwritten.
    li.send("3 0 0 0 1 0");
    expect((await li.nextReply()).text).toMatch(/^✅ 已保存/);
    // Shown again (with the first's figures), then changed: the second knew what they replaced.
    const stored = await h.store.getReport(report.id);
    if (!stored) throw new Error("report gone");
    await h.store.updateReport(stored.id, stored.version, { cursor: APPLY_NEW }, []);
    li.send("/fill");
    await li.nextReply();
    li.send("4 0 0 0 1 0");
    expect((await li.nextReply()).text).toMatch(/^✅ 已保存/);
  });

  it("names the first officer's write that landed between the second's read and write (a compare-and-set conflict)", async () => {
    await bothAtTheRow();
    const id = "apply.new.natural";
    beforeLisWrite = async () => {
      const stored = await h.store.getReport(report.id);
      if (!stored) throw new Error("report gone");
      const at = new Date().toISOString();
      const cells = { ...stored.draft.cells, [id]: 7 };
      return h.store.updateReport(stored.id, stored.version, { draft: { ...stored.draft, cells } }, [
        { at, by: ZHANG, byName: "张三", target: id, old: null, new: 7 },
      ]);
    };
    li.send("5 0 0 0 1 0");
    expect((await li.nextReply()).text).toMatch(/^⚠️ 张三 刚把这一行改成：自然人 7。你填的 自然人 5 已保存/);
    expect((await cells())[id]).toBe(5);
  });
});
