import { cellArrayOf, cellIndex, cellReader } from "./cell-array.js";
import { cellName, describeCell } from "./cell-names.js";
import { type Draft, NARRATIVE_IDS, type NarrativeId } from "./draft.js";
import type { Finding } from "./finding.js";
import type { CellDef, Flow, SectionDef } from "./flow-schema.js";
import { answeredSteps, formSteps, writtenAsOneText } from "./form-steps.js";
import { boundCell, checkLinearAt } from "./rules/linear.js";
import { mentions } from "./rules/mention.js";
import { checkNarrativeClaim, checkNarrativeSums, claimsFor } from "./rules/narrative.js";
import { checkOrgLevel } from "./rules/org-level.js";
import { diceSimilarity } from "./rules/similarity.js";
import { LazyValues, type ValueReader, type Values, valuesFrom } from "./totals.js";
import { hasVisibleText } from "./visible-text.js";

/** Last year's report, with the flow of its own format. */
export interface Previous {
  flow: Flow;
  draft: Draft;
}

/** What a check unit is given: the draft, its cell array, its values with totals, last year's report and values. */
export interface CheckInput {
  flow: Flow;
  draft: Draft;
  /** The draft's cells in cellIndex(flow) order (cell-array.ts): read by slot, not by id on the record. */
  cells: readonly (number | undefined)[];
  /** Read on demand (LazyValues): a check reads few of them. */
  values: ValueReader;
  previous: Previous | undefined;
  previousValues: Values | undefined;
}

/**
 * What a unit reads of the draft: leaf cells (a total stands for the leaves it
 * adds up, so a changed leaf reaches every check of its totals), narrative
 * parts, the unit's name, the report's own fields (year, 成文日期, contact),
 * and last year's report as a whole.
 */
export interface CheckReads {
  cells: readonly string[];
  parts: readonly NarrativeId[];
  org: boolean;
  fields: boolean;
  previous: boolean;
}

/**
 * One piece of checkReport: a rule on one binding (a column, a part, a
 * section). A change to the draft re-runs only the units that read it
 * (see recheck.ts); the units in order are the whole check.
 */
export interface CheckUnit {
  reads: CheckReads;
  run(input: CheckInput): Finding[];
}

/** Every check of the form on one draft: one engine, findings in the officer's words. */
export function checkReport(flow: Flow, draft: Draft, previous?: Previous): Finding[] {
  const input = checkInput(flow, draft, previous);
  return checkUnits(flow).flatMap((unit) => unit.run(input));
}

export function checkInput(flow: Flow, draft: Draft, previous: Previous | undefined): CheckInput {
  const cells = cellArrayOf(flow, draft);
  return {
    flow,
    draft,
    cells,
    values: new LazyValues(flow, cells),
    previous,
    previousValues: previous && keptValues(previous.flow, cellArrayOf(previous.flow, previous.draft)),
  };
}

const valuesByArray = new WeakMap<readonly (number | undefined)[], Values>();

/**
 * Last year's values, worked out once per its draft (through the cell array
 * kept for that draft): last year's report does not change while this one is
 * answered, and every answer's checks read it.
 */
function keptValues(flow: Flow, cells: readonly (number | undefined)[]): Values {
  const known = valuesByArray.get(cells);
  if (known) return known;
  const made = valuesFrom(flow, cells);
  valuesByArray.set(cells, made);
  return made;
}

export function partName(sectionHeading: string, partHeading: string | undefined): string {
  return partHeading ? `${sectionHeading.split("、")[0]}${partHeading}` : sectionHeading;
}

const units = new WeakMap<Flow, readonly CheckUnit[]>();

/** The flow's checks as units, in the order checkReport reports their findings; built once per flow. */
export function checkUnits(flow: Flow): readonly CheckUnit[] {
  const known = units.get(flow);
  if (known) return known;
  const leaves = leafCells(flow);
  const reads = (r: Partial<CheckReads>): CheckReads => ({
    cells: [...new Set((r.cells ?? []).flatMap(leaves))],
    parts: r.parts ?? [],
    org: r.org ?? false,
    fields: r.fields ?? false,
    previous: r.previous ?? false,
  });
  const made: CheckUnit[] = [
    ...flow.sections.map((section) => missingUnit(flow, section, reads)),
    { reads: reads({ fields: true }), run: ({ draft }) => reportFields(draft) },
    ...flow.cells.map((cell) => valueDomainUnit(flow, cell, reads)),
    ...flow.totals.map((total): CheckUnit => {
      // Totals have slots of their own, after the flow's cells (cellIndex).
      const slot = cellIndex(flow).slot.get(total.id) ?? -1;
      return {
        // The written total itself and the leaves it is compared with.
        reads: { cells: [total.id, ...leaves(total.id)], parts: [], org: false, fields: false, previous: false },
        run: ({ cells, values }) => givenTotal(flow, total, cells[slot], values),
      };
    }),
    ...flow.rules.flatMap((rule) => ruleUnits(flow, rule, reads)),
  ];
  units.set(flow, made);
  return made;
}

type Reads = (r: Partial<CheckReads>) => CheckReads;

function ruleUnits(flow: Flow, rule: Flow["rules"][number], reads: Reads): CheckUnit[] {
  switch (rule.kind) {
    case "linear": {
      const { previousFormats } = rule;
      const terms = [...rule.left, ...rule.right];
      return (rule.forEach ?? [undefined]).map((each) => ({
        reads: reads({
          cells: terms.filter((t) => t.of === "this").map((t) => boundCell(t.cell, each)),
          previous: previousFormats !== undefined || terms.some((t) => t.of === "previous"),
        }),
        run: ({ values, previous, previousValues }) =>
          !previousFormats || (previous && previousFormats.includes(previous.draft.format))
            ? checkLinearAt(rule, each, values, previousValues)
            : [],
      }));
    }
    case "org-level":
      return [
        {
          reads: reads({ cells: rule.cells, org: true }),
          run: ({ draft, values }) => checkOrgLevel(rule, draft.org, values),
        },
      ];
    case "narrative-claims":
      // A unit per claim of each part: an answer re-runs the claims that read its cells, not all of them.
      return NARRATIVE_IDS.flatMap((part) => {
        const claims = claimsFor(rule, part);
        const label = partLabel(flow, part);
        const tableOf = (cell: string) => cellName(flow, cell).section;
        return claims.map((claim, i) => ({
          reads: reads({ cells: claim.cells, parts: [part] }),
          run: ({ draft, values }) => {
            const text = draft.narrative[part];
            return text === undefined ? [] : checkNarrativeClaim(rule, claims, i, part, text, values, label, tableOf);
          },
        }));
      });
    case "narrative-sums":
      return NARRATIVE_IDS.map((part) => {
        const label = partLabel(flow, part);
        return {
          reads: reads({ parts: [part] }),
          run: ({ draft }) => {
            const text = draft.narrative[part];
            return text === undefined ? [] : checkNarrativeSums(rule, part, text, label);
          },
        };
      });
    case "mention":
      return [
        {
          reads: reads({ parts: [rule.part] }),
          run: ({ draft }) => {
            const text = draft.narrative[rule.part];
            return hasVisibleText(text) && text && !mentions(text, rule.groups, rule.window)
              ? [{ severity: rule.severity, rule: rule.id, cells: [rule.part], numbers: [], message: rule.message }]
              : [];
          },
        },
      ];
    case "similar-to-previous":
      return formSteps(flow).flatMap((step) => {
        if (step.kind !== "part") return [];
        const id = step.part.id;
        const name = partName(step.section.heading, step.part.heading);
        return [
          {
            reads: reads({ parts: [id], previous: true }),
            run: ({ draft, previous }): Finding[] => {
              const now = draft.narrative[id];
              const before = previous?.draft.narrative[id];
              if (!now || !before || !hasVisibleText(now) || !hasVisibleText(before)) return [];
              const similarity = diceSimilarity(now, before);
              if (similarity < rule.threshold) return [];
              return [
                {
                  severity: rule.severity,
                  rule: rule.id,
                  cells: [id],
                  numbers: [Math.round(similarity * 100) / 100],
                  message: rule.message
                    .replaceAll("{part}", name)
                    .replaceAll("{similarity}", `${Math.round(similarity * 100)}%`),
                },
              ];
            },
          },
        ];
      });
  }
}

/** A part's name in messages, e.g. 一（一）主动公开 (worked out when the flow's units are built, not per run). */
function partLabel(flow: Flow, id: NarrativeId): string {
  const step = formSteps(flow).find((s) => s.kind === "part" && s.part.id === id);
  return step?.kind === "part" ? partName(step.section.heading, step.part.heading) : id;
}

/** Leaf cells behind an id: itself for a leaf (or an id the flow does not know), the leaves of a total's parts. */
function leafCells(flow: Flow): (id: string) => string[] {
  const totals = new Map(flow.totals.map((t) => [t.id, t]));
  const memo = new Map<string, string[]>();
  const leaves = (id: string): string[] => {
    const known = memo.get(id);
    if (known) return known;
    const total = totals.get(id);
    const found = total ? [...new Set(total.of.flatMap(leaves))] : [id];
    memo.set(id, found);
    return found;
  };
  return leaves;
}

/** Unanswered rows and parts of a section: one finding, an error for the final document. */
function missingUnit(flow: Flow, section: SectionDef, reads: Reads): CheckUnit {
  const steps = formSteps(flow).filter((s) => s.section === section);
  return {
    reads: reads({
      cells: steps.flatMap((s) => (s.kind === "row" ? s.row.cells : [])),
      parts: steps.flatMap((s) => (s.kind === "part" ? [s.part.id] : [])),
    }),
    run: ({ draft }) => {
      if (writtenAsOneText(section, draft)) return [];
      const answered = answeredSteps(flow, draft);
      const open = steps.filter((s) => !answered[s.index]);
      if (open.length === 0) return [];
      const cell = cellReader(flow, draft);
      // Only the first three are named (the rest are counted): this runs on every answer in the section.
      const names = open.slice(0, 3).map((s) => {
        if (s.kind === "part") return s.part.heading ?? "正文";
        const row = (s.row.group ?? "") + s.row.label;
        // A row partly answered names the columns still open.
        const columns = s.row.columns.filter((_, i) => cell(s.row.cells[i]!) === undefined);
        return columns.length < s.row.cells.length ? `${row}（${columns.join("、")}）` : row;
      });
      const shown = names.join("、") + (open.length > 3 ? `等${open.length}项` : "");
      // A plain loop: this runs on every answer, over every open step of the answer's section.
      const cells: string[] = [];
      for (const s of open) {
        if (s.kind === "part") cells.push(s.part.id);
        else for (const id of s.row.cells) if (cell(id) === undefined) cells.push(id);
      }
      return [
        {
          severity: "error",
          rule: "missing",
          cells,
          numbers: [open.length],
          message: `${section.heading}：未填写${shown}`,
        },
      ];
    },
  };
}

/**
 * The report's own fields: the 成文日期 printed under the unit's name and the
 * contact sentence of the opening. Warnings: many published reports lack the
 * contact, and the bot asks for a date at /report.
 */
function reportFields(draft: Draft): Finding[] {
  const out: Finding[] = [];
  const warn = (rule: "date" | "contact", message: string) =>
    out.push({ severity: "warning", rule, cells: [rule], numbers: [], message });
  if (!draft.date) warn("date", "没有成文日期（报告末尾单位名称下的日期），请填写");
  else if (draft.date <= `${draft.year}-12-31`)
    warn("date", `成文日期${draft.date}不晚于统计期结束（${draft.year}年12月31日），请核对`);
  if (!hasVisibleText(draft.contact)) warn("contact", "开头缺少联系方式：报告电子版的下载网址和咨询电话");
  return out;
}

/** A6: counts are whole numbers ≥ 0, only 本年增/减 may be negative, money ≥ 0. */
function valueDomainUnit(flow: Flow, cell: CellDef, reads: Reads): CheckUnit {
  const slot = cellIndex(flow).slot.get(cell.id);
  const problem = (v: number): string | undefined => {
    if (!Number.isFinite(v)) return "不是有效的数";
    if (cell.kind !== "money" && !Number.isInteger(v)) return "应为整数";
    if (cell.kind !== "signed" && v < 0) return "不能是负数";
    return undefined;
  };
  return {
    reads: reads({ cells: [cell.id] }),
    run: ({ draft, cells }) => {
      const v = slot === undefined ? draft.cells[cell.id] : cells[slot];
      const why = v === undefined ? undefined : problem(v);
      if (v === undefined || !why) return [];
      return [
        {
          severity: "error",
          rule: "A6",
          cells: [cell.id],
          numbers: [v],
          message: `${describeCell(flow, cell.id)}填的是${v}，${why}`,
        },
      ];
    },
  };
}

/** A total written in an imported file that differs from the sum of its parts (A2, A3, A5). */
function givenTotal(
  flow: Flow,
  total: Flow["totals"][number],
  given: number | undefined,
  values: ValueReader,
): Finding[] {
  const computed = values.get(total.id);
  if (given === undefined || computed === undefined || Math.abs(given - computed) < 1e-9) return [];
  return [
    {
      severity: "error",
      rule: total.rule,
      cells: [total.id, ...total.of],
      numbers: [given, computed],
      message: `${describeCell(flow, total.id)}：文件里写的是${given}，各项相加是${computed}`,
    },
  ];
}
