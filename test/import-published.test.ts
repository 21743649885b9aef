import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { flows } from "../flows/index.js";
import { checkReport } from "../src/form/check-report.js";
import { type Imported, type ImportOptions, importReport } from "../src/import/import-report.js";
import { readText } from "../src/import/read-text.js";

/**
 * Real published reports, as the search tool's stored web pages hold their
 * text (test/fixtures/published/, source on the first line). The stored
 * texts end part-way through the report: every cell they print must read
 * back as printed, and nothing past the end may be made up.
 */

const APPLICANTS = ["natural", "business", "research", "social", "legal", "other_org", "total"];

function read(name: string, options: ImportOptions): Imported {
  const text = readFileSync(new URL(`./fixtures/published/${name}.txt`, import.meta.url), "utf8");
  const source = readText(text.replace(/^# .*\n/, ""));
  const result = importReport(source, flows, options);
  if (!result.ok) throw new Error(result.reason);
  return result;
}

/** Rows of the 申请表 as the page prints them: row id → its seven figures (six leaves and 总计). */
function applyRows(rows: Record<string, number[]>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(rows).flatMap(([row, values]) => values.map((v, i) => [`${row}.${APPLICANTS[i]}`, v])),
  );
}
const zeros = (...rows: string[]) => Object.fromEntries(rows.map((r) => [r, [0, 0, 0, 0, 0, 0, 0]]));

const ACTIVE_2021_ZERO = {
  "active.rules.issued": 0,
  "active.rules.repealed": 0,
  "active.rules.in_force": 0,
  "active.normative.issued": 0,
  "active.normative.repealed": 0,
  "active.normative.in_force": 0,
  "active.licensing.decisions": 0,
  "active.penalty.decisions": 0,
  "active.enforcement.decisions": 0,
  "active.fees.amount": 0,
};

describe("published reports from the stored web pages", () => {
  it("lg.gov.cn 2024 (rows joined by ' | ', real figures)", () => {
    const result = read("longgang-2024", { org: "深圳市龙岗区政府工作部门" });
    expect([result.draft.year, result.draft.format]).toEqual([2024, "2021"]);
    expect(result.draft.cells).toEqual({
      ...ACTIVE_2021_ZERO,
      "active.normative.issued": 5,
      "active.normative.repealed": 1,
      "active.normative.in_force": 25,
      ...applyRows({
        "apply.new": [58, 7, 0, 0, 1, 0, 66],
        "apply.carried_in": [2, 0, 0, 0, 0, 0, 2],
        "apply.disclosed": [2, 1, 0, 0, 0, 0, 3],
        "apply.partial": [16, 1, 0, 0, 0, 0, 17],
        "apply.withheld.5": [1, 0, 0, 0, 0, 0, 1],
        ...zeros("apply.withheld.1", "apply.withheld.2", "apply.withheld.3", "apply.withheld.4", "apply.withheld.6"),
        // The stored text ends after the sixth figure of this row.
        "apply.withheld.7": [0, 0, 0, 0, 0, 0],
      }),
    });
    expect(result.unplaced).toEqual([]);
    expect(result.missing).toContain("apply.carried_out.natural");
  });

  it("xuwen.gov.cn 2025 (rows joined by ' | ', all zero)", () => {
    const result = read("xuwen-2025", { org: "徐闻县政府工作部门" });
    expect([result.draft.year, result.draft.format]).toEqual([2025, "2021"]);
    expect(result.draft.cells).toEqual({ ...ACTIVE_2021_ZERO, ...applyRows(zeros("apply.new", "apply.carried_in")) });
    expect(result.unplaced).toEqual([]);
  });

  it("xjnlk.gov.cn 2023 (each cell on a line, '|' lines between): a town's 规章 that check reports", () => {
    const result = read("xjnlk-town-2023", { org: "尼勒克县某镇" });
    expect([result.draft.year, result.draft.format]).toEqual([2023, "2021"]);
    expect(result.draft.cells).toEqual({
      ...ACTIVE_2021_ZERO,
      "active.rules.in_force": 6,
      ...applyRows(
        zeros(
          "apply.new",
          "apply.carried_in",
          "apply.disclosed",
          "apply.partial",
          "apply.withheld.1",
          "apply.withheld.2",
          "apply.withheld.3",
          "apply.withheld.4",
          "apply.withheld.5",
        ),
      ),
    });
    const findings = checkReport(flows.flowFor("2021"), result.draft);
    expect(findings.find((f) => f.rule === "A10")?.message).toBe(
      "二、规章：尼勒克县某镇是镇一级，一般不制定规章，但填了6，请核对",
    );
  });

  it("gaoling.gov.cn 2021 (one cell per line, '/' for nothing): unit and year from the title", () => {
    const result = read("gaoling-approval-2021", {});
    expect([result.draft.org, result.draft.year, result.draft.format]).toEqual([
      "西安市高陵区行政审批服务局",
      2021,
      "2021",
    ]);
    expect(result.draft.cells).toEqual({
      ...ACTIVE_2021_ZERO,
      "active.licensing.decisions": 11839,
      ...applyRows(
        zeros(
          "apply.new",
          "apply.carried_in",
          "apply.disclosed",
          "apply.partial",
          ...[1, 2, 3, 4, 5, 6, 7].map((n) => `apply.withheld.${n}`),
        ),
      ),
    });
    expect(result.unplaced).toEqual([]);
  });

  it("a 2020 flip-book page (text of a PDF: a label and figures separated by spaces)", () => {
    const result = read("shenji-2020-page9", { org: "审计局" });
    expect([result.draft.year, result.draft.format]).toEqual([2020, "2019"]);
    const review = ["review", "litigation_direct", "litigation_after_review"].flatMap((g) =>
      ["upheld", "corrected", "other", "pending", "total"].map((r) => [`${g}.${r}`, 0]),
    );
    expect(result.draft.cells).toEqual({ ...applyRows(zeros("apply.carried_out")), ...Object.fromEntries(review) });
    expect(result.unplaced).toEqual([]);
  });
});
