/**
 * One reminder stage to 10,000 officers, under Telegram's flood control.
 *
 *   npm run -s bench:reminders [-- --officers 10000]
 *
 * A local Bot API server (test/support/fake-telegram.ts) answers 429 with
 * retry_after when more than 30 messages arrive in one second, as Telegram
 * does per bot. 10,000 officers each have an unfinished report whose 7-day
 * stage is due; the reminder scheduler (src/reminders, real Redis at
 * REDIS_URL under a random key prefix deleted at the end) sends the stage.
 * Meanwhile one officer answers questions in another chat through the real
 * bot (createBot, long polling the same server), one answer a second.
 *
 * The floor is physical, not measured: 10,000 messages at the 25 a second the
 * scheduler allows itself take 400 s. Prints, each on its own line:
 *   ratio to the rate floor: X   (time taken / (officers / 25 s); target ≤ 1.1)
 *   lost: N                      (officers without their message; must be 0)
 *   duplicated: N                (messages beyond one per officer; must be 0)
 *   429s met: N                  (refusals the scheduler met and retried)
 * and for the officer answering meanwhile: their 429s and their slowest and
 * median reply. Exits 0 unless something crashed.
 */
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { run } from "@grammyjs/runner";
import { Redis } from "ioredis";
import pino from "pino";
import { flows } from "../flows/index.js";
import { createBot } from "../src/bot/create-bot.js";
import { formSteps } from "../src/form/form-steps.js";
import { ReminderRunner } from "../src/reminders/runner.js";
import { reminderSender } from "../src/reminders/start-reminders.js";
import { renderDocx } from "../src/report/render-docx.js";
import { renderHtml } from "../src/report/render-html.js";
import { openStore } from "../src/store/open-store.js";
import { startFakeTelegram } from "../test/support/fake-telegram.js";
import { REDIS_URL } from "../test/support/redis-url.js";

const { values } = parseArgs({ options: { officers: { type: "string", default: "10000" } } });
const OFFICERS = Number(values.officers);
const PER_SECOND = 25;
const TOKEN = "314159265:AABenchRemindersTokenOnly_0123456789ab";
const PREFIX = `nianbao-bench-reminders:${randomBytes(6).toString("hex")}:`;
/** The 7-day stage of 31 January 2027 is due (10:00 Beijing on the 24th). */
const STAGE_DAY = new Date("2027-01-24T02:00:00Z");
const BEFORE = new Date("2026-12-01T02:00:00Z");
const LIVE_OFFICER = 9_000_001;

const fake = await startFakeTelegram({ token: TOKEN, rateLimit: { perSecond: 30, retryAfter: 1 } });
let storeNow = BEFORE;
const store = await openStore({ redisUrl: REDIS_URL, redisPrefix: PREFIX, dataDir: "", now: () => storeNow });
const silent = pino({ level: "silent" });

try {
  // Officers and their reports, as the bot would have stored them in December.
  for (let i = 1; i <= OFFICERS; i++) fake.user({ id: i, first_name: `科员${i}` });
  const seeding: Promise<unknown>[] = [];
  for (let i = 1; i <= OFFICERS; i++) {
    seeding.push(
      store.createReport({
        draft: { format: "2021", org: `单位${i}`, year: 2026, narrative: {}, cells: { "apply.new.natural": 1 } },
        members: [i],
        deadline: "2027-01-31",
      }),
    );
    if (seeding.length >= 200) await Promise.all(seeding.splice(0));
  }
  await Promise.all(seeding);

  // The officer who keeps working meanwhile, through the real bot.
  const flow = flows.flowFor("2021");
  const rows = formSteps(flow).filter((s) => s.kind === "row");
  const live = await store.createReport({
    draft: { format: "2021", org: "在线街道", year: 2026, narrative: {}, cells: {} },
    members: [LIVE_OFFICER],
    deadline: "2027-01-31",
  });
  await store.updateReport(live.id, live.version, { cursor: rows[0]?.index ?? 0, muted: [LIVE_OFFICER] }, []);
  await store.setUser(LIVE_OFFICER, { currentReportId: live.id });
  storeNow = STAGE_DAY;
  const bot = createBot(
    TOKEN,
    {
      store,
      logger: silent,
      now: () => STAGE_DAY,
      flows,
      downloadFile: async () => new Uint8Array(),
      renderDocx: (draft, options) => renderDocx(flows.flowFor(draft.format), draft, options),
      renderHtml: async (draft, options) => renderHtml(flows.flowFor(draft.format), draft, options),
    },
    { client: { apiRoot: fake.apiRoot } },
  );
  await bot.init();
  const polling = run(bot, { runner: { fetch: { timeout: 1 } } });
  const officer = fake.user({ id: LIVE_OFFICER, first_name: "在线科员" });

  const runner = new ReminderRunner(
    {
      store,
      flows,
      now: () => STAGE_DAY,
      logger: silent,
      sendMessage: reminderSender({ BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: fake.apiRoot }),
    },
    { perSecond: PER_SECOND, retryMs: 1000 },
  );

  let sending = true;
  const replies: number[] = [];
  const answering = (async () => {
    let row = 0;
    while (sending) {
      const step = rows[row % rows.length];
      if (step?.kind !== "row") break;
      const started = performance.now();
      officer.send(step.row.cells.map(() => "0").join(" "));
      await officer.nextReply({ timeoutMs: 30_000 });
      replies.push(performance.now() - started);
      row++;
      await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (performance.now() - started))));
    }
  })();

  const started = performance.now();
  let rounds = 0;
  for (;;) {
    rounds++;
    await runner.tick();
    const reached = new Set(
      fake.calls
        .filter((c) => c.method === "sendMessage" && Number(c.params.chat_id) <= OFFICERS)
        .map((c) => Number(c.params.chat_id)),
    );
    if (reached.size >= OFFICERS || rounds >= 20) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  const seconds = (performance.now() - started) / 1000;
  sending = false;
  await answering;
  await polling.stop();

  let lost = 0;
  let duplicated = 0;
  for (let i = 1; i <= OFFICERS; i++) {
    const got = fake.chat(i)?.events.length ?? 0;
    if (got === 0) lost++;
    if (got > 1) duplicated += got - 1;
  }
  const refusals = fake.errors.filter((e) => e.status === 429);
  const toLive = refusals.filter((e) => Number(e.params.chat_id) === LIVE_OFFICER).length;
  const sorted = [...replies].sort((a, b) => a - b);
  const floor = OFFICERS / PER_SECOND;
  console.log(
    `officers: ${OFFICERS}, sent in ${seconds.toFixed(1)} s (floor ${floor.toFixed(1)} s), ${rounds} tick(s)`,
  );
  console.log(`ratio to the rate floor: ${(seconds / floor).toFixed(3)}`);
  console.log(`lost: ${lost}`);
  console.log(`duplicated: ${duplicated}`);
  console.log(`429s met: ${refusals.length - toLive}`);
  console.log(`live officer 429s: ${toLive}`);
  console.log(`live officer replies: ${sorted.length}`);
  console.log(`live officer slowest reply: ${(sorted.at(-1) ?? 0).toFixed(0)} ms`);
  console.log(`live officer median reply: ${(sorted[Math.floor(sorted.length / 2)] ?? 0).toFixed(0)} ms`);
} finally {
  await store.close();
  await fake.close();
  const redis = new Redis(REDIS_URL);
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${PREFIX}*`, "COUNT", 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== "0");
  await redis.quit();
}
