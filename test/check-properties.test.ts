import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { flowFor } from "../flows/index.js";
import { checkReport } from "../src/form/check-report.js";
import type { Draft } from "../src/form/draft.js";
import { computeValues } from "../src/form/totals.js";
import { fixture } from "./support/fixtures.js";

const flow = flowFor("2021");
const base = fixture("report-2022");
const COLUMNS = ["natural", "business", "research", "social", "legal", "other_org"];
const applyTable = flow.sections.flatMap((s) => s.tables).find((t) => t.id === "apply")!;
const outcomeRows = applyTable.steps
  .map((s) => s.id)
  .filter((id) => !["apply.new", "apply.carried_in", "apply.carried_out"].includes(id));
const applyLeaves = applyTable.steps.flatMap((s) => s.cells);
const STRUCTURAL = new Set(["A1", "A2", "A3", "A4", "A5", "A6"]);

/** Random leaves of 三 (and 四) that satisfy A1 by construction: 一+二 is split from （七）+四. */
const consistentCells = fc
  .record({
    outcomes: fc.array(fc.array(fc.nat(40), { minLength: 6, maxLength: 6 }), {
      minLength: outcomeRows.length,
      maxLength: outcomeRows.length,
    }),
    carriedOut: fc.array(fc.nat(20), { minLength: 6, maxLength: 6 }),
    carriedInShare: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 6, maxLength: 6 }),
    review: fc.array(fc.nat(9), { minLength: 12, maxLength: 12 }),
  })
  .map(({ outcomes, carriedOut, carriedInShare, review }) => {
    const cells: Record<string, number> = { ...base.cells };
    outcomeRows.forEach((row, r) => {
      COLUMNS.forEach((c, i) => {
        cells[`${row}.${c}`] = outcomes[r]![i]!;
      });
    });
    COLUMNS.forEach((c, i) => {
      const handled = outcomes.reduce((sum, row) => sum + row[i]!, 0) + carriedOut[i]!;
      const carriedIn = Math.floor(handled * carriedInShare[i]!);
      cells[`apply.carried_out.${c}`] = carriedOut[i]!;
      cells[`apply.carried_in.${c}`] = carriedIn;
      cells[`apply.new.${c}`] = handled - carriedIn;
    });
    flow.cells
      .filter((c) => /^(review|litigation)/.test(c.id))
      .forEach((c, i) => {
        cells[c.id] = review[i]!;
      });
    return cells;
  });

const draftOf = (cells: Record<string, number>): Draft => ({ ...base, cells });

describe("properties of the checks", () => {
  it("a random consistent report passes A1–A6, with totals computed or written out", () => {
    fc.assert(
      fc.property(consistentCells, fc.boolean(), (cells, writeTotals) => {
        const withTotals = writeTotals ? Object.fromEntries(computeValues(flow, cells)) : cells;
        const findings = checkReport(flow, draftOf(withTotals));
        expect(findings.filter((f) => STRUCTURAL.has(f.rule) || f.rule === "missing")).toEqual([]);
      }),
    );
  });

  it("changing any one leaf of table 三 breaks A1 in its column", () => {
    fc.assert(
      fc.property(
        consistentCells,
        fc.constantFrom(...applyLeaves),
        fc.integer({ min: 1, max: 50 }),
        (cells, leaf, delta) => {
          const changed = { ...cells, [leaf]: (cells[leaf] ?? 0) + delta };
          const column = leaf.split(".").at(-1)!;
          const a1 = checkReport(flow, draftOf(changed)).filter((f) => f.rule === "A1");
          expect(a1.some((f) => f.cells.includes(`apply.new.${column}`))).toBe(true);
          expect(a1.some((f) => f.cells.includes("apply.new.total"))).toBe(true);
        },
      ),
    );
  });

  it("any total written in a file that differs from the sum of its leaves is reported", () => {
    fc.assert(
      fc.property(
        consistentCells,
        fc.constantFrom(...flow.totals),
        fc.integer({ min: -30, max: 30 }).filter((d) => d !== 0),
        (cells, total, delta) => {
          const computed = computeValues(flow, cells).get(total.id)!;
          const findings = checkReport(flow, draftOf({ ...cells, [total.id]: computed + delta }));
          const found = findings.find((f) => f.rule === total.rule && f.cells[0] === total.id);
          expect(found?.numbers).toEqual([computed + delta, computed]);
          expect(found?.severity).toBe("error");
        },
      ),
    );
  });
});
