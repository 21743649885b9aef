import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, expect, it } from "vitest";
import { flows } from "../flows/index.js";
import type { ReviewState } from "../src/form/review.js";
import { ReminderRunner } from "../src/reminders/runner.js";
import { openStore } from "../src/store/open-store.js";

/** A campaign's review states drive the Deadlines reminders: handed in or approved, none; returned, again. */

const dir = mkdtempSync(join(tmpdir(), "nianbao-campaign-remind-"));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

it("sends no reminder for a submitted or approved report and resumes for a returned one", async () => {
  let now = new Date("2026-12-20T02:00:00Z");
  const store = await openStore({ redisPrefix: "unused:", dataDir: dir, now: () => now });
  const states: (ReviewState | undefined)[] = [undefined, "submitted", "approved", "returned"];
  const ids: string[] = [];
  for (const [i, state] of states.entries()) {
    const r = await store.createReport({
      draft: { format: "2021", org: `单位${i}`, year: 2026, narrative: {}, cells: { "apply.new.natural": 1 } },
      members: [i + 1],
      deadline: "2027-01-31",
    });
    ids.push(r.id);
    if (state) await store.updateReport(r.id, 1, { review: { state, at: now.toISOString(), by: 99 } }, []);
  }
  const sent: number[] = [];
  const runner = new ReminderRunner(
    {
      store,
      flows,
      now: () => now,
      logger: pino({ level: "silent" }),
      sendMessage: async (chatId) => {
        sent.push(chatId);
      },
    },
    { perSecond: 1000, retryMs: 1 },
  );
  await runner.tick();
  // 24 January, 10:00 Beijing: the 7-day stage of 31 January.
  now = new Date("2027-01-24T02:00:00Z");
  await runner.tick();
  expect(sent.sort()).toEqual([1, 4]);
  // The submitted one is returned: the next stage reaches it again.
  const submitted = await store.getReport(ids[1] ?? "");
  if (!submitted) throw new Error("gone");
  await store.updateReport(
    submitted.id,
    submitted.version,
    { review: { state: "returned", at: now.toISOString(), by: 99 } },
    [],
  );
  now = new Date("2027-01-28T02:00:00Z");
  await runner.tick();
  expect(sent.filter((id) => id === 2)).toHaveLength(1);
  await store.close();
});
