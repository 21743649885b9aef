import type { Flow } from "./flow-schema.js";
import { sectionNumber } from "./form-steps.js";

/** How a cell is named in messages, e.g. 三、申请表 一、本年新收政府信息公开申请数量「自然人」. */
export interface CellName {
  section: string;
  table: string;
  row: string;
  column: string;
}

const cache = new WeakMap<Flow, Map<string, CellName>>();

function index(flow: Flow): Map<string, CellName> {
  const known = cache.get(flow);
  if (known) return known;
  const names = new Map<string, CellName>();
  for (const section of flow.sections)
    for (const table of section.tables)
      for (const cell of table.grid.flat()) {
        if (!cell.cell) continue;
        const def = flow.cells.find((c) => c.id === cell.cell) ?? flow.totals.find((t) => t.id === cell.cell);
        if (def)
          names.set(cell.cell, {
            section: sectionNumber(section),
            table: table.name,
            row: def.row,
            column: def.column,
          });
      }
  cache.set(flow, names);
  return names;
}

export function cellName(flow: Flow, id: string): CellName {
  return index(flow).get(id) ?? { section: "", table: "", row: id, column: "" };
}

export function describeCell(flow: Flow, id: string): string {
  const n = cellName(flow, id);
  return `${n.section}、${n.table} ${n.row}「${n.column}」`;
}
