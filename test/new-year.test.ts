import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { flows } from "../flows/index.js";
import type { Draft } from "../src/form/draft.js";
import { draftFingerprint } from "../src/form/report-state.js";
import { ReminderRunner } from "../src/reminders/runner.js";
import { reminderSender } from "../src/reminders/start-reminders.js";
import type { StoredReport } from "../src/store/store.js";
import { type Harness, startHarness, TOKEN } from "./support/bot-harness.js";
import { buttonTexts, type Officer } from "./support/fake-telegram.js";
import { fixture, withCells } from "./support/fixtures.js";

/**
 * Next year's report starts from this year's: /new for year N takes the
 * unit's report of N-1 as last year's report, pre-fills 二、上年结转 from its
 * 四、结转下年度继续办理 (and in the 2019 format 上一年项目数量), and the
 * officer confirms each pre-filled row with one tap or types another.
 */

const APPLICANTS = ["natural", "business", "research", "social", "legal", "other_org"];

let h: Harness;
afterEach(async () => {
  expect(h.fake.errors).toEqual([]);
  await h.close();
});

async function replyContaining(officer: Officer, text: string) {
  for (let i = 0; i < 5; i++) {
    const reply = await officer.nextReply();
    if (reply.text.includes(text)) return reply;
  }
  throw new Error(`no reply containing ${text}`);
}

async function openRow(officer: Officer, section: RegExp, row: RegExp) {
  officer.send("/sections");
  await officer.nextReply();
  officer.press(section);
  await officer.nextReply();
  officer.press(row);
  return officer.nextReply();
}

async function seedFinished(userId: number, draft: Draft): Promise<StoredReport> {
  const report = await h.seedReport(userId, draft);
  const finalized = { at: "2024-01-20T02:00:00.000Z", fingerprint: draftFingerprint(draft) };
  const result = await h.store.updateReport(report.id, report.version, { finalized }, []);
  if (!result.ok) throw new Error("could not finalize");
  return result.report;
}

const newReportOf = async (userId: number, year: number) =>
  (await h.store.listReports(userId)).find((r) => r.draft.year === year)!;

describe("/new for the year after a report the unit has", () => {
  it("2021 format: 上年结转 is pre-filled from last year's 结转, shown 来自去年, confirmed with one tap", async () => {
    h = await startHarness({ now: () => new Date("2024-01-05T02:00:00Z") });
    const last = withCells(fixture("report-2022"), { "apply.carried_out.business": 2 });
    await seedFinished(81, last);
    const officer = h.officer(81, "王五");
    officer.send(`/new ${last.org} 2023`);
    const created = await replyContaining(officer, "已新建");
    expect(created.text).toContain("预填了 二、上年结转政府信息公开申请数量（6 格，标着“（来自去年）”");
    const report = await newReportOf(81, 2023);
    expect(report.previous).toEqual(last);
    expect(report.draft.cells).toEqual({});

    const question = await openRow(officer, /^三、/, /二、上年结转/);
    const carried = APPLICANTS.map((c) => last.cells[`apply.carried_out.${c}`]);
    expect(question.text).toContain(`去年带入：自然人 ${carried[0]} · 商业企业 2`);
    expect(question.text).toContain("（来自去年）");
    expect(buttonTexts(question)[0]).toEqual(["确认去年的数"]);
    officer.press("确认去年的数", { messageId: question.messageId });
    const saved = await officer.nextReply();
    expect(saved.text).toContain("✅ 已保存：二、上年结转政府信息公开申请数量");
    const after = await newReportOf(81, 2023);
    expect(APPLICANTS.map((c) => after.draft.cells[`apply.carried_in.${c}`])).toEqual(carried);
    const history = await h.store.history(after.id, 20);
    expect(history.find((e) => e.target === "apply.carried_in.business")).toMatchObject({
      new: 2,
      source: "来自去年：2022年度报告 apply.carried_out.business",
    });
    // Answered now: no longer offered.
    const again = await openRow(officer, /^三、/, /二、上年结转/);
    expect(again.text).not.toContain("来自去年");
  });

  it("2019 format (2019 → 2020): also 上一年项目数量 from last year's 上一年项目数量 + 本年增/减; a partly pre-filled row is typed whole", async () => {
    h = await startHarness({ now: () => new Date("2021-01-05T02:00:00Z") });
    const last = withCells(
      { ...fixture("seed-2020"), year: 2019 },
      { "active.licensing.prev_items": 120, "active.licensing.delta": -7, "apply.carried_out.natural": 4 },
    );
    await seedFinished(82, last);
    const officer = h.officer(82);
    officer.send(`/new ${last.org} 2020`);
    await replyContaining(officer, "已新建");
    const report = await newReportOf(82, 2020);
    expect(report.draft.format).toBe("2019");
    expect(report.prefilled?.["active.licensing.prev_items"]?.value).toBe(113);
    expect(report.prefilled?.["apply.carried_in.natural"]?.value).toBe(4);

    const row = await openRow(officer, /^二、/, /行政许可/);
    expect(row.text).toContain("去年带入：上一年项目数量 113（来自去年）");
    expect(row.text).toContain("请连同这些数一起发整行");
    expect(buttonTexts(row).flat()).not.toContain("确认去年的数");
    officer.send("113 5 2");
    expect((await officer.nextReply()).text).toContain("✅ 已保存");
    expect((await newReportOf(82, 2020)).draft.cells["active.licensing.prev_items"]).toBe(113);
  });

  it("across the 2020 → 2021 format change: 结转 carries over into the 2021 format; typing another value keeps it", async () => {
    h = await startHarness({ now: () => new Date("2022-01-05T02:00:00Z") });
    const last = withCells(fixture("seed-2020"), { "apply.carried_out.natural": 3 });
    await seedFinished(83, last);
    const officer = h.officer(83);
    officer.send(`/new ${last.org} 2021`);
    await replyContaining(officer, "已新建");
    const report = await newReportOf(83, 2021);
    expect(report.draft.format).toBe("2021");
    expect(report.previous?.format).toBe("2019");
    expect(Object.keys(report.prefilled ?? {}).sort()).toEqual(APPLICANTS.map((c) => `apply.carried_in.${c}`).sort());
    expect(report.prefilled?.["apply.carried_in.natural"]?.value).toBe(3);

    const question = await openRow(officer, /^三、/, /二、上年结转/);
    expect(question.text).toContain("去年带入：自然人 3");
    officer.send("5 0 0 0 0 0");
    const saved = await officer.nextReply();
    // The cross-year rule compares the right cells across formats and names last year's figure.
    expect(saved.text).toContain("二、上年结转=5，但去年报告的四、结转下年度继续办理=3");
    const history = await h.store.history(report.id, 20);
    expect(history.find((e) => e.target === "apply.carried_in.natural")).not.toHaveProperty("source");
  });
});

describe("1 December: the invitation to start next year's report", () => {
  it("reaches the members of a finished report once; its button creates the year pre-filled, a second press opens it", async () => {
    const now = new Date("2024-12-01T02:00:00Z"); // 10:00 Beijing
    h = await startHarness({ now: () => now, storeNow: () => now });
    const lastYear = { ...fixture("report-2022"), year: 2023 };
    await seedFinished(84, lastYear);
    const officer = h.officer(84);
    const runner = new ReminderRunner({
      store: h.store,
      flows,
      now: () => now,
      logger: pino({ level: "silent" }),
      sendMessage: reminderSender({ BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: h.fake.apiRoot }),
    });
    expect((await runner.tick()).outcomes.sent).toBe(1);
    const invitation = await officer.nextReply();
    expect(invitation.text).toContain(`${lastYear.org} 2024年度的年报可以开始填了`);
    expect((await runner.tick()).outcomes.sent).toBe(0);

    officer.press("新建 2024 年度年报", { messageId: invitation.messageId });
    await replyContaining(officer, "已新建");
    const created = await newReportOf(84, 2024);
    expect(created.previous?.year).toBe(2023);
    expect(Object.keys(created.prefilled ?? {})).toHaveLength(6);
    expect((await h.store.getUser(84)).currentReportId).toBe(created.id);

    officer.press("新建 2024 年度年报", { messageId: invitation.messageId });
    expect((await officer.nextReply()).text).toContain("2024年度的报告已经建好了");
    expect((await h.store.listReports(84)).filter((r) => r.draft.year === 2024)).toHaveLength(1);
  });
});

describe("继续填写 in a reminder", () => {
  it("opens the report at its next open question and makes it the officer's current one", async () => {
    const now = new Date("2026-01-24T02:00:00Z"); // the 7-day stage of 31 January
    let storeNow = new Date("2025-12-01T00:00:00Z");
    h = await startHarness({ now: () => now, storeNow: () => storeNow });
    const other = await h.seedReport(85, { format: "2021", org: "别的街道", year: 2025, narrative: {}, cells: {} });
    const target = await h.store.createReport({
      draft: { ...fixture("report-2022"), year: 2025, cells: {} },
      members: [85],
      deadline: "2026-01-31",
    });
    await h.store.setUser(85, { currentReportId: other.id });
    const runner = new ReminderRunner({
      store: h.store,
      flows,
      now: () => now,
      logger: pino({ level: "silent" }),
      sendMessage: reminderSender({ BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: h.fake.apiRoot }),
    });
    storeNow = now;
    const officer = h.officer(85);
    await runner.tick();
    const reminder = await officer.nextReply();
    expect(reminder.text).toContain("距截止还有 7 天");
    expect(reminder.text).toContain("别的街道 2025年度");
    officer.press(/继续填写 · 杭州市/, { messageId: reminder.messageId });
    const question = await officer.nextReply();
    expect((await h.store.getUser(85)).currentReportId).toBe(target.id);
    expect(question.text).toContain("二、主动公开政府信息情况");
  });
});
