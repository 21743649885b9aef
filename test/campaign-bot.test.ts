import { strFromU8, unzipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { flows } from "../flows/index.js";
import { encodeCallback } from "../src/bot/callback-data.js";
import { changeCampaign } from "../src/campaign/campaign.js";
import { newInvitation, revokeInvitations } from "../src/campaign/invitation.js";
import type { Draft } from "../src/form/draft.js";
import { computeValues } from "../src/form/totals.js";
import { importReport } from "../src/import/import-report.js";
import { readReportFile } from "../src/import/read-file.js";
import { ROLLUP_CSV, ROLLUP_DOCX } from "../src/report/collect-zip.js";
import { printedCellIds } from "../src/report/rollup.js";
import type { StoredReport } from "../src/store/store.js";
import { type Harness, startHarness } from "./support/bot-harness.js";
import type { Officer } from "./support/fake-telegram.js";
import { fixture } from "./support/fixtures.js";

/**
 * A campaign played through the real bot, polling the local Bot API, on real
 * Redis: an administrator creates it, a supervisor and officers join by
 * deep link (two officers on one unit), units hand in, one is returned with a
 * comment and fixed, two are approved, the dashboard shows every state and
 * /collect's zip adds up. Then intrusions: each refused, the store unchanged.
 */

const ADMIN = 1;
const SUPERVISOR = 2;
const OTHER_SUPERVISOR = 3;
const A1 = 10;
const A2 = 11;
const B = 12;
const C = 13;
const STRANGER = 99;
// 10:00 in Beijing, 5 January 2023: inside the 2022 campaign, not at night.
const NOW = new Date("2023-01-05T02:00:00.000Z");
const base = fixture("report-2022");
const flow = flows.flowFor(base.format);

const FORM = (name: string) =>
  [`名称：${name}`, "年度：2022", "内部截止：2023-01-15", "单位：", "甲街道", "乙镇", "丙局"].join("\n");

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Waits for a reply whose text matches. */
async function replyMatching(officer: Officer, pattern: RegExp): Promise<string> {
  const found = await until(`a reply matching ${pattern}`, () => officer.replies.find((r) => pattern.test(r.text)));
  return found.text;
}

async function answerOf(officer: Officer, queryId: string): Promise<string> {
  const q = await until(`the answer to ${queryId}`, () => officer.answers.find((a) => a.id === queryId && a.answer));
  return q.answer?.text ?? "";
}

describe("a campaign through the bot (real Redis)", () => {
  let h: Harness;
  let links: string[] = [];
  let supervisorLink = "";
  let campaignId = "";
  const reportOf = async (unit: string): Promise<StoredReport> => {
    const c = await h.store.getCampaign(campaignId);
    const id = c?.units.find((u) => u.name === unit)?.reportId;
    const r = id ? await h.store.getReport(id) : undefined;
    if (!r) throw new Error(`no report for ${unit}`);
    return r;
  };
  /** Figures and texts as an officer would have typed them (the chat path is covered by e2e.test.ts). */
  const fill = async (unit: string, k: number): Promise<Draft> => {
    const r = await reportOf(unit);
    const cells = Object.fromEntries(Object.entries(base.cells).map(([id, v]) => [id, v * k]));
    const draft: Draft = { ...base, org: unit, year: 2022, cells };
    const steps = 1000;
    const written = await h.store.updateReport(r.id, r.version, { draft, cursor: Math.min(r.cursor, steps) }, []);
    if (!written.ok) throw new Error("fill failed");
    return draft;
  };

  beforeAll(async () => {
    h = await startHarness({ store: "redis", now: () => NOW, admins: [ADMIN] });
  });
  afterAll(async () => {
    await h.close();
  });

  it("lets an administrator create a campaign of 3 units and hands out one link per unit and one for supervisors", async () => {
    const admin = h.officer(ADMIN, "管理员");
    admin.send("/campaign");
    await replyMatching(admin, /名称：/);
    admin.send(FORM("西湖区2022年度年报"));
    const text = await replyMatching(admin, /各单位邀请链接/);
    supervisorLink = text.match(/start=(join_s[\w-]+)/)?.[1] ?? "";
    links = [...text.matchAll(/(甲街道|乙镇|丙局)：https:\/\/t\.me\/\w+\?start=(join_o[\w-]+)/g)].map(
      (m) => m[2] ?? "",
    );
    expect(supervisorLink).not.toBe("");
    expect(links).toHaveLength(3);
    const [campaign] = await h.store.listCampaigns();
    campaignId = campaign?.id ?? "";
    expect(campaign).toMatchObject({
      name: "西湖区2022年度年报",
      year: 2022,
      dueDate: "2023-01-15",
      deadline: "2023-01-31",
    });
  });

  it("joins a supervisor and four officers by deep link, two of them on one unit", async () => {
    const sup = h.officer(SUPERVISOR, "审核人");
    sup.send(`/start ${supervisorLink}`);
    await replyMatching(sup, /你已成为「西湖区2022年度年报」的审核人/);
    const [l1, l2, l3] = links;
    for (const [id, link] of [
      [A1, l1],
      [A2, l1],
      [B, l2],
      [C, l3],
    ] as const) {
      const o = h.officer(id);
      o.send(`/start ${link}`);
      await replyMatching(o, /已加入「西湖区2022年度年报」/);
    }
    const a = await reportOf("甲街道");
    expect(a.members).toEqual([A1, A2]);
    expect(a).toMatchObject({ campaign: { id: campaignId }, dueDate: "2023-01-15", deadline: "2023-01-31" });
    expect((await h.store.getUser(A2)).currentReportId).toBe(a.id);
    const trail = await h.store.history(a.id, 10);
    expect(trail.some((e) => e.target === "members" && e.new === A2)).toBe(true);
  });

  it("lets two officers of one unit answer at once without losing either answer", async () => {
    const o1 = h.officer(A1);
    const o2 = h.officer(A2);
    o1.send("甲街道概述，第一位写的。");
    o2.send("甲街道概述，第二位写的。");
    await until("both answers stored", async () => {
      const text = (await reportOf("甲街道")).draft.narrative["overview.intro"] ?? "";
      return text.includes("第一位") && text.includes("第二位") ? text : undefined;
    });
  });

  it("hands in, returns with a comment shown at that question, fixes and approves; the dashboard shows each state", async () => {
    const a = await fill("甲街道", 1);
    const b = await fill("乙镇", 2);
    await fill("丙局", 3);
    const sup = h.officer(SUPERVISOR);
    for (const [id, unit] of [
      [A1, "甲街道"],
      [B, "乙镇"],
    ] as const) {
      const o = h.officer(id);
      o.send("/submit");
      const reply = await o.nextReply();
      if (reply.text.includes("确认提交")) o.press("确认提交", { messageId: reply.messageId });
      await replyMatching(o, /已提交审核。报告已锁定/);
      await until(`the supervisor's copy of ${unit}`, () => sup.documents.find((d) => d.caption.includes(unit)));
      expect((await reportOf(unit)).review?.state).toBe("submitted");
    }
    // Locked: an answer to the current question is refused and nothing changes.
    const lockedBefore = await reportOf("乙镇");
    const ob = h.officer(B);
    ob.send("/fill");
    ob.send("改一下");
    await replyMatching(ob, /已提交审核，暂不能修改/);
    expect((await reportOf("乙镇")).version).toBe(lockedBefore.version);

    // Dashboard mid-way: 已提交 ×2, 填写中 ×1.
    sup.send("/dashboard");
    let board = await replyMatching(sup, /筛选：全部/);
    expect(board).toMatch(/1\. 甲街道 — 已提交/);
    expect(board).toMatch(/2\. 乙镇 — 已提交/);
    expect(board).toMatch(/3\. 丙局 — 填写中/);

    // Return 乙镇 with a comment on section 三.
    const docB = sup.documents.find((d) => d.caption.includes("乙镇"));
    sup.press("退回修改", { messageId: docB?.messageId ?? 0 });
    await replyMatching(sup, /请写退回意见/);
    sup.send("三（三）3 与正文不符");
    await replyMatching(sup, /针对哪一部分/);
    sup.press(/^三、/);
    await replyMatching(sup, /已退回 乙镇/);
    expect(await replyMatching(ob, /退回修改：三、.*三（三）3 与正文不符/)).toContain("/submit");
    const returned = await reportOf("乙镇");
    expect(returned.review).toMatchObject({ state: "returned", comment: { text: "三（三）3 与正文不符" } });
    // The comment shows at its question.
    const step = returned.review?.comment?.step ?? -1;
    await h.store.updateReport(returned.id, returned.version, { cursor: step }, []);
    ob.send("/fill");
    await replyMatching(ob, /📝 退回意见：三、.*三（三）3 与正文不符/);

    // Dashboard: 已退回 now, and the filter shows only it.
    sup.send("/dashboard");
    board = await until("the new dashboard", () =>
      sup.replies
        .filter((r) => r.text.includes("筛选：全部"))
        .at(-1)
        ?.text.includes("乙镇 — 已退回")
        ? sup.replies.filter((r) => r.text.includes("筛选：全部")).at(-1)?.text
        : undefined,
    );
    sup.press("已退回");
    await until("the filtered page", () => sup.replies.find((r) => r.text.includes("筛选：已退回")));
    const filtered = sup.replies.find((r) => r.text.includes("筛选：已退回"))?.text ?? "";
    expect(filtered).toContain("乙镇");
    expect(filtered).not.toContain("甲街道 —");

    // Fixed and handed in again, then both approved.
    ob.send("/submit");
    const again = await ob.nextReply();
    if (again.text.includes("确认提交")) ob.press("确认提交", { messageId: again.messageId });
    await until("resubmitted", async () => ((await reportOf("乙镇")).review?.state === "submitted" ? 1 : undefined));
    for (const unit of ["甲街道", "乙镇"]) {
      const doc = sup.documents.filter((d) => d.caption.includes(unit)).at(-1);
      sup.press("审核通过", { messageId: doc?.messageId ?? 0 });
      await replyMatching(sup, new RegExp(`已通过：${unit}`));
    }
    await replyMatching(h.officer(A2), /甲街道 2022 年度报告已审核通过/);
    sup.send("/dashboard");
    board = await until("the final dashboard", () => {
      const t = sup.replies.filter((r) => r.text.includes("筛选：全部")).at(-1)?.text ?? "";
      return t.includes("乙镇 — 已通过") ? t : undefined;
    });
    expect(board).toMatch(/甲街道 — 已通过/);
    expect(board).toMatch(/丙局 — 填写中/);
    expect(board).toMatch(/已通过 2 · 已提交 0 · 已退回 0 · 填写中 1 · 未开始 0（共 3）/);
    const trail = await h.store.history((await reportOf("乙镇")).id, 20);
    expect(trail.filter((e) => e.target === "review").map((e) => String(e.new).split(" ")[0])).toEqual([
      "approved",
      "submitted",
      "returned",
      "submitted",
    ]);

    // /collect: the roll-up equals the approved reports' sums, cell by cell; the .csv holds the same figures.
    sup.send("/collect");
    const zipDoc = await until("the zip", () => sup.documents.find((d) => d.fileName?.endsWith(".zip")));
    expect(zipDoc.caption).toMatch(/未计入.*丙局/);
    const files = unzipSync(new Uint8Array(zipDoc.bytes));
    const source = readReportFile(files[ROLLUP_DOCX] as Uint8Array, ROLLUP_DOCX);
    if (!source.ok) throw new Error(source.reason);
    const read = importReport(source.source, flows);
    if (!read.ok) throw new Error(read.reason);
    const printed = computeValues(flow, read.draft.cells);
    const [va, vb] = [computeValues(flow, a.cells), computeValues(flow, b.cells)];
    for (const id of printedCellIds(flow))
      expect(printed.get(id), id).toBeCloseTo((va.get(id) ?? 0) + (vb.get(id) ?? 0), 6);
    const csv = Buffer.from(files[ROLLUP_CSV] as Uint8Array).toString("utf8");
    const rows = csv
      .replace(/^\uFEFF/, "")
      .trim()
      .split("\r\n")
      .map((l) => l.split(","));
    expect(rows.map((r) => r[0])).toEqual(["单位", "甲街道", "乙镇"]);
    for (const [i, id] of printedCellIds(flow).entries()) {
      expect(Number(rows[1]?.[i + 1]), id).toBe(va.get(id));
      expect(Number(rows[2]?.[i + 1]), id).toBe(vb.get(id));
    }
    expect(Object.keys(files).filter((n) => n.endsWith(".docx"))).toHaveLength(3);
    expect(
      strFromU8(files[Object.keys(files).find((n) => n.endsWith(".json") && n.includes("甲街道")) ?? ""] as Uint8Array),
    ).toContain("甲街道");
  });

  it("lets an officer remove one who left; the audit trail keeps what they wrote", async () => {
    const a = await reportOf("甲街道");
    const o1 = h.officer(A1);
    o1.send("/members");
    await replyMatching(o1, /甲街道 2022年度的填报人/);
    o1.press(/^移除/);
    await replyMatching(o1, /已把这位填报人移出/);
    expect((await reportOf("甲街道")).members).toEqual([A1]);
    const trail = await h.store.history(a.id, 50);
    expect(trail.some((e) => e.target === "members" && e.old === A2 && e.new === null)).toBe(true);
    expect(trail.some((e) => e.by === A2 && e.target === "overview.intro")).toBe(true);
    await replyMatching(h.officer(A2), /你已被移出/);
    // The last officer cannot be removed.
    const q = o1.pressData(encodeCallback("removeOfficer", a.id, A1), 1);
    expect(await answerOf(o1, q)).toMatch(/唯一的填报人/);
  });

  it("lets an administrator renew a unit's link, which revokes the old one", async () => {
    const admin = h.officer(ADMIN);
    admin.send("/links");
    await replyMatching(admin, /给哪个单位换新的邀请链接/);
    admin.press("丙局");
    const text = await replyMatching(admin, /新的邀请链接（丙局）/);
    const fresh = text.match(/start=(join_o[\w-]+)/)?.[1] ?? "";
    const late = h.officer(14);
    late.send(`/start ${links[2]}`);
    expect(await replyMatching(late, /已被收回/)).toContain("请向区政务公开办索取新的邀请链接");
    late.send(`/start ${fresh}`);
    await replyMatching(late, /已加入「西湖区2022年度年报」：丙局/);
    expect((await reportOf("丙局")).members).toEqual([C, 14]);
  });

  it("lets a supervisor remove an officer from the dashboard, never changing figures", async () => {
    const before = await reportOf("丙局");
    const sup = h.officer(SUPERVISOR);
    sup.send("/dashboard");
    const board = await sup.nextReply();
    sup.press("3 成员", { messageId: board.messageId });
    const list = await replyMatching(sup, /丙局 2022年度的填报人/);
    expect(list).toContain("用户14");
    sup.press("移除 用户14");
    await replyMatching(sup, /已把这位填报人移出 丙局/);
    const after = await reportOf("丙局");
    expect(after.members).toEqual([C]);
    expect(after.draft).toEqual(before.draft);
  });

  describe("intrusions: each refused with what to do, and the store unchanged", () => {
    /** Every report and campaign as stored. */
    const snapshot = async () => {
      const campaigns = await h.store.listCampaigns();
      const ids = campaigns.flatMap((c) => c.units.flatMap((u) => (u.reportId ? [u.reportId] : [])));
      return JSON.stringify({ campaigns, reports: await Promise.all(ids.map((id) => h.store.getReport(id))) });
    };
    let before = "";
    let otherCampaignId = "";
    beforeAll(async () => {
      // A second campaign with its own supervisor.
      const admin = h.officer(ADMIN);
      admin.send("/campaign");
      await until("the second form prompt", () =>
        admin.replies.filter((r) => /名称：/.test(r.text)).length >= 2 ? 1 : undefined,
      );
      admin.send(FORM("拱墅区2022年度年报"));
      const text = await until(
        "the second campaign's links",
        () => admin.replies.find((r) => r.text.includes("拱墅区") && r.text.includes("审核人邀请链接"))?.text,
      );
      const sup3 = h.officer(OTHER_SUPERVISOR);
      sup3.send(`/start ${text.match(/start=(join_s[\w-]+)/)?.[1]}`);
      await replyMatching(sup3, /审核人/);
      otherCampaignId = (await h.store.listCampaigns()).find((c) => c.name.startsWith("拱墅"))?.id ?? "";
      before = await snapshot();
    });

    const ASK = "请向区政务公开办索取新的邀请链接";

    it("refuses commands from non-members and non-administrators", async () => {
      const s = h.officer(STRANGER);
      s.send("/dashboard");
      expect(await replyMatching(s, /不是任何年报工作的审核人/)).toContain(ASK);
      s.send("/collect");
      await until("two refusals", () => (s.replies.filter((r) => r.text.includes(ASK)).length >= 2 ? 1 : undefined));
      s.send("/campaign");
      await replyMatching(s, /只有管理员/);
      s.send("/submit");
      await replyMatching(s, /还没有报告/);
      expect(await snapshot()).toBe(before);
    });

    it("refuses forged, altered, revoked and expired invitations", async () => {
      const s = h.officer(STRANGER);
      const [l1] = links;
      const altered = `${l1?.slice(0, -2)}${l1?.endsWith("AA") ? "BB" : "AA"}`;
      s.send(`/start ${altered}`);
      expect(await replyMatching(s, /邀请链接无效/)).toContain(ASK);
      s.send(`/start join_s${l1?.slice(6)}`);
      await until("second invalid", () =>
        s.replies.filter((r) => r.text.includes("邀请链接无效")).length >= 2 ? 1 : undefined,
      );
      // Revoked: 丙局's link is withdrawn; expired: a link that ran out yesterday.
      const c = await h.store.getCampaign(campaignId);
      if (!c) throw new Error("campaign gone");
      const expired = newInvitation(c, "officer", "u3", ADMIN, NOW, new Date(NOW.getTime() - 86_400_000));
      const next = changeCampaign(
        c,
        { invitations: [...revokeInvitations(c.invitations, (i) => i.unitId === "u3", NOW), expired.invitation] },
        NOW,
      );
      await h.store.commit({ userId: ADMIN, updateId: 9_000_001, ack: "" }, { campaign: { next } });
      before = await snapshot();
      s.send(`/start ${links[2]}`);
      expect(await replyMatching(s, /已被收回/)).toContain(ASK);
      s.send(`/start join_${expired.token}`);
      expect(await replyMatching(s, /已过期/)).toContain(ASK);
      expect((await h.store.listReports(STRANGER)).length).toBe(0);
      expect(await snapshot()).toBe(before);
    });

    it("refuses forged buttons: another unit's review, submit and cells, another campaign's dashboard and units", async () => {
      const a = await reportOf("甲街道");
      const c = h.officer(C);
      const q1 = c.pressData(encodeCallback("review", a.id, "ok"), 1);
      expect(await answerOf(c, q1)).toContain(ASK);
      const q2 = c.pressData(encodeCallback("submit", a.id, "ok"), 1);
      expect(await answerOf(c, q2)).toMatch(/不是它的填报人/);
      const sup = h.officer(SUPERVISOR);
      const q3 = sup.pressData(encodeCallback("rowZero", a.id, 5), 1);
      expect(await answerOf(sup, q3)).toMatch(/不是它的填报人/);
      const sup3 = h.officer(OTHER_SUPERVISOR);
      const q4 = sup3.pressData(encodeCallback("dashboard", campaignId, "a0"), 1);
      expect(await answerOf(sup3, q4)).toContain(ASK);
      const q5 = sup3.pressData(encodeCallback("unit", campaignId, "du1"), 1);
      expect(await answerOf(sup3, q5)).toContain(ASK);
      const q6 = sup3.pressData(encodeCallback("review", a.id, "back"), 1);
      expect(await answerOf(sup3, q6)).toContain(ASK);
      const q7 = sup.pressData(encodeCallback("unit", campaignId, "ru9"), 1);
      expect(await answerOf(sup, q7)).toContain(ASK);
      const q8 = sup.pressData(encodeCallback("unit", otherCampaignId, "vu1"), 1);
      expect(await answerOf(sup, q8)).toContain(ASK);
      const q9 = c.pressData(encodeCallback("join", campaignId, "attach"), 1);
      expect(await answerOf(c, q9)).toMatch(/按钮已失效/);
      const q10 = c.pressData(encodeCallback("removeOfficer", a.id, A1), 1);
      expect(await answerOf(c, q10)).toContain(ASK);
      const q11 = sup.pressData(encodeCallback("links", campaignId, "u1"), 1);
      expect(await answerOf(sup, q11)).toMatch(/只有管理员/);
      expect(sup3.documents).toHaveLength(0);
      expect(await snapshot()).toBe(before);
    });
  });
});
