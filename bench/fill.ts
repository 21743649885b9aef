/**
 * Does an answer cost the same at the end of the form as at its start
 * (DESIGN.md principle 5)?
 *
 *   npm run -s bench:fill
 *
 * Drives the real bot (createBot) through `bot.handleUpdate` with the Bot API
 * stubbed at the client's fetch and a real Redis (REDIS_URL, a random key
 * prefix deleted at the end). An officer creates a 2021-format report with
 * /new (not timed), then answers: every row gets its numbers, every
 * narrative part one ~200-character message and the 完成 button; after the
 * whole form, /sections → a section → a row (goto) → its numbers, until 150
 * answers. An answer is a text message or a button press that saves
 * something (完成 and goto save the cursor). Prints:
 *   - the median time of the 1st and the 150th answer over 200 officers, and
 *     the same for row answers only (the first row vs the last row answer);
 *   - the bytes stored for one officer outside the report and its audit trail
 *     at answers 1 and 150, and the bytes handed to the store per answer;
 *   - checkReport runs per row answer (form/report-findings.ts counts them):
 *     passes of the checks that ran any rule, and how much of a full run they did;
 *   - the p99 of row answers while another officer's chat builds its .docx
 *     again and again (/report and its button), against the p99 without
 *     renders, with the render pool and, for comparison, on the main thread;
 *   - updates/s for 50 concurrent officers against a bare grammY bot that
 *     does one HSET and one reply per update (same stub, same concurrency).
 * Speed goals are not tests: exits 0 unless something crashed.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { Bot } from "grammy";
import type { InlineKeyboardMarkup, Update, UserFromGetMe } from "grammy/types";
import { Redis } from "ioredis";
import pino from "pino";
import { flowFor, flows } from "../flows/index.js";
import { decodeCallback } from "../src/bot/callback-data.js";
import type { Deps } from "../src/bot/context.js";
import { createBot } from "../src/bot/create-bot.js";
import { checkUnits } from "../src/form/check-report.js";
import { Draft } from "../src/form/draft.js";
import { type FormStep, formSteps } from "../src/form/form-steps.js";
import { checkCounts } from "../src/form/report-findings.js";
import { renderPool } from "../src/render-pool.js";
import { renderDocx } from "../src/report/render-docx.js";
import { openStore } from "../src/store/open-store.js";
import type { Store } from "../src/store/store.js";

const OFFICERS = 200;
const ANSWERS = 150;
const WARM_UP_OFFICERS = 3;
const CONCURRENT = 50;
const THROUGHPUT_ROUNDS = 3;
const TARGET = { ratio: 1.3, stored: 4096, throughput: 0.5, renderRatio: 1.5 };
/** Officers answering per round of the render figure. */
const RENDER_OFFICERS = 8;

const TOKEN = "123456789:AAFillBenchTokenNotARealOne_0123456789";
const botInfo: UserFromGetMe = {
  id: 123456789,
  is_bot: true,
  first_name: "年报助手",
  username: "nianbao_bench_bot",
  can_join_groups: false,
  can_read_all_group_messages: false,
  supports_inline_queries: false,
  can_connect_to_business: false,
  has_main_web_app: false,
  has_topics_enabled: false,
  allows_users_to_create_topics: false,
  can_manage_bots: false,
  supports_join_request_queries: false,
};

// ---------------------------------------------------------------------------
// The Bot API, stubbed at the client's fetch: every method succeeds; the last
// message sent to each chat (text and inline keyboard) is kept for pressing.

interface Sent {
  text: string;
  markup?: InlineKeyboardMarkup;
}

class StubTelegram {
  private messageId = 1_000_000;
  /** Messages sent to each chat since the last take(). */
  private readonly outbox = new Map<number, Sent[]>();
  private readonly last = new Map<number, Sent & { messageId: number }>();

  readonly fetch = async (url: string, init: { body?: unknown }) => {
    const method = url.slice(url.lastIndexOf("/") + 1);
    const payload = typeof init.body === "string" ? (JSON.parse(init.body) as Record<string, unknown>) : {};
    const result = this.answer(method, payload);
    return { ok: true, status: 200, json: async () => ({ ok: true, result }) };
  };

  private answer(method: string, p: Record<string, unknown>): unknown {
    switch (method) {
      case "sendMessage": {
        const chatId = Number(p.chat_id);
        const sent: Sent = { text: String(p.text ?? "") };
        if (p.reply_markup) sent.markup = p.reply_markup as InlineKeyboardMarkup;
        const message_id = ++this.messageId;
        this.last.set(chatId, { ...sent, messageId: message_id });
        const box = this.outbox.get(chatId) ?? [];
        box.push(sent);
        this.outbox.set(chatId, box);
        return {
          message_id,
          date: Math.floor(Date.now() / 1000),
          chat: { id: chatId, type: "private", first_name: "官员" },
          from: { id: botInfo.id, is_bot: true, first_name: botInfo.first_name, username: botInfo.username },
          text: sent.text,
          ...(sent.markup ? { reply_markup: sent.markup } : {}),
        };
      }
      case "getMe":
        return botInfo;
      default:
        // answerCallbackQuery, setMyCommands, editMessageReplyMarkup, …
        return true;
    }
  }

  /** The messages sent to a chat since the previous call. */
  take(chatId: number): Sent[] {
    const box = this.outbox.get(chatId) ?? [];
    this.outbox.delete(chatId);
    return box;
  }

  lastMessage(chatId: number): (Sent & { messageId: number }) | undefined {
    return this.last.get(chatId);
  }
}

// ---------------------------------------------------------------------------
// Updates as Telegram sends them for a private chat.

let updateId = 0;
let incomingId = 0;

function textUpdate(userId: number, text: string): Update {
  const command = text.match(/^\/\w+/)?.[0];
  return {
    update_id: ++updateId,
    message: {
      message_id: ++incomingId,
      date: Math.floor(Date.now() / 1000),
      chat: { id: userId, type: "private", first_name: `官员${userId}` },
      from: { id: userId, is_bot: false, first_name: `官员${userId}` },
      text,
      ...(command ? { entities: [{ type: "bot_command" as const, offset: 0, length: command.length }] } : {}),
    },
  };
}

function pressUpdate(userId: number, messageId: number, data: string): Update {
  return {
    update_id: ++updateId,
    callback_query: {
      id: `cq${updateId}`,
      from: { id: userId, is_bot: false, first_name: `官员${userId}` },
      chat_instance: `ci${userId}`,
      data,
      message: {
        message_id: messageId,
        date: Math.floor(Date.now() / 1000),
        chat: { id: userId, type: "private", first_name: `官员${userId}` },
        from: { id: botInfo.id, is_bot: true, first_name: botInfo.first_name },
        text: "…",
      },
    },
  };
}

// ---------------------------------------------------------------------------
// The store, wrapped to count what each answer hands to it.

interface StoreTally {
  /** Time spent waiting for store calls (officers of the latency run go one at a time). */
  storeMs: number;
  /** UTF-8 bytes of the JSON given to updateReport (change + audit), writeState and setUser. */
  argBytes: number;
  /** UTF-8 bytes of the whole report JSON a successful updateReport rewrites. */
  reportBytes: number;
  calls: Map<string, number>;
}

const newTally = (): StoreTally => ({ storeMs: 0, argBytes: 0, reportBytes: 0, calls: new Map() });
/** What the update being handled hands to the store (reset before each update). */
let tally = newTally();
/** Sizes are taken for the probe officer only, whose times are not counted: serialising takes time too. */
let sizing = false;
const jsonBytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value) ?? "");

function tallied(store: Store): Store {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== "function") return value;
      return async (...args: unknown[]) => {
        const t = tally;
        t.calls.set(String(prop), (t.calls.get(String(prop)) ?? 0) + 1);
        if (sizing && prop === "updateReport") t.argBytes += jsonBytes({ change: args[2], audit: args[3] });
        if (sizing && (prop === "writeState" || prop === "setUser")) t.argBytes += jsonBytes(args[1]);
        const start = performance.now();
        const result = await value.apply(target, args);
        t.storeMs += performance.now() - start;
        if (sizing && prop === "updateReport" && result?.ok) t.reportBytes += jsonBytes(result.report);
        return result;
      };
    },
  });
}

// ---------------------------------------------------------------------------
// An officer walking the form.

const flow = flowFor("2021");
const steps = formSteps(flow);
type RowStep = Extract<FormStep, { kind: "row" }>;
const rowSteps = steps.filter((s): s is RowStep => s.kind === "row");
const NARRATIVE =
  "本年度，我单位认真贯彻落实《中华人民共和国政府信息公开条例》，坚持以公开为常态、不公开为例外，围绕中心工作，加强政策解读和回应关切，不断提升政府信息公开质量，主动公开各类信息，依法办理依申请公开事项，进一步完善工作机制，强化平台建设和监督保障，取得了较好成效。全年未发生因信息公开引发的行政复议和行政诉讼案件，工作人员业务能力持续提高，群众满意度稳步提升，为下一步工作打下了良好基础。";

type AnswerKind = "part text" | "完成" | "row" | "goto";
interface Answer {
  n: number;
  kind: AnswerKind;
  ms: number;
  /** Of which waiting for the store. */
  storeMs: number;
  /** The checks this answer ran (form/report-findings.ts counts). */
  checks: CheckCounts;
}

type CheckCounts = typeof checkCounts;
/** The checks the update being handled ran (set after each update). */
let lastChecks: CheckCounts = { passes: 0, full: 0, units: 0 };

/** Numbers for a row: one per cell, the first one varying so a re-answer changes the draft. */
function numbersFor(step: RowStep, seed: number): string {
  return step.row.cells.map((_, i) => (i === 0 ? String(1 + (seed % 7)) : "0")).join(" ");
}

class Officer {
  constructor(
    readonly id: number,
    private readonly handle: (u: Update) => Promise<void>,
    private readonly telegram: StubTelegram,
  ) {}

  /** Handles one update; returns its time and the messages the bot sent. */
  private async deliver(update: Update): Promise<{ ms: number; replies: Sent[] }> {
    this.telegram.take(this.id);
    tally = newTally();
    const checksBefore = { ...checkCounts };
    const start = performance.now();
    await this.handle(update);
    const ms = performance.now() - start;
    lastChecks = {
      passes: checkCounts.passes - checksBefore.passes,
      full: checkCounts.full - checksBefore.full,
      units: checkCounts.units - checksBefore.units,
    };
    const replies = this.telegram.take(this.id);
    const failed = replies.find((r) => r.text.startsWith("抱歉，出错了"));
    if (failed) throw new Error(`officer ${this.id}: the bot failed on ${JSON.stringify(update).slice(0, 200)}`);
    return { ms, replies };
  }

  async send(text: string, expect?: string): Promise<number> {
    const { ms, replies } = await this.deliver(textUpdate(this.id, text));
    if (expect && !replies.some((r) => r.text.includes(expect)))
      throw new Error(`officer ${this.id}: "${text.slice(0, 40)}" got ${JSON.stringify(replies.map((r) => r.text))}`);
    return ms;
  }

  /** Presses the button of the chat's last message whose data matches. */
  async press(match: (data: string, text: string) => boolean, what: string): Promise<number> {
    const last = this.telegram.lastMessage(this.id);
    const button = last?.markup?.inline_keyboard
      .flat()
      .find((b) => "callback_data" in b && match(b.callback_data, b.text));
    if (!last || !button || !("callback_data" in button))
      throw new Error(`officer ${this.id}: no ${what} button on ${JSON.stringify(last?.text.slice(0, 80))}`);
    const { ms, replies } = await this.deliver(pressUpdate(this.id, last.messageId, button.callback_data));
    if (replies.length === 0) throw new Error(`officer ${this.id}: pressing ${what} sent nothing`);
    return ms;
  }

  /** /new: a fresh 2021-format report, made current. */
  async create(): Promise<void> {
    await this.send(`/new 单位${this.id} 2025`, "已新建");
  }

  /**
   * Gives `limit` answers (the whole form first, then rows changed from
   * /sections), calling `onAnswer` after each.
   */
  async answer(limit: number, onAnswer: (a: Answer) => Promise<void> | void): Promise<void> {
    let n = 0;
    const answered = async (kind: AnswerKind, ms: number) =>
      onAnswer({ n: ++n, kind, ms, storeMs: tally.storeMs, checks: lastChecks });
    for (const step of steps) {
      if (n >= limit) return;
      if (step.kind === "row") {
        await answered("row", await this.send(numbersFor(step, n), "已保存"));
        continue;
      }
      await answered("part text", await this.send(NARRATIVE, "已保存"));
      if (n >= limit) return;
      await answered("完成", await this.press((_, text) => text === "完成", "完成"));
    }
    for (let i = 0; n < limit; i++) {
      const step = rowSteps[i % rowSteps.length]!;
      const section = flow.sections.indexOf(step.section);
      await this.send("/sections");
      await this.press((data) => isAction(data, "section", section), "section");
      await answered("goto", await this.press((data) => isAction(data, "goto", step.index), "goto"));
      if (n >= limit) return;
      await answered("row", await this.send(numbersFor(step, n), "已保存"));
    }
  }
}

function isAction(data: string, action: string, arg: number): boolean {
  const callback = decodeCallback(data);
  return callback?.action === action && String(callback.arg) === String(arg);
}

// ---------------------------------------------------------------------------
// Redis: bytes stored for one officer outside the report and its audit trail.

interface KeyBytes {
  key: string;
  value: number;
  memory: number;
}

async function officerBytes(redis: Redis, prefix: string, userId: number): Promise<KeyBytes[]> {
  const keys = (await scanKeys(redis, prefix)).filter(
    (k) => k.endsWith(`:${userId}`) && !/^(?:report|audit):/.test(k.slice(prefix.length)),
  );
  const out: KeyBytes[] = [];
  for (const key of keys.sort()) {
    const type = await redis.type(key);
    let value = 0;
    if (type === "string") value = await redis.strlen(key);
    else if (type === "set") value = (await redis.smembers(key)).reduce((s, m) => s + Buffer.byteLength(m), 0);
    else if (type === "hash") {
      for (const field of await redis.hkeys(key)) value += Buffer.byteLength(field) + (await redis.hstrlen(key, field));
    } else if (type === "list") value = (await redis.lrange(key, 0, -1)).reduce((s, m) => s + Buffer.byteLength(m), 0);
    const memory = Number(await redis.call("MEMORY", "USAGE", key));
    out.push({ key: key.slice(prefix.length), value, memory });
  }
  return out;
}

async function scanKeys(redis: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = "0";
  do {
    const [next, batch] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== "0");
  return keys;
}

// ---------------------------------------------------------------------------

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const ms = (x: number) => `${x.toFixed(2)} ms`;
const int = (x: number) => Math.round(x).toLocaleString("en-US");
const sum = (xs: KeyBytes[], f: (k: KeyBytes) => number) => xs.reduce((s, k) => s + f(k), 0);
const describe = (xs: KeyBytes[]) => xs.map((k) => `${k.key} ${k.value}`).join(", ") || "none";

const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const prefix = `nianbao-bench:${randomBytes(6).toString("hex")}:`;
const redis = new Redis(redisUrl);
const store = await openStore({ redisUrl, redisPrefix: prefix, dataDir: "" });
const telegram = new StubTelegram();
const pool = renderPool({ minThreads: 1, maxThreads: 2 });
/** Renders done and their times, whichever renderer did them. */
const rendered: number[] = [];
const timedRender =
  (render: Deps["renderDocx"]): Deps["renderDocx"] =>
  async (draft, options) => {
    const start = performance.now();
    const bytes = await render(draft, options);
    rendered.push(performance.now() - start);
    return bytes;
  };
const deps: Deps = {
  store: tallied(store),
  logger: pino({ level: "silent" }),
  now: () => new Date(),
  flows,
  renderDocx: timedRender(pool.render),
  renderHtml: pool.renderHtml,
  downloadFile: async () => {
    throw new Error("the fill bench sends no documents");
  },
};
const bot = createBot(TOKEN, deps, { botInfo, client: { fetch: telegram.fetch as never } });
const handle = (u: Update) => bot.handleUpdate(u);
/** The same bot rendering on the main thread, as before the pool: the comparison for the render figure. */
const mainThreadBot = createBot(
  TOKEN,
  { ...deps, renderDocx: timedRender((draft, options) => renderDocx(flows.flowFor(draft.format), draft, options)) },
  { botInfo, client: { fetch: telegram.fetch as never } },
);
const mainThreadHandle = (u: Update) => mainThreadBot.handleUpdate(u);

try {
  // --- Latency of the 1st and the 150th answer, officers one after another.
  const formAnswers = steps.reduce((n, s) => n + (s.kind === "row" ? 1 : 2), 0);
  const byAnswer = new Map<number, Answer[]>();
  const samples = new Map<number, StoreTally>();
  let stored: { first: KeyBytes[]; last: KeyBytes[] } | undefined;
  let userId = 10_000;
  const started = performance.now();
  for (let i = 0; i < WARM_UP_OFFICERS + OFFICERS; i++) {
    const officer = new Officer(++userId, handle, telegram);
    const measured = i >= WARM_UP_OFFICERS;
    // The last warm-up officer is the probe: sizes and Redis contents, not times.
    const probe = i === WARM_UP_OFFICERS - 1;
    let firstBytes: KeyBytes[] = [];
    sizing = probe;
    await officer.create();
    await officer.answer(ANSWERS, async (answer) => {
      if (measured) {
        const list = byAnswer.get(answer.n) ?? [];
        list.push(answer);
        byAnswer.set(answer.n, list);
      }
      if (probe) {
        samples.set(answer.n, tally);
        if (answer.n === 1) firstBytes = await officerBytes(redis, prefix, officer.id);
        if (answer.n === ANSWERS) stored = { first: firstBytes, last: await officerBytes(redis, prefix, officer.id) };
      }
    });
    sizing = false;
  }
  const latencySeconds = (performance.now() - started) / 1000;

  const at = (n: number) => byAnswer.get(n) ?? [];
  const kindOf = (n: number) => at(n)[0]?.kind ?? "?";
  const med = (n: number) => median(at(n).map((a) => a.ms));
  const medStore = (n: number) => median(at(n).map((a) => a.storeMs));
  const point = (n: number) => `answer ${n} (${kindOf(n)}) ${ms(med(n))} [store ${ms(medStore(n))}]`;
  const compare = (a: number, b: number) => `${point(a)} → ${point(b)}, ratio ${(med(b) / med(a)).toFixed(2)}`;
  const numbered = [...byAnswer.keys()].sort((a, b) => a - b);
  const rows = numbered.filter((n) => kindOf(n) === "row");
  const [firstRow, lastRow] = [rows[0] ?? 1, rows.at(-1) ?? ANSWERS];
  const fullRow = rows.find((n) => n > formAnswers) ?? firstRow;
  const fullGoto = numbered.find((n) => kindOf(n) === "goto") ?? ANSWERS;
  const lastGoto = numbered.filter((n) => kindOf(n) === "goto").at(-1) ?? ANSWERS;
  const where = ANSWERS > formAnswers ? `after the whole form (${formAnswers} answers)` : "within the form";

  console.log(
    `${OFFICERS} officers × ${ANSWERS} answers, 2021 format (${steps.length} steps; ${formAnswers} answers fill it, ` +
      `so answer ${ANSWERS} is ${where}; 完成 and goto count as answers), ${latencySeconds.toFixed(0)} s`,
  );
  console.log(
    `first answer (${kindOf(1)}) median ${ms(med(1))}, answer ${ANSWERS} (${kindOf(ANSWERS)}) median ${ms(med(ANSWERS))}, ` +
      `ratio ${(med(ANSWERS) / med(1)).toFixed(2)} (target <= ${TARGET.ratio}); ` +
      `of which waiting for the store ${ms(medStore(1))} and ${ms(medStore(ANSWERS))}`,
  );
  console.log(`same kind of answer [of which waiting for the store]: rows ${compare(firstRow, lastRow)}`);
  console.log(`once the form is full: rows ${compare(fullRow, lastRow)}; goto ${compare(fullGoto, lastGoto)}`);

  if (stored) {
    const a = sum(stored.first, (k) => k.value);
    const b = sum(stored.last, (k) => k.value);
    console.log(
      `stored outside report+audit for one officer (STRLEN / set member bytes): ${int(a)} B at answer 1, ` +
        `${int(b)} B at answer ${ANSWERS} (target <= ${TARGET.stored}); MEMORY USAGE ${int(sum(stored.first, (k) => k.memory))} B / ` +
        `${int(sum(stored.last, (k) => k.memory))} B; keys at ${ANSWERS}: ${describe(stored.last)}`,
    );
  }
  const points = [1, Math.round(ANSWERS / 2), ANSWERS];
  const sample = (n: number) => samples.get(n) ?? newTally();
  console.log(
    `bytes handed to the store per answer (JSON of updateReport change+audit, writeState, setUser): ` +
      points.map((n) => `${int(sample(n).argBytes)} (answer ${n}, ${kindOf(n)})`).join(" / "),
  );
  const calls = (n: number) => [...sample(n).calls].map(([k, v]) => `${k} ${v}`).join(", ");
  console.log(
    `whole report JSON the store rewrites: ${points.map((n) => int(sample(n).reportBytes)).join(" / ")} B; ` +
      `store calls: ${points.map((n) => `answer ${n}: ${calls(n)}`).join("; ")}`,
  );

  // --- Checks per row answer, over the measured officers' row answers.
  const rowAnswers = [...byAnswer.values()].flat().filter((a) => a.kind === "row");
  const perRow = (f: (c: CheckCounts) => number) => rowAnswers.reduce((s, a) => s + f(a.checks), 0) / rowAnswers.length;
  const unitsPerRun = checkUnits(flow).length;
  console.log(`checkReport runs per row answer: ${perRow((c) => c.passes).toFixed(2)}`);
  console.log(
    `  (a run is a pass of the checks that ran any rule: ${perRow((c) => c.full).toFixed(3)} full passes and ` +
      `${perRow((c) => c.passes - c.full).toFixed(3)} incremental ones per row answer; rules re-run per row answer ` +
      `${perRow((c) => c.units).toFixed(1)} of ${unitsPerRun} check units, i.e. ` +
      `${(perRow((c) => c.units) / unitsPerRun).toFixed(3)} full-run equivalents; ${int(rowAnswers.length)} row answers)`,
  );

  // --- Row answers of some officers while another officer's chat builds its .docx again and again.
  const renderDraft = Draft.parse(
    JSON.parse(readFileSync(new URL("../test/fixtures/report-2022.json", import.meta.url), "utf8")),
  );

  /** /report, then its 确认生成 or 生成草稿 button when the checks ask for one: one render. Returns renders done. */
  async function renderLoop(handleUpdate: (u: Update) => Promise<void>, stop: () => boolean): Promise<number> {
    const id = ++userId;
    const report = await store.createReport({ draft: renderDraft, members: [id] });
    await store.setUser(id, { currentReportId: report.id });
    let loops = 0;
    while (!stop()) {
      telegram.take(id);
      await handleUpdate(textUpdate(id, "/report"));
      const ask = telegram.take(id).find((m) => m.markup);
      const button = ask?.markup?.inline_keyboard
        .flat()
        .find((b) => "callback_data" in b && decodeCallback(b.callback_data)?.action === "finalize");
      const last = telegram.lastMessage(id);
      if (button && last && "callback_data" in button)
        await handleUpdate(pressUpdate(id, last.messageId, button.callback_data));
      loops++;
    }
    return loops;
  }

  const p99 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.max(0, Math.ceil(xs.length * 0.99) - 1)] ?? 0;

  /** The row answer times of one officer (ANSWERS answers), while another chat renders or not. */
  async function rowTimes(handleUpdate: (u: Update) => Promise<void>, withRenders: boolean): Promise<number[]> {
    let done = false;
    const before = rendered.length;
    const loop = withRenders ? renderLoop(handleUpdate, () => done) : Promise.resolve(0);
    const times: number[] = [];
    try {
      const officer = new Officer(++userId, handleUpdate, telegram);
      await officer.create();
      await officer.answer(ANSWERS, (a) => {
        if (a.kind === "row") times.push(a.ms);
      });
    } finally {
      done = true;
      await loop;
    }
    if (withRenders && rendered.length === before)
      throw new Error("no report was rendered while the rows were answered");
    return times;
  }

  /** p99s of one round: officers alternately without and with renders, so the machine's load drifts alike for both. */
  async function renderRound(
    handleUpdate: (u: Update) => Promise<void>,
    officers: number,
  ): Promise<{ without: number; with: number; renders: number[] }> {
    const without: number[] = [];
    const withRenders: number[] = [];
    const from = rendered.length;
    for (let i = 0; i < officers; i++) {
      without.push(...(await rowTimes(handle, false)));
      withRenders.push(...(await rowTimes(handleUpdate, true)));
    }
    return { without: p99(without), with: p99(withRenders), renders: rendered.slice(from) };
  }

  await pool.render(renderDraft, {}); // a warm worker, as in production (minThreads 1)
  const rounds: { without: number; with: number; renders: number[] }[] = [];
  for (let round = 0; round < THROUGHPUT_ROUNDS; round++) rounds.push(await renderRound(handle, RENDER_OFFICERS));
  const poolRenders = rounds.flatMap((r) => r.renders);
  // For comparison, once and smaller (each answer waits for renders there): rendering on the main thread.
  const onMain = await renderRound(mainThreadHandle, 1);
  /** Main-thread busy time per /report cycle (its updates and the render), that chat alone for a while. */
  async function mainThreadPerRender(handleUpdate: (u: Update) => Promise<void>): Promise<number> {
    let done = false;
    const timer = setTimeout(() => {
      done = true;
    }, 3000);
    const start = performance.eventLoopUtilization();
    const loops = await renderLoop(handleUpdate, () => done);
    clearTimeout(timer);
    return performance.eventLoopUtilization(start).active / loops;
  }
  const busy = { pool: await mainThreadPerRender(handle), mainThread: await mainThreadPerRender(mainThreadHandle) };
  const spread = (xs: number[]) =>
    `${median(xs).toFixed(2)} [${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}]`;
  console.log(
    `p99 row answer while another chat renders, ratio to p99 without: ${spread(rounds.map((r) => r.with / r.without))}`,
  );
  console.log(
    `  (target <= ${TARGET.renderRatio}; median of ${THROUGHPUT_ROUNDS} rounds, each ${RENDER_OFFICERS} officers × ` +
      `${ANSWERS} answers, alternately without and with renders; p99 ` +
      `${rounds.map((r) => `${ms(r.without)} → ${ms(r.with)}`).join(", ")}; ` +
      `${poolRenders.length} renders in the worker pool meanwhile, median ${ms(median(poolRenders))}; ` +
      `rendering on the main thread instead (1 officer, 1 round): ratio ${(onMain.with / onMain.without).toFixed(2)}, ` +
      `${onMain.renders.length} renders, median ${ms(median(onMain.renders))})`,
  );
  console.log(
    `  main thread busy per /report cycle (its updates and the render; event-loop utilisation, the rendering chat ` +
      `alone for 3 s): ${ms(busy.pool)} with the worker pool, ${ms(busy.mainThread)} rendering on the main thread`,
  );

  // --- Throughput: 50 officers at once, each one update after another.
  const perOfficer = formAnswers;
  const total = CONCURRENT * perOfficer;
  const floorBot = new Bot(TOKEN, { botInfo, client: { fetch: telegram.fetch as never } });
  floorBot.on("message", async (ctx) => {
    await redis.hset(`${prefix}floor:${ctx.chat.id}`, String(ctx.message.message_id), ctx.message.text ?? "");
    await ctx.reply("ok");
  });

  async function botRound(): Promise<number> {
    const officers = Array.from({ length: CONCURRENT }, () => new Officer(++userId, handle, telegram));
    // Creating the reports is not part of the count.
    await Promise.all(officers.map((o) => o.create()));
    let updates = 0;
    const start = performance.now();
    await Promise.all(
      officers.map((o) =>
        o.answer(perOfficer, () => {
          updates++;
        }),
      ),
    );
    const seconds = (performance.now() - start) / 1000;
    if (updates !== total) throw new Error(`expected ${total} updates, counted ${updates}`);
    return total / seconds;
  }

  async function floorRound(): Promise<number> {
    const users = Array.from({ length: CONCURRENT }, () => ++userId);
    const start = performance.now();
    await Promise.all(
      users.map(async (id) => {
        for (let i = 0; i < perOfficer; i++) await floorBot.handleUpdate(textUpdate(id, `${i} 0 0 0 0 0`));
      }),
    );
    return total / ((performance.now() - start) / 1000);
  }

  const botRates: number[] = [];
  const floorRates: number[] = [];
  for (let round = 0; round < THROUGHPUT_ROUNDS; round++) {
    floorRates.push(await floorRound());
    botRates.push(await botRound());
  }
  const rate = median(botRates);
  const floor = median(floorRates);
  console.log(
    `throughput ${int(rate)} updates/s vs floor ${int(floor)} updates/s (bare grammY bot: one HSET, one reply), ` +
      `ratio ${(rate / floor).toFixed(2)} (target >= ${TARGET.throughput}); ${CONCURRENT} concurrent officers × ` +
      `${perOfficer} answers, median of ${THROUGHPUT_ROUNDS} rounds`,
  );
} finally {
  const keys = await scanKeys(redis, prefix);
  for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
  await pool.close();
  await store.close();
  await redis.quit();
}
