import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { changeCampaign, newCampaign } from "../src/campaign/campaign.js";
import { newCampaignId } from "../src/store/store.js";
import { type Harness, startHarness } from "./support/bot-harness.js";
import type { Officer } from "./support/fake-telegram.js";
import { fixture, withCells } from "./support/fixtures.js";

/**
 * Issue "Trust", point 6: a double tap does one thing. A document button
 * tapped twice sends one document; /new of a unit and year the officer has
 * already asks before making a second.
 */

let h: Harness;
beforeEach(async () => {
  h = await startHarness({ now: () => new Date("2023-01-20T02:00:00Z") });
});
afterEach(async () => {
  expect(h.fake.errors).toEqual([]);
  await h.close();
});

async function toastFor(officer: Officer, queryId: string): Promise<string> {
  await vi.waitFor(() => expect(officer.answers.find((q) => q.id === queryId)?.answer).toBeDefined(), {
    timeout: 20_000,
  });
  return officer.answers.find((q) => q.id === queryId)?.answer?.text ?? "";
}

/** Lets the bot finish what it was sent (a later update is answered after it). */
async function settle(officer: Officer): Promise<void> {
  officer.send("/help");
  await vi.waitFor(() => expect(officer.lastReply()?.text).toContain("/new"), { timeout: 20_000 });
}

/** report-2022 with an error, so /report offers only a 草稿. */
const withError = () => withCells(fixture("report-2022"), { "apply.carried_in.natural": 7 });

describe("document buttons tapped twice", () => {
  it("生成草稿 tapped twice, and the tap delivered again, sends one document; changed content sends a new one", async () => {
    const officer = h.officer(601);
    const seeded = await h.seedReport(601, withError());
    officer.send("/report");
    const offer = await officer.nextReply();
    const first = officer.press("生成草稿");
    const tap = h.fake.lastUpdateId;
    const second = officer.press("生成草稿");
    expect(await toastFor(officer, first)).toContain("正在生成草稿");
    expect(await toastFor(officer, second)).toContain("刚刚发过");
    h.fake.redeliver(tap);
    await settle(officer);
    // The repeat stops at the inbox (a repeat of an update id is dropped there): its query is not answered again.
    expect(officer.documents).toHaveLength(1);

    // The content changed: the same button makes a new 草稿.
    const changed = await h.store.updateReport(
      seeded.id,
      seeded.version,
      { draft: withCells(seeded.draft, { "apply.carried_in.natural": 8 }) },
      [],
    );
    expect(changed.ok).toBe(true);
    // The same button (the document since carries its own, 网页版).
    officer.press("生成草稿", { messageId: offer.messageId });
    await officer.waitForDocument({ timeoutMs: 20_000 });
    expect(officer.documents).toHaveLength(2);
  });

  it("全部已核实，生成正式报告 tapped twice sends one final document", async () => {
    const officer = h.officer(602);
    await h.seedReport(602, { ...fixture("seed-2020"), date: "2021-01-20", contact: "咨询电话：0571-00000000" });
    officer.send("/report");
    expect((await officer.nextReply()).text).toContain("个提醒");
    officer.press("全部已核实，生成正式报告");
    const second = officer.press("全部已核实，生成正式报告");
    expect(await toastFor(officer, second)).toContain("刚刚发过");
    await settle(officer);
    expect(officer.documents).toHaveLength(1);
  });
});

describe("a supervisor's document buttons tapped twice", () => {
  const SUPERVISOR = 620;

  /** A campaign of one unit whose report is the 2021-format fixture. */
  async function seedCampaign(): Promise<void> {
    const now = new Date("2023-01-20T02:00:00Z");
    const c0 = newCampaign(
      newCampaignId(),
      { name: "西湖区年报", year: 2022, dueDate: "2023-01-25", units: ["甲街道"], supervisors: [SUPERVISOR] },
      1,
      now,
    );
    const report = await h.seedReport(621, fixture("report-2022"));
    const c = changeCampaign(c0, { units: c0.units.map((u) => ({ ...u, reportId: report.id })) }, now);
    const written = await h.store.commit(
      { userId: 1, updateId: 900_001, ack: "" },
      { campaign: { next: { ...c, version: 1 } } },
    );
    expect(written.status).toBe("applied");
  }

  it("a unit's 文档 tapped twice, and the tap delivered again, sends one .docx", async () => {
    await seedCampaign();
    const sup = h.officer(SUPERVISOR);
    sup.send("/dashboard");
    await vi.waitFor(() => expect(sup.lastReply()?.text).toContain("筛选"), { timeout: 20_000 });
    const first = sup.press("1 文档");
    const tap = h.fake.lastUpdateId;
    const second = sup.press("1 文档");
    expect(await toastFor(sup, first)).toContain("正在生成");
    expect(await toastFor(sup, second)).toContain("刚刚发过");
    h.fake.redeliver(tap);
    await settle(sup);
    expect(sup.documents.filter((d) => d.fileName?.endsWith(".docx"))).toHaveLength(1);
    h.fake.errors.splice(
      0,
      h.fake.errors.length,
      ...h.fake.errors.filter((e) => !(e.method === "answerCallbackQuery" && e.description.includes("too old"))),
    );
  });

  it("/collect sent twice sends one 汇总.zip while no unit's report changed", async () => {
    await seedCampaign();
    const sup = h.officer(SUPERVISOR);
    sup.send("/collect");
    sup.send("/collect");
    await vi.waitFor(() => expect(sup.replies.some((r) => r.text.includes("刚刚发过"))).toBe(true), {
      timeout: 20_000,
    });
    await settle(sup);
    expect(sup.documents.filter((d) => d.fileName?.endsWith(".zip"))).toHaveLength(1);
  });
});

describe("/new with the unit and year of a report the officer has", () => {
  async function asked(userId: number) {
    const officer = h.officer(userId);
    officer.send("/new 大关街道 2022");
    expect((await officer.nextReply()).text).toContain("已新建");
    const [existing] = await h.store.listReports(userId);
    officer.send("/new 大关街道 2022");
    const question = await officer.nextReply();
    expect(question.text).toContain("你已经有「大关街道 2022年度」这份报告了");
    const keyboard =
      question.replyMarkup && "inline_keyboard" in question.replyMarkup ? question.replyMarkup : undefined;
    expect(keyboard?.inline_keyboard.flat().map((b) => b.text)).toEqual(["打开已有的", "新建一份"]);
    return { officer, existing: existing! };
  }

  it("打开已有的 opens it and makes no second report", async () => {
    const { officer, existing } = await asked(611);
    officer.press("打开已有的");
    expect((await officer.nextReply()).text).toContain("已切换到这份报告");
    expect(await h.store.listReports(611)).toHaveLength(1);
    expect((await h.store.getUser(611)).currentReportId).toBe(existing.id);
  });

  it("新建一份 makes one new report and opens it, even when tapped twice", async () => {
    const { officer, existing } = await asked(612);
    officer.press("新建一份");
    officer.press("新建一份");
    expect((await officer.nextReply()).text).toContain("✅ 已新建：大关街道 2022年度");
    await settle(officer);
    const reports = await h.store.listReports(612);
    expect(reports).toHaveLength(2);
    const { currentReportId } = await h.store.getUser(612);
    expect(currentReportId).not.toBe(existing.id);
    expect(reports.map((r) => r.id)).toContain(currentReportId);
    expect(officer.replies.some((r) => r.text.includes("刚才已经新建了一份"))).toBe(true);
  });
});
