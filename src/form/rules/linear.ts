import type { Finding } from "../finding.js";
import type { LinearRule } from "../flow-schema.js";
import type { Values } from "../totals.js";
import { roundSum } from "../totals.js";

const EPSILON = 1e-9;

/** One value of a rule's forEach (undefined for a rule without one). */
export type LinearBinding = NonNullable<LinearRule["forEach"]>[number] | undefined;

/** The rule's cell ids with `{col}` bound. */
export function boundCell(cell: string, each: LinearBinding): string {
  return each ? cell.replaceAll("{col}", each.key) : cell;
}

/**
 * Σ left (= | >=) Σ right for one forEach value. Checked only when every
 * operand is answered, so a relation naming last year's cells only when it is given.
 */
export function checkLinearAt(
  rule: LinearRule,
  each: LinearBinding,
  values: Values,
  previous: Values | undefined,
): Finding[] {
  const sum = (terms: LinearRule["left"]): number | undefined => {
    let total = 0;
    for (const t of terms) {
      const v = (t.of === "previous" ? previous : values)?.get(boundCell(t.cell, each));
      if (v === undefined) return undefined;
      total += t.coef * v;
    }
    return roundSum(total);
  };
  const left = sum(rule.left);
  const right = sum(rule.right);
  if (left === undefined || right === undefined) return [];
  const holds = rule.op === "=" ? Math.abs(left - right) < EPSILON : left >= right - EPSILON;
  if (holds) return [];
  return [
    {
      severity: rule.severity,
      rule: rule.id,
      cells: [...rule.left, ...rule.right].filter((t) => t.of === "this").map((t) => boundCell(t.cell, each)),
      numbers: [left, right],
      message: rule.message
        .replaceAll("{col}", each?.name ?? "")
        .replaceAll("{left}", String(left))
        .replaceAll("{right}", String(right)),
    },
  ];
}
