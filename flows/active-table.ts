import type { z } from "zod";
import type { CellDef, CellKind, GridCell, RowStep, TableDef } from "../src/form/flow-schema.js";

/**
 * Section 二 as printed: blocks of a 4-column grid, each a title row
 * (第二十条第（…）项), a header row and data rows (FORMAT.md §2.1, §3.1).
 * A block with fewer than three value columns stretches its last one.
 */

export interface ActiveBlock {
  title: string;
  columns: { key: string; name: string; kind: CellKind }[];
  rows: { id: string; label: string }[];
}

const GRID_VALUE_COLUMNS = 3;

export function activeTable(blocks: ActiveBlock[]): { table: z.input<typeof TableDef>; cells: CellDef[] } {
  const grid: z.input<typeof GridCell>[][] = [];
  const steps: RowStep[] = [];
  const cells: CellDef[] = [];
  for (const block of blocks) {
    const spanOf = (i: number) => (i === block.columns.length - 1 ? GRID_VALUE_COLUMNS - block.columns.length + 1 : 1);
    grid.push([{ role: "title", text: block.title, colSpan: 1 + GRID_VALUE_COLUMNS }]);
    grid.push([
      { role: "header", text: "信息内容" },
      ...block.columns.map((c, i) => ({ role: "header" as const, text: c.name, colSpan: spanOf(i) })),
    ]);
    for (const row of block.rows) {
      grid.push([
        { role: "label", text: row.label },
        ...block.columns.map((c, i) => ({ role: "value" as const, cell: `${row.id}.${c.key}`, colSpan: spanOf(i) })),
      ]);
      steps.push({
        id: row.id,
        label: row.label,
        group: block.title,
        cells: block.columns.map((c) => `${row.id}.${c.key}`),
        columns: block.columns.map((c) => c.name),
      });
      cells.push(
        ...block.columns.map((c) => ({ id: `${row.id}.${c.key}`, kind: c.kind, row: row.label, column: c.name })),
      );
    }
  }
  return {
    table: {
      id: "active",
      name: "主动公开表",
      widths: [2.4, 1.5, 1.5, 1.5],
      fontSize: 10.5,
      grid,
      steps,
      offerAllZero: false,
    },
    cells,
  };
}
