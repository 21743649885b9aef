import type { z } from "zod";
import type { Claim, FlowDef } from "../src/form/flow-schema.js";
import { activeTable } from "./active-table.js";
import { applyTable } from "./apply-table.js";
import { APPLY_RULES, NARRATIVE_RULES, narrativeClaims, orgLevelRule } from "./common-rules.js";
import { HEADINGS, OTHER_PART_2021, OVERVIEW_PARTS, PROBLEMS_PART, SHORT_NAMES } from "./narrative-parts.js";
import { reviewTable } from "./review-table.js";

/** 国办公开办函〔2021〕30号: reports for 2021 and later (FORMAT.md §2). */

const count = "count" as const;
const decisions = [{ key: "decisions", name: "本年处理决定数量", kind: count }];
const active = activeTable([
  {
    title: "第二十条第（一）项",
    columns: [
      { key: "issued", name: "本年制发件数", kind: count },
      { key: "repealed", name: "本年废止件数", kind: count },
      { key: "in_force", name: "现行有效件数", kind: count },
    ],
    rows: [
      { id: "active.rules", label: "规章" },
      { id: "active.normative", label: "行政规范性文件" },
    ],
  },
  { title: "第二十条第（五）项", columns: decisions, rows: [{ id: "active.licensing", label: "行政许可" }] },
  {
    title: "第二十条第（六）项",
    columns: decisions,
    rows: [
      { id: "active.penalty", label: "行政处罚" },
      { id: "active.enforcement", label: "行政强制" },
    ],
  },
  {
    title: "第二十条第（八）项",
    columns: [{ key: "amount", name: "本年收费金额（单位：万元）", kind: "money" }],
    rows: [{ id: "active.fees", label: "行政事业性收费" }],
  },
]);
const apply = applyTable("2021");
const review = reviewTable();
const documentKinds = [
  { key: "rules", name: "规章" },
  { key: "normative", name: "行政规范性文件" },
];

/**
 * 现行有效 and 废止 of 规章 or 行政规范性文件, as published reports write them:
 * "现行有效规范性文件1件", "废止行政规范性文件2件", and with the document named
 * once for all three figures, "制发行政规范性文件3件，废止1件，现行有效25件".
 */
function documentClaims(name: string, key: string): z.input<typeof Claim>[] {
  const word = name.replace(/^行政/, "");
  return [
    { name: `现行有效的${name}`, patterns: [`现行有效…${word}`], cells: [`active.${key}.in_force`] },
    { name: `现行有效的${name}`, patterns: [`${word}…现行有效`], cells: [`active.${key}.in_force`], figureAfter: true },
    { name: `废止的${name}`, patterns: [`废止…${word}`], cells: [`active.${key}.repealed`] },
    { name: `废止的${name}`, patterns: [`${word}…废止`], cells: [`active.${key}.repealed`], figureAfter: true },
  ];
}

export const govInfo2021: FlowDef = {
  format: "2021",
  notice: "国办公开办函〔2021〕30号",
  noticeTitle:
    "《国务院办公厅政府信息与政务公开办公室关于印发〈中华人民共和国政府信息公开工作年度报告格式〉的通知》（{notice}）",
  years: { from: 2021 },
  sections: [
    { id: "overview", heading: HEADINGS.overview, short: SHORT_NAMES.overview, parts: OVERVIEW_PARTS },
    { id: "active", heading: HEADINGS.active, short: SHORT_NAMES.active, tables: [active.table] },
    { id: "apply", heading: HEADINGS.apply, short: SHORT_NAMES.apply, tables: [apply.table] },
    { id: "review", heading: HEADINGS.review, short: SHORT_NAMES.review, tables: [review.table] },
    { id: "problems", heading: HEADINGS.problems, short: SHORT_NAMES.problems, parts: [PROBLEMS_PART] },
    { id: "other", heading: HEADINGS.other, short: SHORT_NAMES.other, parts: [OTHER_PART_2021] },
  ],
  cells: [...active.cells, ...apply.cells, ...review.cells],
  totals: [...apply.totals, ...review.totals],
  rules: [
    ...APPLY_RULES,
    orgLevelRule(["active.rules.issued", "active.rules.repealed", "active.rules.in_force"]),
    {
      // A document may lapse without a 废止 decision: a warning only, from the 2022 report on.
      id: "C2",
      kind: "linear",
      severity: "warning",
      forEach: documentKinds,
      previousFormats: ["2021"],
      title: "二、现行有效件数与去年的现行有效件数",
      left: [{ cell: "active.{col}.in_force" }],
      op: "=",
      right: [
        { cell: "active.{col}.in_force", of: "previous" },
        { cell: "active.{col}.issued" },
        { cell: "active.{col}.repealed", coef: -1 },
      ],
      message: "二、{col}：现行有效件数={left}，但去年的现行有效件数+本年制发−本年废止={right}",
    },
    narrativeClaims([
      {
        name: "制发的规章",
        patterns: ["制发…规章", "出台…规章"],
        zeroPatterns: ["未制发…规章", "无…规章"],
        cells: ["active.rules.issued"],
      },
      {
        name: "制发的行政规范性文件",
        patterns: ["制发…规范性文件", "出台…规范性文件", "印发…规范性文件"],
        zeroPatterns: ["未制发…规范性文件", "无…规范性文件"],
        cells: ["active.normative.issued"],
      },
      ...documentClaims("规章", "rules"),
      ...documentClaims("行政规范性文件", "normative"),
      {
        name: "行政事业性收费",
        patterns: ["行政事业性收费", "收费金额"],
        cells: ["active.fees.amount"],
        units: ["万元", "元"],
      },
    ]),
    ...NARRATIVE_RULES,
    {
      id: "R-fees",
      kind: "mention",
      severity: "warning",
      part: "other",
      groups: [["信息处理费"]],
      message: "六、没有写收取信息处理费的情况（没有收取也应写明）",
    },
  ],
};
