import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Draft } from "../src/form/draft.js";
import { type Harness, startHarness } from "./support/bot-harness.js";
import { fixture, withCells } from "./support/fixtures.js";

/** Files sent to the bot go through the same loader as the command line (test/cli.test.ts). */

const file2022 = fixture("report-2022");
const empty2022: Draft = { format: "2021", org: file2022.org, year: 2022, narrative: {}, cells: {} };

let h: Harness;
beforeEach(async () => {
  h = await startHarness({ now: () => new Date("2023-02-10T02:00:00Z") });
});
afterEach(async () => {
  expect(h.fake.errors).toEqual([]);
  await h.close();
});

async function send(userId: number, bytes: Uint8Array): Promise<string> {
  const officer = h.officer(userId);
  const seeded = await h.seedReport(userId, empty2022);
  officer.sendDocument("年报.json", bytes);
  const reply = await officer.nextReply();
  expect(await h.store.getReport(seeded.id)).toEqual(seeded);
  return reply.text;
}

describe("files an officer sends", () => {
  it("refuses 1e308 in a cell, so no render or preview ever meets Infinity", async () => {
    const text = await send(401, Buffer.from(JSON.stringify(withCells(file2022, { "apply.new.natural": 1e308 }))));
    expect(text).toContain('"cells.apply.new.natural" 是 1e+308，超出了这一格能填的范围');
  });

  it("accepts a UTF-8 BOM, as the command line does", async () => {
    const text = await send(402, Buffer.from(`\uFEFF${JSON.stringify(file2022)}`));
    expect(text).toContain("确认导入吗");
  });

  it("refuses deeply nested JSON cleanly", async () => {
    const deep = `{"org":"x","year":2022,"narrative":${"[".repeat(100_000)}${"]".repeat(100_000)}}`;
    expect(await send(403, Buffer.from(deep))).toContain("层次太深");
  });

  it("refuses a narrative part over 20,000 characters", async () => {
    const long = { ...file2022, narrative: { ...file2022.narrative, problems: "字".repeat(100_000) } };
    expect(await send(404, Buffer.from(JSON.stringify(long)))).toContain('"narrative.problems" 太长了');
  });

  it("explains broken JSON in Chinese, never in JSON.parse's English", async () => {
    const text = await send(405, Buffer.from('{"org": "x", "year": '));
    expect(text).toContain("内容在中途断了");
    expect(text).not.toMatch(/Unexpected|JSON input/);
  });

  it("points to /new for a file of another year", async () => {
    const text = await send(406, Buffer.from(JSON.stringify({ ...file2022, year: 2024 })));
    expect(text).toContain("这个文件是 2024 年度的，当前报告是 2022 年度");
    expect(text).toContain("/new 单位名称 2024");
  });

  it("refuses a Word report whose part is over 20,000 characters, as it refuses such a JSON file", async () => {
    const { flows } = await import("../flows/index.js");
    const { renderDocx } = await import("../src/report/render-docx.js");
    const long = { ...file2022, narrative: { ...file2022.narrative, problems: "字".repeat(30_000) } };
    const officer = h.officer(407);
    officer.sendDocument("2022年报.docx", await renderDocx(flows.flowFor("2021"), long));
    const reply = await officer.nextReply();
    expect(reply.text).toContain('"narrative.problems" 太长了');
    expect(await h.store.readState("importRead:407")).toBeUndefined();
  });
});
