import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyChange, isoTime, newReport, recordDiff, StoreDataError, validateChange } from "../src/store/store.js";
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

describe("applyChange", () => {
  const report = newReport("a1", { draft: fixture("report-2022"), members: [1] }, new Date("2026-01-10T08:00:00Z"));

  it("makes the very report it made last for the same report, change and millisecond, and a new one otherwise", () => {
    const change = { cursor: 4 };
    const at = new Date("2026-01-11T09:00:00.123Z");
    const next = applyChange(report, change, at);
    expect(next).toEqual({ ...report, cursor: 4, version: 2, updatedAt: "2026-01-11T09:00:00.123Z" });
    // The bot works out the report to describe the answer, the store the same one to write it.
    expect(applyChange(report, change, new Date(at.getTime()))).toBe(next);
    const later = applyChange(report, change, new Date(at.getTime() + 1));
    expect(later).not.toBe(next);
    expect(later.updatedAt).toBe("2026-01-11T09:00:00.124Z");
    expect(applyChange(report, { cursor: 4 }, at)).not.toBe(later);
    expect(applyChange({ ...report }, change, at)).toEqual(next);
  });
});

describe("isoTime", () => {
  it("is toISOString, whichever times were asked before", () => {
    const times = [0, 1, 0, 1, 2, 1, 0, 1764370000123, 2, 1764370000123, -1];
    for (const ms of times) expect(isoTime(ms)).toBe(new Date(ms).toISOString());
  });
});

describe("recordDiff", () => {
  /** The diff by definition: keys of `after` new or with another value, and whether any key of `before` is gone. */
  const reference = (before: Record<string, number>, after: Record<string, number>) => ({
    changed: Object.keys(after).filter((k) => !Object.hasOwn(before, k) || !Object.is(before[k], after[k])),
    drops: Object.keys(before).some((k) => !Object.hasOwn(after, k)),
  });
  const key = fc.constantFrom("a.x", "a.y", "b.x", "b.y", "c", "d.e", "10", "2");
  const value = fc.oneof(fc.integer({ min: -2, max: 2 }), fc.constant(-0), fc.constant(Number.NaN));

  it("finds what a copy with cells set, added or removed changed, whatever the order of its keys", () => {
    fc.assert(
      fc.property(
        fc.dictionary(key, value),
        fc.array(fc.tuple(key, fc.option(value)), { maxLength: 4 }),
        fc.boolean(),
        (before, edits, rebuild) => {
          let after: Record<string, number> = { ...before };
          for (const [k, v] of edits) {
            if (v === null) delete after[k];
            else after[k] = v;
          }
          // A record built again in another key order, as a read from the store gives.
          if (rebuild) after = Object.fromEntries(Object.entries(after).reverse());
          const diff = recordDiff(before, after);
          const expected = reference(before, after);
          expect(diff.drops).toBe(expected.drops);
          expect([...diff.changed].sort()).toEqual([...expected.changed].sort());
        },
      ),
      { numRuns: 2000 },
    );
  });
});
