import { cellArray } from "./cell-array.js";
import type { Draft } from "./draft.js";
import type { Flow } from "./flow-schema.js";

/** Cell values with every total computed from its parts; a total is absent while any part is. */
export type Values = ReadonlyMap<string, number>;

/** What the checks read of Values: one value by id. */
export interface ValueReader {
  get(id: string): number | undefined;
}

export function computeValues(flow: Flow, cells: Draft["cells"]): Map<string, number> {
  return valuesFrom(flow, cellArray(flow, cells));
}

/** computeValues from the cells' array (cell-array.ts): a draft's is kept, so checks reuse it. */
export function valuesFrom(flow: Flow, slots: readonly (number | undefined)[]): Map<string, number> {
  const { leaves, totals } = planOf(flow);
  const values = new Map<string, number>();
  // The leaves are the flow's cells, slots 0… of its cell array: one walk over the record, not a lookup per cell.
  for (let i = 0; i < leaves.length; i++) {
    const v = slots[i];
    if (v !== undefined) values.set(leaves[i]!, v);
  }
  // A cell's own value wins over a total of the same id (load-flow refuses such a flow).
  const lazy = new LazyValues(flow, slots);
  for (const { id } of totals) {
    if (values.has(id)) continue;
    const v = lazy.get(id);
    if (v !== undefined) values.set(id, v);
  }
  return values;
}

/**
 * The values valuesFrom gives, read on demand from a draft's cell array: a
 * leaf is its slot, a total is worked out from its parts when first read and
 * kept. An answer's checks read a few dozen values; building all of them (a
 * map of every cell and total) cost more than the checks that read them.
 */
export class LazyValues implements ValueReader {
  private readonly plan: ValuesPlan;
  private readonly totals = new Map<string, number | undefined>();

  constructor(
    flow: Flow,
    private readonly slots: readonly (number | undefined)[],
  ) {
    this.plan = planOf(flow);
  }

  get(id: string): number | undefined {
    // The leaves are the flow's cells, slots 0… of its cell array (a leaf's value wins over a total of its id).
    const leaf = this.plan.leafSlot.get(id);
    if (leaf !== undefined) return this.slots[leaf];
    const parts = this.plan.partsOf.get(id);
    if (parts === undefined) return undefined;
    if (this.totals.has(id)) return this.totals.get(id);
    let sum: number | undefined = 0;
    for (const part of parts) {
      const v = this.get(part);
      if (v === undefined) {
        sum = undefined;
        break;
      }
      sum += v;
    }
    const value = sum === undefined ? undefined : roundSum(sum);
    this.totals.set(id, value);
    return value;
  }
}

/**
 * How a flow's values are worked out: its cells, then its totals in an order
 * where every total comes after the totals it adds up (a total is absent while
 * any part is). Built once per flow: values are worked out on every answer.
 */
export interface ValuesPlan {
  leaves: readonly string[];
  totals: readonly { id: string; of: readonly string[] }[];
  /** Each leaf's index in `leaves` (its slot in the cell array), by id. */
  leafSlot: ReadonlyMap<string, number>;
  /** Each total's parts, by the total's id. */
  partsOf: ReadonlyMap<string, readonly string[]>;
}

const plans = new WeakMap<Flow, ValuesPlan>();

export function planOf(flow: Flow): ValuesPlan {
  const known = plans.get(flow);
  if (known) return known;
  const byId = new Map(flow.totals.map((t) => [t.id, t]));
  const leaves = flow.cells.map((c) => c.id);
  const ordered: { id: string; of: readonly string[] }[] = [];
  const placed = new Set<string>();
  const visiting = new Set<string>();
  const place = (id: string): void => {
    const total = byId.get(id);
    if (!total || placed.has(id)) return;
    if (visiting.has(id)) throw new Error(`flow ${flow.format}: total ${id} adds up itself`);
    visiting.add(id);
    for (const part of total.of) place(part);
    visiting.delete(id);
    placed.add(id);
    ordered.push({ id, of: total.of });
  };
  for (const t of flow.totals) place(t.id);
  const plan = {
    leaves,
    totals: ordered,
    leafSlot: new Map(leaves.map((id, i) => [id, i])),
    partsOf: new Map(ordered.map((t) => [t.id, t.of])),
  };
  plans.set(flow, plan);
  return plan;
}

/** Sums of money cells (万元 with decimals) without float noise such as 0.30000000000000004. */
export function roundSum(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}
