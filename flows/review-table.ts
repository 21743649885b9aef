import type { z } from "zod";
import type { CellDef, GridCell, RowStep, TableDef, TotalDef } from "../src/form/flow-schema.js";

/** Section 四, administrative review and litigation (FORMAT.md §2.3, the same in both formats). */

const RESULTS = [
  { key: "upheld", name: "结果维持" },
  { key: "corrected", name: "结果纠正" },
  { key: "other", name: "其他结果" },
  { key: "pending", name: "尚未审结" },
] as const;
const TOTAL = { key: "total", name: "总计" } as const;

export const REVIEW_GROUPS = [
  { id: "review", label: "行政复议" },
  { id: "litigation_direct", label: "未经复议直接起诉", group: "行政诉讼" },
  { id: "litigation_after_review", label: "复议后起诉", group: "行政诉讼" },
] as const;

export function reviewTable(): { table: z.input<typeof TableDef>; cells: CellDef[]; totals: TotalDef[] } {
  const header = (text: string, extra: Partial<z.input<typeof GridCell>> = {}) => ({
    role: "header" as const,
    text,
    ...extra,
  });
  const fiveHeaders = [...RESULTS, TOTAL].map((r) => header(r.name));
  const grid: z.input<typeof GridCell>[][] = [
    [header("行政复议", { colSpan: 5 }), header("行政诉讼", { colSpan: 10 })],
    [
      ...[...RESULTS, TOTAL].map((r) => header(r.name, { rowSpan: 2 })),
      header("未经复议直接起诉", { colSpan: 5 }),
      header("复议后起诉", { colSpan: 5 }),
    ],
    [...fiveHeaders, ...fiveHeaders],
    REVIEW_GROUPS.flatMap((g) =>
      [...RESULTS, TOTAL].map((r) => ({ role: "value" as const, cell: `${g.id}.${r.key}` })),
    ),
  ];
  const steps: RowStep[] = REVIEW_GROUPS.map((g) => ({
    id: g.id,
    label: g.label,
    ...("group" in g ? { group: g.group } : {}),
    cells: RESULTS.map((r) => `${g.id}.${r.key}`),
    columns: RESULTS.map((r) => r.name),
  }));
  const groupName = (g: (typeof REVIEW_GROUPS)[number]) => ("group" in g ? `${g.group}（${g.label}）` : g.label);
  const cells: CellDef[] = REVIEW_GROUPS.flatMap((g) =>
    RESULTS.map((r) => ({ id: `${g.id}.${r.key}`, kind: "count" as const, row: groupName(g), column: r.name })),
  );
  const totals: TotalDef[] = REVIEW_GROUPS.map((g) => ({
    id: `${g.id}.total`,
    of: RESULTS.map((r) => `${g.id}.${r.key}`),
    rule: "A5",
    row: groupName(g),
    column: TOTAL.name,
  }));
  return {
    table: {
      id: "review",
      name: "复议诉讼表",
      widths: Array(15).fill(1),
      fontSize: 9,
      grid,
      steps,
      offerAllZero: true,
    },
    cells,
    totals,
  };
}
