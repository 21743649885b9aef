import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { flowFor } from "../flows/index.js";
import type { Draft } from "../src/form/draft.js";
import { formSteps } from "../src/form/form-steps.js";
import { openInbox, openStore } from "../src/store/open-store.js";
import type { Store, StoredReport } from "../src/store/store.js";
import { BotProcess, START_TIMEOUT, waitUntil } from "./support/bot-process.js";
import { figuresFor, readDocx, tableAfter } from "./support/docx-cells.js";
import { type FakeTelegram, startFakeTelegram } from "./support/fake-telegram.js";
import { fixture } from "./support/fixtures.js";
import { OfficerScript, stepOfQuestion } from "./support/officer-script.js";
import { REDIS_URL } from "./support/redis-url.js";

/**
 * The real bot, started as `npm start` starts it, against a local Bot API
 * server. An officer fills a whole report by chat alone, the bot is killed
 * with SIGKILL twice on the way (right after a 已保存, and halfway through a
 * narrative part) and started again on the same store, and the .docx it sends
 * at the end carries every typed figure in its cell.
 */

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const TOKEN = "987654321:AAEndToEndTokenForTestsOnly_0123456789";
const OFFICER = { id: 4242, first_name: "王科员" };

type StoreKind = "redis" | "embedded";

/** The id of the last update the officer's actions queued, to know when the bot has confirmed it. */
function trackUpdates(fake: FakeTelegram): () => number {
  let last = 0;
  const push = fake.pushUpdate.bind(fake);
  fake.pushUpdate = (body) => {
    const update = push(body);
    last = update.update_id;
    return update;
  };
  return () => last;
}

interface Case {
  name: string;
  fixture: "seed-2020" | "report-2022";
  /** Killed right after this row's 已保存. */
  killAfterRow: string;
  /** Killed after the first of two messages of this part. */
  killInPart: string;
  tableZero: string[];
  /** Words the warnings /report asks about must contain (none: the document comes at once). */
  warnings: string[];
}

const CASES: Case[] = [
  {
    name: "the seed report (2019 format)",
    fixture: "seed-2020",
    killAfterRow: "active.procurement",
    killInPart: "problems",
    tableZero: ["review"],
    warnings: ["共44", "=41", "整改落实"],
  },
  {
    name: "a 2021-format report with non-zero figures",
    fixture: "report-2022",
    killAfterRow: "apply.new",
    killInPart: "overview.active",
    tableZero: [],
    // Filled by chat alone: the contact is not asked in the form, and /report's question about it is skipped.
    warnings: ["联系方式"],
  },
];

/** Everything a test started, stopped in reverse order afterwards. */
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function deleteRedisKeys(prefix: string): Promise<void> {
  const { Redis } = await import("ioredis");
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
}

/** The printed form of a typed figure: money in a column without its unit carries 万元 (FORMAT.md §3.1). */
function printed(draft: Draft, id: string, value: number): string {
  const def = flowFor(draft.format).cells.find((c) => c.id === id);
  return def?.kind === "money" && !def.column.includes("万元") ? `${value}万元` : String(value);
}

describe.each<StoreKind>(["redis", "embedded"])("the bot end to end on the %s store", (kind) => {
  it.each(CASES)(
    "fills $name by chat alone, loses nothing to two SIGKILLs, and sends a .docx with every figure in its cell",
    async (c) => {
      const fake = await startFakeTelegram({ token: TOKEN });
      cleanups.push(() => fake.close());
      const lastUpdateId = trackUpdates(fake);
      const dir = mkdtempSync(join(tmpdir(), "nianbao-e2e-"));
      cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
      const prefix = `nianbao-e2e:${randomBytes(6).toString("hex")}:`;
      const storeEnv: Record<string, string> =
        kind === "redis"
          ? { REDIS_URL, REDIS_PREFIX: prefix, REDIS_ALLOW_NO_AOF: "1", INSTANCE_ID: "e2e" }
          : { DATA_DIR: dir };
      if (kind === "redis") cleanups.push(() => deleteRedisKeys(prefix));

      const bot = new BotProcess(fake, {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? dir,
        BOT_TOKEN: TOKEN,
        TELEGRAM_API_ROOT: fake.apiRoot,
        LOG_LEVEL: "warn",
        // This test is about filling; reminders have their own season test (reminders-e2e).
        REMINDERS: "off",
        ...storeEnv,
      });
      cleanups.push(() => bot.stop());
      await bot.start();

      // The test's own connection to the bot's store, to see what it acknowledged.
      const store: Store = await openStore({
        ...(kind === "redis" ? { redisUrl: REDIS_URL } : {}),
        redisPrefix: prefix,
        dataDir: dir,
      });
      cleanups.push(() => store.close());
      const storedReport = async (): Promise<StoredReport> => {
        const { currentReportId } = await store.getUser(OFFICER.id);
        const report = currentReportId ? await store.getReport(currentReportId) : undefined;
        if (!report) throw new Error("the officer has no current report in the store");
        return report;
      };
      /**
       * Kills the bot once it has confirmed every update to Telegram and
       * handled every one in its inbox (so none is handled twice), and starts
       * it again.
       */
      let kills = 0;
      const inbox = await openInbox({
        ...(kind === "redis" ? { redisUrl: REDIS_URL } : {}),
        redisPrefix: prefix,
        dataDir: dir,
        instanceId: "e2e-observer",
      });
      cleanups.push(() => inbox.close());
      const killAndRestart = async () => {
        const last = lastUpdateId();
        await waitUntil(
          () => fake.calls.some((call) => call.method === "getUpdates" && Number(call.params.offset ?? 0) > last),
          5_000,
        );
        for (let until = Date.now() + 5_000; (await inbox.lag()) > 0 && Date.now() < until; ) {
          await new Promise((r) => setTimeout(r, 20));
        }
        expect(await inbox.lag()).toBe(0);
        await bot.kill();
        kills++;
        await bot.start();
      };

      const draft = fixture(c.fixture);
      const flow = flowFor(draft.format);
      const officer = fake.user(OFFICER);
      const script: OfficerScript = new OfficerScript(
        officer,
        flow,
        draft,
        {
          async afterRowSaved(step, reply) {
            if (step.row.id !== c.killAfterRow) return undefined;
            const before = await storedReport();
            for (const id of step.row.cells) expect(before.draft.cells[id]).toBe(draft.cells[id]);
            const next = stepOfQuestion(flow, reply.text);
            expect(next).toBeDefined();
            expect(before.cursor).toBe(next?.index);

            await killAndRestart();
            const shown = await script.say("/fill");
            expect(stepOfQuestion(flow, shown.text)?.index).toBe(next?.index);
            // The very question that came after 已保存. When the kill came before the bot recorded that
            // Telegram accepted that reply, the reply to /fill begins by saying it again (上次发的已保存).
            const question = shown.text.replace(/^上次发的已保存：[\s\S]*?\n\n/, "");
            expect(reply.text.endsWith(question)).toBe(true);
            expect(await storedReport()).toEqual(before); // version, cursor, draft: nothing lost, nothing added
            return shown;
          },
          async afterPartHalfSaved(step, _reply, written) {
            if (step.part.id !== c.killInPart) return;
            const before = await storedReport();
            expect(before.draft.narrative[step.part.id]).toBe(written);
            expect(before.cursor).toBe(step.index);

            await killAndRestart();
            const shown = await script.say("/fill");
            expect(stepOfQuestion(flow, shown.text)?.index).toBe(step.index);
            expect(shown.text).toContain(`已写 ${[...written].length} 字`);
            expect(await storedReport()).toEqual(before);
          },
        },
        { tableZero: c.tableZero },
      );

      await script.fill();
      expect(kills).toBe(2);

      // The store holds exactly what the officer sent.
      const final = await storedReport();
      expect(final.draft).toEqual(script.expected);
      expect(final.draft.cells).toEqual(
        Object.fromEntries(
          formSteps(flow)
            .flatMap((s) => (s.kind === "row" ? s.row.cells : []))
            .map((id) => [id, draft.cells[id]]),
        ),
      );

      const { document, warnings } = await script.report();
      for (const word of c.warnings) expect(warnings).toContain(word);
      if (c.warnings.length === 0) expect(warnings).toBe("");
      expect(document.fileName).toBe(`${draft.org}${draft.year}年政府信息公开工作年度报告.docx`);
      expect(document.caption).not.toContain("草稿");

      // Every figure, typed or set by a button, in the cell its row label and column position name.
      const doc = readDocx(document.bytes);
      let checked = 0;
      for (const step of formSteps(flow)) {
        if (step.kind !== "row") continue;
        const table = tableAfter(doc, step.section.heading);
        expect(table, step.section.heading).toBeDefined();
        const figures = figuresFor(table!, step.row.label);
        step.row.cells.forEach((id, i) => {
          expect(figures[i]?.text, `${step.row.label} · ${step.row.columns[i]}`).toBe(
            printed(draft, id, script.expected.cells[id]!),
          );
          checked++;
        });
      }
      expect(checked).toBe(Object.keys(script.expected.cells).length);
      expect(script.typedRows.size).toBeGreaterThan(0);
      // And every paragraph as the officer sent it.
      for (const text of Object.values(script.expected.narrative)) {
        for (const line of text.split("\n")) expect(doc.paragraphs.map((p) => p.text)).toContain(line.trim());
      }

      expect(fake.errors).toEqual([]);
      await bot.stop();
      expect(bot.errorLogs()).toEqual([]);
    },
    60_000,
  );
});

describe("stopping the bot", () => {
  it("drains, stops polling and closes the store on SIGTERM, exiting 0", async () => {
    const fake = await startFakeTelegram({ token: TOKEN });
    cleanups.push(() => fake.close());
    const dir = mkdtempSync(join(tmpdir(), "nianbao-e2e-"));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const env = {
      PATH: process.env.PATH ?? "",
      BOT_TOKEN: TOKEN,
      TELEGRAM_API_ROOT: fake.apiRoot,
      LOG_LEVEL: "info",
      DATA_DIR: dir,
    };
    const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
      cwd: ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let log = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (log += chunk));
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.once("exit", (code, signal) => resolve([code, signal])),
    );
    await waitUntil(() => log.includes('"msg":"polling"'), START_TIMEOUT);
    const officer = fake.user(OFFICER);
    officer.send("/new 某某街道 2025");
    expect((await officer.nextReply()).text).toContain("已新建");

    officer.send("/sections");
    child.kill("SIGTERM");
    expect(await exited).toEqual([0, null]);
    expect(log).toContain('"msg":"stopped"');
    // Whatever was in flight was answered or left for the next run: the store opens clean.
    const store = await openStore({ redisPrefix: "unused:", dataDir: dir });
    cleanups.push(() => store.close());
    expect(await store.listReports(OFFICER.id)).toHaveLength(1);
    expect(fake.errors).toEqual([]);
  }, 30_000);
});
