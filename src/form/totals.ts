import { cellArray } from "./cell-array.js";
import type { Draft } from "./draft.js";
import type { Flow } from "./flow-schema.js";

/** Cell values with every total computed from its parts; a total is absent while any part is. */
export type Values = ReadonlyMap<string, number>;

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
  for (const { id, of } of totals) {
    // A cell's own value wins over a total of the same id (load-flow refuses such a flow).
    if (values.has(id)) continue;
    let sum = 0;
    let complete = true;
    for (const part of of) {
      const v = values.get(part);
      if (v === undefined) {
        complete = false;
        break;
      }
      sum += v;
    }
    if (complete) values.set(id, roundSum(sum));
  }
  return values;
}

/**
 * Some of the values computeValues gives (those of `ids`; absent ones left
 * out), working out only the totals they need: a row's acknowledgement shows
 * its cells and its total, not the whole table's.
 */
export function valuesOf(flow: Flow, cells: Draft["cells"], ids: readonly string[]): Map<string, number> {
  const { isLeaf, partsOf } = planOf(flow);
  const known = new Map<string, number | undefined>();
  const resolve = (id: string): number | undefined => {
    if (known.has(id)) return known.get(id);
    let value = isLeaf.has(id) ? cells[id] : undefined;
    const parts = value === undefined ? partsOf.get(id) : undefined;
    if (parts) {
      let sum: number | undefined = 0;
      for (const part of parts) {
        const v = resolve(part);
        if (v === undefined) {
          sum = undefined;
          break;
        }
        sum += v;
      }
      value = sum === undefined ? undefined : roundSum(sum);
    }
    known.set(id, value);
    return value;
  };
  const values = new Map<string, number>();
  for (const id of ids) {
    const v = resolve(id);
    if (v !== undefined) values.set(id, v);
  }
  return values;
}

/**
 * How a flow's values are worked out: its cells, then its totals in an order
 * where every total comes after the totals it adds up (a total is absent while
 * any part is). Built once per flow: values are worked out on every answer.
 */
export interface ValuesPlan {
  leaves: readonly string[];
  totals: readonly { id: string; of: readonly string[] }[];
  isLeaf: ReadonlySet<string>;
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
  const plan = { leaves, totals: ordered, isLeaf: new Set(leaves), partsOf: new Map(ordered.map((t) => [t.id, t.of])) };
  plans.set(flow, plan);
  return plan;
}

/** Sums of money cells (万元 with decimals) without float noise such as 0.30000000000000004. */
export function roundSum(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}
