import type { Finding } from "../finding.js";
import type { LinearRule } from "../flow-schema.js";
import type { Values } from "../totals.js";
import { roundSum } from "../totals.js";

const EPSILON = 1e-9;

/**
 * Σ left (= | >=) Σ right, once per forEach value. Checked only when every
 * operand is answered; relations naming last year's cells only when it is given.
 */
export function checkLinear(rule: LinearRule, values: Values, previous: Values | undefined): Finding[] {
  if (rule.previousFormats && !previous) return [];
  const findings: Finding[] = [];
  for (const each of rule.forEach ?? [undefined]) {
    const bind = (cell: string) => (each ? cell.replaceAll("{col}", each.key) : cell);
    const sum = (terms: LinearRule["left"]): number | undefined => {
      let total = 0;
      for (const t of terms) {
        const v = (t.of === "previous" ? previous : values)?.get(bind(t.cell));
        if (v === undefined) return undefined;
        total += t.coef * v;
      }
      return roundSum(total);
    };
    const left = sum(rule.left);
    const right = sum(rule.right);
    if (left === undefined || right === undefined) continue;
    const holds = rule.op === "=" ? Math.abs(left - right) < EPSILON : left >= right - EPSILON;
    if (holds) continue;
    findings.push({
      severity: rule.severity,
      rule: rule.id,
      cells: [...rule.left, ...rule.right].filter((t) => t.of === "this").map((t) => bind(t.cell)),
      numbers: [left, right],
      message: rule.message
        .replaceAll("{col}", each?.name ?? "")
        .replaceAll("{left}", String(left))
        .replaceAll("{right}", String(right)),
    });
  }
  return findings;
}
