import { expect } from "vitest";
import type { Draft } from "../../src/form/draft.js";

/**
 * The official tables as FORMAT.md §2 and §3 give them, typed here, not
 * imported from flows/, so the flows and the renderers' tests check each
 * other; expected values and totals are computed here independently. Used by
 * the .docx and the .html cell tests alike.
 */

/** A printed cell as an HTML table has it (vMerge continuations folded into rowSpan). */
export interface CellLike {
  text: string;
  colSpan: number;
  rowSpan: number;
  jc?: string;
  bold: boolean;
}

export type Expected =
  | { text: string; colSpan?: number; rowSpan?: number; role: "title" | "header" | "label" }
  | { id: string; colSpan?: number };
const T = (text: string, colSpan = 1): Expected => ({ text, colSpan, role: "title" });
const H = (text: string, colSpan = 1, rowSpan = 1): Expected => ({ text, colSpan, rowSpan, role: "header" });
const L = (text: string, colSpan = 1, rowSpan = 1): Expected => ({ text, colSpan, rowSpan, role: "label" });
const V = (id: string, colSpan = 1): Expected => ({ id, colSpan });

export const ACTIVE_2021: Expected[][] = [
  [T("第二十条第（一）项", 4)],
  [H("信息内容"), H("本年制发件数"), H("本年废止件数"), H("现行有效件数")],
  [L("规章"), V("active.rules.issued"), V("active.rules.repealed"), V("active.rules.in_force")],
  [L("行政规范性文件"), V("active.normative.issued"), V("active.normative.repealed"), V("active.normative.in_force")],
  [T("第二十条第（五）项", 4)],
  [H("信息内容"), H("本年处理决定数量", 3)],
  [L("行政许可"), V("active.licensing.decisions", 3)],
  [T("第二十条第（六）项", 4)],
  [H("信息内容"), H("本年处理决定数量", 3)],
  [L("行政处罚"), V("active.penalty.decisions", 3)],
  [L("行政强制"), V("active.enforcement.decisions", 3)],
  [T("第二十条第（八）项", 4)],
  [H("信息内容"), H("本年收费金额（单位：万元）", 3)],
  [L("行政事业性收费"), V("active.fees.amount", 3)],
];

const ITEMS = ["prev_items", "delta", "decisions"];
export const ACTIVE_2019: Expected[][] = [
  [T("第二十条第（一）项", 4)],
  [H("信息内容"), H("本年新制作数量"), H("本年新公开数量"), H("对外公开总数量")],
  [L("规章"), V("active.rules.made"), V("active.rules.published"), V("active.rules.public_total")],
  [L("规范性文件"), V("active.normative.made"), V("active.normative.published"), V("active.normative.public_total")],
  [T("第二十条第（五）项", 4)],
  [H("信息内容"), H("上一年项目数量"), H("本年增/减"), H("处理决定数量")],
  [L("行政许可"), ...ITEMS.map((k) => V(`active.licensing.${k}`))],
  [L("其他对外管理服务事项"), ...ITEMS.map((k) => V(`active.other_services.${k}`))],
  [T("第二十条第（六）项", 4)],
  [H("信息内容"), H("上一年项目数量"), H("本年增/减"), H("处理决定数量")],
  [L("行政处罚"), ...ITEMS.map((k) => V(`active.penalty.${k}`))],
  [L("行政强制"), ...ITEMS.map((k) => V(`active.enforcement.${k}`))],
  [T("第二十条第（八）项", 4)],
  [H("信息内容"), H("上一年项目数量"), H("本年增/减", 2)],
  [L("行政事业性收费"), V("active.fees.prev_items"), V("active.fees.delta", 2)],
  [T("第二十条第（九）项", 4)],
  [H("信息内容"), H("采购项目数量"), H("采购总金额", 2)],
  [L("政府集中采购"), V("active.procurement.items"), V("active.procurement.amount", 2)],
];

export const APPLICANTS = ["natural", "business", "research", "social", "legal", "other_org"];
const values = (row: string) => [...APPLICANTS, "total"].map((c) => V(`${row}.${c}`));

const WITHHELD = [
  "1.属于国家秘密",
  "2.其他法律行政法规禁止公开",
  "3.危及“三安全一稳定”",
  "4.保护第三方合法权益",
  "5.属于三类内部事务信息",
  "6.属于四类过程性信息",
  "7.属于行政执法案卷",
  "8.属于行政查询事项",
];
const UNAVAILABLE = ["1.本机关不掌握相关政府信息", "2.没有现成信息需要另行制作", "3.补正后申请内容仍不明确"];
const NOT_PROCESSED = [
  "1.信访举报投诉类申请",
  "2.重复申请",
  "3.要求提供公开出版物",
  "4.无正当理由大量反复申请",
  "5.要求行政机关确认或重新出具已获取信息",
];
const OTHER_2021 = [
  "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
  "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
  "3.其他",
];

function group(label: string, prefix: string, leaves: string[]): Expected[][] {
  return leaves.map((leaf, i) => [
    ...(i === 0 ? [L(label, 1, leaves.length)] : []),
    L(leaf),
    ...values(`${prefix}.${i + 1}`),
  ]);
}

/** Outcome rows of 三 that （七）总计 adds up, by format. */
export function outcomeRows(format: string): string[] {
  const n = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}.${i + 1}`);
  return [
    "apply.disclosed",
    "apply.partial",
    ...n("apply.withheld", 8),
    ...n("apply.unavailable", 3),
    ...n("apply.not_processed", 5),
    ...(format === "2019" ? ["apply.other"] : n("apply.other", 3)),
  ];
}

export function applyTable(format: "2019" | "2021"): Expected[][] {
  const rows: Expected[][] = [
    [H("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", 3, 3), H("申请人情况", 7)],
    [H("自然人", 1, 2), H("法人或其他组织", 5), H("总计", 1, 2)],
    [H("商业企业"), H("科研机构"), H("社会公益组织"), H("法律服务机构"), H("其他")],
    [L("一、本年新收政府信息公开申请数量", 3), ...values("apply.new")],
    [L("二、上年结转政府信息公开申请数量", 3), ...values("apply.carried_in")],
    [L("三、本年度办理结果", 1, format === "2021" ? 22 : 20), L("（一）予以公开", 2), ...values("apply.disclosed")],
    [L("（二）部分公开（区分处理的，只计这一情形，不计其他情形）", 2), ...values("apply.partial")],
    ...group("（三）不予公开", "apply.withheld", WITHHELD),
    ...group("（四）无法提供", "apply.unavailable", UNAVAILABLE),
    ...group("（五）不予处理", "apply.not_processed", NOT_PROCESSED),
    ...(format === "2021"
      ? group("（六）其他处理", "apply.other", OTHER_2021)
      : [[L("（六）其他处理", 2), ...values("apply.other")]]),
    [L("（七）总计", 2), ...values("apply.result_total")],
    [L("四、结转下年度继续办理", 3), ...values("apply.carried_out")],
  ];
  return rows;
}

const RESULTS = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"];
export const RESULT_KEYS = ["upheld", "corrected", "other", "pending", "total"];
export const REVIEW: Expected[][] = [
  [H("行政复议", 5), H("行政诉讼", 10)],
  [...RESULTS.map((r) => H(r, 1, 2)), H("未经复议直接起诉", 5), H("复议后起诉", 5)],
  [...RESULTS.map((r) => H(r)), ...RESULTS.map((r) => H(r))],
  ["review", "litigation_direct", "litigation_after_review"].flatMap((g) => RESULT_KEYS.map((k) => V(`${g}.${k}`))),
];

/** Each printed number, computed here from the draft's leaf cells: totals given in the file are ignored. */
function expectedNumber(draft: Draft, id: string): number | undefined {
  const sum = (ids: string[]) => {
    const parts = ids.map((i) => expectedNumber(draft, i));
    return parts.some((p) => p === undefined) ? undefined : parts.reduce((a, b) => a! + b!, 0);
  };
  const m = /^(.*)\.total$/.exec(id);
  if (m?.[1]?.startsWith("apply.")) return sum(APPLICANTS.map((c) => `${m[1]}.${c}`));
  if (m) return sum(RESULT_KEYS.slice(0, 4).map((k) => `${m[1]}.${k}`));
  const col = /^apply\.result_total\.(\w+)$/.exec(id)?.[1];
  if (col) return sum(outcomeRows(draft.format).map((r) => `${r}.${col}`));
  return draft.cells[id];
}

export function expectedText(draft: Draft, id: string): string {
  const n = expectedNumber(draft, id);
  if (n === undefined) return "";
  // 采购总金额 (2019) has no unit in its header, so the value carries it (FORMAT.md §3.1).
  return id === "active.procurement.amount" ? `${n}万元` : String(n);
}

export function expectTable(printed: { rows: CellLike[][] }, expected: Expected[][], draft: Draft): void {
  const want = expected.map((row) =>
    row.map((e) =>
      "id" in e
        ? { text: expectedText(draft, e.id), colSpan: e.colSpan ?? 1, rowSpan: 1, jc: "center" }
        : {
            text: e.text,
            colSpan: e.colSpan ?? 1,
            rowSpan: e.rowSpan ?? 1,
            jc: e.role === "label" ? "left" : "center",
          },
    ),
  );
  const got = printed.rows.map((row) => row.map(({ text, colSpan, rowSpan, jc }) => ({ text, colSpan, rowSpan, jc })));
  expect(got).toEqual(want);
  // Title and header cells are bold, labels and numbers are not.
  for (const [r, row] of printed.rows.entries()) {
    for (const [c, cell] of row.entries()) {
      const e = expected[r]![c]!;
      if (cell.text) expect(cell.bold, `row ${r + 1} cell ${c + 1}`).toBe(!("id" in e) && e.role !== "label");
    }
  }
}
