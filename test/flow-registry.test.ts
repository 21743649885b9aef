import { describe, expect, it } from "vitest";
import { govInfo2019 } from "../flows/gov-info-2019.js";
import { govInfo2021 } from "../flows/gov-info-2021.js";
import { flows } from "../flows/index.js";
import { flowRegistry } from "../src/form/flow-registry.js";
import { loadFlow } from "../src/form/load-flow.js";
import { loadReport } from "../src/form/load-report.js";
import { openingParagraph } from "../src/report/report-text.js";

const f2019 = loadFlow(govInfo2019, "2019");
const f2021 = loadFlow(govInfo2021, "2021");

describe("the flow registry", () => {
  it("derives the format of a year from the flows' own years", () => {
    expect([2018, 2019, 2020, 2021, 2035].map(flows.formatForYear)).toEqual(["2019", "2019", "2019", "2021", "2021"]);
    expect(flows.formats).toEqual(["2019", "2021"]);
    expect(flows.formatYears("2019")).toBe("2019–2020 年");
    expect(flows.formatYears("2021")).toBe("2021 年及以后");
    expect(() => flows.flowFor("2031")).toThrow(/unknown report format/);
  });

  it("takes a future format as one more flow, with no code naming it", () => {
    const future = loadFlow(
      { ...govInfo2021, format: "2031", notice: "国办公开办函〔2031〕1号", years: { from: 2031 } },
      "2031",
    );
    const registry = flowRegistry([f2019, { ...f2021, years: { from: 2021, to: 2030 } }, future]);
    expect(registry.formatForYear(2030)).toBe("2021");
    expect(registry.formatForYear(2031)).toBe("2031");
    expect(registry.formatYears("2021")).toBe("2021–2030 年");
    const loaded = loadReport(JSON.stringify({ org: "大关街道", year: 2032 }), registry);
    expect(loaded.ok && loaded.draft.format).toBe("2031");
    const wrong = loadReport(JSON.stringify({ org: "大关街道", year: 2032, format: "2021" }), registry);
    expect(wrong).toEqual({ ok: false, error: `"format" 是 "2021"，但 2032 年度的报告应使用 "2031" 格式` });
    expect(openingParagraph(future, { year: 2031 })).toContain("（国办公开办函〔2031〕1号）");
  });

  it("refuses overlapping or gapped years, and a rule naming an unknown format", () => {
    expect(() => flowRegistry([f2019, { ...f2021, years: { from: 2020 } }])).toThrow(/end the year before/);
    expect(() => flowRegistry([f2019, { ...f2021, years: { from: 2022 } }])).toThrow(/end the year before/);
    expect(() => flowRegistry([f2019, { ...f2021, years: { from: 2021, to: 2025 } }])).toThrow(/newest/);
    const rules = f2021.rules.map((r) =>
      r.id === "C2" && r.kind === "linear" ? { ...r, previousFormats: ["2017"] } : r,
    );
    expect(() => flowRegistry([f2019, { ...f2021, rules }])).toThrow(/unknown format 2017/);
  });

  it("refuses an unknown format in a file, listing the known ones", () => {
    expect(loadReport(JSON.stringify({ org: "大关街道", year: 2022, format: "2024" }), flows)).toEqual({
      ok: false,
      error: `"format" 只能是 "2019"、"2021"，现在是 "2024"`,
    });
  });
});
