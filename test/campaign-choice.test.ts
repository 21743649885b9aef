import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newCampaign } from "../src/campaign/campaign.js";
import { newCampaignId } from "../src/store/store.js";
import { type Harness, startHarness } from "./support/bot-harness.js";
import type { Officer } from "./support/fake-telegram.js";

/**
 * A supervisor of several campaigns: /dashboard and /collect ask which one,
 * and then act on that one; so do an administrator's /links and /dates.
 */

const ADMIN = 1;
const SUPERVISOR = 2;
const NOW = new Date("2027-01-05T02:00:00.000Z");

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const replyMatching = (officer: Officer, pattern: RegExp) =>
  until(`a reply matching ${pattern}`, () => officer.replies.find((r) => pattern.test(r.text)));

describe("a supervisor of two campaigns", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ now: () => NOW, admins: [ADMIN] });
    let updateId = 1;
    for (const [name, units, created] of [
      ["西湖区年报", ["甲街道"], "2027-01-01T00:00:00Z"],
      ["拱墅区年报", ["乙镇", "丙局"], "2027-01-02T00:00:00Z"],
    ] as const) {
      const c = newCampaign(
        newCampaignId(),
        { name, year: 2026, dueDate: "2027-01-15", units: [...units], supervisors: [SUPERVISOR] },
        ADMIN,
        new Date(created),
      );
      await h.store.commit({ userId: ADMIN, updateId: updateId++, ack: "" }, { campaign: { next: c } });
    }
  });
  afterAll(async () => {
    await h.close();
  });

  it("/dashboard asks which campaign, then shows the one chosen", async () => {
    const sup = h.officer(SUPERVISOR);
    sup.send("/dashboard");
    const choice = await replyMatching(sup, /你有多项年报工作，请选一项/);
    sup.press("西湖区年报", { messageId: choice.messageId });
    const board = (await replyMatching(sup, /筛选：全部/)).text;
    expect(board).toMatch(/^西湖区年报/);
    expect(board).toContain("甲街道");
    expect(board).not.toContain("乙镇");
  });

  it("/collect asks which campaign, then collects the one chosen", async () => {
    const sup = h.officer(SUPERVISOR);
    sup.send("/collect");
    const choice = await replyMatching(sup, /你有多项年报工作，请选一项/);
    sup.press("拱墅区年报", { messageId: choice.messageId });
    const zip = await until("the zip", () => sup.documents.find((d) => d.fileName?.endsWith(".zip")));
    expect(zip.fileName).toBe("拱墅区年报汇总.zip");
    expect(zip.caption).toMatch(/未计入（尚未通过）2 个：乙镇、丙局/);
  });

  it("an administrator's /links and /dates ask which campaign, then act on the one chosen", async () => {
    const admin = h.officer(ADMIN);
    admin.send("/links");
    let choice = await replyMatching(admin, /你有多项年报工作，请选一项/);
    admin.press("拱墅区年报", { messageId: choice.messageId });
    const units = await replyMatching(admin, /「拱墅区年报」：给哪个单位换新的邀请链接/);
    admin.press("丙局", { messageId: units.messageId });
    await replyMatching(admin, /新的邀请链接（丙局）/);
    admin.send("/dates");
    const choices = () => admin.replies.filter((r) => r.text.includes("请选一项"));
    choice = await until("the second choice", () => (choices().length === 2 ? choices()[1] : undefined));
    admin.press("西湖区年报", { messageId: choice.messageId });
    await replyMatching(admin, /「西湖区年报」现在：内部截止 2027年1月15日/);
  });
});
