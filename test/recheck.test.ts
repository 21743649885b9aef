import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { flowFor, flows } from "../flows/index.js";
import { findingsOf } from "../src/bot/report-view.js";
import { withCells } from "../src/form/cell-array.js";
import { checkReport, checkUnits, type Previous } from "../src/form/check-report.js";
import { type Draft, type FormatId, NARRATIVE_IDS } from "../src/form/draft.js";
import { formSteps } from "../src/form/form-steps.js";
import { type Checked, checkAll, recheck } from "../src/form/recheck.js";
import { checkCounts, reportFindings } from "../src/form/report-findings.js";
import { claimsFor } from "../src/form/rules/narrative.js";
import { applyChange, newReport } from "../src/store/store.js";
import { fixture } from "./support/fixtures.js";

const report2022 = fixture("report-2022");
const seed2020 = fixture("seed-2020");
const startOf: Record<"2019" | "2021", Draft> = { "2021": report2022, "2019": seed2020 };
const ORGS = [
  "杭州市拱墅区住房和城乡建设局",
  "大关街道办事处",
  "浙江省人民政府办公厅",
  "某某镇人民政府",
  "拱墅区市场监督管理局",
];

/** Narrative texts that state figures, "of which" lists and 雷同 candidates. */
const text = fc.oneof(
  fc.constantFrom(...Object.values(report2022.narrative), ...Object.values(seed2020.narrative), "", "  "),
  fc
    .tuple(fc.nat(30), fc.nat(30), fc.nat(30), fc.nat(5))
    .map(
      ([a, b, c, d]) =>
        `本年度共收到政府信息公开申请${a + b + d}件，上年结转${d}件，其中予以公开${a}件，部分公开${b}件，不予公开${c}件。行政复议${d}件，行政诉讼0件。`,
    ),
);

type Change =
  | { kind: "cell"; pick: number; value: number | undefined }
  | { kind: "row"; pick: number; values: number[] }
  | { kind: "total"; pick: number; delta: number | undefined }
  | { kind: "part"; pick: number; text: string | undefined }
  | { kind: "org"; org: string }
  | { kind: "fields"; year: number; date: string | undefined; contact: string | undefined }
  | { kind: "previous"; previous: "none" | "same" | "other" | "edited"; pick: number }
  | { kind: "reread" };

const change: fc.Arbitrary<Change> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant("cell" as const),
      pick: fc.nat(),
      value: fc.option(fc.oneof(fc.nat(50), fc.integer({ min: -5, max: -1 }), fc.constant(2.5)), {
        nil: undefined,
      }),
    }),
    weight: 6,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant("total" as const),
      pick: fc.nat(),
      delta: fc.option(fc.integer({ min: -2, max: 2 }), { nil: undefined }),
    }),
    weight: 1,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant("part" as const),
      pick: fc.nat(),
      text: fc.option(text, { nil: undefined }),
    }),
    weight: 3,
  },
  {
    // An answer: a whole row set by withCells, which tells the checks which cells it set.
    arbitrary: fc.record({
      kind: fc.constant("row" as const),
      pick: fc.nat(),
      values: fc.array(fc.oneof(fc.nat(50), fc.constant(2.5)), { maxLength: 8 }),
    }),
    weight: 4,
  },
  { arbitrary: fc.record({ kind: fc.constant("org" as const), org: fc.constantFrom(...ORGS) }), weight: 1 },
  {
    arbitrary: fc.record({
      kind: fc.constant("fields" as const),
      year: fc.integer({ min: 2019, max: 2026 }),
      date: fc.option(fc.constantFrom("2022-12-31", "2023-01-20", "2026-01-15"), { nil: undefined }),
      contact: fc.option(fc.constantFrom("", "咨询电话：0571-12345678", "   "), { nil: undefined }),
    }),
    weight: 1,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant("previous" as const),
      previous: fc.constantFrom("none" as const, "same" as const, "other" as const, "edited" as const),
      pick: fc.nat(),
    }),
    weight: 1,
  },
  { arbitrary: fc.record({ kind: fc.constant("reread" as const) }), weight: 1 },
);

/** The draft (and last year's report) after one change; drafts are copied, never changed in place. */
function apply(
  format: FormatId,
  draft: Draft,
  previous: Previous | undefined,
  c: Change,
): { draft: Draft; previous: Previous | undefined } {
  const flow = flowFor(format);
  switch (c.kind) {
    case "cell": {
      const id = flow.cells[c.pick % flow.cells.length]!.id;
      const cells = { ...draft.cells };
      if (c.value === undefined) delete cells[id];
      else cells[id] = c.value;
      return { draft: { ...draft, cells }, previous };
    }
    case "row": {
      const rows = formSteps(flow).filter((s) => s.kind === "row");
      const row = rows[c.pick % rows.length]!;
      return { draft: withCells(flow, draft, row.row.cells, c.values), previous };
    }
    case "total": {
      const total = flow.totals[c.pick % flow.totals.length]!;
      const cells = { ...draft.cells };
      if (c.delta === undefined) delete cells[total.id];
      else cells[total.id] = total.of.reduce((s, id) => s + (draft.cells[id] ?? 0), 0) + c.delta;
      return { draft: { ...draft, cells }, previous };
    }
    case "part": {
      const id = NARRATIVE_IDS[c.pick % NARRATIVE_IDS.length]!;
      const narrative = { ...draft.narrative };
      if (c.text === undefined) delete narrative[id];
      else narrative[id] = c.text;
      return { draft: { ...draft, narrative }, previous };
    }
    case "org":
      return { draft: { ...draft, org: c.org }, previous };
    case "fields": {
      const { date: _date, contact: _contact, ...rest } = draft;
      return {
        draft: {
          ...rest,
          year: c.year,
          ...(c.date === undefined ? {} : { date: c.date }),
          ...(c.contact === undefined ? {} : { contact: c.contact }),
        },
        previous,
      };
    }
    case "previous": {
      const last = (d: Draft): Previous => ({ draft: d, flow: flowFor(d.format) });
      if (c.previous === "none") return { draft, previous: undefined };
      // Last year's report with this year's content: every 雷同 check fires.
      if (c.previous === "same") return { draft, previous: last(structuredClone(draft)) };
      if (c.previous === "other") return { draft, previous: last(format === "2021" ? seed2020 : report2022) };
      const base = previous?.draft ?? report2022;
      const id = flowFor(base.format).cells[c.pick % flowFor(base.format).cells.length]!.id;
      return { draft, previous: last({ ...base, cells: { ...base.cells, [id]: (base.cells[id] ?? 0) + 1 } }) };
    }
    case "reread":
      // What a store returns when it reads the report again: equal content, new objects.
      return {
        draft: structuredClone(draft),
        previous: previous && { draft: structuredClone(previous.draft), flow: previous.flow },
      };
  }
}

const startingPoint = fc.record({
  format: fc.constantFrom<"2019" | "2021">("2021", "2019"),
  filled: fc.boolean(),
  withPrevious: fc.boolean(),
});

describe("incremental checks", () => {
  it("always equal a full checkReport run, over random sequences of changes (both formats, with and without last year)", () => {
    let reportNo = 0;
    fc.assert(
      fc.property(startingPoint, fc.array(change, { minLength: 1, maxLength: 25 }), (start, changes) => {
        const flow = flowFor(start.format);
        let draft: Draft = start.filled
          ? startOf[start.format]
          : { format: start.format, org: ORGS[0]!, year: 2022, narrative: {}, cells: {} };
        let previous: Previous | undefined = start.withPrevious
          ? { draft: start.format === "2021" ? report2022 : seed2020, flow }
          : undefined;
        const reportId = `r${++reportNo}`;
        let checked: Checked = checkAll(flow, draft, previous);
        expect(checked.findings).toEqual(checkReport(flow, draft, previous));
        for (const c of changes) {
          ({ draft, previous } = apply(start.format, draft, previous, c));
          const full = checkReport(flow, draft, previous);
          checked = recheck(checked, draft, previous);
          expect(checked.findings).toEqual(full);
          expect(reportFindings(flow, draft, previous, reportId)).toEqual(full);
        }
      }),
      { numRuns: 150 },
    );
  });

  it("re-runs only the checks that read a changed cell", () => {
    const flow = flowFor("2021");
    const before = checkAll(flow, report2022, undefined);
    const cells = { ...report2022.cells, "apply.new.natural": (report2022.cells["apply.new.natural"] ?? 0) + 1 };
    const after = recheck(before, { ...report2022, cells }, undefined);
    expect(after.ran).toBeGreaterThan(0);
    expect(after.ran).toBeLessThan(checkUnits(flow).length / 4);
    expect(after.findings).toEqual(checkReport(flow, { ...report2022, cells }));
    expect(after.findings.some((f) => f.rule === "A1")).toBe(true);
  });
});

describe("findings kept per report", () => {
  const deps = { flows };
  const now = new Date("2026-01-10T08:00:00Z");

  it("are not recomputed after a cursor-only change, nor when the same content is read again", () => {
    const stored = newReport("cursor-only", { draft: structuredClone(report2022), members: [1] }, now);
    const first = findingsOf(deps, stored);
    const counted = { ...checkCounts };
    const moved = applyChange(stored, { cursor: 7 }, now);
    expect(moved.version).toBe(stored.version + 1);
    expect(findingsOf(deps, moved)).toBe(first);
    // A store that parses the report again hands over new objects with the same content.
    expect(findingsOf(deps, structuredClone(moved))).toEqual(first);
    expect(checkCounts).toEqual(counted);
  });

  it("a report checked for the first time re-runs only what it has filled in, from the flow's empty draft", () => {
    const flow = flowFor("2021");
    findingsOf(deps, newReport("warm", { draft: { ...report2022, narrative: {}, cells: {} }, members: [1] }, now));
    const counted = { ...checkCounts };
    const fresh = {
      ...report2022,
      org: "大关街道办事处",
      year: 2025,
      narrative: {},
      cells: { "apply.new.natural": 3 },
    };
    const findings = findingsOf(deps, newReport("first-check", { draft: fresh, members: [1] }, now));
    expect(findings).toEqual(checkReport(flow, fresh));
    expect(checkCounts.full).toBe(counted.full);
    expect(checkCounts.units - counted.units).toBeLessThan(checkUnits(flow).length / 10);
  });

  it("an answer re-runs only the checks that read its cells", () => {
    const stored = newReport("one-answer", { draft: structuredClone(report2022), members: [1] }, now);
    findingsOf(deps, stored);
    const counted = { ...checkCounts };
    const cells = { ...stored.draft.cells, "apply.new.natural": 99 };
    const answered = applyChange(stored, { draft: { ...stored.draft, cells }, cursor: 30 }, now);
    const findings = findingsOf(deps, answered);
    expect(findings).toEqual(checkReport(flowFor("2021"), answered.draft));
    expect(checkCounts.full).toBe(counted.full);
    expect(checkCounts.passes).toBe(counted.passes + 1);
    expect(checkCounts.units - counted.units).toBeLessThan(checkUnits(flowFor("2021")).length / 4);
  });
});

describe("kept findings", () => {
  it("an answer whose checks find what they found before keeps the base's lists", () => {
    const flow = flowFor("2021");
    const base = checkAll(flow, report2022, undefined);
    const longer = `${report2022.narrative.other ?? ""}本单位将继续做好相关工作。`;
    const draft = { ...report2022, narrative: { ...report2022.narrative, other: longer } };
    const checked = recheck(base, draft, undefined);
    expect(checked.ran).toBeGreaterThan(0);
    expect(checked.findings).toEqual(checkReport(flow, draft));
    expect(checked.findings).toBe(base.findings);
    expect(checked.byUnit).toBe(base.byUnit);
  });
});

describe("A9 claims as check units", () => {
  it("are one unit per claim of each part, so an answer re-runs only the claims that read its cells", () => {
    const flow = flowFor("2021");
    const rule = flow.rules.find((r) => r.kind === "narrative-claims");
    if (rule?.kind !== "narrative-claims") throw new Error("no narrative-claims rule in the 2021 flow");
    const claimUnits = checkUnits(flow).filter((u) => u.reads.parts.length === 1 && u.reads.cells.length > 0);
    const claims = NARRATIVE_IDS.flatMap((part) => claimsFor(rule, part));
    expect(claimUnits).toHaveLength(claims.length);
    // Each unit reads the leaves of its one claim (a total's leaves), not those of all its part's claims.
    for (const part of NARRATIVE_IDS) {
      const ofPart = claimUnits.filter((u) => u.reads.parts[0] === part).map((u) => u.reads.cells);
      const allOfPart = new Set(ofPart.flat()).size;
      expect(Math.max(...ofPart.map((cells) => cells.length))).toBeLessThan(allOfPart);
    }
  });
});
