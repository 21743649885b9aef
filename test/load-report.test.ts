import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { flows } from "../flows/index.js";
import { exportReport, loadReport } from "../src/form/load-report.js";
import { fixture } from "./support/fixtures.js";

const load = (value: unknown) => loadReport(typeof value === "string" ? value : JSON.stringify(value), flows);
const minimal = { format: "2021", org: "某某街道", year: 2022, narrative: {}, cells: {} };

describe("loading an interchange file", () => {
  it("loads a minimal file and derives the format from the year", () => {
    const { format, ...noFormat } = minimal;
    const result = load({ ...noFormat, year: 2020 });
    expect(result).toEqual({ ok: true, draft: { ...noFormat, year: 2020, format: "2019" } });
  });
  it.each([
    ["malformed JSON", "{ not json", "不是有效的 JSON"],
    ["an unknown top-level key", { ...minimal, extra: 1 }, '不认识的字段 "extra"'],
    ["an unknown cell id", { ...minimal, cells: { "apply.other": 1 } }, '"apply.other"'],
    ["an unknown narrative id", { ...minimal, narrative: { summary: "x" } }, '"summary"'],
    [
      "a value that is not a number",
      { ...minimal, cells: { "apply.new.natural": "3" } },
      '"cells.apply.new.natural" 应是数字，现在是 "3"',
    ],
    ["a format that does not fit the year", { ...minimal, format: "2019" }, '2022 年度的报告应使用 "2021" 格式'],
    ["a year that is not a number", { ...minimal, year: "2022" }, '"year"'],
    ["narrative text that is not text", { ...minimal, narrative: { problems: 3 } }, '"narrative.problems"'],
  ])("refuses %s, naming the key and the value", (_, value, message) => {
    const result = load(value);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toContain(message);
  });
  it("loads numbers that are wrong but numbers: they are findings, not load errors", () => {
    const result = load({ ...minimal, cells: { "apply.new.natural": -1, "apply.new.business": 1.5 } });
    expect(result.ok).toBe(true);
  });
  it("exports a draft that loads back the same", () => {
    const draft = fixture("report-2022");
    expect(load(exportReport(draft))).toEqual({ ok: true, draft });
  });
  it("reads the seed fixture with its procurement figures", () => {
    const text = readFileSync(new URL("./fixtures/seed-2020.json", import.meta.url), "utf8");
    const result = loadReport(text, flows);
    expect(result.ok && result.draft.cells["active.procurement.amount"]).toBe(239.8282);
  });
});
