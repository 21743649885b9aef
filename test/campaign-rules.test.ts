import { describe, expect, it } from "vitest";
import { flowFor } from "../flows/index.js";
import { type Action, decide, type Target } from "../src/campaign/access.js";
import { type Campaign, changeCampaign, newCampaign, parseUnitList } from "../src/campaign/campaign.js";
import {
  checkInvitation,
  JOIN_PREFIX,
  joinLink,
  newInvitation,
  parseJoinPayload,
  revokeInvitations,
} from "../src/campaign/invitation.js";
import { getsReminders, REPORT_STATE_LABEL, reportState } from "../src/form/report-state.js";
import type { Review } from "../src/form/review.js";

const NOW = new Date("2027-01-05T02:00:00.000Z");
const ADMIN = 1;
const SUPERVISOR = 2;
const OFFICER = 10;
const OTHER_OFFICER = 11;
const STRANGER = 99;
const admins = [ADMIN];

function makeCampaign(id = "CAMPAIGN01", supervisors = [SUPERVISOR]): Campaign {
  const c = newCampaign(
    id,
    { name: "西湖区2026年度年报", year: 2026, dueDate: "2027-01-15", units: ["甲街道", "乙镇"], supervisors },
    ADMIN,
    NOW,
  );
  return changeCampaign(c, { units: c.units.map((u) => ({ ...u, reportId: `report-${u.id}` })) }, NOW);
}

const report = (unitId: string, campaignId = "CAMPAIGN01", review?: Review) => ({
  id: `report-${unitId}`,
  members: [OFFICER, OTHER_OFFICER],
  campaign: { id: campaignId, unitId },
  ...(review ? { review } : {}),
});
const submitted: Review = { state: "submitted", at: NOW.toISOString(), by: OFFICER };

describe("the unit list an administrator pastes", () => {
  it("takes one unit per line, dropping numbering and blank lines", () => {
    expect(parseUnitList("1. 甲街道\n\n2、乙镇\n- 丙局  \n")).toEqual({ ok: true, units: ["甲街道", "乙镇", "丙局"] });
  });
  it("refuses duplicates and an empty list, saying which", () => {
    expect(parseUnitList("甲街道\n甲街道")).toMatchObject({ ok: false, message: expect.stringContaining("甲街道") });
    expect(parseUnitList(" \n ")).toMatchObject({ ok: false });
  });
  it("gives units short ids and the publication deadline 31 January by default", () => {
    const c = makeCampaign();
    expect(c.units.map((u) => u.id)).toEqual(["u1", "u2"]);
    expect(c.deadline).toBe("2027-01-31");
  });
  it("refuses a due date after the publication deadline", () => {
    expect(() =>
      newCampaign("CAMPAIGN01", { name: "x", year: 2026, dueDate: "2027-02-15", units: ["甲"] }, ADMIN, NOW),
    ).toThrow(/due date/);
  });
});

describe("invitation tokens", () => {
  const c = makeCampaign();
  const { token, invitation } = newInvitation(c, "officer", "u1", ADMIN, NOW);
  const withInvite = { ...c, invitations: [invitation] };

  it("is a deep link of at most 64 characters with the role's own prefix", () => {
    const link = joinLink("nianbao_bot", token);
    expect(link).toBe(`https://t.me/nianbao_bot?start=join_${token}`);
    expect(`${JOIN_PREFIX}${token}`.length).toBeLessThanOrEqual(64);
    expect(`${JOIN_PREFIX}${token}`).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(token[0]).toBe("o");
    expect(newInvitation(c, "supervisor", undefined, ADMIN, NOW).token[0]).toBe("s");
  });
  it("is random: two invitations never share a token, and the store keeps only a digest", () => {
    const tokens = new Set(Array.from({ length: 200 }, () => newInvitation(c, "officer", "u1", ADMIN, NOW).token));
    expect(tokens.size).toBe(200);
    expect(JSON.stringify(invitation)).not.toContain(token.slice(11));
  });
  it("opens its invitation until it expires at the end of the publication deadline", () => {
    const parsed = parseJoinPayload(`join_${token}`);
    expect(parsed).toMatchObject({ role: "officer", campaignId: c.id });
    expect(parsed && checkInvitation(withInvite, parsed, NOW)).toMatchObject({ ok: true, invitation });
    const after = new Date("2027-01-31T16:00:00.000Z");
    expect(parsed && checkInvitation(withInvite, parsed, after)).toMatchObject({
      ok: false,
      reason: "expired",
      message: expect.stringContaining("请向区政务公开办索取新的邀请链接"),
    });
  });
  it("refuses a revoked, forged, altered or other campaign's token", () => {
    const parsed = parseJoinPayload(`join_${token}`);
    if (!parsed) throw new Error("token did not parse");
    const revoked = { ...c, invitations: revokeInvitations([invitation], (i) => i.unitId === "u1", NOW) };
    expect(checkInvitation(revoked, parsed, NOW)).toMatchObject({ ok: false, reason: "revoked" });
    const flipped = `${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`;
    const altered = parseJoinPayload(`join_${flipped}`);
    expect(altered && checkInvitation(withInvite, altered, NOW)).toMatchObject({ ok: false, reason: "unknown" });
    // The same secret presented as a supervisor token is refused.
    expect(checkInvitation(withInvite, { ...parsed, role: "supervisor" }, NOW)).toMatchObject({ ok: false });
    expect(checkInvitation(makeCampaign("CAMPAIGN02"), parsed, NOW)).toMatchObject({ ok: false, reason: "unknown" });
    expect(checkInvitation(undefined, parsed, NOW)).toMatchObject({ ok: false });
    for (const bad of ["join_", "join_xyz", `join_x${token.slice(1)}`, token, `join_${token}x`])
      expect(parseJoinPayload(bad)).toBeUndefined();
  });
});

describe("the access rules (one function)", () => {
  const c = makeCampaign();
  const other2 = makeCampaign("CAMPAIGN02", [77]);
  const other = { ...other2, units: other2.units.map((u) => ({ ...u, reportId: `other-${u.id}` })) };
  const can = (userId: number, action: Action, target: Target) => decide({ userId, admins }, action, target);

  it("lets an officer see and change only the units they joined", () => {
    expect(can(OFFICER, "view", { report: report("u1") })).toEqual({ ok: true, role: "officer" });
    expect(can(OFFICER, "edit", { report: report("u1") })).toEqual({ ok: true, role: "officer" });
    const notMine = { ...report("u2"), members: [OTHER_OFFICER] };
    expect(can(OFFICER, "view", { report: notMine, campaign: c })).toMatchObject({ ok: false });
    expect(can(OFFICER, "edit", { report: notMine })).toMatchObject({
      ok: false,
      message: expect.stringContaining("请向区政务公开办索取新的邀请链接"),
    });
  });
  it("locks a submitted or approved report and unlocks a returned one", () => {
    expect(can(OFFICER, "edit", { report: report("u1", "CAMPAIGN01", submitted) })).toMatchObject({
      ok: false,
      refusal: "locked",
    });
    const approved: Review = { ...submitted, state: "approved" };
    expect(can(OFFICER, "edit", { report: report("u1", "CAMPAIGN01", approved) })).toMatchObject({ ok: false });
    const returned: Review = { ...submitted, state: "returned" };
    expect(can(OFFICER, "edit", { report: report("u1", "CAMPAIGN01", returned) })).toMatchObject({ ok: true });
  });
  it("lets a supervisor see their campaign's units and review, never edit figures", () => {
    expect(can(SUPERVISOR, "view", { report: report("u1"), campaign: c })).toEqual({ ok: true, role: "supervisor" });
    expect(can(SUPERVISOR, "edit", { report: report("u1"), campaign: c })).toMatchObject({ ok: false });
    expect(can(SUPERVISOR, "review", { report: report("u1", "CAMPAIGN01", submitted), campaign: c })).toMatchObject({
      ok: true,
    });
    expect(can(SUPERVISOR, "review", { report: report("u1"), campaign: c })).toMatchObject({
      ok: false,
      refusal: "not_submitted",
    });
    expect(can(SUPERVISOR, "supervise", { campaign: c, unitId: "u2" })).toMatchObject({ ok: true });
  });
  it("refuses a supervisor another campaign's units, even when the report claims the campaign", () => {
    expect(can(77, "view", { report: report("u1"), campaign: c })).toMatchObject({ ok: false });
    expect(can(77, "supervise", { campaign: c })).toMatchObject({ ok: false, refusal: "not_supervisor" });
    // A report that names campaign 2 but which campaign 2 does not record.
    expect(can(77, "view", { report: report("u1", "CAMPAIGN02"), campaign: other })).toMatchObject({
      ok: false,
      refusal: "other_campaign",
    });
    expect(can(SUPERVISOR, "supervise", { campaign: c, unitId: "u9" })).toMatchObject({ ok: false });
  });
  it("keeps campaign creation and link management for administrators", () => {
    expect(can(ADMIN, "create_campaign", {})).toEqual({ ok: true, role: "admin" });
    expect(can(SUPERVISOR, "create_campaign", {})).toMatchObject({ ok: false, refusal: "not_admin" });
    expect(can(SUPERVISOR, "manage", { campaign: c })).toMatchObject({ ok: false });
    expect(can(ADMIN, "manage", { campaign: c, unitId: "u1" })).toMatchObject({ ok: true });
  });
  it("lets an officer submit only a campaign report, once", () => {
    expect(can(OFFICER, "submit", { report: report("u1"), campaign: c })).toMatchObject({ ok: true });
    expect(can(OFFICER, "submit", { report: report("u1", "CAMPAIGN01", submitted), campaign: c })).toMatchObject({
      ok: false,
      refusal: "already_submitted",
    });
    const selfService = { id: "r", members: [OFFICER] };
    expect(can(OFFICER, "submit", { report: selfService })).toMatchObject({ ok: false, refusal: "not_in_campaign" });
  });
  it("lets a unit's officer or supervisor remove an officer, but never the last one", () => {
    expect(can(OFFICER, "remove_officer", { report: report("u1"), officer: OTHER_OFFICER })).toMatchObject({
      ok: true,
    });
    expect(
      can(SUPERVISOR, "remove_officer", { report: report("u1"), campaign: c, officer: OTHER_OFFICER }),
    ).toMatchObject({ ok: true });
    expect(can(STRANGER, "remove_officer", { report: report("u1"), campaign: c, officer: OFFICER })).toMatchObject({
      ok: false,
    });
    const alone = { ...report("u1"), members: [OFFICER] };
    expect(can(OFFICER, "remove_officer", { report: alone, officer: OFFICER })).toMatchObject({
      ok: false,
      refusal: "last_officer",
    });
  });
  it("refuses a non-member every action on a report, with what to do", () => {
    for (const action of ["view", "edit", "submit", "review", "remove_officer", "supervise", "manage"] as const) {
      const decision = can(STRANGER, action, { report: report("u1", "CAMPAIGN01", submitted), campaign: c });
      expect(decision.ok, action).toBe(false);
      if (!decision.ok) expect(decision.message.length).toBeGreaterThan(0);
    }
  });
});

describe("the report state with review (extends the Deadlines state function)", () => {
  const flow = flowFor("2021");
  const draft = { format: "2021", org: "甲街道", year: 2026, narrative: {}, cells: { "apply.new.natural": 3 } };
  const at = NOW.toISOString();
  it("is 已提交, 已退回 or 已通过 whenever the report is under review", () => {
    expect(reportState(flow, { draft })).toBe("in_progress");
    for (const state of ["submitted", "returned", "approved"] as const) {
      const s = reportState(flow, { draft, review: { state, at, by: 2 } });
      expect(s).toBe(state);
      expect(REPORT_STATE_LABEL[s]).toBe({ submitted: "已提交", returned: "已退回", approved: "已通过" }[state]);
    }
  });
  it("gets no reminders when submitted or approved, and gets them again when returned", () => {
    expect(getsReminders("submitted")).toBe(false);
    expect(getsReminders("approved")).toBe(false);
    expect(getsReminders("finished")).toBe(false);
    expect(getsReminders("returned")).toBe(true);
    expect(getsReminders("in_progress")).toBe(true);
    expect(getsReminders("not_started")).toBe(true);
  });
});
