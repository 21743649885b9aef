import { describe, expect, it } from "vitest";
import { flowFor } from "../flows/index.js";
import { checkReport } from "../src/form/check-report.js";
import type { Draft } from "../src/form/draft.js";
import { reportSummary, summaryLine } from "../src/form/report-summary.js";
import { fixture, withCells } from "./support/fixtures.js";

const flow = flowFor("2021");
const summaryOf = (draft: Draft) => reportSummary(flow, checkReport(flow, draft));

describe("reportSummary: one source for progress and findings counts", () => {
  it("a complete, consistent report is ready, with every section done", () => {
    const summary = summaryOf(fixture("report-2022"));
    expect(summary).toMatchObject({ sectionsDone: 6, sectionsTotal: 6, missingSections: 0, ready: true });
    expect(summary.errors).toEqual([]);
  });

  it("counts unanswered steps as missing, never as errors, one per section", () => {
    const full = fixture("report-2022");
    const draft = withCells(
      { ...full, narrative: { ...full.narrative, "overview.active": "" } },
      {
        "apply.new.natural": undefined,
        "review.upheld": undefined,
      },
    );
    const summary = summaryOf(draft);
    expect(summary.missing.map((f) => f.message.split("：")[0])).toEqual([
      "一、总体情况",
      "三、收到和处理政府信息公开申请情况",
      "四、政府信息公开行政复议、行政诉讼情况",
    ]);
    expect(summary.missingSections).toBe(summary.missing.length);
    expect(summary.sectionsDone).toBe(3);
    expect(summary.errors.some((f) => f.rule === "missing")).toBe(false);
    expect(summary.ready).toBe(false);
    expect(summaryLine(summary)).toMatch(/^(\d+ 个错误，)?3 个部分未填完/);
  });

  it("an error keeps a fully answered report from being ready", () => {
    const full = fixture("report-2022");
    const summary = summaryOf(withCells(full, { "apply.new.natural": (full.cells["apply.new.natural"] ?? 0) + 7 }));
    expect(summary.missingSections).toBe(0);
    expect(summary.errors.length).toBeGreaterThan(0);
    expect(summary.ready).toBe(false);
    expect(summaryLine(summary)).toContain(`${summary.errors.length} 个错误`);
    expect(summaryLine(summaryOf(full))).toBe("没有发现问题");
  });

  it("a 2019 一 written as one text is done, as the checks say (the card and /check agree)", () => {
    const seed = fixture("seed-2020");
    const flow2019 = flowFor("2019");
    const overview = flow2019.sections.find((s) => s.id === "overview")!;
    const narrative = Object.fromEntries(
      Object.entries(seed.narrative).filter(([id]) => !overview.parts.some((p) => p.id === id)),
    );
    const draft = { ...seed, narrative: { ...narrative, "overview.intro": "本年度，本机关认真贯彻落实《条例》。" } };
    const findings = checkReport(flow2019, draft);
    expect(findings.filter((f) => f.rule === "missing")).toEqual([]);
    const summary = reportSummary(flow2019, findings);
    expect(summary).toMatchObject({ missingSections: 0, sectionsDone: summary.sectionsTotal });
    expect(summaryLine(summary)).not.toContain("未填完");
  });
});
