import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { flows } from "../flows/index.js";
import { changeCampaign, newCampaign } from "../src/campaign/campaign.js";
import { digestDue, sendCampaignDigests } from "../src/reminders/campaign-digest.js";
import { openStore } from "../src/store/open-store.js";
import { newCampaignId, type StoredReport } from "../src/store/store.js";

const dates = { dueDate: "2027-01-15", deadline: "2027-01-31" };
const at = (iso: string) => Date.parse(iso);

describe("when the supervisors' digest is due", () => {
  it("the day after the internal due date at 09:30 Beijing, then weekly until the publication deadline", () => {
    expect(digestDue(dates, at("2027-01-16T01:29:00Z"))).toBeUndefined();
    expect(digestDue(dates, at("2027-01-16T01:30:00Z"))).toBe("digest-2027-01-16");
    expect(digestDue(dates, at("2027-01-20T05:00:00Z"))).toBe("digest-2027-01-16");
    expect(digestDue(dates, at("2027-01-23T01:30:00Z"))).toBe("digest-2027-01-23");
    expect(digestDue(dates, at("2027-01-30T03:00:00Z"))).toBe("digest-2027-01-30");
    expect(digestDue(dates, at("2027-02-06T03:00:00Z"))).toBeUndefined();
  });
  it("never at night: a digest falling due waits for the morning", () => {
    expect(digestDue(dates, at("2027-01-23T14:00:00Z"))).toBeUndefined(); // 22:00 Beijing
    expect(digestDue(dates, at("2027-01-24T00:00:00Z"))).toBe("digest-2027-01-23"); // 08:00
  });
});

const dir = mkdtempSync(join(tmpdir(), "nianbao-digest-"));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

it("sends each supervisor one digest a week listing the units not handed in, and none when all are", async () => {
  let now = new Date("2027-01-10T02:00:00Z");
  const store = await openStore({ redisPrefix: "unused:", dataDir: dir, now: () => now });
  const c0 = newCampaign(
    newCampaignId(),
    { name: "西湖区年报", year: 2026, ...dates, units: ["甲街道", "乙镇", "丙局"], supervisors: [2, 3] },
    1,
    now,
  );
  const reports: StoredReport[] = [];
  for (const unit of c0.units.slice(0, 2))
    reports.push(
      await store.createReport({
        draft: { format: "2021", org: unit.name, year: 2026, narrative: {}, cells: { "apply.new.natural": 1 } },
        members: [10 + reports.length],
        campaign: { id: c0.id, unitId: unit.id },
      }),
    );
  const c = changeCampaign(
    c0,
    { units: c0.units.map((u, i) => ({ ...u, ...(reports[i] ? { reportId: reports[i]?.id } : {}) })) },
    now,
  );
  await store.commit({ userId: 1, updateId: 1, ack: "" }, { campaign: { next: { ...c, version: 1 } } });
  const first = reports[0];
  if (!first) throw new Error("no report");
  await store.updateReport(first.id, 1, { review: { state: "submitted", at: now.toISOString(), by: 10 } }, []);

  const sent: { chatId: number; text: string }[] = [];
  const deps = {
    store,
    flows,
    sendMessage: async (chatId: number, view: { text: string }) => sent.push({ chatId, text: view.text }),
  };
  expect(await sendCampaignDigests(deps, now, "a")).toBe(0); // before the due date
  now = new Date("2027-01-16T02:00:00Z");
  expect(await sendCampaignDigests(deps, now, "a")).toBe(2);
  expect(await sendCampaignDigests(deps, now, "b")).toBe(0); // once per week, whichever runner looks
  expect(sent.map((s) => s.chatId).sort()).toEqual([2, 3]);
  expect(sent[0]?.text).toMatch(/还有 2 个单位未提交/);
  expect(sent[0]?.text).toContain("乙镇 — 填写中");
  expect(sent[0]?.text).toContain("丙局 — 未开始");
  expect(sent[0]?.text).not.toContain("甲街道");
  now = new Date("2027-01-23T02:00:00Z");
  expect(await sendCampaignDigests(deps, now, "a")).toBe(2);
  // Everyone handed in: nothing to say the next week.
  const second = reports[1];
  if (!second) throw new Error("no report");
  await store.updateReport(second.id, 1, { review: { state: "approved", at: now.toISOString(), by: 2 } }, []);
  const stored = await store.getCampaign(c.id);
  if (!stored) throw new Error("gone");
  const third = await store.createReport({
    draft: { format: "2021", org: "丙局", year: 2026, narrative: {}, cells: {} },
    members: [20],
    campaign: { id: c.id, unitId: "u3" },
  });
  await store.updateReport(third.id, 1, { review: { state: "submitted", at: now.toISOString(), by: 20 } }, []);
  await store.commit(
    { userId: 1, updateId: 2, ack: "" },
    {
      campaign: {
        next: changeCampaign(
          stored,
          { units: stored.units.map((u) => (u.id === "u3" ? { ...u, reportId: third.id } : u)) },
          now,
        ),
      },
    },
  );
  now = new Date("2027-01-30T02:00:00Z");
  expect(await sendCampaignDigests(deps, now, "a")).toBe(0);
  expect(sent).toHaveLength(4);
  await store.close();
});
