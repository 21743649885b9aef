import type { Finding } from "../finding.js";
import type { LinearRule } from "../flow-schema.js";
import type { ValueReader } from "../totals.js";
import { roundSum } from "../totals.js";

const EPSILON = 1e-9;

/** One value of a rule's forEach (undefined for a rule without one). */
export type LinearBinding = NonNullable<LinearRule["forEach"]>[number] | undefined;

/** The rule's cell ids with `{col}` bound. */
export function boundCell(cell: string, each: LinearBinding): string {
  return each ? cell.replaceAll("{col}", each.key) : cell;
}

/** A term with `{col}` bound: the cell id, its coefficient, whether it is last year's. */
interface BoundTerm {
  id: string;
  coef: number;
  previous: boolean;
}

const boundByRule = new WeakMap<LinearRule, Map<LinearBinding, { left: BoundTerm[]; right: BoundTerm[] }>>();

/** The rule's terms bound to one forEach value, worked out once per rule and value (checks run on every answer). */
function boundTerms(rule: LinearRule, each: LinearBinding): { left: BoundTerm[]; right: BoundTerm[] } {
  let byEach = boundByRule.get(rule);
  if (!byEach) {
    byEach = new Map();
    boundByRule.set(rule, byEach);
  }
  let terms = byEach.get(each);
  if (!terms) {
    const bind = (list: LinearRule["left"]) =>
      list.map((t) => ({ id: boundCell(t.cell, each), coef: t.coef, previous: t.of === "previous" }));
    terms = { left: bind(rule.left), right: bind(rule.right) };
    byEach.set(each, terms);
  }
  return terms;
}

/**
 * Σ coef × value over the terms, undefined while any is unanswered. A module
 * function, not a closure per check: tsx (esbuild keepNames) names a closure
 * on every call, and this runs for every rule an answer touches.
 */
function sumOf(list: readonly BoundTerm[], values: ValueReader, previous: ValueReader | undefined): number | undefined {
  let total = 0;
  for (const t of list) {
    const v = (t.previous ? previous : values)?.get(t.id);
    if (v === undefined) return undefined;
    total += t.coef * v;
  }
  return roundSum(total);
}

/**
 * Σ left (= | >=) Σ right for one forEach value. Checked only when every
 * operand is answered, so a relation naming last year's cells only when it is given.
 */
export function checkLinearAt(
  rule: LinearRule,
  each: LinearBinding,
  values: ValueReader,
  previous: ValueReader | undefined,
): Finding[] {
  const terms = boundTerms(rule, each);
  const left = sumOf(terms.left, values, previous);
  const right = sumOf(terms.right, values, previous);
  if (left === undefined || right === undefined) return [];
  const holds = rule.op === "=" ? Math.abs(left - right) < EPSILON : left >= right - EPSILON;
  if (holds) return [];
  return [
    {
      severity: rule.severity,
      rule: rule.id,
      cells: [...terms.left, ...terms.right].filter((t) => !t.previous).map((t) => t.id),
      numbers: [left, right],
      message: rule.message
        .replaceAll("{col}", each?.name ?? "")
        .replaceAll("{left}", String(left))
        .replaceAll("{right}", String(right)),
    },
  ];
}
