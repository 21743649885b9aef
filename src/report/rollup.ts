import { describeCell } from "../form/cell-names.js";
import type { Draft } from "../form/draft.js";
import type { Flow } from "../form/flow-schema.js";
import { computeValues, roundSum } from "../form/totals.js";

/**
 * A campaign's roll-up: the tables of the approved units added cell by cell,
 * and the same figures one row per unit for a spreadsheet. Which units are
 * summed is the caller's decision (approved ones only); those left out are
 * named, never summed silently.
 */

export interface RollupUnit {
  name: string;
  draft: Draft;
}

/** The leaf cells of every unit added up; a cell no unit answered stays absent. */
export function sumCells(flow: Flow, drafts: readonly Draft[]): Draft["cells"] {
  const cells: Draft["cells"] = {};
  for (const def of flow.cells) {
    let sum: number | undefined;
    for (const d of drafts) {
      const v = d.cells[def.id];
      if (v !== undefined) sum = (sum ?? 0) + v;
    }
    if (sum !== undefined) cells[def.id] = roundSum(sum);
  }
  return cells;
}

/** A draft holding the sum of the units' tables, printed in the official layout, listing who is in and who is not. */
export function rollupDraft(
  flow: Flow,
  title: { org: string; year: number },
  included: readonly RollupUnit[],
  missing: readonly string[],
): Draft {
  const names = (list: readonly string[]) => (list.length > 0 ? list.join("、") : "无");
  return {
    format: flow.format,
    org: title.org,
    year: title.year,
    narrative: {
      "overview.intro": [
        `本汇总报告的表格为以下 ${included.length} 个已审核通过单位的年度报告逐项相加：${names(included.map((u) => u.name))}。`,
        `未计入（尚未审核通过）的单位 ${missing.length} 个：${names(missing)}。`,
      ].join("\n"),
      problems: "见各单位报告。",
      other: "见各单位报告。",
    },
    cells: sumCells(
      flow,
      included.map((u) => u.draft),
    ),
  };
}

/** Every value cell of the printed tables (leaves and totals), in the order the document prints them. */
export function printedCellIds(flow: Flow): string[] {
  const ids: string[] = [];
  const seen = new Set<string>();
  for (const section of flow.sections)
    for (const table of section.tables)
      for (const row of table.grid)
        for (const cell of row)
          if (cell.cell !== undefined && !seen.has(cell.cell)) {
            seen.add(cell.cell);
            ids.push(cell.cell);
          }
  return ids;
}

/** A field as Excel and WPS read it: quoted when it holds a comma, a quote or a line break. */
function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

const BOM = "\uFEFF";

/**
 * One row per unit, one column per printed cell (totals computed), headed by
 * the cell's section, table, row and column in Chinese. UTF-8 with a
 * byte-order mark and CRLF lines, so Excel and WPS open it without garbling.
 */
export function rollupCsv(flow: Flow, units: readonly RollupUnit[]): string {
  const ids = printedCellIds(flow);
  const lines = [["单位", ...ids.map((id) => describeCell(flow, id))].map(csvField).join(",")];
  for (const unit of units) {
    const values = computeValues(flow, unit.draft.cells);
    lines.push([unit.name, ...ids.map((id) => (values.has(id) ? String(values.get(id)) : ""))].map(csvField).join(","));
  }
  return `${BOM}${lines.join("\r\n")}\r\n`;
}
