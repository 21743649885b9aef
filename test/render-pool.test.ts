import { execFileSync, spawnSync } from "node:child_process";
import { getPriority } from "node:os";
import { performance } from "node:perf_hooks";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type RenderPool, renderPool } from "../src/render-pool.js";
import { startHarness } from "./support/bot-harness.js";
import { unzip } from "./support/docx-cells.js";
import { fixture } from "./support/fixtures.js";

// The main thread must never build a document: if the pool rendered in-process, these would throw.
vi.mock("../src/report/render-docx.js", () => ({
  renderDocx: () => {
    throw new Error("renderDocx ran on the main thread");
  },
}));
vi.mock("../src/report/render-html.js", () => ({
  renderHtml: () => {
    throw new Error("renderHtml ran on the main thread");
  },
}));

const DYING_WORKER = new URL("./support/dying-render-worker.ts", import.meta.url);
const PROBE = new URL("./support/probe-render-worker.ts", import.meta.url);

/** What the probe render module (support/probe-render-worker.ts) answers for a draft of that org. */
async function probe(renderer: RenderPool, org = "probe"): Promise<{ pid: number; nice: number[] }> {
  return JSON.parse(String(await renderer.render({ ...fixture("report-2022"), org }, {})));
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const pools: RenderPool[] = [];
const pool = (...args: Parameters<typeof renderPool>) => {
  const made = renderPool(...args);
  pools.push(made);
  return made;
};
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

/** A report whose document takes a while to build: every part at its 20,000-character limit. */
function bigDraft() {
  const draft = fixture("report-2022");
  const long = (text: string) => text.repeat(Math.ceil(20_000 / text.length)).slice(0, 20_000);
  return {
    ...draft,
    narrative: Object.fromEntries(Object.entries(draft.narrative).map(([id, text]) => [id, long(text)])),
  };
}

describe("the render pool", () => {
  it("builds the .docx in another process while the main thread keeps answering timers", async () => {
    const renderer = pool({ maxProcesses: 1 });
    const draft = fixture("report-2022");
    await renderer.render(draft, {}); // the worker is started and warm

    const ticks: number[] = [];
    const timer = setInterval(() => ticks.push(performance.now()), 1);
    const start = performance.now();
    const bytes = await renderer.render(bigDraft(), {});
    clearInterval(timer);

    // On the main thread this render is one synchronous stretch in which the timer never fires (measured: no tick
    // in 70–500 ms); in a worker it keeps firing.
    expect(ticks.filter((t) => t > start).length).toBeGreaterThan(2);
    const document = unzip(bytes).get("word/document.xml") ?? "";
    expect(document).toContain("杭州市拱墅区住房和城乡建设局");
  });

  it("builds the website's .html there too", async () => {
    const html = await pool().renderHtml(fixture("report-2022"), {});
    expect(html).toMatch(/^<!DOCTYPE html>/i);
    expect(html).toContain("杭州市拱墅区住房和城乡建设局");
  });

  it("passes a render's error on", async () => {
    const renderer = pool();
    const draft = { ...fixture("report-2022"), format: "2030" };
    await expect(renderer.render(draft, {})).rejects.toThrow(/2030/);
  });

  it("rejects a render whose process dies instead of leaving it waiting", async () => {
    const renderer = pool({ worker: DYING_WORKER });
    await expect(renderer.render(fixture("report-2022"), {})).rejects.toThrow();
  });
});

describe("the render processes", () => {
  it.skipIf(process.platform !== "linux")("run every thread at nice 19, V8's helper threads included", async () => {
    const own = getPriority(process.pid);
    const { pid, nice } = await probe(pool({ worker: PROBE }));
    // Another process: the bot's own threads (its garbage collection among them) keep their priority.
    expect(pid).not.toBe(process.pid);
    expect(nice.length).toBeGreaterThan(3);
    expect(nice.every((n) => n === 19)).toBe(true);
    expect(getPriority(process.pid)).toBe(own);
  });

  it("replace a process that died: the next render is done by a new one", async () => {
    const renderer = pool({ worker: PROBE, maxProcesses: 1 });
    const first = await probe(renderer);
    await expect(probe(renderer, "die")).rejects.toThrow(/render process ended/);
    const next = await probe(renderer);
    expect(next.pid).not.toBe(first.pid);
    expect(alive(first.pid)).toBe(false);
  });

  it("give up a render that takes too long, end its process, and render the next one", async () => {
    const renderer = pool({ worker: PROBE, maxProcesses: 1, timeoutMs: 3_000 });
    const { pid } = await probe(renderer); // started, so the timeout measures the render only
    const start = performance.now();
    await expect(probe(renderer, "hang")).rejects.toThrow(/longer than 3000 ms/);
    expect(performance.now() - start).toBeLessThan(10_000);
    const next = await probe(renderer);
    expect(next.pid).not.toBe(pid);
    expect(alive(pid)).toBe(false);
  });

  it("are closed after the renders in progress and waiting are done", async () => {
    const renderer = renderPool({ worker: PROBE, maxProcesses: 1 });
    const { pid } = await probe(renderer);
    const running = probe(renderer, "slow");
    const waiting = probe(renderer, "slow");
    await renderer.close();
    expect((await running).pid).toBe(pid);
    expect((await waiting).pid).toBe(pid);
    expect(alive(pid)).toBe(false);
    await expect(probe(renderer)).rejects.toThrow(/closed/);
  });

  it("fail a render at once when the render module cannot even be loaded", async () => {
    const renderer = pool({ worker: new URL("./support/no-such-render-worker.ts", import.meta.url) });
    const start = performance.now();
    await expect(renderer.render(fixture("report-2022"), {})).rejects.toThrow(/render process ended/);
    expect(performance.now() - start).toBeLessThan(20_000);
  });

  it("do not keep a program alive that never closed its pool, and end with it", () => {
    const run = spawnSync(process.execPath, ["--import", "tsx", "test/support/pool-left-open.ts"], {
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(run.status, run.stderr).toBe(0);
    const pid = Number(run.stdout.trim());
    expect(pid).toBeGreaterThan(0);
    const until = Date.now() + 5_000;
    while (alive(pid) && Date.now() < until) execFileSync("sleep", ["0.1"]);
    expect(alive(pid)).toBe(false);
  }, 40_000);
});

describe("/report when the render fails", () => {
  it("tells the officer clearly, keeps the report, and keeps answering", async () => {
    const h = await startHarness({ renderWorker: DYING_WORKER });
    try {
      const officer = h.officer(401);
      const draft = fixture("report-2022");
      const report = await h.store.createReport({ draft, members: [401] });
      await h.store.setUser(401, { currentReportId: report.id });
      officer.send("/report");
      const reply = await officer.nextReply({ timeoutMs: 20_000 });
      expect(reply.text).toContain("没能生成 Word 文件");
      expect(reply.text).toContain("已保存");
      expect(officer.documents).toEqual([]);
      expect(await h.store.getReport(report.id)).toEqual(report);
      officer.send("/check");
      expect((await officer.nextReply()).text).toContain("核对");
      expect(h.fake.errors).toEqual([]);
    } finally {
      await h.close();
    }
  });

  it("tells the officer clearly when the render takes too long", async () => {
    const h = await startHarness({ renderWorker: PROBE, renderTimeoutMs: 2_000 });
    try {
      const officer = h.officer(402);
      const report = await h.store.createReport({ draft: { ...fixture("report-2022"), org: "hang" }, members: [402] });
      await h.store.setUser(402, { currentReportId: report.id });
      officer.send("/report");
      const reply = await officer.nextReply({ timeoutMs: 20_000 });
      expect(reply.text).toContain("没能生成 Word 文件");
      expect(reply.text).toContain("请稍后再发 /report");
      expect(officer.documents).toEqual([]);
      expect(h.fake.errors).toEqual([]);
    } finally {
      await h.close();
    }
  });
});
