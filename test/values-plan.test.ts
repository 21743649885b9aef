import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { flows } from "../flows/index.js";
import { cellArray } from "../src/form/cell-array.js";
import type { Draft } from "../src/form/draft.js";
import type { Flow } from "../src/form/flow-schema.js";
import { computeValues, LazyValues, planOf, roundSum } from "../src/form/totals.js";

/**
 * computeValues follows a plan built once per flow (planOf). It must give
 * what the totals' definitions give, worked out from scratch: here against
 * the recursive reading of the definitions, for every flow, on drafts with
 * any cells missing, decimals and totals the officer wrote themselves.
 */
function fromScratch(flow: Flow, cells: Draft["cells"]): Map<string, number> {
  const values = new Map<string, number>();
  for (const c of flow.cells) {
    const v = cells[c.id];
    if (v !== undefined) values.set(c.id, v);
  }
  const byId = new Map(flow.totals.map((t) => [t.id, t]));
  const resolve = (id: string): number | undefined => {
    if (values.has(id)) return values.get(id);
    const total = byId.get(id);
    if (!total) return undefined;
    let sum = 0;
    for (const part of total.of) {
      const v = resolve(part);
      if (v === undefined) return undefined;
      sum += v;
    }
    values.set(id, roundSum(sum));
    return roundSum(sum);
  };
  for (const t of flow.totals) resolve(t.id);
  return values;
}

const sorted = (m: Map<string, number>) => [...m].sort(([a], [b]) => a.localeCompare(b));

describe("the values plan of a flow", () => {
  for (const flow of flows.formats.map((f) => flows.flowFor(f))) {
    it(`${flow.format}: gives the totals' definitions on any draft`, () => {
      const ids = [...flow.cells.map((c) => c.id), ...flow.totals.map((t) => t.id)];
      const value = fc.oneof(fc.nat(500), fc.double({ min: 0, max: 100, noNaN: true }), fc.constant(0.1));
      fc.assert(
        fc.property(fc.dictionary(fc.constantFrom(...ids), value), fc.boolean(), (some, full) => {
          const cells: Draft["cells"] = full ? Object.fromEntries(flow.cells.map((c) => [c.id, 1])) : {};
          Object.assign(cells, some);
          const all = fromScratch(flow, cells);
          expect(sorted(computeValues(flow, cells))).toEqual(sorted(all));
          // Read on demand (LazyValues): some ids only first (a row's cells and its total, as a row's
          // acknowledgement asks), then all, in any order and again, as the checks read them.
          const asked = ids.filter((_, i) => (i + Object.keys(cells).length) % 7 === 0);
          const lazy = new LazyValues(flow, cellArray(flow, cells));
          for (const id of [...asked, ...ids, "not.a.cell", ...ids])
            expect({ id, value: lazy.get(id) }).toEqual({ id, value: all.get(id) });
        }),
        { numRuns: 400 },
      );
      // Every total comes after the totals it adds up.
      const seen = new Set<string>();
      for (const t of planOf(flow).totals) {
        for (const part of t.of) if (flow.totals.some((x) => x.id === part)) expect(seen.has(part)).toBe(true);
        seen.add(t.id);
      }
      expect(seen.size).toBe(new Set(flow.totals.map((t) => t.id)).size);
    });
  }

  it("refuses a total that adds up itself", () => {
    const flow = flows.flowFor("2021");
    const looped = { ...flow, totals: [{ ...flow.totals[0]!, of: [flow.totals[0]!.id] }] } as Flow;
    expect(() => computeValues(looped, {})).toThrow(/adds up itself/);
  });
});
