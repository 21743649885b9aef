import type { z } from "zod";
import type { Claim, RuleDef } from "../src/form/flow-schema.js";
import { APPLY_COLUMNS_WITH_TOTAL, withheldRows } from "./apply-table.js";

/** Rules on 三, 四 and the narrative, the same in both formats (FORMAT.md §5). */

type Rule = z.input<typeof RuleDef>;

const perColumn = APPLY_COLUMNS_WITH_TOTAL.map((c) => ({ key: c.key, name: c.name }));

export const APPLY_RULES: Rule[] = [
  {
    id: "A1",
    kind: "linear",
    severity: "error",
    forEach: perColumn,
    left: [{ cell: "apply.new.{col}" }, { cell: "apply.carried_in.{col}" }],
    op: "=",
    right: [{ cell: "apply.result_total.{col}" }, { cell: "apply.carried_out.{col}" }],
    message: "三、申请表「{col}」列：一+二={left}，但（七）总计+四={right}",
  },
  {
    // Checked even before 四 is answered: outcomes beyond the applications at hand are counted twice.
    id: "A4",
    kind: "linear",
    severity: "error",
    forEach: perColumn,
    left: [{ cell: "apply.new.{col}" }, { cell: "apply.carried_in.{col}" }],
    op: ">=",
    right: [{ cell: "apply.result_total.{col}" }],
    message:
      "三、申请表「{col}」列：办理结果（七）总计={right}，多于一+二={left}。每件申请只计一种结果（区分处理的只计部分公开）",
  },
  {
    id: "C1",
    kind: "linear",
    severity: "warning",
    forEach: perColumn,
    previousFormats: ["2019", "2021"],
    title: "二、上年结转与去年的四、结转下年度继续办理",
    left: [{ cell: "apply.carried_in.{col}" }],
    op: "=",
    right: [{ cell: "apply.carried_out.{col}", of: "previous" }],
    message: "三、申请表「{col}」列：二、上年结转={left}，但去年报告的四、结转下年度继续办理={right}",
  },
];

const reviewTotals = ["review.total"];
const litigationTotals = ["litigation_direct.total", "litigation_after_review.total"];

/** Narrative figures checked against the tables (A9); the longer pattern wins where two overlap. */
export function narrativeClaims(extra: z.input<typeof Claim>[]): Rule {
  return {
    id: "A9",
    kind: "narrative-claims",
    severity: "warning",
    claims: [
      {
        name: "收到的申请",
        patterns: ["新收…申请", "收到…申请", "受理…申请", "申请…共计"],
        zeroPatterns: ["未收到…申请", "没有收到…申请", "未受理…申请"],
        cells: ["apply.new.total"],
      },
      { name: "上年结转的申请", patterns: ["上年结转", "上年度结转"], cells: ["apply.carried_in.total"] },
      {
        name: "结转下年度的申请",
        patterns: ["结转下年", "结转至下年", "结转到下年"],
        cells: ["apply.carried_out.total"],
      },
      {
        name: "予以公开和部分公开的申请",
        patterns: ["予以公开及部分公开", "予以公开和部分公开"],
        cells: ["apply.disclosed.total", "apply.partial.total"],
      },
      { name: "予以公开的申请", patterns: ["予以公开"], cells: ["apply.disclosed.total"] },
      { name: "部分公开的申请", patterns: ["部分公开"], cells: ["apply.partial.total"] },
      { name: "不予公开的申请", patterns: ["不予公开"], cells: withheldRows.map((r) => `${r}.total`) },
      {
        name: "行政复议",
        patterns: ["行政复议"],
        zeroPatterns: ["未发生…行政复议", "没有发生…行政复议", "无…行政复议"],
        cells: reviewTotals,
      },
      {
        name: "行政诉讼",
        patterns: ["行政诉讼"],
        zeroPatterns: ["未发生…行政诉讼", "没有发生…行政诉讼", "无…行政诉讼"],
        cells: litigationTotals,
      },
      // 纠正 follows its case count ("行政复议3件，结果纠正1件"): the figure after the word, not the one in the gap.
      {
        name: "被纠正的行政复议",
        patterns: ["复议…纠正", "复议…纠错"],
        cells: ["review.corrected"],
        figureAfter: true,
      },
      {
        name: "被纠正的行政诉讼",
        patterns: ["诉讼…纠正", "诉讼…败诉"],
        cells: ["litigation_direct.corrected", "litigation_after_review.corrected"],
        figureAfter: true,
      },
      // Decisions are counted in 件: "行政许可类信息1条" and "行政许可事项120项" are other things.
      { name: "行政许可决定", patterns: ["行政许可"], cells: ["active.licensing.decisions"], units: ["件"] },
      { name: "行政处罚决定", patterns: ["行政处罚"], cells: ["active.penalty.decisions"], units: ["件"] },
      { name: "行政强制决定", patterns: ["行政强制"], cells: ["active.enforcement.decisions"], units: ["件"] },
      ...extra,
    ],
  };
}

export const NARRATIVE_RULES: Rule[] = [
  { id: "A9-sum", kind: "narrative-sums", severity: "warning" },
  {
    id: "R-problems",
    kind: "mention",
    severity: "warning",
    part: "problems",
    groups: [
      ["上一年", "上年度", "去年", "上年"],
      ["整改", "落实", "改进"],
    ],
    window: 60,
    message: "五、没有写上一年问题的整改落实情况（如“上年度问题已整改落实”）",
  },
  {
    id: "R-similar",
    kind: "similar-to-previous",
    severity: "warning",
    threshold: 0.9,
    message: "{part}：和去年的报告几乎一样（相似度{similarity}），请按今年的情况改写",
  },
];

/** Bodies below the city level make no 规章 (A10, FORMAT.md §5). */
export function orgLevelRule(cells: string[]): Rule {
  return {
    id: "A10",
    kind: "org-level",
    severity: "warning",
    blockedLevels: ["街道", "镇", "乡", "县", "区"],
    allowedLevels: ["省", "自治区", "市", "自治州", "州", "盟"],
    ignoreWords: ["市场", "城市", "市政", "市容", "社区", "小区", "区域", "园区", "乡村", "城乡", "城镇"],
    cells,
    message: "二、规章：{org}是{level}一级，一般不制定规章，但填了{values}，请核对",
  };
}
