import type { z } from "zod";
import type { NarrativePart } from "../src/form/flow-schema.js";

/**
 * Narrative parts and their hints. The hints are our own guidance, not
 * official text (FORMAT.md §1: only the 2021 description of 一 is confirmed);
 * the sub-headings of 一 follow common practice.
 */

type Part = z.input<typeof NarrativePart>;

export const OVERVIEW_PARTS: Part[] = [
  {
    id: "overview.intro",
    hint: "可写一两句总述：全年政府信息公开工作的总体情况。没有可跳过。",
    optional: true,
  },
  {
    id: "overview.active",
    heading: "（一）主动公开",
    hint: "本年主动公开了哪些信息、大约多少条，通过哪些渠道公开。",
  },
  {
    id: "overview.on_request",
    heading: "（二）依申请公开",
    hint: "收到多少申请、怎样办理、有无结转。写到的数字要和申请表一致。",
  },
  {
    id: "overview.management",
    heading: "（三）政府信息管理",
    hint: "信息发布审查、保密审查、公开目录和公开指南的维护等。",
  },
  {
    id: "overview.platform",
    heading: "（四）政府信息公开平台建设",
    hint: "政府网站、政务新媒体、公开栏等平台的建设和维护情况。",
  },
  {
    id: "overview.supervision",
    heading: "（五）监督保障",
    hint: "组织领导、制度建设、培训、考核和监督等保障措施；政府还应写工作考核、社会评议和责任追究结果情况。",
  },
];

export const PROBLEMS_PART: Part = {
  id: "problems",
  hint: "本年工作存在的主要问题和改进措施，并写明上一年问题的整改落实情况。",
};

export const OTHER_PART_2021: Part = {
  id: "other",
  hint: "其他需要报告的事项，例如收取信息处理费的情况（没有收取也写明）。",
};

export const OTHER_PART_2019: Part = {
  id: "other",
  hint: "其他需要报告的事项，例如收费情况；确实没有可写“无”。",
};

export const HEADINGS = {
  overview: "一、总体情况",
  active: "二、主动公开政府信息情况",
  apply: "三、收到和处理政府信息公开申请情况",
  review: "四、政府信息公开行政复议、行政诉讼情况",
  problems: "五、存在的主要问题及改进情况",
  other: "六、其他需要报告的事项",
} as const;

/** What a section's button says: its number and a name short enough for a phone's button. */
export const SHORT_NAMES: Record<keyof typeof HEADINGS, string> = {
  overview: "一、总体情况",
  active: "二、主动公开",
  apply: "三、依申请公开",
  review: "四、复议诉讼",
  problems: "五、问题和改进",
  other: "六、其他事项",
};
