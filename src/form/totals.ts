import type { Draft } from "./draft.js";
import type { Flow } from "./flow-schema.js";

/** Cell values with every total computed from its parts; a total is absent while any part is. */
export type Values = ReadonlyMap<string, number>;

export function computeValues(flow: Flow, cells: Draft["cells"]): Map<string, number> {
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
    const rounded = roundSum(sum);
    values.set(id, rounded);
    return rounded;
  };
  for (const t of flow.totals) resolve(t.id);
  return values;
}

/** Sums of money cells (万元 with decimals) without float noise such as 0.30000000000000004. */
export function roundSum(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}
