import type { FlowDef } from "../src/form/flow-schema.js";
import { activeTable } from "./active-table.js";
import { applyTable } from "./apply-table.js";
import { APPLY_RULES, NARRATIVE_RULES, narrativeClaims, orgLevelRule } from "./common-rules.js";
import { HEADINGS, OTHER_PART_2019, OVERVIEW_PARTS, PROBLEMS_PART, SHORT_NAMES } from "./narrative-parts.js";
import { reviewTable } from "./review-table.js";

/** 国办公开办函〔2019〕60号 (格式（试行）): reports for 2019 and 2020 (FORMAT.md §3). */

const count = "count" as const;
const items = [
  { key: "prev_items", name: "上一年项目数量", kind: count },
  { key: "delta", name: "本年增/减", kind: "signed" as const },
  { key: "decisions", name: "处理决定数量", kind: count },
];
const active = activeTable([
  {
    title: "第二十条第（一）项",
    columns: [
      { key: "made", name: "本年新制作数量", kind: count },
      { key: "published", name: "本年新公开数量", kind: count },
      { key: "public_total", name: "对外公开总数量", kind: count },
    ],
    rows: [
      { id: "active.rules", label: "规章" },
      { id: "active.normative", label: "规范性文件" },
    ],
  },
  {
    title: "第二十条第（五）项",
    columns: items,
    rows: [
      { id: "active.licensing", label: "行政许可" },
      { id: "active.other_services", label: "其他对外管理服务事项" },
    ],
  },
  {
    title: "第二十条第（六）项",
    columns: items,
    rows: [
      { id: "active.penalty", label: "行政处罚" },
      { id: "active.enforcement", label: "行政强制" },
    ],
  },
  {
    title: "第二十条第（八）项",
    columns: items.slice(0, 2),
    rows: [{ id: "active.fees", label: "行政事业性收费" }],
  },
  {
    title: "第二十条第（九）项",
    columns: [
      { key: "items", name: "采购项目数量", kind: count },
      // The official label carries no unit; the value is stored in 万元 and printed with it.
      { key: "amount", name: "采购总金额", kind: "money" },
    ],
    rows: [{ id: "active.procurement", label: "政府集中采购" }],
  },
]);
const apply = applyTable("2019");
const review = reviewTable();
const documentKinds = [
  { key: "rules", name: "规章" },
  { key: "normative", name: "规范性文件" },
];
const itemRows = [
  { key: "licensing", name: "行政许可" },
  { key: "other_services", name: "其他对外管理服务事项" },
  { key: "penalty", name: "行政处罚" },
  { key: "enforcement", name: "行政强制" },
  { key: "fees", name: "行政事业性收费" },
];

export const govInfo2019: FlowDef = {
  format: "2019",
  notice: "国办公开办函〔2019〕60号",
  noticeTitle:
    "《国务院办公厅政府信息与政务公开办公室关于政府信息公开工作年度报告有关事项的通知》（{notice}）所附《中华人民共和国政府信息公开工作年度报告格式（试行）》",
  years: { from: 2019, to: 2020 },
  sections: [
    // One text or the five sub-parts: FORMAT.md §3 leaves the sub-parts of the 2019 一 unconfirmed.
    {
      id: "overview",
      heading: HEADINGS.overview,
      short: SHORT_NAMES.overview,
      parts: OVERVIEW_PARTS,
      oneText: "overview.intro",
    },
    { id: "active", heading: HEADINGS.active, short: SHORT_NAMES.active, tables: [active.table] },
    { id: "apply", heading: HEADINGS.apply, short: SHORT_NAMES.apply, tables: [apply.table] },
    { id: "review", heading: HEADINGS.review, short: SHORT_NAMES.review, tables: [review.table] },
    { id: "problems", heading: HEADINGS.problems, short: SHORT_NAMES.problems, parts: [PROBLEMS_PART] },
    { id: "other", heading: HEADINGS.other, short: SHORT_NAMES.other, parts: [OTHER_PART_2019] },
  ],
  cells: [...active.cells, ...apply.cells, ...review.cells],
  totals: [...apply.totals, ...review.totals],
  rules: [
    ...APPLY_RULES,
    {
      id: "A7",
      kind: "linear",
      severity: "warning",
      forEach: documentKinds,
      left: [{ cell: "active.{col}.public_total" }],
      op: ">=",
      right: [{ cell: "active.{col}.published" }],
      message: "二、{col}：对外公开总数量={left}，少于本年新公开数量={right}",
    },
    {
      id: "A8",
      kind: "linear",
      severity: "warning",
      forEach: itemRows,
      left: [{ cell: "active.{col}.prev_items" }, { cell: "active.{col}.delta" }],
      op: ">=",
      right: [],
      message: "二、{col}：上一年项目数量+本年增/减={left}，成了负数",
    },
    orgLevelRule(["active.rules.made", "active.rules.published", "active.rules.public_total"]),
    {
      id: "C3",
      kind: "linear",
      severity: "warning",
      forEach: itemRows,
      previousFormats: ["2019"],
      title: "二、上一年项目数量与去年报告的数量",
      left: [{ cell: "active.{col}.prev_items" }],
      op: "=",
      right: [
        { cell: "active.{col}.prev_items", of: "previous" },
        { cell: "active.{col}.delta", of: "previous" },
      ],
      message: "二、{col}：上一年项目数量={left}，但去年报告的上一年项目数量+本年增/减={right}",
    },
    {
      id: "C4",
      kind: "linear",
      severity: "warning",
      forEach: documentKinds,
      previousFormats: ["2019"],
      title: "二、对外公开总数量与去年报告的总数量",
      left: [{ cell: "active.{col}.public_total" }],
      op: ">=",
      right: [{ cell: "active.{col}.public_total", of: "previous" }],
      message: "二、{col}：对外公开总数量={left}，少于去年报告的{right}",
    },
    narrativeClaims([
      {
        name: "公开的规章",
        patterns: ["公开…规章", "制发…规章"],
        zeroPatterns: ["无…规章", "未制发…规章"],
        cells: ["active.rules.published"],
      },
      {
        name: "公开的规范性文件",
        patterns: ["公开…规范性文件", "制发…规范性文件", "印发…规范性文件"],
        zeroPatterns: ["无…规范性文件", "未制发…规范性文件"],
        cells: ["active.normative.published"],
      },
    ]),
    ...NARRATIVE_RULES,
  ],
};
