import type { Draft, FormatId } from "./draft.js";
import type { Flow, LinearRule } from "./flow-schema.js";
import { computeValues } from "./totals.js";

/**
 * What last year's report tells this year's: the cross-year relations of the
 * flow (rules with `previousFormats`) read both ways. A relation "this cell =
 * last year's cells" pre-fills the cell; a relation last year's format does
 * not support cannot be checked, and says so.
 */

/** A cell of the new report whose value comes from last year's report. */
export interface PrefilledCell {
  cell: string;
  value: number;
  /** Where it came from: last year's report and cells, and the relation that links them. */
  from: { year: number; format: FormatId; cells: string[]; rule: string };
}

/**
 * The cells of a new report that last year's figures determine: 二、上年结转
 * from last year's 四、结转下年度继续办理 column by column, and in the 2019
 * format 上一年项目数量 from last year's 上一年项目数量 + 本年增/减. Only leaf
 * cells with every source answered, and only values the cell can hold.
 */
export function prefillFromPrevious(flow: Flow, previousFlow: Flow, previous: Draft): PrefilledCell[] {
  const values = computeValues(previousFlow, previous.cells);
  const leaves = new Map(flow.cells.map((c) => [c.id, c]));
  const out: PrefilledCell[] = [];
  for (const rule of flow.rules) {
    if (rule.kind !== "linear" || !determinesFromPrevious(rule, previous.format)) continue;
    const [target] = rule.left;
    if (!target) continue;
    for (const each of rule.forEach ?? [undefined]) {
      const bind = (cell: string) => (each ? cell.replaceAll("{col}", each.key) : cell);
      const cell = leaves.get(bind(target.cell));
      if (!cell || out.some((p) => p.cell === cell.id)) continue;
      const sources = rule.right.map((t) => ({ id: bind(t.cell), coef: t.coef, value: values.get(bind(t.cell)) }));
      if (sources.some((s) => s.value === undefined)) continue;
      const value = Math.round(sources.reduce((sum, s) => sum + s.coef * (s.value ?? 0), 0) * 1e6) / 1e6;
      if (cell.kind !== "signed" && value < 0) continue;
      if (cell.kind !== "money" && !Number.isInteger(value)) continue;
      out.push({
        cell: cell.id,
        value,
        from: { year: previous.year, format: previous.format, cells: sources.map((s) => s.id), rule: rule.id },
      });
    }
  }
  return out;
}

/** What last year's report pre-fills, as the report stores it: by cell id, with where each value came from. */
export function prefilledCells(
  cells: readonly PrefilledCell[],
): Record<string, { value: number; from: { year: number; cells: string[]; rule: string } }> {
  return Object.fromEntries(
    cells.map((c) => [c.cell, { value: c.value, from: { year: c.from.year, cells: c.from.cells, rule: c.from.rule } }]),
  );
}

/** this = Σ previous, with last year's format among the rule's: the cell is known before it is asked. */
function determinesFromPrevious(rule: LinearRule, previousFormat: FormatId): boolean {
  return (
    rule.op === "=" &&
    rule.previousFormats?.includes(previousFormat) === true &&
    rule.left.length === 1 &&
    rule.left[0]?.of === "this" &&
    rule.left[0].coef === 1 &&
    rule.right.length > 0 &&
    rule.right.every((t) => t.of === "previous")
  );
}

/** Titles of the cross-year relations last year's report cannot be compared under (another format). */
export function uncheckedCrossYear(flow: Flow, previous: Pick<Draft, "format"> | undefined): string[] {
  if (!previous) return [];
  return flow.rules.flatMap((rule) =>
    rule.kind === "linear" && rule.previousFormats && !rule.previousFormats.includes(previous.format)
      ? [rule.title ?? rule.id]
      : [],
  );
}
