import { describe, expect, it } from "vitest";
import { flowFor } from "../flows/index.js";
import { prefillFromPrevious, uncheckedCrossYear } from "../src/form/cross-year.js";
import { fixture, withCells } from "./support/fixtures.js";

const APPLICANTS = ["natural", "business", "research", "social", "legal", "other_org"];
const ITEM_ROWS = ["licensing", "other_services", "penalty", "enforcement", "fees"];
const asMap = (cells: { cell: string; value: number }[]) => Object.fromEntries(cells.map((c) => [c.cell, c.value]));

describe("pre-filling a new year from last year's report", () => {
  it("2021 → 2022 format: 二、上年结转 is last year's 四、结转下年度继续办理, column by column", () => {
    const last = withCells(fixture("report-2022"), { "apply.carried_out.business": 2, "apply.carried_out.legal": 3 });
    const cells = prefillFromPrevious(flowFor("2021"), flowFor("2021"), last);
    expect(asMap(cells)).toEqual({
      "apply.carried_in.natural": 1,
      "apply.carried_in.business": 2,
      "apply.carried_in.research": 0,
      "apply.carried_in.social": 0,
      "apply.carried_in.legal": 3,
      "apply.carried_in.other_org": 0,
    });
    expect(cells.find((c) => c.cell === "apply.carried_in.legal")?.from).toEqual({
      year: 2022,
      format: "2021",
      cells: ["apply.carried_out.legal"],
      rule: "C1",
    });
  });

  it("across the 2020 → 2021 format change: 结转 carries over, 2019-only rows do not", () => {
    const last = withCells(fixture("seed-2020"), { "apply.carried_out.natural": 4, "apply.carried_out.social": 1 });
    expect(last.format).toBe("2019");
    const cells = asMap(prefillFromPrevious(flowFor("2021"), flowFor("2019"), last));
    expect(cells).toEqual({
      "apply.carried_in.natural": 4,
      "apply.carried_in.business": 0,
      "apply.carried_in.research": 0,
      "apply.carried_in.social": 1,
      "apply.carried_in.legal": 0,
      "apply.carried_in.other_org": 0,
    });
  });

  it("2019 format (2019 → 2020): also 上一年项目数量 = last year's 上一年项目数量 + 本年增/减", () => {
    const last = withCells(
      { ...fixture("seed-2020"), year: 2019 },
      {
        "active.licensing.prev_items": 120,
        "active.licensing.delta": -7,
        "active.penalty.prev_items": 3,
        "active.penalty.delta": 2,
        "apply.carried_out.natural": 5,
      },
    );
    const cells = asMap(prefillFromPrevious(flowFor("2019"), flowFor("2019"), last));
    expect(cells["active.licensing.prev_items"]).toBe(113);
    expect(cells["active.penalty.prev_items"]).toBe(5);
    expect(cells["active.fees.prev_items"]).toBe(0);
    expect(cells["apply.carried_in.natural"]).toBe(5);
    expect(Object.keys(cells).sort()).toEqual(
      [...ITEM_ROWS.map((r) => `active.${r}.prev_items`), ...APPLICANTS.map((c) => `apply.carried_in.${c}`)].sort(),
    );
  });

  it("leaves a cell to be asked when a source is unanswered or the value cannot be a count", () => {
    const last = withCells(
      { ...fixture("seed-2020"), year: 2019 },
      { "apply.carried_out.natural": undefined, "active.licensing.prev_items": 1, "active.licensing.delta": -4 },
    );
    const cells = asMap(prefillFromPrevious(flowFor("2019"), flowFor("2019"), last));
    expect(cells).not.toHaveProperty("apply.carried_in.natural");
    expect(cells).not.toHaveProperty("active.licensing.prev_items");
    expect(cells).toHaveProperty("apply.carried_in.business", 0);
  });

  it("never pre-fills a total: totals are computed", () => {
    const cells = prefillFromPrevious(flowFor("2021"), flowFor("2021"), fixture("report-2022"));
    const totals = new Set(flowFor("2021").totals.map((t) => t.id));
    expect(cells.some((c) => totals.has(c.cell))).toBe(false);
    expect(cells.length).toBe(APPLICANTS.length);
  });
});

describe("cross-year checks across a format change", () => {
  it("names the relations last year's format cannot be compared under", () => {
    expect(uncheckedCrossYear(flowFor("2021"), fixture("seed-2020"))).toEqual(["二、现行有效件数与去年的现行有效件数"]);
    expect(uncheckedCrossYear(flowFor("2021"), fixture("report-2022"))).toEqual([]);
    expect(uncheckedCrossYear(flowFor("2019"), fixture("seed-2020"))).toEqual([]);
    expect(uncheckedCrossYear(flowFor("2021"), undefined)).toEqual([]);
  });
});
