import { describe, expect, it } from "vitest";
import { newReport, StoreDataError, validateChange } from "../src/store/store.js";
import { fixture } from "./support/fixtures.js";

describe("validateChange", () => {
  const report = newReport("v1", { draft: fixture("report-2022"), members: [1] }, new Date("2026-01-10T08:00:00Z"));

  it("looks only at what a write changes: cells and parts it leaves alone are not validated again", () => {
    // A value no write could store stands in for "already validated": untouched, it is not looked at.
    const current = { ...report, draft: { ...report.draft, cells: { ...report.draft.cells, odd: Number.NaN } } };
    const cells = { ...current.draft.cells, "apply.new.natural": 5 };
    expect(() => validateChange("k", current, { draft: { ...current.draft, cells }, cursor: 3 })).not.toThrow();
    expect(() =>
      validateChange("k", current, { draft: { ...current.draft, cells: { ...cells, odd: Number.POSITIVE_INFINITY } } }),
    ).toThrow(StoreDataError);
  });

  it("refuses a bad field of the change, naming it", () => {
    expect(() => validateChange("reports/v1", report, { cursor: 1.5 })).toThrow(/reports\/v1.*cursor/s);
    expect(() =>
      validateChange("reports/v1", report, { draft: { ...report.draft, narrative: { other: 1 as never } } }),
    ).toThrow(/draft/);
  });
});
