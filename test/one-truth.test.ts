import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Harness, startHarness } from "./support/bot-harness.js";
import { fixture, withCells } from "./support/fixtures.js";

/**
 * Issue "Trust", point 7: the card, /check and /report state the same counts
 * for the same report (one function, form/report-summary.ts), with the same
 * meaning of "missing".
 */

let h: Harness;
beforeEach(async () => {
  h = await startHarness({ now: () => new Date("2023-01-20T02:00:00Z") });
});
afterEach(async () => {
  expect(h.fake.errors).toEqual([]);
  await h.close();
});

/** report-2022 with an error (二、上年结转 no longer adds up), two unanswered sections and no contact (a warning). */
function troubled() {
  const full = fixture("report-2022");
  const draft = withCells(full, { "apply.carried_in.natural": 7, "review.upheld": undefined });
  const { "overview.active": _, ...narrative } = draft.narrative;
  return { ...draft, narrative, contact: "" };
}

describe("one truth for progress and findings", () => {
  it("card, /check, /report and /reports give the same counts of errors, unfinished parts and warnings", async () => {
    const officer = h.officer(701);
    await h.seedReport(701, troubled());

    officer.send("/start");
    const card = (await officer.nextReply()).text;
    officer.send("/check");
    const check = (await officer.nextReply()).text;
    officer.send("/report");
    const report = (await officer.nextReply()).text;

    const counts = (text: string, label: string) => new RegExp(`${label}：([^。\\n]*)`).exec(text)?.[1];
    const line = counts(card, "问题");
    expect(line).toMatch(/^\d+ 个错误，2 个部分未填完，\d+ 个提醒$/);
    expect(card).toContain("进度：4/6 部分已填完");
    expect(counts(check, "核对结果")).toBe(line);
    expect(counts(report, "核对结果")).toBe(line);
    // /report lists what blocks the final document: the errors and the two unfinished sections.
    expect(report).toContain("还不能生成正式报告");
    expect(report).toContain("一、总体情况：未填写");

    // The report's page in /reports counts its sections the same way.
    officer.send("/reports");
    await officer.nextReply();
    officer.press(/^▶ /);
    expect((await officer.nextReply()).text).toContain("进度：4/6 部分已填完");
  });
});
