import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Update } from "grammy/types";
import { Redis } from "ioredis";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { InboxConsumer } from "../src/intake/inbox-consumer.js";
import { EmbeddedInbox } from "../src/store/embedded-inbox.js";
import { chatKeyOf, INBOX_PARTITIONS, type Inbox, type InboxEntry, partitionOf } from "../src/store/inbox.js";
import { RedisInbox } from "../src/store/redis-inbox.js";
import { REDIS_URL } from "./support/redis-url.js";

const silent = pino({ level: "silent" });

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function message(updateId: number, chatId: number, text = `t${updateId}`): Update {
  return {
    update_id: updateId,
    message: {
      message_id: updateId,
      date: 0,
      chat: { id: chatId, type: "private", first_name: "x" },
      from: { id: chatId, is_bot: false, first_name: "x" },
      text,
    },
  } as Update;
}

interface Backend {
  /** A consumer on the shared inbox (a new process, say). */
  open(name?: string): Promise<Inbox>;
}

async function redisBackend(): Promise<Backend> {
  const prefix = `nianbao-inbox-test:${randomBytes(5).toString("hex")}:`;
  cleanups.push(async () => {
    const raw = new Redis(REDIS_URL);
    const keys = await raw.keys(`${prefix}*`);
    if (keys.length > 0) await raw.del(...keys);
    await raw.quit();
  });
  let n = 0;
  return {
    async open(name = `consumer-${++n}`) {
      const inbox = await RedisInbox.connect(REDIS_URL, prefix, name);
      cleanups.push(() => inbox.close());
      return inbox;
    },
  };
}

async function embeddedBackend(): Promise<Backend> {
  const dir = mkdtempSync(join(tmpdir(), "nianbao-inbox-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return {
    async open() {
      const inbox = new EmbeddedInbox(join(dir, "nianbao.sqlite"));
      cleanups.push(() => inbox.close());
      return inbox;
    },
  };
}

/** Takes until `count` entries came or nothing more comes. */
async function takeAll(inbox: Inbox, count: number): Promise<InboxEntry[]> {
  const got: InboxEntry[] = [];
  for (let i = 0; i < 20 && got.length < count; i++) got.push(...(await inbox.take(100, 200)));
  return got;
}

describe.each([
  ["redis", redisBackend],
  ["embedded", embeddedBackend],
] as const)("the %s inbox", (_, backend) => {
  it("keeps updates until acknowledged, drops repeats of an update id, and counts the lag", async () => {
    const b = await backend();
    const inbox = await b.open();
    await inbox.append([message(10, 1), message(11, 2), message(12, 1)]);
    await inbox.append([message(11, 2)]); // Telegram's retry, or a second instance
    expect(await inbox.lag()).toBe(3);
    const taken = await takeAll(inbox, 3);
    expect(taken.map((e) => e.update.update_id).sort()).toEqual([10, 11, 12]);
    expect(taken.every((e) => inbox.owns(e))).toBe(true);
    for (const entry of taken) await inbox.ack(entry);
    expect(await inbox.lag()).toBe(0);
    expect(await inbox.take(10, 50)).toEqual([]);
  });

  it("keeps one chat's updates in order", async () => {
    const b = await backend();
    const inbox = await b.open();
    const ids = Array.from({ length: 30 }, (_, i) => 1000 + i);
    await inbox.append(ids.map((id) => message(id, id % 3)));
    const taken = await takeAll(inbox, ids.length);
    for (const chat of [0, 1, 2]) {
      const order = taken.filter((e) => chatKeyOf(e.update) === String(chat)).map((e) => e.update.update_id);
      expect(order).toEqual(ids.filter((id) => id % 3 === chat));
    }
  });

  it("gives what a stopped consumer took and never acknowledged to the next one, before newer updates", async () => {
    const b = await backend();
    const first = await b.open("same-host");
    await first.append([message(1, 7), message(2, 7), message(3, 7)]);
    const taken = await takeAll(first, 3);
    await first.ack(taken[0]!);
    for (const entry of taken.slice(1)) first.leave(entry);
    await first.release();
    await first.close();

    const next = await b.open("another-host");
    await next.append([message(4, 7)]);
    const again = await takeAll(next, 3);
    expect(again.map((e) => e.update.update_id)).toEqual([2, 3, 4]);
  });
});

describe("the Redis inbox with several consumers", () => {
  it("shares the partitions, and a dead consumer's partitions and entries go to the living", async () => {
    const b = await redisBackend();
    const one = (await b.open("one")) as RedisInbox;
    const two = (await b.open("two")) as RedisInbox;
    // One update per partition.
    const updates: Update[] = [];
    for (let chat = 1; updates.length < INBOX_PARTITIONS; chat++) {
      if (!updates.some((u) => partitionOf(chatKeyOf(u)) === partitionOf(String(chat))))
        updates.push(message(500 + chat, chat));
    }
    // Both register; the first gives back what is above its share on its next renewal, the second takes it.
    await one.take(100, 0);
    await two.take(100, 0);
    await new Promise((r) => setTimeout(r, 1100));
    await one.take(100, 0);
    await new Promise((r) => setTimeout(r, 1100));
    await two.take(100, 0);
    await one.append(updates);
    const a = await takeAll(one, INBOX_PARTITIONS / 2);
    const c = await takeAll(two, INBOX_PARTITIONS / 2);
    expect(a.length + c.length).toBe(INBOX_PARTITIONS);
    expect(a.length).toBeGreaterThan(0);
    expect(c.length).toBeGreaterThan(0);
    expect(new Set([...a, ...c].map((e) => e.update.update_id)).size).toBe(INBOX_PARTITIONS);

    // "one" dies without acknowledging or giving anything back: after its lease, "two" takes its entries.
    await one.close();
    const started = Date.now();
    const rescued: InboxEntry[] = [];
    while (rescued.length < a.length && Date.now() - started < 12_000) rescued.push(...(await two.take(100, 500)));
    expect(rescued.map((e) => e.update.update_id).sort()).toEqual(a.map((e) => e.update.update_id).sort());
  }, 20_000);
});

describe("the inbox consumer", () => {
  it("handles each chat in order, different chats in parallel, and acknowledges after handling", async () => {
    const b = await embeddedBackend();
    const inbox = await b.open();
    const log: string[] = [];
    let running = 0;
    let parallel = 0;
    const consumer = new InboxConsumer(
      inbox,
      async (u) => {
        running++;
        parallel = Math.max(parallel, running);
        await new Promise((r) => setTimeout(r, 5));
        log.push(`${chatKeyOf(u)}:${u.update_id}`);
        running--;
      },
      silent,
    );
    consumer.start();
    cleanups.push(() => consumer.stop());
    const ids = Array.from({ length: 40 }, (_, i) => 2000 + i);
    await inbox.append(ids.map((id) => message(id, id % 4)));
    const until = Date.now() + 10_000;
    while ((await inbox.lag()) > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(await inbox.lag()).toBe(0);
    for (const chat of [0, 1, 2, 3]) {
      const order = log.filter((l) => l.startsWith(`${chat}:`)).map((l) => Number(l.split(":")[1]));
      expect(order).toEqual(ids.filter((id) => id % 4 === chat));
    }
    expect(parallel).toBeGreaterThan(1);
  });

  it("tells the officer once while the store is down, keeps the chat's order, and handles the update once it is back", async () => {
    const b = await embeddedBackend();
    const inbox = await b.open();
    let down = true;
    const handled: number[] = [];
    const told: number[] = [];
    const consumer = new InboxConsumer(
      inbox,
      async (u) => {
        if (down) throw Object.assign(new Error("Command timed out"), { name: "Error" });
        handled.push(u.update_id);
      },
      silent,
      { retryMs: 20, onUnavailable: async (u) => void told.push(u.update_id) },
    );
    consumer.start();
    cleanups.push(() => consumer.stop());
    await inbox.append([message(1, 9), message(2, 9)]);
    await new Promise((r) => setTimeout(r, 300));
    expect(handled).toEqual([]);
    expect(new Set(told)).toEqual(new Set([1]));
    down = false;
    const until = Date.now() + 5000;
    while ((await inbox.lag()) > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(handled).toEqual([1, 2]);
  });

  it.each([
    ["redis", redisBackend],
    ["embedded", embeddedBackend],
  ] as const)(
    "stops one chat's flood waiting in the %s inbox politely, and other chats do not wait behind it",
    async (_, backend) => {
      const b = await backend();
      const inbox = await b.open();
      // The flood is in the inbox before the consumer starts (the bot was down, or slow): 600 updates of chat 7, then chat 8.
      await inbox.append(Array.from({ length: 600 }, (_, i) => message(7000 + i, 7)));
      await inbox.append([message(8000, 8)]);
      const handled: number[] = [];
      const told: number[] = [];
      let otherAt = 0;
      const consumer = new InboxConsumer(
        inbox,
        async (u) => {
          await new Promise((r) => setTimeout(r, 20)); // a store write
          handled.push(u.update_id);
          if (u.update_id === 8000) otherAt = Date.now();
        },
        silent,
        { floodLimit: 20, onFlood: async (u) => void told.push(u.update_id) },
      );
      const started = Date.now();
      consumer.start();
      cleanups.push(() => consumer.stop());
      const until = Date.now() + 20_000;
      while ((await inbox.lag()) > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      expect(await inbox.lag()).toBe(0);
      // Chat 8 was handled long before the 600 updates of 20 ms each ahead of it could have been (12 s).
      expect(otherAt - started).toBeLessThan(4000);
      // Chat 7 was told once, and only what was waiting within the limit was handled, in order.
      expect(told).toHaveLength(1);
      const flood = handled.filter((id) => id < 8000);
      expect(flood.length).toBeGreaterThanOrEqual(20);
      expect(flood.length).toBeLessThan(300);
      expect(flood).toEqual([...flood].sort((x, y) => x - y));
      expect(flood).not.toContain(told[0]);
    },
    30_000,
  );

  it("on stop, finishes the update being handled and leaves the rest in the inbox", async () => {
    const b = await embeddedBackend();
    const inbox = await b.open();
    const handled: number[] = [];
    let release: () => void = () => undefined;
    const consumer = new InboxConsumer(
      inbox,
      async (u) => {
        if (u.update_id === 1) await new Promise<void>((r) => (release = r));
        handled.push(u.update_id);
      },
      silent,
    );
    consumer.start();
    await inbox.append([message(1, 5), message(2, 5), message(3, 5)]);
    await new Promise((r) => setTimeout(r, 100));
    const stopped = consumer.stop();
    release();
    await stopped;
    expect(handled).toEqual([1]);
    expect(await inbox.lag()).toBe(2);
  });
});
