import { randomBytes } from "node:crypto";
import type { Update } from "grammy/types";
import { Command, Redis } from "ioredis";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { flows } from "../flows/index.js";
import { decodeCallback } from "../src/bot/callback-data.js";
import { createBot } from "../src/bot/create-bot.js";
import { formSteps } from "../src/form/form-steps.js";
import { InboxConsumer } from "../src/intake/inbox-consumer.js";
import { recordSent, SentReplies } from "../src/intake/sent-replies.js";
import type { InboxEntry } from "../src/store/inbox.js";
import { openStore } from "../src/store/open-store.js";
import { RedisInbox } from "../src/store/redis-inbox.js";
import type { Store } from "../src/store/store.js";
import { botInfo as makeBotInfo } from "./support/bot-info.js";
import { pressUpdate as press, quietDeps, stubBotApi, textUpdate as text } from "./support/private-chat-api.js";
import { REDIS_URL } from "./support/redis-url.js";

/**
 * Issue "Speed" 1 and 2: an answer costs the commit's script and the inbox
 * acknowledgement (which records its reply as sent), two round trips, while
 * this process's copy of the member is fresh; and a copy another instance
 * made stale is never written from: the commit's script refuses it and the
 * update is handled again on a fresh read.
 */

const TOKEN = "123456789:AARoundTripsTokenForTestsOnly_012345";
const botInfo = makeBotInfo({ id: 123456789, first_name: "年报助手", username: "nianbao_test_bot" });
const flow = flows.flowFor("2021");
const steps = formSteps(flow);
const rowSteps = steps.filter((s) => s.kind === "row");
const draft = { format: "2021" as const, org: "某某局", year: 2025, narrative: {}, cells: {} };

/** A bot instance as src/main.ts builds it: its own store client, an inbox consumer, the reply records deferred. */
async function instance(prefix: string, name: string) {
  const telegram = stubBotApi();
  const store = await openStore({ redisUrl: REDIS_URL, redisPrefix: prefix, dataDir: "" });
  const sent = new SentReplies();
  const bot = createBot(TOKEN, quietDeps(store, sent), { botInfo, client: { fetch: telegram.fetch as never } });
  const inbox = await RedisInbox.connect(REDIS_URL, prefix, name);
  const waiting = new Map<number, () => void>();
  const ack = inbox.ack.bind(inbox);
  inbox.ack = async (entry: InboxEntry, ...also) => {
    await ack(entry, ...also);
    waiting.get(entry.update.update_id)?.();
  };
  const consumer = new InboxConsumer(inbox, (u) => bot.handleUpdate(u), pino({ level: "silent" }), {
    sent: { replies: sent, record: recordSent(store) },
    onHandover: () => store.forget(),
  });
  consumer.start();
  return {
    store,
    telegram,
    /** Appends the update and resolves once it was handled and acknowledged. */
    async handle(update: Update): Promise<void> {
      const done = new Promise<void>((resolve) => waiting.set(update.update_id, resolve));
      await inbox.append([update]);
      await done;
      waiting.delete(update.update_id);
    },
    /** The same, through bot.handleUpdate without the inbox (markSent at once). */
    direct: (update: Update) => bot.handleUpdate(update),
    async close() {
      await consumer.stop();
      await inbox.release();
      await inbox.close();
      await store.close();
    },
  };
}

/**
 * Round trips of `run` as bench/fill.ts counts them: a command written while
 * none of the others was outstanding starts one; the inbox's polling and the
 * append (the update arriving) aside.
 */
async function roundTrips(run: () => Promise<void>): Promise<{ trips: number; commands: string[] }> {
  let trips = 0;
  let outstanding = 0;
  const commands: string[] = [];
  const original = Command.prototype.toWritable;
  Command.prototype.toWritable = function (this: Command, socket) {
    const polling =
      this.name === "xreadgroup" ||
      this.name === "xautoclaim" ||
      this.args.some((a) => typeof a === "string" && /inbox:(consumers|seen)$/.test(a));
    if (!polling) {
      commands.push(this.name);
      if (outstanding === 0) trips++;
      outstanding++;
      const done = () => {
        outstanding--;
      };
      this.promise.then(done, done);
    }
    return original.call(this, socket);
  };
  try {
    await run();
    return { trips, commands };
  } finally {
    Command.prototype.toWritable = original;
  }
}

describe("round trips of an answer through the inbox (Redis)", () => {
  const prefix = `nianbao-test-trips-${randomBytes(6).toString("hex")}:`;
  let raw: Redis;
  let a: Awaited<ReturnType<typeof instance>>;
  let b: Awaited<ReturnType<typeof instance>>;
  beforeAll(async () => {
    raw = new Redis(REDIS_URL);
    a = await instance(prefix, "trips-a");
    b = await instance(prefix, "trips-b");
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    const keys = await raw.keys(`${prefix}*`);
    if (keys.length > 0) await raw.del(...keys);
    await raw.quit();
  });

  /**
   * A report at a row followed by two more of as many cells (so a text
   * answers any of them), the member's current one.
   */
  async function seed(store: Store, userId: number) {
    const at = rowSteps.findIndex((s, i) =>
      [1, 2].every((k) => {
        const later = rowSteps[i + k];
        return later?.index === s.index + k && later.row.cells.length === s.row.cells.length;
      }),
    );
    const row = rowSteps[at]!;
    const report = await store.createReport({ draft, members: [userId] });
    await store.setUser(userId, { currentReportId: report.id });
    const moved = await store.updateReport(report.id, report.version, { cursor: row.index }, []);
    if (!moved.ok) throw new Error("seed");
    return { report: moved.report, row };
  }
  const zeros = (step: (typeof rowSteps)[number]) => step.row.cells.map(() => "1").join(" ");

  it("a row answer and a button press cost two round trips: the commit's script and the inbox acknowledgement", async () => {
    const userId = 4101;
    const { report, row } = await seed(a.store, userId);
    await a.handle(text(userId, "/fill"));
    const answer = await roundTrips(() => a.handle(text(userId, zeros(row))));
    expect(answer.commands).toEqual(["evalsha", "evalsha"]);
    expect(answer.trips).toBe(2);
    const replies = a.telegram.calls.filter((c) => c.chatId === userId && c.method === "sendMessage");
    const last = replies.at(-1)!;
    expect(last.text).toMatch(/^✅ 已保存：/);
    const stored = await a.store.getReport(report.id);
    expect(row.row.cells.map((id) => stored?.draft.cells[id])).toEqual(row.row.cells.map(() => 1));
    // The reply was recorded as sent, with the position of the question it shows.
    expect(await a.store.unsentAcks(userId)).toEqual([]);
    expect((await a.store.getUser(userId)).position?.messageId).toBe(last.messageId);

    const skip = last.data.find((d) => decodeCallback(d)?.action === "skip");
    expect(skip).toBeDefined();
    const pressed = await roundTrips(() => a.handle(press(userId, last.messageId, skip ?? "")));
    expect(pressed.commands).toEqual(["evalsha", "evalsha"]);
    expect(pressed.trips).toBe(2);
    expect((await a.store.getReport(report.id))?.cursor).toBe(row.index + 2);
  });

  it("another instance's /reports switch is seen by this instance's next write", async () => {
    const userId = 4102;
    const { report: first, row } = await seed(a.store, userId);
    await a.handle(text(userId, "/fill"));
    await a.handle(text(userId, zeros(row)));
    // Instance B switches the member to another report (what /reports does), after A's copy was made.
    const second = await b.store.createReport({ draft, members: [userId] });
    const before = await a.store.getReport(first.id);
    await b.store.setUser(userId, { ...(await b.store.getUser(userId)), currentReportId: second.id });
    const next = rowSteps.find((s) => s.index === (before?.cursor ?? -1)) ?? row;
    await a.handle(text(userId, zeros(next)));
    // Not written into the first report from A's copy: the answer went to the report current now.
    expect((await a.store.getReport(first.id))?.version).toBe(before?.version);
    const now = await a.store.getReport(second.id);
    expect(now?.version).toBe(2);
    const replies = a.telegram.calls.filter((c) => c.chatId === userId && c.method === "sendMessage");
    expect(replies.filter((r) => r.text.includes("出错"))).toEqual([]);
  });

  it("another instance's answer moves the question: this instance's next answer goes to the question shown last", async () => {
    const userId = 4103;
    const { report, row } = await seed(a.store, userId);
    await a.handle(text(userId, "/fill"));
    await a.handle(text(userId, zeros(row)));
    // B answers the next question (its first read is fresh), so A's copy of the member is stale.
    const cursor = (await a.store.getReport(report.id))?.cursor;
    const second = rowSteps.find((s) => s.index === cursor);
    if (!second) throw new Error("no second row");
    await b.direct(text(userId, second.row.cells.map(() => "2").join(" ")));
    const shown = b.telegram.calls.filter((c) => c.chatId === userId && c.method === "sendMessage").at(-1)!;
    const next = decodeCallback(shown.data.find((d) => decodeCallback(d)?.action === "rowZero") ?? "")?.arg;
    const third = rowSteps.find((s) => s.index === next);
    if (!third || third.index === second.index) throw new Error("no third row");
    // A's copy says the second row is the question shown: its commit is refused, the update handled again.
    await a.handle(text(userId, third.row.cells.map(() => "3").join(" ")));
    const stored = await a.store.getReport(report.id);
    expect(second.row.cells.map((id) => stored?.draft.cells[id])).toEqual(second.row.cells.map(() => 2));
    expect(third.row.cells.map((id) => stored?.draft.cells[id])).toEqual(third.row.cells.map(() => 3));
    const replies = a.telegram.calls.filter((c) => c.chatId === userId && c.method === "sendMessage");
    expect(replies.at(-1)?.text).toMatch(/^✅ 已保存：/);
    expect(replies.filter((r) => r.text.includes("出错"))).toEqual([]);
  });

  it("a button pressed while the member changed elsewhere is saved on the second handling and answered once", async () => {
    const userId = 4104;
    const { report, row } = await seed(a.store, userId);
    await a.handle(text(userId, "/fill"));
    const shown = a.telegram.calls.filter((c) => c.chatId === userId && c.method === "sendMessage").at(-1)!;
    // Another instance writes the member's record (as it is) after A's copy was made.
    await b.store.setUser(userId, await b.store.getUser(userId));
    const answers = () => a.telegram.calls.filter((c) => c.method === "answerCallbackQuery").length;
    const before = answers();
    const zero = shown.data.find((d) => decodeCallback(d)?.action === "rowZero");
    expect(zero).toBeDefined();
    // The handling answers the button before it writes; the write is refused; the second handling does not answer again.
    await a.handle(press(userId, shown.messageId, zero ?? ""));
    expect(answers()).toBe(before + 1);
    const stored = await a.store.getReport(report.id);
    expect(row.row.cells.map((id) => stored?.draft.cells[id])).toEqual(row.row.cells.map(() => 0));
    const replies = a.telegram.calls.filter((c) => c.chatId === userId && c.method === "sendMessage");
    expect(replies.at(-1)?.text).toMatch(/^✅ 已保存：/);
  });
});

describe("a partition taken over from another consumer", () => {
  it("drops the copies of members before the next update is handled: their chats may have been handled elsewhere", async () => {
    const update = (id: number): InboxEntry => ({ id: String(id), partition: 0, update: text(4200 + id, "x") });
    let handovers = 1;
    const queued = [[update(1)], [update(2)], [update(3)]];
    const [a, b, c] = queued.map(([entry]) => entry!.update.update_id);
    const events: string[] = [];
    const inbox = {
      append: async () => undefined,
      take: async () => {
        const next = queued.shift();
        if (!next) await new Promise((r) => setTimeout(r, 20));
        return next ?? [];
      },
      owns: () => true,
      ack: async () => undefined,
      leave: () => undefined,
      handovers: () => handovers,
      lag: async () => 0,
      release: async () => undefined,
      close: async () => undefined,
    };
    const consumer = new InboxConsumer(
      inbox,
      async (u) => {
        events.push(`handle ${u.update_id}`);
        // Between the first and the second update, this consumer takes a partition again.
        if (u.update_id === a) handovers = 2;
      },
      pino({ level: "silent" }),
      { onHandover: () => events.push("forget") },
    );
    consumer.start();
    while (events.filter((e) => e.startsWith("handle")).length < 3) await new Promise((r) => setTimeout(r, 10));
    await consumer.stop();
    expect(events).toEqual(["forget", `handle ${a}`, "forget", `handle ${b}`, `handle ${c}`]);
  });
});
