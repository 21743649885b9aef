import { describe, expect, it } from "vitest";
import { flowFor } from "../flows/index.js";
import { checkInput, checkReport } from "../src/form/check-report.js";
import type { Draft } from "../src/form/draft.js";
import { fixture, withCells } from "./support/fixtures.js";

const f2019 = flowFor("2019");
const f2021 = flowFor("2021");
const check2021 = (d: Draft, previous?: Draft) =>
  checkReport(f2021, d, previous && { draft: previous, flow: flowFor(previous.format) });
const check2019 = (d: Draft, previous?: Draft) =>
  checkReport(f2019, d, previous && { draft: previous, flow: flowFor(previous.format) });
const rules = (findings: { rule: string }[]) => findings.map((f) => f.rule);
const withoutTotals = (d: Draft): Draft => {
  const totals = new Set(flowFor(d.format).totals.map((t) => t.id));
  return { ...d, cells: Object.fromEntries(Object.entries(d.cells).filter(([id]) => !totals.has(id))) };
};

const seed = fixture("seed-2020");
const report = fixture("report-2022");

describe("the seed report", () => {
  it("reports the 44 vs 41 narrative sum and no error in the tables", () => {
    const findings = check2019(seed);
    expect(findings.filter((f) => f.severity === "error")).toEqual([]);
    const sum = findings.find((f) => f.rule === "A9-sum");
    expect(sum?.numbers).toEqual([44, 41]);
    expect(sum?.message).toContain("3+3+7+1+27=41");
    expect(sum?.message).toContain("一（一）主动公开");
  });
});

describe("the 2021 fixture", () => {
  it("passes every check", () => {
    expect(check2021(report)).toEqual([]);
  });
});

describe("missing answers", () => {
  it("names the unanswered rows of a section as one error", () => {
    const findings = check2021(withCells(report, { "apply.withheld.3.legal": undefined }));
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ severity: "error", rule: "missing", cells: ["apply.withheld.3.legal"] });
    // Row and column: only 法律服务机构 is open in that row.
    expect(findings[0]?.message).toBe(
      "三、收到和处理政府信息公开申请情况：未填写（三）不予公开3.危及“三安全一稳定”（法律服务机构）",
    );
  });
  it("names a row without its columns when the whole row is open", () => {
    const row = ["natural", "business", "research", "social", "legal", "other_org"];
    const findings = check2021(
      withCells(report, Object.fromEntries(row.map((c) => [`apply.new.${c}`, undefined])) as Record<string, undefined>),
    );
    expect(findings.map((f) => f.message)).toEqual([
      "三、收到和处理政府信息公开申请情况：未填写一、本年新收政府信息公开申请数量",
    ]);
  });
  it("names the first three open rows and counts them all, listing every open cell", () => {
    const section = f2021.sections.find((s) => s.heading.startsWith("三、"));
    const rows = section?.tables.flatMap((t) => t.steps).slice(0, 5) ?? [];
    const open = rows.flatMap((r) => r.cells);
    const findings = check2021(withCells(report, Object.fromEntries(open.map((id) => [id, undefined]))));
    expect(findings).toHaveLength(1);
    const names = rows.slice(0, 3).map((r) => (r.group ?? "") + r.label);
    expect(findings[0]).toMatchObject({
      rule: "missing",
      cells: open,
      numbers: [5],
      message: `${section?.heading}：未填写${names.join("、")}等5项`,
    });
  });
  it("names missing narrative parts but not the optional lead paragraph", () => {
    const narrative = { ...report.narrative };
    delete narrative["overview.intro"];
    delete narrative.problems;
    const findings = check2021({ ...report, narrative });
    expect(findings.map((f) => f.message)).toEqual(["五、存在的主要问题及改进情况：未填写正文"]);
  });
  it("does not check a relation while one of its cells is unanswered", () => {
    const findings = check2021(withCells(report, { "apply.carried_out.natural": undefined, "apply.new.natural": 99 }));
    expect(rules(findings)).not.toContain("A1");
  });
});

describe("the report's date and contact", () => {
  it("warns, never errs, when the 成文日期 is missing", () => {
    const { date: _, ...undated } = report;
    const findings = check2021(undated);
    expect(findings).toEqual([expect.objectContaining({ severity: "warning", rule: "date", cells: ["date"] })]);
    expect(findings[0]?.message).toContain("成文日期");
  });
  it("warns when the 成文日期 falls inside the year reported on", () => {
    const findings = check2021({ ...report, date: "2022-12-31" });
    expect(findings.map((f) => f.rule)).toEqual(["date"]);
    expect(findings[0]?.message).toContain("2022-12-31");
    expect(check2021({ ...report, date: "2023-01-01" })).toEqual([]);
  });
  it("warns when the contact sentence is missing or blank", () => {
    for (const contact of [undefined, "  "]) {
      const { contact: _, ...rest } = report;
      const findings = check2021(contact === undefined ? rest : { ...rest, contact });
      expect(findings).toEqual([expect.objectContaining({ severity: "warning", rule: "contact", cells: ["contact"] })]);
      expect(findings[0]?.message).toContain("联系方式");
    }
  });
});

describe("section 一 of the 2019 format", () => {
  const overviewParts = [
    "overview.active",
    "overview.on_request",
    "overview.management",
    "overview.platform",
    "overview.supervision",
  ] as const;
  const withOverview = (narrative: Partial<Record<string, string>>): Draft => {
    const rest = Object.fromEntries(Object.entries(seed.narrative).filter(([id]) => !id.startsWith("overview.")));
    return { ...seed, narrative: { ...rest, ...narrative } };
  };
  const missingIn一 = (d: Draft) => check2019(d).filter((f) => f.rule === "missing" && f.message.startsWith("一、"));
  it("may be one text: overview.intro alone is complete", () => {
    expect(missingIn一(withOverview({ "overview.intro": "2020年，我街道……" }))).toEqual([]);
  });
  it("may be the five sub-parts, and then all five are required", () => {
    const five = Object.fromEntries(overviewParts.map((id) => [id, "……"]));
    expect(missingIn一(withOverview(five))).toEqual([]);
    const four = { ...five, "overview.platform": "" };
    expect(missingIn一(withOverview({ "overview.intro": "总述", ...four }))[0]?.message).toBe(
      "一、总体情况：未填写（四）政府信息公开平台建设",
    );
  });
  it("is missing when neither is written", () => {
    expect(missingIn一(withOverview({}))).toHaveLength(1);
  });
  it("stays five required sub-parts in the 2021 format", () => {
    const narrative = Object.fromEntries(
      Object.entries(report.narrative).filter(([id]) => !id.startsWith("overview.")),
    );
    const findings = check2021({ ...report, narrative: { ...narrative, "overview.intro": "总述" } });
    expect(findings.find((f) => f.rule === "missing")?.numbers).toEqual([5]);
  });
});

describe("A6 values", () => {
  it("refuses a negative count and a fractional count", () => {
    const findings = check2021(
      withCells(report, { "active.penalty.decisions": -1, "active.licensing.decisions": 1.5 }),
    );
    expect(findings.filter((f) => f.rule === "A6").map((f) => f.cells[0])).toEqual([
      "active.licensing.decisions",
      "active.penalty.decisions",
    ]);
    expect(findings.find((f) => f.rule === "A6")?.message).toContain("应为整数");
  });
  it("accepts a negative 本年增/减 and money with decimals", () => {
    const d = withCells(seed, { "active.licensing.prev_items": 10, "active.licensing.delta": -8 });
    expect(rules(check2019(d))).not.toContain("A6");
  });
});

describe("totals given in a file", () => {
  it("reports a row total, a （七）总计 and a review total that differ from the sum (A3, A2, A5)", () => {
    const findings = check2021(
      withCells(report, { "apply.new.total": 18, "apply.result_total.natural": 12, "review.total": 4 }),
    );
    const given = findings.filter((f) => ["A2", "A3", "A5"].includes(f.rule));
    expect(given.map((f) => [f.rule, f.cells[0], ...f.numbers])).toEqual([
      ["A2", "apply.result_total.natural", 12, 13],
      ["A3", "apply.new.total", 18, 17],
      ["A5", "review.total", 4, 3],
    ]);
  });
  it("accepts totals equal to the computed ones", () => {
    expect(check2019(seed).filter((f) => ["A2", "A3", "A5"].includes(f.rule))).toEqual([]);
  });
});

describe("A1 and A4 in table 三", () => {
  it("names the column and both sums", () => {
    const findings = check2021(withCells(report, { "apply.carried_out.natural": 2 }));
    const a1 = findings.filter((f) => f.rule === "A1");
    expect(a1.map((f) => f.message)).toEqual([
      "三、申请表「自然人」列：一+二=14，但（七）总计+四=15",
      "三、申请表「总计」列：一+二=19，但（七）总计+四=20",
    ]);
    expect(a1[0]?.severity).toBe("error");
  });
  it("reports more outcomes than applications before 四 is answered (A4)", () => {
    const d = withCells(report, { "apply.carried_out.business": undefined, "apply.disclosed.business": 3 });
    const a4 = check2021(d).filter((f) => f.rule === "A4");
    expect(a4.map((f) => f.numbers)).toEqual([
      [3, 5],
      [19, 20],
    ]);
    expect(rules(check2021(report))).not.toContain("A4");
  });
});

describe("A7 and A8 in the 2019 table 二", () => {
  it("warns when 对外公开总数量 is below 本年新公开数量", () => {
    const d = withCells(seed, { "active.normative.published": 3, "active.normative.public_total": 2 });
    const a7 = check2019(d).find((f) => f.rule === "A7");
    expect(a7).toMatchObject({ severity: "warning", numbers: [2, 3] });
    expect(a7?.message).toBe("二、规范性文件：对外公开总数量=2，少于本年新公开数量=3");
    expect(rules(check2019(withCells(d, { "active.normative.public_total": 3 })))).not.toContain("A7");
  });
  it("warns when 上一年项目数量 + 本年增/减 is negative", () => {
    const d = withCells(seed, { "active.penalty.prev_items": 5, "active.penalty.delta": -6 });
    expect(check2019(d).find((f) => f.rule === "A8")?.message).toBe(
      "二、行政处罚：上一年项目数量+本年增/减=-1，成了负数",
    );
    expect(rules(check2019(withCells(d, { "active.penalty.delta": -5 })))).not.toContain("A8");
  });
});

describe("A10 规章 at a body that makes none", () => {
  const withRules = (d: Draft, org: string) => ({ ...withCells(d, { "active.rules.in_force": 6 }), org });
  it.each([
    ["大关街道", "街道"],
    ["某某镇人民政府", "镇"],
    ["杭州市拱墅区市场监督管理局", "区"],
    ["某某县自然资源局", "县"],
  ])("warns for %s (%s)", (org, level) => {
    const finding = check2021(withRules(report, org)).find((f) => f.rule === "A10");
    expect(finding?.severity).toBe("warning");
    expect(finding?.message).toContain(`是${level}一级`);
  });
  it.each(["杭州市人民政府办公厅", "浙江省人民政府", "广西壮族自治区人民政府", "国家发展和改革委员会"])(
    "stays silent for %s",
    (org) => {
      expect(rules(check2021(withRules(report, org)))).not.toContain("A10");
    },
  );
  it("stays silent for a 街道 with no 规章", () => {
    expect(rules(check2019(seed))).not.toContain("A10");
  });
  it("finds the same again for a name checked before (names with and without a level word)", () => {
    const orgs = ["大关街道", "杭州市人民政府办公厅", "某某镇人民政府", "某单位"];
    const first = orgs.map((org) => rules(check2021(withRules(report, org))).includes("A10"));
    const again = [...orgs].reverse().map((org) => rules(check2021(withRules(report, org))).includes("A10"));
    expect(first).toEqual([true, false, true, false]);
    expect(again.reverse()).toEqual(first);
  });
});

describe("A9 narrative against the tables", () => {
  it("warns when the narrative states another number of applications", () => {
    const text = report.narrative["overview.on_request"]!.replace(
      "共收到政府信息公开申请17件",
      "共收到政府信息公开申请十六件",
    );
    const finding = check2021({ ...report, narrative: { ...report.narrative, "overview.on_request": text } }).find(
      (f) => f.rule === "A9",
    );
    expect(finding).toMatchObject({ severity: "warning", numbers: [16, 17] });
    expect(finding?.message).toContain("收到的申请");
  });
  it("warns when the text says no application was received but the table has some", () => {
    const narrative = { ...report.narrative, "overview.on_request": "本年度未收到政府信息公开申请。" };
    const finding = check2021({ ...report, narrative }).find((f) => f.rule === "A9");
    expect(finding?.numbers).toEqual([0, 17]);
  });
  it("reads 予以公开及部分公开 as the sum of both rows", () => {
    const ok = { ...report.narrative, "overview.on_request": "本年予以公开及部分公开11件。" };
    expect(rules(check2021({ ...report, narrative: ok }))).not.toContain("A9");
    const wrong = { ...report.narrative, "overview.on_request": "本年予以公开及部分公开10件。" };
    expect(check2021({ ...report, narrative: wrong }).find((f) => f.rule === "A9")?.numbers).toEqual([10, 11]);
  });
  it("compares review cases with table 四", () => {
    const narrative = { ...report.narrative, "overview.supervision": "本年度发生政府信息公开行政复议2起。" };
    expect(check2021({ ...report, narrative }).find((f) => f.rule === "A9")?.numbers).toEqual([2, 3]);
  });
});

describe("required mentions", () => {
  it("warns when 五 says nothing of last year's problems being handled", () => {
    expect(rules(check2019(seed))).toContain("R-problems");
    // The finding names its part, so /check can offer a button to it.
    expect(check2019(seed).find((f) => f.rule === "R-problems")?.cells).toEqual(["problems"]);
    expect(rules(check2021(report))).not.toContain("R-problems");
  });
  it("warns when 六 of a 2021 report says nothing of 信息处理费", () => {
    const narrative = { ...report.narrative, other: "无。" };
    expect(check2021({ ...report, narrative }).find((f) => f.rule === "R-fees")?.severity).toBe("warning");
    expect(rules(check2019(seed))).not.toContain("R-fees");
  });
});

describe("across years", () => {
  const lastYear = { ...report, year: 2021 };
  it("C1: 上年结转 must equal last year's 结转下年度", () => {
    const previous = withCells(lastYear, { "apply.carried_out.natural": 3 });
    const c1 = check2021(report, previous).filter((f) => f.rule === "C1");
    expect(c1.map((f) => f.message)).toEqual([
      "三、申请表「自然人」列：二、上年结转=2，但去年报告的四、结转下年度继续办理=3",
      "三、申请表「总计」列：二、上年结转=2，但去年报告的四、结转下年度继续办理=3",
    ]);
    const matching = withCells(lastYear, { "apply.carried_out.natural": 2 });
    expect(rules(check2021(report, matching))).not.toContain("C1");
  });
  it("C1 applies to a 2021 report whose predecessor used the 2019 format", () => {
    const previous = withCells(seed, { "apply.carried_out.natural": 1 });
    expect(check2021(report, previous).filter((f) => f.rule === "C1")).toHaveLength(2);
  });
  it("C2: 现行有效件数 follows from last year's, 制发 and 废止 (2021 format only)", () => {
    const previous = withCells(lastYear, { "active.normative.in_force": 20 });
    expect(check2021(report, previous).find((f) => f.rule === "C2")?.numbers).toEqual([25, 22]);
    const fits = withCells(lastYear, { "active.normative.in_force": 23 });
    expect(rules(check2021(report, fits))).not.toContain("C2");
    expect(rules(check2021(report, seed))).not.toContain("C2");
  });
  it("C3 and C4 compare a 2020 report with its 2019 predecessor", () => {
    const previous = withCells(
      { ...seed, year: 2019 },
      { "active.fees.prev_items": 4, "active.fees.delta": 1, "active.rules.public_total": 2 },
    );
    const findings = check2019(withCells(seed, { "active.fees.prev_items": 3 }), previous);
    expect(findings.find((f) => f.rule === "C3")?.numbers).toEqual([3, 5]);
    expect(findings.find((f) => f.rule === "C4")?.numbers).toEqual([0, 2]);
    const fits = check2019(withCells(seed, { "active.fees.prev_items": 5, "active.rules.public_total": 2 }), previous);
    expect(rules(fits)).not.toContain("C3");
    expect(rules(fits)).not.toContain("C4");
  });
  it("warns when a narrative part is nearly identical to last year's (雷同)", () => {
    const copied = { ...lastYear, narrative: { ...lastYear.narrative } };
    copied.narrative.problems = copied.narrative.problems!.replaceAll("2", "1");
    const similar = check2021(report, copied).filter((f) => f.rule === "R-similar");
    expect(similar.length).toBeGreaterThan(1);
    expect(similar.find((f) => f.cells[0] === "problems")?.message).toMatch(
      /^五、存在的主要问题及改进情况：和去年的报告几乎一样/,
    );
    const rewritten = { ...lastYear, narrative: { problems: "今年的主要问题是人员不足，已通过培训改进。" } };
    expect(rules(check2021(report, rewritten))).not.toContain("R-similar");
  });
  it("checks nothing across years without last year's report", () => {
    expect(rules(check2021(withoutTotals(report)))).toEqual([]);
  });
});

describe("last year's values", () => {
  it("are worked out once per last year's draft, not again on every answer's checks", () => {
    const flow = flowFor("2021");
    const previous = { flow, draft: fixture("report-2022") };
    const draft = fixture("report-2022");
    const first = checkInput(flow, draft, previous).previousValues;
    const again = checkInput(flow, withCells(draft, { "apply.new.natural": 9 }), previous).previousValues;
    expect(again).toBe(first);
    expect(first?.get("apply.new.natural")).toBe(previous.draft.cells["apply.new.natural"]);
    const other = { flow, draft: withCells(previous.draft, { "apply.new.natural": 1234 }) };
    expect(checkInput(flow, draft, other).previousValues?.get("apply.new.natural")).toBe(1234);
  });
});
