import { type Flow, FlowDef } from "./flow-schema.js";

/**
 * Validates a flow definition: the zod schema, then the cross-references the
 * schema cannot see. A broken flow fails at load with the path of the error.
 */
export function loadFlow(def: unknown, source: string): Flow {
  const parsed = FlowDef.safeParse(def);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.join(".") ?? "";
    throw new Error(`flow ${source}: ${path}: ${issue?.message}`);
  }
  const flow = parsed.data;
  const fail = (path: string, message: string): never => {
    throw new Error(`flow ${source}: ${path}: ${message}`);
  };

  const leaves = new Set<string>();
  flow.cells.forEach((c, i) => {
    if (leaves.has(c.id)) fail(`cells.${i}.id`, `duplicate cell id ${c.id}`);
    leaves.add(c.id);
  });
  const totals = new Set<string>();
  flow.totals.forEach((t, i) => {
    if (leaves.has(t.id) || totals.has(t.id)) fail(`totals.${i}.id`, `duplicate cell id ${t.id}`);
    totals.add(t.id);
  });
  const known = (id: string) => leaves.has(id) || totals.has(id);
  flow.totals.forEach((t, i) => {
    t.of.forEach((id, j) => {
      if (!known(id)) fail(`totals.${i}.of.${j}`, `unknown cell ${id}`);
    });
  });

  const printed = new Set<string>();
  const asked = new Set<string>();
  const partIds = new Set<string>();
  flow.sections.forEach((section, s) => {
    section.parts.forEach((part, p) => {
      if (partIds.has(part.id)) fail(`sections.${s}.parts.${p}.id`, `duplicate part ${part.id}`);
      partIds.add(part.id);
    });
    section.tables.forEach((table, t) => {
      const at = `sections.${s}.tables.${t}`;
      checkGrid(table.grid, table.widths.length, (path, message) => fail(`${at}.grid${path}`, message));
      table.grid.flat().forEach((cell) => {
        if (cell.cell === undefined) return;
        if (!known(cell.cell)) fail(`${at}.grid`, `unknown cell ${cell.cell}`);
        if (printed.has(cell.cell)) fail(`${at}.grid`, `cell ${cell.cell} printed twice`);
        printed.add(cell.cell);
      });
      table.steps.forEach((step, i) => {
        if (step.cells.length !== step.columns.length) fail(`${at}.steps.${i}`, "cells and columns differ in length");
        step.cells.forEach((id, j) => {
          if (!leaves.has(id)) fail(`${at}.steps.${i}.cells.${j}`, `not a leaf cell: ${id}`);
          if (asked.has(id)) fail(`${at}.steps.${i}.cells.${j}`, `cell ${id} asked twice`);
          asked.add(id);
        });
      });
    });
  });
  for (const id of leaves) {
    if (!asked.has(id)) fail("cells", `cell ${id} is never asked`);
    if (!printed.has(id)) fail("cells", `cell ${id} is never printed`);
  }
  for (const id of totals) if (!printed.has(id)) fail("totals", `total ${id} is never printed`);

  flow.rules.forEach((rule, i) => {
    const cellsOf = (): string[] => {
      switch (rule.kind) {
        case "linear": {
          const terms = [...rule.left, ...rule.right].map((t) => t.cell);
          const keys = rule.forEach?.map((f) => f.key) ?? [undefined];
          return keys.flatMap((k) => terms.map((c) => (k === undefined ? c : c.replaceAll("{col}", k))));
        }
        case "org-level":
          return rule.cells;
        case "narrative-claims":
          return rule.claims.flatMap((c) => c.cells);
        default:
          return [];
      }
    };
    for (const id of cellsOf()) if (!known(id)) fail(`rules.${i}`, `rule ${rule.id} names unknown cell ${id}`);
    if (rule.kind === "linear" && rule.previousFormats && !rule.title)
      fail(`rules.${i}.title`, `cross-year rule ${rule.id} needs a title`);
    if (rule.kind === "mention" && !partIds.has(rule.part)) fail(`rules.${i}.part`, `unknown part ${rule.part}`);
  });
  return flow;
}

/** Every grid row must fill the table width once rowspans from above are counted. */
function checkGrid(
  grid: Flow["sections"][number]["tables"][number]["grid"],
  width: number,
  fail: (path: string, m: string) => never,
) {
  const covered: number[] = Array(width).fill(0); // rows still covered by a rowspan above, per column
  grid.forEach((row, r) => {
    let col = 0;
    const next = covered.map((n) => Math.max(0, n - 1));
    for (const cell of row) {
      while (col < width && (covered[col] ?? 0) > 0) col++;
      if (col + cell.colSpan > width) fail(`.${r}`, `row overflows the ${width} columns`);
      for (let c = col; c < col + cell.colSpan; c++) next[c] = cell.rowSpan - 1;
      col += cell.colSpan;
    }
    while (col < width && (covered[col] ?? 0) > 0) col++;
    if (col !== width) fail(`.${r}`, `row fills ${col} of ${width} columns`);
    covered.splice(0, width, ...next);
  });
  if (covered.some((n) => n > 0)) fail("", "a rowspan runs past the last row");
}
