import { describe, expect, it } from "vitest";
import { govInfo2019 } from "../flows/gov-info-2019.js";
import { govInfo2021 } from "../flows/gov-info-2021.js";
import { formSteps } from "../src/form/form-steps.js";
import { loadFlow } from "../src/form/load-flow.js";

const clone = <T>(v: T): T => structuredClone(v);

describe("loading a flow", () => {
  it("accepts both official formats", () => {
    expect(loadFlow(govInfo2021, "2021").cells).toHaveLength(166);
    expect(loadFlow(govInfo2019, "2019").sections.map((s) => s.heading)).toEqual([
      "一、总体情况",
      "二、主动公开政府信息情况",
      "三、收到和处理政府信息公开申请情况",
      "四、政府信息公开行政复议、行政诉讼情况",
      "五、存在的主要问题及改进情况",
      "六、其他需要报告的事项",
    ]);
  });
  it("asks table 四 as three steps of four numbers, each naming its own group", () => {
    const steps = formSteps(loadFlow(govInfo2021, "2021")).filter((s) => s.kind === "row" && s.table.id === "review");
    expect(steps.map((s) => (s.kind === "row" ? [s.row.group ?? "", s.row.label, s.row.cells.length] : []))).toEqual([
      ["", "行政复议", 4],
      ["行政诉讼", "未经复议直接起诉", 4],
      ["行政诉讼", "复议后起诉", 4],
    ]);
  });
  it("fails fast with the path of a schema error", () => {
    const broken = clone(govInfo2021);
    (broken.sections[2]!.tables![0]!.steps[0] as { label: unknown }).label = 7;
    expect(() => loadFlow(broken, "broken.ts")).toThrow(/broken\.ts: sections\.2\.tables\.0\.steps\.0\.label/);
  });
  it("fails when a rule names a cell the form does not have", () => {
    const broken = clone(govInfo2021);
    broken.rules.push({
      id: "X",
      kind: "org-level",
      severity: "warning",
      blockedLevels: ["镇"],
      allowedLevels: [],
      cells: ["active.nothing"],
      message: "x",
    });
    expect(() => loadFlow(broken, "broken.ts")).toThrow(/rule X names unknown cell active\.nothing/);
  });
  it("fails when a grid row does not fill the table width", () => {
    const broken = clone(govInfo2021);
    broken.sections[1]!.tables![0]!.grid[0]![0]!.colSpan = 3;
    expect(() => loadFlow(broken, "broken.ts")).toThrow(/grid\.0: row fills 3 of 4 columns/);
  });
  it("fails when a leaf cell is never asked", () => {
    const broken = clone(govInfo2021);
    broken.sections[3]!.tables![0]!.steps.pop();
    expect(() => loadFlow(broken, "broken.ts")).toThrow(/is never asked/);
  });
});

describe("section short names", () => {
  it("are required and short enough for a phone's button", async () => {
    const { SectionDef, SHORT_NAME_MAX } = await import("../src/form/flow-schema.js");
    expect(SectionDef.safeParse({ id: "a", heading: "一、总体情况", short: "一、总体情况" }).success).toBe(true);
    expect(SectionDef.safeParse({ id: "a", heading: "一、总体情况" }).success).toBe(false);
    expect(SectionDef.safeParse({ id: "a", heading: "x", short: "三、收到和处理政府信息" }).success).toBe(false);
    expect(SHORT_NAME_MAX).toBeLessThanOrEqual(8);
  });
});
