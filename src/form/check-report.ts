import { describeCell } from "./cell-names.js";
import type { Draft, NarrativeId } from "./draft.js";
import type { Finding } from "./finding.js";
import type { CellDef, Flow } from "./flow-schema.js";
import { formSteps, isAnswered, writtenAsOneText } from "./form-steps.js";
import { checkLinear } from "./rules/linear.js";
import { mentions } from "./rules/mention.js";
import { checkNarrativeClaims, checkNarrativeSums } from "./rules/narrative.js";
import { checkOrgLevel } from "./rules/org-level.js";
import { diceSimilarity } from "./rules/similarity.js";
import { computeValues } from "./totals.js";

/** Last year's report, with the flow of its own format. */
export interface Previous {
  flow: Flow;
  draft: Draft;
}

/** Every check of the form on one draft: one engine, findings in the officer's words. */
export function checkReport(flow: Flow, draft: Draft, previous?: Previous): Finding[] {
  const values = computeValues(flow, draft.cells);
  const previousValues = previous && computeValues(previous.flow, previous.draft.cells);
  const label = (id: NarrativeId) => {
    const step = formSteps(flow).find((s) => s.kind === "part" && s.part.id === id);
    return step?.kind === "part" ? partName(step.section.heading, step.part.heading) : id;
  };
  const findings: Finding[] = [
    ...missing(flow, draft),
    ...reportFields(draft),
    ...valueDomain(flow, draft),
    ...givenTotals(flow, draft, values),
  ];
  for (const rule of flow.rules) {
    switch (rule.kind) {
      case "linear":
        if (!rule.previousFormats || (previous && rule.previousFormats.includes(previous.draft.format)))
          findings.push(...checkLinear(rule, values, previousValues));
        break;
      case "org-level":
        findings.push(...checkOrgLevel(rule, draft.org, values));
        break;
      case "narrative-claims":
        findings.push(...checkNarrativeClaims(rule, draft, values, label));
        break;
      case "narrative-sums":
        findings.push(...checkNarrativeSums(rule, draft, label));
        break;
      case "mention": {
        const text = draft.narrative[rule.part];
        if (text?.trim() && !mentions(text, rule.groups, rule.window))
          findings.push({ severity: rule.severity, rule: rule.id, cells: [], numbers: [], message: rule.message });
        break;
      }
      case "similar-to-previous":
        if (!previous) break;
        for (const step of formSteps(flow)) {
          if (step.kind !== "part") continue;
          const now = draft.narrative[step.part.id];
          const before = previous.draft.narrative[step.part.id];
          if (!now?.trim() || !before?.trim()) continue;
          const similarity = diceSimilarity(now, before);
          if (similarity < rule.threshold) continue;
          findings.push({
            severity: rule.severity,
            rule: rule.id,
            cells: [step.part.id],
            numbers: [Math.round(similarity * 100) / 100],
            message: rule.message
              .replaceAll("{part}", partName(step.section.heading, step.part.heading))
              .replaceAll("{similarity}", `${Math.round(similarity * 100)}%`),
          });
        }
        break;
    }
  }
  return findings;
}

export function partName(sectionHeading: string, partHeading: string | undefined): string {
  return partHeading ? `${sectionHeading.split("、")[0]}${partHeading}` : sectionHeading;
}

/** Unanswered rows and parts: one finding per section, an error for the final document. */
function missing(flow: Flow, draft: Draft): Finding[] {
  return flow.sections.flatMap((section) => {
    if (writtenAsOneText(section, draft)) return [];
    const open = formSteps(flow).filter((s) => s.section === section && !isAnswered(s, draft));
    if (open.length === 0) return [];
    const names = open.map((s) => {
      if (s.kind === "part") return s.part.heading ?? "正文";
      const row = (s.row.group ?? "") + s.row.label;
      // A row partly answered names the columns still open.
      const columns = s.row.columns.filter((_, i) => draft.cells[s.row.cells[i]!] === undefined);
      return columns.length < s.row.cells.length ? `${row}（${columns.join("、")}）` : row;
    });
    const shown = names.slice(0, 3).join("、") + (names.length > 3 ? `等${names.length}项` : "");
    return [
      {
        severity: "error" as const,
        rule: "missing",
        cells: open.flatMap((s) =>
          s.kind === "part" ? [s.part.id] : s.row.cells.filter((id) => draft.cells[id] === undefined),
        ),
        numbers: [open.length],
        message: `${section.heading}：未填写${shown}`,
      },
    ];
  });
}

/**
 * The report's own fields: the 成文日期 printed under the unit's name and the
 * contact sentence of the opening. Warnings: many published reports lack the
 * contact, and a date is asked for at /report.
 */
function reportFields(draft: Draft): Finding[] {
  const out: Finding[] = [];
  if (!draft.date)
    out.push({
      severity: "warning",
      rule: "date",
      cells: ["date"],
      numbers: [],
      message: "没有成文日期（报告末尾单位名称下的日期），请填写",
    });
  else if (draft.date <= `${draft.year}-12-31`)
    out.push({
      severity: "warning",
      rule: "date",
      cells: ["date"],
      numbers: [],
      message: `成文日期${draft.date}不晚于统计期结束（${draft.year}年12月31日），请核对`,
    });
  if (!draft.contact?.trim())
    out.push({
      severity: "warning",
      rule: "contact",
      cells: ["contact"],
      numbers: [],
      message: "开头缺少联系方式：报告电子版的下载网址和咨询电话",
    });
  return out;
}

/** A6: counts are whole numbers ≥ 0, only 本年增/减 may be negative, money ≥ 0. */
function valueDomain(flow: Flow, draft: Draft): Finding[] {
  const problem = (cell: CellDef, v: number): string | undefined => {
    if (!Number.isFinite(v)) return "不是有效的数";
    if (cell.kind !== "money" && !Number.isInteger(v)) return "应为整数";
    if (cell.kind !== "signed" && v < 0) return "不能是负数";
    return undefined;
  };
  return flow.cells.flatMap((cell) => {
    const v = draft.cells[cell.id];
    const why = v === undefined ? undefined : problem(cell, v);
    if (v === undefined || !why) return [];
    return [
      {
        severity: "error" as const,
        rule: "A6",
        cells: [cell.id],
        numbers: [v],
        message: `${describeCell(flow, cell.id)}填的是${v}，${why}`,
      },
    ];
  });
}

/** Totals written in an imported file that differ from the sum of their parts (A2, A3, A5). */
function givenTotals(flow: Flow, draft: Draft, values: ReadonlyMap<string, number>): Finding[] {
  return flow.totals.flatMap((total) => {
    const given = draft.cells[total.id];
    const computed = values.get(total.id);
    if (given === undefined || computed === undefined || Math.abs(given - computed) < 1e-9) return [];
    return [
      {
        severity: "error" as const,
        rule: total.rule,
        cells: [total.id, ...total.of],
        numbers: [given, computed],
        message: `${describeCell(flow, total.id)}：文件里写的是${given}，各项相加是${computed}`,
      },
    ];
  });
}
