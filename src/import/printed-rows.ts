import type { Flow, TableDef } from "../form/flow-schema.js";

/**
 * The rows of a flow's table as printed (from its grid): for each row with
 * figures, its label, the group label it sits under, and its value cells in
 * order with the column header printed above each. What the matcher looks
 * for in a file; derived from the flow, so no label is typed twice.
 */

export interface PrintedValue {
  cell: string;
  /** The lowest header printed above this cell (e.g. 商业企业, 本年制发件数). */
  header: string;
  /** A computed cell (总计): its figure in a file is only checked. */
  total: boolean;
}

export interface PrintedRow {
  table: string;
  /** The row's own label (the last label cell); undefined for a row of figures only (复议诉讼表). */
  label?: string;
  /** The label of a group spanning several rows, e.g. （三）不予公开. */
  group?: string;
  values: PrintedValue[];
}

const cache = new WeakMap<TableDef, PrintedRow[]>();

export function printedRows(flow: Flow, table: TableDef): PrintedRow[] {
  const known = cache.get(table);
  if (known) return known;
  const totals = new Set(flow.totals.map((t) => t.id));
  const width = table.widths.length;
  // Header text covering each grid column, lowest row last; reset by a title row.
  let headers: (string | undefined)[] = Array(width).fill(undefined);
  const covered: number[] = Array(width).fill(0);
  const groupAt: ({ text: string; rows: number } | undefined)[] = Array(width).fill(undefined);
  const rows: PrintedRow[] = [];
  for (const gridRow of table.grid) {
    let col = 0;
    const labels: string[] = [];
    const values: PrintedValue[] = [];
    let group: string | undefined;
    for (let c = 0; c < width; c++) {
      const g = groupAt[c];
      if (g && covered[c]! > 0 && g.rows > 1) group = g.text;
    }
    for (const cell of gridRow) {
      while (col < width && covered[col]! > 0) col++;
      if (cell.role === "title") headers = Array(width).fill(undefined);
      if (cell.role === "header") for (let c = col; c < col + cell.colSpan; c++) headers[c] = cell.text;
      if (cell.role === "label") {
        labels.push(cell.text ?? "");
        for (let c = col; c < col + cell.colSpan; c++) groupAt[c] = { text: cell.text ?? "", rows: cell.rowSpan };
      }
      if (cell.role === "value")
        values.push({ cell: cell.cell!, header: headers[col] ?? "", total: totals.has(cell.cell!) });
      for (let c = col; c < col + cell.colSpan; c++) covered[c] = cell.rowSpan;
      col += cell.colSpan;
    }
    for (let c = 0; c < width; c++) covered[c] = Math.max(0, covered[c]! - 1);
    if (values.length === 0) continue;
    const own = labels[labels.length - 1];
    if (labels.length > 1 && labels[labels.length - 2] !== undefined) group = labels[labels.length - 2];
    rows.push({ table: table.id, ...(own !== undefined ? { label: own } : {}), ...(group ? { group } : {}), values });
  }
  cache.set(table, rows);
  return rows;
}
