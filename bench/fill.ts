/**
 * What an answer costs, and does it cost the same at the end of the form as
 * at its start (DESIGN.md principle 5; issue "Speed")?
 *
 *   npm run -s bench:fill
 *
 * Drives the real bot (createBot) with the Bot API stubbed at the client's
 * fetch and a real Redis (REDIS_URL, a random key prefix deleted at the end).
 * Every update goes through the durable inbox as in production: appended to
 * the Redis inbox, taken by an InboxConsumer, handled, acknowledged; the
 * officer waits for that acknowledgement before the next update. An officer
 * creates a 2021-format report with /new (not timed), then answers: every
 * row gets its numbers, every narrative part one ~200-character message and
 * the 完成 button; after the whole form, /sections → a section → a row
 * (goto) → its numbers, until 150 answers. An answer is a text message or a
 * button press that saves something (完成 and goto save the cursor).
 *
 * Round trips and bytes are counted at the Redis client: every command
 * written to a socket from the moment the consumer hands the update to the
 * bot until the inbox acknowledged it (inbox commands included, the inbox's
 * own polling excluded), its bytes as written (RESP), and a round trip for
 * every command sent while none of that update's commands was outstanding.
 *
 * The floors are bare grammY bots through the same inbox: one doing one HSET
 * and one reply per update, one running one Lua script per update that does
 * the once-only check and update-id record, the version compare-and-set, the
 * changed cells as hash fields and an audit append with a trim. The lines
 * named in the issue come first; explanations follow indented.
 * Speed goals are not tests: exits 0 unless something crashed.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { Bot } from "grammy";
import type { InlineKeyboardMarkup, Update } from "grammy/types";
import { Command, Redis } from "ioredis";
import pino from "pino";
import { flowFor, flows } from "../flows/index.js";
import { decodeCallback } from "../src/bot/callback-data.js";
import type { Deps } from "../src/bot/context.js";
import { createBot } from "../src/bot/create-bot.js";
import { checkUnits } from "../src/form/check-report.js";
import { Draft } from "../src/form/draft.js";
import { type FormStep, formSteps } from "../src/form/form-steps.js";
import { checkCounts } from "../src/form/report-findings.js";
import { InboxConsumer } from "../src/intake/inbox-consumer.js";
import { recordSent, SentReplies } from "../src/intake/sent-replies.js";
import { renderPool } from "../src/render-pool.js";
import { renderDocx } from "../src/report/render-docx.js";
import type { InboxEntry } from "../src/store/inbox.js";
import { openStore } from "../src/store/open-store.js";
import { RedisInbox } from "../src/store/redis-inbox.js";
import { botInfo as testBotInfo } from "../test/support/bot-info.js";
import { testRedisUrl } from "../test/support/redis-url.js";

const OFFICERS = 200;
const ANSWERS = 150;
const WARM_UP_OFFICERS = 3;
const CONCURRENT = 50;
const ROUNDS = 3;
/** The least time a throughput round measures, in seconds (passes are repeated until it is reached). */
const ROUND_SECONDS = 1;
/** The row answers the issue compares (answer 13 is in the form, 149 after it, both rows of the 2021 format). */
const EARLY_ROW = 13;
const LATE_ROW = 149;
const TARGET = {
  ratio: 1.3,
  scriptFloor: 0.5,
  hsetFloor: 0.25,
  roundTrips: 2,
  bytes: 1536,
  checks: 1.0,
  renderRatio: 1.5,
  memory: 16384,
};
/** Officers answering per round of the render figure. */
const RENDER_OFFICERS = 8;

const TOKEN = "123456789:AAFillBenchTokenNotARealOne_0123456789";
const botInfo = testBotInfo({ id: 123456789, first_name: "年报助手", username: "nianbao_bench_bot" });

// ---------------------------------------------------------------------------
// The Bot API, stubbed at the client's fetch: every method succeeds; the last
// message sent to each chat (text and inline keyboard) is kept for pressing.

interface Sent {
  text: string;
  markup?: InlineKeyboardMarkup;
}

class StubTelegram {
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
        const message_id = ++messageIds;
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
/**
 * Message ids, one sequence for both directions as in a private chat: the
 * bot tells a text sent before its last question by a lower id.
 */
let messageIds = 0;

function textUpdate(userId: number, text: string): Update {
  const command = text.match(/^\/\w+/)?.[0];
  return {
    update_id: ++updateId,
    message: {
      message_id: ++messageIds,
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
// What one update's handling sends to Redis, counted where ioredis writes a
// command to its socket (Command.toWritable builds exactly the bytes written).

interface Tally {
  roundTrips: number;
  bytes: number;
  /** Commands by name (EVALSHA of a script counts as evalsha). */
  commands: Map<string, number>;
  /** Bytes by command, a script named by the kind of its first key (e.g. "evalsha handled"). */
  bytesBy: Map<string, number>;
  /** This update's commands written and not answered yet. */
  outstanding: number;
}

const newTally = (): Tally => ({ roundTrips: 0, bytes: 0, commands: new Map(), bytesBy: new Map(), outstanding: 0 });

/** "evalsha handled" for a script whose first key is `<prefix>handled:<id>`, else the command's name. */
function labelOf(command: Command): string {
  const key = command.name.startsWith("eval") ? command.args[2] : undefined;
  const kind = typeof key === "string" ? key.split(":").at(-2) : undefined;
  return kind ? `${command.name} ${kind}` : command.name;
}
/** The update being counted (officers of the latency run go one at a time). */
let counting: Tally | undefined;

/** The inbox's own polling (blocking reads, lease renewal) belongs to no update. */
function isInboxPolling(command: Command): boolean {
  if (command.name === "xreadgroup" || command.name === "xautoclaim") return true;
  return command.args.some((a) => typeof a === "string" && a.endsWith("inbox:consumers"));
}

const toWritable = Command.prototype.toWritable;
Command.prototype.toWritable = function (this: Command, socket) {
  const written = toWritable.call(this, socket);
  const t = counting;
  if (t && !isInboxPolling(this)) {
    const bytes = typeof written === "string" ? Buffer.byteLength(written) : written.length;
    t.bytes += bytes;
    const label = labelOf(this);
    t.bytesBy.set(label, (t.bytesBy.get(label) ?? 0) + bytes);
    t.commands.set(this.name, (t.commands.get(this.name) ?? 0) + 1);
    if (t.outstanding === 0) t.roundTrips++;
    t.outstanding++;
    const done = () => {
      t.outstanding--;
    };
    this.promise.then(done, done);
  }
  return written;
};

// ---------------------------------------------------------------------------
// The durable inbox in front of a bot, as in production (src/main.ts).

interface Inboxed {
  /** Appends the update and resolves once it was handled and acknowledged; the tally of its handling. */
  handle(update: Update, count?: boolean): Promise<Tally | undefined>;
  close(): Promise<void>;
}

async function throughInbox(
  inboxPrefix: string,
  name: string,
  handleUpdate: (u: Update) => Promise<void>,
  /** The bot's deferred reply records (Deps.sent), written with the inbox acknowledgement as in production. */
  sent?: SentReplies,
): Promise<Inboxed> {
  const inbox = await RedisInbox.connect(redisUrl, inboxPrefix, name);
  const waiting = new Map<number, { done: () => void; tally?: Tally }>();
  const ack = inbox.ack.bind(inbox);
  inbox.ack = async (entry: InboxEntry, ...also: Parameters<typeof ack> extends [unknown, ...infer R] ? R : never) => {
    await ack(entry, ...also);
    const waiter = waiting.get(entry.update.update_id);
    if (waiter?.tally && counting === waiter.tally) counting = undefined;
    waiter?.done();
  };
  const consumer = new InboxConsumer(
    inbox,
    async (update) => {
      const tally = waiting.get(update.update_id)?.tally;
      if (tally) counting = tally;
      await handleUpdate(update);
    },
    pino({ level: "silent" }),
    // As in production (src/main.ts): a reply is recorded as sent with the inbox acknowledgement.
    sent ? { sent: { replies: sent, record: recordSent(store) }, onHandover: () => store.forget() } : {},
  );
  consumer.start();
  return {
    async handle(update, count = false) {
      const tally = count ? newTally() : undefined;
      const handled = new Promise<void>((done) => waiting.set(update.update_id, { done, ...(tally ? { tally } : {}) }));
      await inbox.append([update]);
      await handled;
      waiting.delete(update.update_id);
      return tally;
    },
    async close() {
      await consumer.stop();
      await inbox.release();
      await inbox.close();
    },
  };
}

// ---------------------------------------------------------------------------
// An officer walking the form.

const flow = flowFor("2021");
const steps = formSteps(flow);
type RowStep = Extract<FormStep, { kind: "row" }>;
const rowSteps = steps.filter((s): s is RowStep => s.kind === "row");
const NARRATIVE =
  "本年度，我单位认真贯彻落实《中华人民共和国政府信息公开条例》，坚持以公开为常态、不公开为例外，围绕中心工作，加强政策解读和回应关切，不断提升政府信息公开质量，主动公开各类信息，依法办理依申请公开事项，进一步完善工作机制，强化平台建设和监督保障，取得了较好成效。全年未发生因信息公开引发的行政复议和行政诉讼案件，工作人员业务能力持续提高，群众满意度稳步提升，为下一步工作打下了良好基础。";
/** test/fixtures' 2021-format report: what the memory figure fills in through the bot. */
const fixture = Draft.parse(
  JSON.parse(readFileSync(new URL("../test/fixtures/report-2022.json", import.meta.url), "utf8")),
);

type AnswerKind = "part text" | "完成" | "row" | "goto";
interface Answer {
  n: number;
  kind: AnswerKind;
  ms: number;
  /** What its handling sent to Redis (counted officers only). */
  tally?: Tally;
  /** The checks this answer ran (form/report-findings.ts counts). */
  checks: CheckCounts;
}

type CheckCounts = typeof checkCounts;
type Handle = (u: Update, count?: boolean) => Promise<Tally | undefined>;

/** Numbers for a row: one per cell, the first one varying so a re-answer changes the draft. */
function numbersFor(step: RowStep, seed: number): string {
  return step.row.cells.map((_, i) => (i === 0 ? String(1 + (seed % 7)) : "0")).join(" ");
}

class Officer {
  /** The tally and checks of the last update delivered. */
  last: { tally?: Tally; checks: CheckCounts } = { checks: { passes: 0, full: 0, units: 0 } };

  constructor(
    readonly id: number,
    private readonly handle: Handle,
    private readonly telegram: StubTelegram,
    /** Count what each update sends to Redis (only while no other officer is answering). */
    private readonly counted = false,
  ) {}

  /** Handles one update; returns its time and the messages the bot sent. */
  private async deliver(update: Update): Promise<{ ms: number; replies: Sent[] }> {
    this.telegram.take(this.id);
    const checksBefore = { ...checkCounts };
    const start = performance.now();
    const tally = await this.handle(update, this.counted);
    const ms = performance.now() - start;
    this.last = {
      ...(tally ? { tally } : {}),
      checks: {
        passes: checkCounts.passes - checksBefore.passes,
        full: checkCounts.full - checksBefore.full,
        units: checkCounts.units - checksBefore.units,
      },
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
    const answered = async (kind: AnswerKind, ms: number) => onAnswer({ n: ++n, kind, ms, ...this.last });
    for (const step of steps) {
      if (n >= limit) return;
      if (step.kind === "row") {
        await answered("row", await this.send(numbersFor(step, n), "已保存："));
        continue;
      }
      await answered("part text", await this.send(NARRATIVE, "已保存到"));
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
      await answered("row", await this.send(numbersFor(step, n), "已保存："));
    }
  }

  /** Fills the whole form with the fixture report's figures and texts. */
  async fillFixture(): Promise<void> {
    for (const step of steps) {
      if (step.kind === "row") {
        await this.send(step.row.cells.map((id) => String(fixture.cells[id] ?? 0)).join(" "), "已保存：");
        continue;
      }
      await this.send(fixture.narrative[step.part.id] ?? NARRATIVE, "已保存到");
      await this.press((_, text) => text === "完成", "完成");
    }
  }
}

function isAction(data: string, action: string, arg: number): boolean {
  const callback = decodeCallback(data);
  return callback?.action === action && String(callback.arg) === String(arg);
}

// ---------------------------------------------------------------------------

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const ms = (x: number) => `${x.toFixed(2)} ms`;
const int = (x: number) => Math.round(x).toLocaleString("en-US");
/** Median of the rounds with their range in brackets. */
const spread = (xs: number[]) =>
  `${median(xs).toFixed(2)} [${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}]`;
const p99 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.max(0, Math.ceil(xs.length * 0.99) - 1)] ?? 0;

async function scanKeys(redis: Redis, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = "0";
  do {
    const [next, batch] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== "0");
  return keys;
}

const redisUrl = testRedisUrl();
/** As long as the production default "nianbao:" (key names are part of every command's bytes). */
const prefix = `nb${randomBytes(3).toString("hex")}:`;
const redis = new Redis(redisUrl);
const store = await openStore({ redisUrl, redisPrefix: prefix, dataDir: "" });
const telegram = new StubTelegram();
const pool = renderPool({ minProcesses: 1, maxProcesses: 2 });
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
const sent = new SentReplies();
const mainThreadSent = new SentReplies();
const deps: Deps = {
  sent,
  store,
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
/** The same bot rendering on the main thread, as before the pool: the comparison for the render figure. */
const mainThreadBot = createBot(
  TOKEN,
  {
    ...deps,
    sent: mainThreadSent,
    renderDocx: timedRender((draft, options) => renderDocx(flows.flowFor(draft.format), draft, options)),
  },
  { botInfo, client: { fetch: telegram.fetch as never } },
);

// --- The floors: bare grammY bots through the same kind of inbox.
const hsetFloor = new Bot(TOKEN, { botInfo, client: { fetch: telegram.fetch as never } });
hsetFloor.on("message", async (ctx) => {
  await redis.hset(`${prefix}floor:${ctx.chat.id}`, String(ctx.message.message_id), ctx.message.text ?? "");
  await ctx.reply("ok");
});

/**
 * The prototype of nianbao's write in one Lua script, loaded once.
 * KEYS: handled (update ids of the member), report hash, audit list.
 * ARGV: update id, now (ms), expected version, audit entry, then cell/value pairs.
 * Returns the new version, 0 for a repeat, or the current hash on a conflict.
 */
const FLOOR_SCRIPT = `
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
local v = tonumber(redis.call('HGET', KEYS[2], 'v') or '0')
if v ~= tonumber(ARGV[3]) then return redis.call('HGETALL', KEYS[2]) end
redis.call('HSET', KEYS[2], 'v', v + 1, unpack(ARGV, 5))
redis.call('RPUSH', KEYS[3], ARGV[4])
redis.call('LTRIM', KEYS[3], -1000, -1)
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -501)
return v + 1`;
const floorRedis = new Redis(redisUrl) as Redis & {
  floorWrite(numKeys: number, ...args: (string | number)[]): Promise<number | string[]>;
};
floorRedis.defineCommand("floorWrite", { lua: FLOOR_SCRIPT });
/** The version each chat's report was last written at, kept in process as the issue allows. */
const floorVersions = new Map<number, number>();
const scriptFloor = new Bot(TOKEN, { botInfo, client: { fetch: telegram.fetch as never } });
scriptFloor.on("message", async (ctx) => {
  const chat = ctx.chat.id;
  const numbers = (ctx.message.text ?? "").split(" ");
  const cells = numbers.flatMap((n, i) => [`c${ctx.message.message_id % 40}.${i}`, n]);
  const audit = JSON.stringify({ t: ctx.message.date, b: ctx.from.id, k: cells[0], n: numbers[0] });
  for (;;) {
    const expected = floorVersions.get(chat) ?? 0;
    const reply = await floorRedis.floorWrite(
      3,
      `${prefix}floor-handled:${chat}`,
      `${prefix}floor-report:${chat}`,
      `${prefix}floor-audit:${chat}`,
      ctx.update.update_id,
      Date.now(),
      expected,
      audit,
      ...cells,
    );
    if (typeof reply === "number") {
      if (reply > 0) floorVersions.set(chat, reply);
      break;
    }
    const at = reply.indexOf("v");
    floorVersions.set(chat, at >= 0 ? Number(reply[at + 1]) : 0);
  }
  await ctx.reply("已保存");
});

const inboxes = {
  bot: await throughInbox(prefix, "bench-bot", (u) => bot.handleUpdate(u), sent),
  mainThread: await throughInbox(
    `${prefix}main-thread:`,
    "bench-main-thread",
    (u) => mainThreadBot.handleUpdate(u),
    mainThreadSent,
  ),
  hset: await throughInbox(`${prefix}hset-floor:`, "bench-hset-floor", (u) => hsetFloor.handleUpdate(u)),
  script: await throughInbox(`${prefix}script-floor:`, "bench-script-floor", (u) => scriptFloor.handleUpdate(u)),
};
const handle: Handle = (u, count) => inboxes.bot.handle(u, count);
const mainThreadHandle: Handle = (u, count) => inboxes.mainThread.handle(u, count);

try {
  // --- Answers of officers one after another: times, round trips, bytes, checks.
  const formAnswers = steps.reduce((n, s) => n + (s.kind === "row" ? 1 : 2), 0);
  const byAnswer = new Map<number, Answer[]>();
  let userId = 10_000;
  const started = performance.now();
  for (let i = 0; i < WARM_UP_OFFICERS + OFFICERS; i++) {
    const officer = new Officer(++userId, handle, telegram, true);
    const measured = i >= WARM_UP_OFFICERS;
    await officer.create();
    await officer.answer(ANSWERS, (answer) => {
      if (!measured) return;
      const list = byAnswer.get(answer.n) ?? [];
      list.push(answer);
      byAnswer.set(answer.n, list);
    });
  }
  const latencySeconds = (performance.now() - started) / 1000;

  const at = (n: number) => byAnswer.get(n) ?? [];
  const kindOf = (n: number) => at(n)[0]?.kind ?? "?";
  const med = (n: number) => median(at(n).map((a) => a.ms));
  const all = [...byAnswer.values()].flat();
  const rowAnswers = all.filter((a) => a.kind === "row");
  const presses = all.filter((a) => a.kind === "完成" || a.kind === "goto");
  const tallied = (xs: Answer[], f: (t: Tally) => number) => xs.map((a) => f(a.tally ?? newTally()));
  const commandsOf = (xs: Answer[]) => {
    const names = new Map<string, number>();
    for (const a of xs) for (const [k, v] of a.tally?.commands ?? []) names.set(k, (names.get(k) ?? 0) + v);
    return [...names].map(([k, v]) => `${k} ${(v / xs.length).toFixed(2)}`).join(", ");
  };
  if (kindOf(EARLY_ROW) !== "row" || kindOf(LATE_ROW) !== "row")
    throw new Error(`answers ${EARLY_ROW} and ${LATE_ROW} must be row answers`);
  const bytesEarly = median(tallied(at(EARLY_ROW), (t) => t.bytes));
  const bytesBy = (n: number) => {
    const sample = at(n)[0]?.tally;
    return [...(sample?.bytesBy ?? [])].map(([k, v]) => `${k} ${v}`).join(", ");
  };
  const bytesLate = median(tallied(at(LATE_ROW), (t) => t.bytes));

  console.log(
    `round trips per row answer: ${median(tallied(rowAnswers, (t) => t.roundTrips))} ` +
      `(target <= ${TARGET.roundTrips}; median of ${int(rowAnswers.length)} row answers; mean ` +
      `${(tallied(rowAnswers, (t) => t.roundTrips).reduce((s, x) => s + x, 0) / rowAnswers.length).toFixed(2)})`,
  );
  console.log(`  commands per row answer: ${commandsOf(rowAnswers)}`);
  console.log(
    `round trips per button press: ${median(tallied(presses, (t) => t.roundTrips))} ` +
      `(target <= ${TARGET.roundTrips}; median of ${int(presses.length)} presses of 完成 and goto)`,
  );
  console.log(`  commands per button press: ${commandsOf(presses)}`);
  console.log(
    `bytes sent to Redis per row answer: ${int(Math.max(bytesEarly, bytesLate))} ` +
      `(target <= ${TARGET.bytes}; answer ${EARLY_ROW}: ${int(bytesEarly)} B, answer ${LATE_ROW}: ${int(bytesLate)} B, ` +
      `medians; every command written from taking the update to its inbox acknowledgement)`,
  );
  console.log(
    `  bytes by command: answer ${EARLY_ROW}: ${bytesBy(EARLY_ROW)}; answer ${LATE_ROW}: ${bytesBy(LATE_ROW)}`,
  );

  // --- Checks per row answer, over the measured officers' row answers.
  const perRow = (f: (c: CheckCounts) => number) => rowAnswers.reduce((s, a) => s + f(a.checks), 0) / rowAnswers.length;
  const unitsPerRun = checkUnits(flow).length;
  console.log(`checkReport runs per row answer: ${perRow((c) => c.passes).toFixed(2)} (target <= ${TARGET.checks})`);
  console.log(
    `  (a run is a pass of the checks that ran any rule: ${perRow((c) => c.full).toFixed(3)} full passes and ` +
      `${perRow((c) => c.passes - c.full).toFixed(3)} incremental ones per row answer; rules re-run per row answer ` +
      `${perRow((c) => c.units).toFixed(1)} of ${unitsPerRun} check units, i.e. ` +
      `${(perRow((c) => c.units) / unitsPerRun).toFixed(3)} full-run equivalents)`,
  );

  const rowRatio = med(LATE_ROW) / med(EARLY_ROW);
  console.log(
    `row answer ${LATE_ROW} / row answer ${EARLY_ROW}: ${rowRatio.toFixed(2)} (target <= ${TARGET.ratio}; medians ` +
      `${ms(med(LATE_ROW))} / ${ms(med(EARLY_ROW))} over ${OFFICERS} officers × ${ANSWERS} answers, 2021 format: ` +
      `${formAnswers} answers fill it, then goto and row alternate; through the inbox; ${latencySeconds.toFixed(0)} s)`,
  );
  console.log(
    `  first answer (${kindOf(1)}) ${ms(med(1))}, answer ${ANSWERS} (${kindOf(ANSWERS)}) ${ms(med(ANSWERS))}`,
  );

  // --- Memory of a finished report: the fixture's figures and texts filled in through the bot.
  const filler = new Officer(++userId, handle, telegram);
  await filler.create();
  await filler.fillFixture();
  const filledId = (await store.getUser(filler.id)).currentReportId;
  if (!filledId) throw new Error("the filled report is not current");
  const reportKeys = (await scanKeys(redis, `${prefix}*`)).filter((k) => k.endsWith(`:${filledId}`));
  const memory = await Promise.all(
    reportKeys.map(async (k) => ({
      key: k.slice(prefix.length),
      bytes: Number(await redis.memory("USAGE", k, "SAMPLES", 0)),
    })),
  );
  const elements = await redis.llen(`${prefix}audit:${filledId}`);
  const audited = (await store.history(filledId, 10_000)).length;
  console.log(
    `memory per finished report: ${memory.reduce((s, m) => s + m.bytes, 0)} B (target <= ${TARGET.memory}; ` +
      `MEMORY USAGE of ${memory.map((m) => `${m.key.split(":")[0]} ${m.bytes}`).join(", ")}; ` +
      `test/fixtures/report-2022.json filled through the bot, ${audited} audit entries in ${elements} list elements)`,
  );

  // --- Row answers of some officers while another officer's chat builds its .docx again and again.
  /**
   * /report, then its 确认生成 or 生成草稿 button when the checks ask for one: one render. Returns renders done.
   * The report's name changes before each loop: the bot sends no second document for unchanged content
   * within a minute, and a loop that renders nothing would measure a chat sending /report, not rendering.
   */
  async function renderLoop(handleUpdate: Handle, stop: () => boolean): Promise<number> {
    const id = ++userId;
    const report = await store.createReport({ draft: fixture, members: [id] });
    await store.setUser(id, { currentReportId: report.id });
    let loops = 0;
    while (!stop()) {
      // As it is after the bot's last loop (finalizing writes it).
      const current = await store.getReport(report.id);
      if (loops > 0 && current) {
        const draft = { ...current.draft, org: `${fixture.org}${loops}` };
        if (!(await store.updateReport(report.id, current.version, { draft }, [])).ok)
          throw new Error("could not rename the rendered report");
      }
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

  /** The row answer times of one officer (ANSWERS answers), while another chat renders or not. */
  async function rowTimes(handleUpdate: Handle, withRenders: boolean): Promise<number[]> {
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
    handleUpdate: Handle,
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

  await pool.render(fixture, {}); // a warm render process, as in production (minProcesses 1)
  // One officer untimed, without and with renders: the first one's answers were slower (p99 3–5 ms
  // against 2 ms later), which made the first round's ratio look better than it is.
  await rowTimes(handle, false);
  await rowTimes(handle, true);
  const rounds: { without: number; with: number; renders: number[] }[] = [];
  for (let round = 0; round < ROUNDS; round++) rounds.push(await renderRound(handle, RENDER_OFFICERS));
  const poolRenders = rounds.flatMap((r) => r.renders);
  // For comparison, once and smaller (each answer waits for renders there): rendering on the main thread.
  const onMain = await renderRound(mainThreadHandle, 1);
  console.log(
    `p99 row answer while another chat renders, ratio to p99 without: ${spread(rounds.map((r) => r.with / r.without))}`,
  );
  console.log(
    `  (target <= ${TARGET.renderRatio}; median of ${ROUNDS} rounds, each ${RENDER_OFFICERS} officers × ` +
      `${ANSWERS} answers, alternately without and with renders; p99 ` +
      `${rounds.map((r) => `${ms(r.without)} → ${ms(r.with)}`).join(", ")}; ` +
      `${poolRenders.length} renders in the render processes meanwhile, median ${ms(median(poolRenders))}; ` +
      `rendering on the main thread instead (1 officer, 1 round): ratio ${(onMain.with / onMain.without).toFixed(2)}, ` +
      `${onMain.renders.length} renders, median ${ms(median(onMain.renders))})`,
  );

  // --- Throughput: 50 officers at once, each one update after another, through the inbox.
  const perOfficer = formAnswers;
  const total = CONCURRENT * perOfficer;

  /** Seconds for one pass of 50 officers through the form (creating their reports is not timed). */
  async function botPass(): Promise<number> {
    const officers = Array.from({ length: CONCURRENT }, () => new Officer(++userId, handle, telegram));
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
    return seconds;
  }

  /** Seconds for one pass of a floor: as many updates as a bot pass. */
  async function floorPass(floor: Inboxed): Promise<number> {
    const users = Array.from({ length: CONCURRENT }, () => ++userId);
    const start = performance.now();
    await Promise.all(
      users.map(async (id) => {
        for (let i = 0; i < perOfficer; i++) {
          await floor.handle(textUpdate(id, `${i} 0 0 0 0 0`));
          if (!telegram.take(id).some((m) => m.text === "ok" || m.text === "已保存"))
            throw new Error(`floor: no reply to chat ${id}`);
        }
      }),
    );
    return (performance.now() - start) / 1000;
  }

  /**
   * Updates per second over passes run until they took ROUND_SECONDS: a floor's pass is
   * over in a tenth of a second, where one collection or a busy moment of the machine
   * would decide the round.
   */
  async function rate(pass: () => Promise<number>): Promise<number> {
    let seconds = 0;
    let passes = 0;
    while (seconds < ROUND_SECONDS) {
      seconds += await pass();
      passes++;
    }
    return (passes * total) / seconds;
  }
  const botRound = () => rate(botPass);
  const floorRound = (floor: Inboxed) => rate(() => floorPass(floor));

  // The bot is warm from the answers above; the floors get one round untimed, so that
  // no round compares a warm bot with a floor still being compiled.
  await floorRound(inboxes.hset);
  await floorRound(inboxes.script);
  const rates: { bot: number; hset: number; script: number }[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const hset = await floorRound(inboxes.hset);
    const script = await floorRound(inboxes.script);
    rates.push({ hset, script, bot: await botRound() });
  }
  const rateLine = (floor: "script" | "hset") =>
    `bot ${int(median(rates.map((r) => r.bot)))} updates/s, floor ${int(median(rates.map((r) => r[floor])))} ` +
    `updates/s, ratio ${spread(rates.map((r) => r.bot / r[floor]))}`;
  console.log(
    `throughput vs one-script floor: ${rateLine("script")} (target >= ${TARGET.scriptFloor}; ` +
      `bare grammY bot, one Lua script per update: once-only check and update-id record, CAS, changed cells as ` +
      `hash fields, audit append and trim)`,
  );
  console.log(
    `throughput vs one-HSET floor: ${rateLine("hset")} (target >= ${TARGET.hsetFloor}; bare grammY bot, one HSET ` +
      `and one reply per update)`,
  );
  console.log(
    `  (${CONCURRENT} concurrent officers × ${perOfficer} answers per pass, passes repeated until a round took ` +
      `${ROUND_SECONDS} s, every update through its own Redis inbox; ratios are the median of ${ROUNDS} rounds, the ` +
      `range in brackets; each floor had one untimed round first)`,
  );
} finally {
  for (const inbox of Object.values(inboxes)) await inbox.close();
  const keys = await scanKeys(redis, `${prefix}*`);
  for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
  await pool.close();
  await store.close();
  await floorRedis.quit();
  await redis.quit();
}
