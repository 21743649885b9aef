import type { BuiltBlock, BuiltCell } from "./docx-builder.js";

/**
 * The official template's tables (国办公开办函〔2019〕60号 / 〔2021〕30号) as an
 * officer's Word file has them, typed here from the template rather than taken
 * from the flows: the reader must find the flow's labels in them on its own.
 * `figure` prints each cell (spaces, 万元, blanks: whatever the variant needs).
 */

export type Figure = (cell: string) => string;

const APPLICANTS = ["natural", "business", "research", "social", "legal", "other_org", "total"];
const RESULTS = ["upheld", "corrected", "other", "pending", "total"];

const cells = (figure: Figure, ids: string[]): BuiltCell[] => ids.map((id) => figure(id));

export function activeTable2021(figure: Figure, opts: { normativeLabel?: string } = {}): BuiltCell[][] {
  const row = (label: string, id: string, keys: string[]) => [
    label,
    ...cells(
      figure,
      keys.map((k) => `${id}.${k}`),
    ),
  ];
  const one = (label: string, id: string, key: string): BuiltCell[] => [
    label,
    { text: figure(`${id}.${key}`), span: 3 },
  ];
  return [
    [{ text: "第二十条第（一）项", span: 4 }],
    ["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"],
    row("规章", "active.rules", ["issued", "repealed", "in_force"]),
    row(opts.normativeLabel ?? "行政规范性文件", "active.normative", ["issued", "repealed", "in_force"]),
    [{ text: "第二十条第（五）项", span: 4 }],
    ["信息内容", { text: "本年处理决定数量", span: 3 }],
    one("行政许可", "active.licensing", "decisions"),
    [{ text: "第二十条第（六）项", span: 4 }],
    ["信息内容", { text: "本年处理决定数量", span: 3 }],
    one("行政处罚", "active.penalty", "decisions"),
    one("行政强制", "active.enforcement", "decisions"),
    [{ text: "第二十条第（八）项", span: 4 }],
    ["信息内容", { text: "本年收费金额（单位：万元）", span: 3 }],
    one("行政事业性收费", "active.fees", "amount"),
  ];
}

export function activeTable2019(figure: Figure, opts: { breakHeaders?: boolean } = {}): BuiltCell[][] {
  const br = (a: string, b: string) => (opts.breakHeaders ? `${a}\n${b}` : `${a}${b}`);
  const items = ["信息内容", br("上一年", "项目数量"), br("本年", "增/减"), br("处理决定", "数量")];
  const row = (label: string, id: string, keys: string[]) => [
    label,
    ...cells(
      figure,
      keys.map((k) => `${id}.${k}`),
    ),
  ];
  return [
    [{ text: "第二十条第（一）项", span: 4 }],
    ["信息内容", br("本年新", "制作数量"), br("本年新", "公开数量"), br("对外公开", "总数量")],
    row("规章", "active.rules", ["made", "published", "public_total"]),
    row("规范性文件", "active.normative", ["made", "published", "public_total"]),
    [{ text: "第二十条第（五）项", span: 4 }],
    items,
    row("行政许可", "active.licensing", ["prev_items", "delta", "decisions"]),
    row("其他对外管理服务事项", "active.other_services", ["prev_items", "delta", "decisions"]),
    [{ text: "第二十条第（六）项", span: 4 }],
    items,
    row("行政处罚", "active.penalty", ["prev_items", "delta", "decisions"]),
    row("行政强制", "active.enforcement", ["prev_items", "delta", "decisions"]),
    [{ text: "第二十条第（八）项", span: 4 }],
    items.slice(0, 3).map((t, i) => (i === 2 ? { text: t, span: 2 } : t)),
    ["行政事业性收费", figure("active.fees.prev_items"), { text: figure("active.fees.delta"), span: 2 }],
    [{ text: "第二十条第（九）项", span: 4 }],
    ["信息内容", br("采购项目", "数量"), { text: br("采购", "总金额"), span: 2 }],
    ["政府集中采购", figure("active.procurement.items"), { text: figure("active.procurement.amount"), span: 2 }],
  ];
}

const WITHHELD = [
  "属于国家秘密",
  "其他法律行政法规禁止公开",
  "危及“三安全一稳定”",
  "保护第三方合法权益",
  "属于三类内部事务信息",
  "属于四类过程性信息",
  "属于行政执法案卷",
  "属于行政查询事项",
];
const UNAVAILABLE = ["本机关不掌握相关政府信息", "没有现成信息需要另行制作", "补正后申请内容仍不明确"];
const NOT_PROCESSED = [
  "信访举报投诉类申请",
  "重复申请",
  "要求提供公开出版物",
  "无正当理由大量反复申请",
  "要求行政机关确认或重新出具已获取信息",
];
const OTHER_2021 = [
  "申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
  "申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
  "其他",
];

/**
 * 申请表. `singleOther`: the 2019 template's one （六）其他处理 row, also in a 2021
 * file (its figures are given under apply.other.3 in `figure`).
 */
export function applyTable(
  format: "2019" | "2021",
  figure: Figure,
  opts: { singleOther?: boolean } = {},
): BuiltCell[][] {
  const values = (id: string) =>
    cells(
      figure,
      APPLICANTS.map((k) => `${id}.${k}`),
    );
  const single = opts.singleOther || format === "2019";
  const otherId = format === "2019" ? "apply.other" : "apply.other.3";
  const rows: BuiltCell[][] = [
    [
      { text: "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", span: 3, merge: "restart" },
      { text: "申请人情况", span: 7 },
    ],
    [
      { span: 3, merge: "continue" },
      { text: "自然人", merge: "restart" },
      { text: "法人或其他组织", span: 5 },
      { text: "总计", merge: "restart" },
    ],
    [
      { span: 3, merge: "continue" },
      { merge: "continue" },
      "商业企业",
      "科研机构",
      "社会公益组织",
      "法律服务机构",
      "其他",
      { merge: "continue" },
    ],
    [{ text: "一、本年新收政府信息公开申请数量", span: 3 }, ...values("apply.new")],
    [{ text: "二、上年结转政府信息公开申请数量", span: 3 }, ...values("apply.carried_in")],
  ];
  let firstResult = true;
  const results = (): BuiltCell => {
    const c: BuiltCell = firstResult ? { text: "三、本年度办理结果", merge: "restart" } : { merge: "continue" };
    firstResult = false;
    return c;
  };
  rows.push([results(), { text: "（一）予以公开", span: 2 }, ...values("apply.disclosed")]);
  rows.push([
    results(),
    { text: "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", span: 2 },
    ...values("apply.partial"),
  ]);
  const group = (label: string, id: string, items: string[]) =>
    items.forEach((item, i) => {
      rows.push([
        results(),
        i === 0 ? { text: label, merge: "restart" } : { merge: "continue" },
        `${i + 1}.${item}`,
        ...values(`${id}.${i + 1}`),
      ]);
    });
  group("（三）不予公开", "apply.withheld", WITHHELD);
  group("（四）无法提供", "apply.unavailable", UNAVAILABLE);
  group("（五）不予处理", "apply.not_processed", NOT_PROCESSED);
  if (single) rows.push([results(), { text: "（六）其他处理", span: 2 }, ...values(otherId)]);
  else group("（六）其他处理", "apply.other", OTHER_2021);
  rows.push([results(), { text: "（七）总计", span: 2 }, ...values("apply.result_total")]);
  rows.push([{ text: "四、结转下年度继续办理", span: 3 }, ...values("apply.carried_out")]);
  return rows;
}

export function reviewTable(figure: Figure): BuiltCell[][] {
  const names = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"];
  return [
    [
      { text: "行政复议", span: 5 },
      { text: "行政诉讼", span: 10 },
    ],
    [
      ...names.map((n) => ({ text: n, merge: "restart" as const })),
      { text: "未经复议直接起诉", span: 5 },
      { text: "复议后起诉", span: 5 },
    ],
    [...names.map(() => ({ merge: "continue" as const })), ...names, ...names],
    ["review", "litigation_direct", "litigation_after_review"].flatMap((g) =>
      cells(
        figure,
        RESULTS.map((r) => `${g}.${r}`),
      ),
    ),
  ];
}

/** A whole report as an officer writes it: title, preamble, headings, tables. */
export function officialReport(parts: {
  title: string;
  preamble: string[];
  overview: string[];
  active: BuiltCell[][];
  apply: BuiltCell[][];
  review: BuiltCell[][];
  problems: string[];
  other: string[];
  otherHeading?: string;
  closing: string[];
}): BuiltBlock[] {
  return [
    parts.title,
    ...parts.preamble,
    "一、总体情况",
    ...parts.overview,
    "二、主动公开政府信息情况",
    parts.active,
    "三、收到和处理政府信息公开申请情况",
    parts.apply,
    "四、政府信息公开行政复议、行政诉讼情况",
    parts.review,
    "五、存在的主要问题及改进情况",
    ...parts.problems,
    parts.otherHeading ?? "六、其他需要报告的事项",
    ...parts.other,
    ...parts.closing,
  ];
}
