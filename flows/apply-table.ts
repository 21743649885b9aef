import type { z } from "zod";
import type { CellDef, GridCell, RowStep, TableDef, TotalDef } from "../src/form/flow-schema.js";

/**
 * Section 三, the application table (FORMAT.md §2.2 and §3.2). The two formats
 * differ only in （六）其他处理: one row in 2019, three sub-rows in 2021.
 */

export const APPLICANT_COLUMNS = [
  { key: "natural", name: "自然人" },
  { key: "business", name: "商业企业" },
  { key: "research", name: "科研机构" },
  { key: "social", name: "社会公益组织" },
  { key: "legal", name: "法律服务机构" },
  { key: "other_org", name: "其他" },
] as const;
const TOTAL_COLUMN = { key: "total", name: "总计" } as const;
export const APPLY_COLUMNS_WITH_TOTAL = [...APPLICANT_COLUMNS, TOTAL_COLUMN];

interface Row {
  id: string;
  label: string;
}
interface Group {
  label: string;
  rows: Row[];
}
type Outcome = Row | Group;

const numbered = (prefix: string, labels: string[]): Row[] =>
  labels.map((label, i) => ({ id: `${prefix}.${i + 1}`, label: `${i + 1}.${label}` }));

const WITHHELD: Group = {
  label: "（三）不予公开",
  rows: numbered("apply.withheld", [
    "属于国家秘密",
    "其他法律行政法规禁止公开",
    "危及“三安全一稳定”",
    "保护第三方合法权益",
    "属于三类内部事务信息",
    "属于四类过程性信息",
    "属于行政执法案卷",
    "属于行政查询事项",
  ]),
};
const UNAVAILABLE: Group = {
  label: "（四）无法提供",
  rows: numbered("apply.unavailable", [
    "本机关不掌握相关政府信息",
    "没有现成信息需要另行制作",
    "补正后申请内容仍不明确",
  ]),
};
const NOT_PROCESSED: Group = {
  label: "（五）不予处理",
  rows: numbered("apply.not_processed", [
    "信访举报投诉类申请",
    "重复申请",
    "要求提供公开出版物",
    "无正当理由大量反复申请",
    "要求行政机关确认或重新出具已获取信息",
  ]),
};
const OTHER_2019: Row = { id: "apply.other", label: "（六）其他处理" };
const OTHER_2021: Group = {
  label: "（六）其他处理",
  rows: numbered("apply.other", [
    "申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
    "申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
    "其他",
  ]),
};

const NEW: Row = { id: "apply.new", label: "一、本年新收政府信息公开申请数量" };
const CARRIED_IN: Row = { id: "apply.carried_in", label: "二、上年结转政府信息公开申请数量" };
const RESULTS_LABEL = "三、本年度办理结果";
const RESULT_TOTAL: Row = { id: "apply.result_total", label: "（七）总计" };
const CARRIED_OUT: Row = { id: "apply.carried_out", label: "四、结转下年度继续办理" };
const NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）";

const isGroup = (o: Outcome): o is Group => "rows" in o;
const leavesOf = (outcomes: Outcome[]): Row[] => outcomes.flatMap((o) => (isGroup(o) ? o.rows : [o]));

function valueCells(rowId: string): z.input<typeof GridCell>[] {
  return APPLY_COLUMNS_WITH_TOTAL.map((c) => ({ role: "value" as const, cell: `${rowId}.${c.key}` }));
}

/** Row ids of a group of outcome rows, e.g. every 不予公开 reason. */
export const withheldRows = WITHHELD.rows.map((r) => r.id);

export function applyTable(format: "2019" | "2021"): {
  table: z.input<typeof TableDef>;
  cells: CellDef[];
  totals: TotalDef[];
} {
  const outcomes: Outcome[] = [
    { id: "apply.disclosed", label: "（一）予以公开" },
    { id: "apply.partial", label: "（二）部分公开（区分处理的，只计这一情形，不计其他情形）" },
    WITHHELD,
    UNAVAILABLE,
    NOT_PROCESSED,
    format === "2019" ? OTHER_2019 : OTHER_2021,
  ];
  const outcomeLeaves = leavesOf(outcomes);
  const resultRows = outcomeLeaves.length + 1; // plus （七）总计

  const grid: z.input<typeof GridCell>[][] = [
    [
      { role: "header", text: NOTE, colSpan: 3, rowSpan: 3 },
      { role: "header", text: "申请人情况", colSpan: 7 },
    ],
    [
      { role: "header", text: "自然人", rowSpan: 2 },
      { role: "header", text: "法人或其他组织", colSpan: 5 },
      { role: "header", text: "总计", rowSpan: 2 },
    ],
    APPLICANT_COLUMNS.slice(1).map((c) => ({ role: "header" as const, text: c.name })),
    [{ role: "label", text: NEW.label, colSpan: 3 }, ...valueCells(NEW.id)],
    [{ role: "label", text: CARRIED_IN.label, colSpan: 3 }, ...valueCells(CARRIED_IN.id)],
  ];
  let first = true;
  const resultsCell = (): z.input<typeof GridCell>[] => {
    if (!first) return [];
    first = false;
    return [{ role: "label", text: RESULTS_LABEL, rowSpan: resultRows }];
  };
  for (const o of outcomes) {
    if (!isGroup(o)) {
      grid.push([...resultsCell(), { role: "label", text: o.label, colSpan: 2 }, ...valueCells(o.id)]);
      continue;
    }
    o.rows.forEach((r, i) => {
      const groupCell: z.input<typeof GridCell>[] =
        i === 0 ? [{ role: "label", text: o.label, rowSpan: o.rows.length }] : [];
      grid.push([...resultsCell(), ...groupCell, { role: "label", text: r.label }, ...valueCells(r.id)]);
    });
  }
  grid.push([{ role: "label", text: RESULT_TOTAL.label, colSpan: 2 }, ...valueCells(RESULT_TOTAL.id)]);
  grid.push([{ role: "label", text: CARRIED_OUT.label, colSpan: 3 }, ...valueCells(CARRIED_OUT.id)]);

  const answeredRows: { row: Row; group?: string }[] = [
    { row: NEW },
    { row: CARRIED_IN },
    ...outcomes.flatMap((o) => (isGroup(o) ? o.rows.map((row) => ({ row, group: o.label })) : [{ row: o }])),
    { row: CARRIED_OUT },
  ];
  const steps: RowStep[] = answeredRows.map(({ row, group }) => ({
    id: row.id,
    label: row.label,
    ...(group ? { group } : {}),
    cells: APPLICANT_COLUMNS.map((c) => `${row.id}.${c.key}`),
    columns: APPLICANT_COLUMNS.map((c) => c.name),
  }));
  const cells: CellDef[] = answeredRows.flatMap(({ row, group }) =>
    APPLICANT_COLUMNS.map((c) => ({
      id: `${row.id}.${c.key}`,
      kind: "count" as const,
      row: group ? `${group}${row.label}` : row.label,
      column: c.name,
    })),
  );
  const totals: TotalDef[] = [
    // 三（七）总计 of each applicant column: the sum of every outcome row (A2).
    ...APPLICANT_COLUMNS.map((c) => ({
      id: `${RESULT_TOTAL.id}.${c.key}`,
      of: outcomeLeaves.map((r) => `${r.id}.${c.key}`),
      rule: "A2",
      row: RESULT_TOTAL.label,
      column: c.name,
    })),
    // 总计 column of every row, （七）总计 included (A3).
    ...[...answeredRows.map((a) => a.row), RESULT_TOTAL].map((r) => ({
      id: `${r.id}.total`,
      of: APPLICANT_COLUMNS.map((c) => `${r.id}.${c.key}`),
      rule: "A3",
      row: r.label,
      column: TOTAL_COLUMN.name,
    })),
  ];

  return {
    table: {
      id: "apply",
      name: "申请表",
      widths: [1.6, 1.6, 5.2, 1, 1, 1, 1, 1, 1, 1],
      fontSize: 10.5,
      grid,
      steps,
      offerAllZero: true,
    },
    cells,
    totals,
  };
}
