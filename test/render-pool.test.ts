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
  it("builds the .docx in a worker thread while the main thread keeps answering timers", async () => {
    const renderer = pool({ maxThreads: 1 });
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

  it("builds the website's .html in a worker too", async () => {
    const html = await pool().renderHtml(fixture("report-2022"), {});
    expect(html).toMatch(/^<!DOCTYPE html>/i);
    expect(html).toContain("杭州市拱墅区住房和城乡建设局");
  });

  it("passes a worker's error on", async () => {
    const renderer = pool();
    const draft = { ...fixture("report-2022"), format: "2030" };
    await expect(renderer.render(draft, {})).rejects.toThrow(/2030/);
  });

  it("rejects a render whose worker dies instead of leaving it waiting", async () => {
    const renderer = pool({ worker: DYING_WORKER });
    await expect(renderer.render(fixture("report-2022"), {})).rejects.toThrow();
  });
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
});
