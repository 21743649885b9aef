import { describe, expect, it } from "vitest";
import { flowFor } from "../flows/index.js";
import { DEFAULT_PLAN } from "../src/form/deadline.js";
import { draftFingerprint, reportState } from "../src/form/report-state.js";
import { dueStages, isQuietTime, nextStageAt, outOfQuietHours, stagesOf } from "../src/reminders/schedule.js";
import { fixture } from "./support/fixtures.js";

/** A Beijing wall-clock time as an instant. */
const bj = (s: string) => Date.parse(`${s}+08:00`);
const iso = (ms: number) => new Date(ms + 8 * 3_600_000).toISOString().slice(0, 16).replace("T", " ");
const publication = { publication: "2027-01-31" };
const both = { publication: "2027-01-31", internal: "2027-01-15" };
const since = bj("2026-11-01T00:00");

describe("the reminder schedule", () => {
  it("has stages 30, 14, 7, 3, 1 days before each deadline and on the day, at 09:30 Beijing", () => {
    expect(stagesOf(publication, DEFAULT_PLAN).map((s) => `${s.key} ${iso(s.at)}`)).toEqual([
      "publication:2027-01-31:30 2027-01-01 09:30",
      "publication:2027-01-31:14 2027-01-17 09:30",
      "publication:2027-01-31:7 2027-01-24 09:30",
      "publication:2027-01-31:3 2027-01-28 09:30",
      "publication:2027-01-31:1 2027-01-30 09:30",
      "publication:2027-01-31:0 2027-01-31 09:30",
    ]);
    expect(stagesOf(both, DEFAULT_PLAN)).toHaveLength(12);
  });

  it("makes a stage due from its moment until the next stage supersedes it", () => {
    expect(dueStages(publication, DEFAULT_PLAN, since, bj("2027-01-17T09:29"))).toEqual([
      expect.objectContaining({ key: "publication:2027-01-31:30" }),
    ]);
    expect(dueStages(publication, DEFAULT_PLAN, since, bj("2027-01-17T09:30")).map((s) => s.key)).toEqual([
      "publication:2027-01-31:14",
    ]);
    // Missed for a week (the bot was down): the 7-day stage superseded the 14-day one.
    expect(dueStages(publication, DEFAULT_PLAN, since, bj("2027-01-25T10:00")).map((s) => s.key)).toEqual([
      "publication:2027-01-31:7",
    ]);
    // After the day itself nothing is due.
    expect(dueStages(publication, DEFAULT_PLAN, since, bj("2027-02-01T09:30"))).toEqual([]);
  });

  it("keeps one stage per deadline: the internal date's and the publication's", () => {
    expect(dueStages(both, DEFAULT_PLAN, since, bj("2027-01-14T12:00")).map((s) => s.key)).toEqual([
      "publication:2027-01-31:30",
      "internal:2027-01-15:1",
    ]);
  });

  it("sends nothing between 21:00 and 08:00; a stage waiting out the night is due at 08:00", () => {
    expect(isQuietTime(bj("2027-01-24T21:00"))).toBe(true);
    expect(isQuietTime(bj("2027-01-24T07:59"))).toBe(true);
    expect(isQuietTime(bj("2027-01-24T08:00"))).toBe(false);
    expect(dueStages(publication, DEFAULT_PLAN, since, bj("2027-01-24T23:00"))).toEqual([]);
    expect(iso(outOfQuietHours(bj("2027-01-24T23:00")))).toBe("2027-01-25 08:00");
    expect(iso(outOfQuietHours(bj("2027-01-25T03:00")))).toBe("2027-01-25 08:00");
    expect(iso(nextStageAt(publication, DEFAULT_PLAN, since, bj("2027-01-24T23:00"))!)).toBe("2027-01-25 08:00");
    const early = stagesOf(publication, { days: [1], time: "06:00" });
    expect(iso(early[0]!.at)).toBe("2027-01-30 08:00");
  });

  it("does not remind of stages planned before the deadlines were set", () => {
    const created = bj("2027-01-20T15:00");
    expect(dueStages(publication, DEFAULT_PLAN, created, bj("2027-01-20T15:01"))).toEqual([]);
    expect(iso(nextStageAt(publication, DEFAULT_PLAN, created, bj("2027-01-20T15:01"))!)).toBe("2027-01-24 09:30");
  });

  it("names the next moment to look again, and none after the last deadline", () => {
    expect(iso(nextStageAt(both, DEFAULT_PLAN, since, bj("2026-12-01T09:00"))!)).toBe("2026-12-16 09:30");
    expect(iso(nextStageAt(both, DEFAULT_PLAN, since, bj("2027-01-17T09:30"))!)).toBe("2027-01-24 09:30");
    expect(nextStageAt(both, DEFAULT_PLAN, since, bj("2027-01-31T09:30"))).toBeUndefined();
  });

  it("takes a plan stored with the report", () => {
    const plan = { days: [10, 0], time: "14:00" };
    expect(stagesOf(publication, plan).map((s) => iso(s.at))).toEqual(["2027-01-21 14:00", "2027-01-31 14:00"]);
  });
});

describe("the report state", () => {
  const flow = flowFor("2021");
  const full = fixture("report-2022");
  it("is 未开始 with nothing answered, 填写中 after the first answer", () => {
    const empty = { ...full, narrative: {}, cells: {} };
    expect(reportState(flow, { draft: empty })).toBe("not_started");
    expect(reportState(flow, { draft: { ...empty, cells: { "apply.new.natural": 0 } } })).toBe("in_progress");
    expect(reportState(flow, { draft: { ...empty, narrative: { problems: "无" } } })).toBe("in_progress");
  });
  it("is 已完成 while the content is what the final document was generated for", () => {
    const finalized = { at: "2027-01-10T02:00:00.000Z", fingerprint: draftFingerprint(full) };
    expect(reportState(flow, { draft: full, finalized })).toBe("finished");
    // Key order is not content.
    const reordered = { ...full, cells: Object.fromEntries(Object.entries(full.cells).reverse()) };
    expect(reportState(flow, { draft: reordered, finalized })).toBe("finished");
    const changed = { ...full, cells: { ...full.cells, "apply.new.natural": 99 } };
    expect(reportState(flow, { draft: changed, finalized })).toBe("in_progress");
    expect(reportState(flow, { draft: { ...full, contact: "电话：1" }, finalized })).toBe("in_progress");
  });
});
