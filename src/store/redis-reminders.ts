import type { Redis } from "ioredis";
import { type ReminderLedger, type ReminderStageRef, type SentStage, stageRefKey } from "./store.js";

/**
 * The reminder ledger in Redis (keys listed in redis-store.ts). The index is
 * also written by the report writes' scripts there, which is why its key is
 * public.
 */

/** KEYS: remind.  ARGV: id, score read, next score ('' removes). */
const RESCHEDULE = `
local cur = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not cur or tonumber(cur) ~= tonumber(ARGV[2]) then return 0 end
if ARGV[3] == '' then redis.call('ZREM', KEYS[1], ARGV[1]) else redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1]) end
return 1`;

/** KEYS: lease.  ARGV: owner. Deletes the lease only if this owner holds it. */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * GCRA on Redis's own clock, so every instance shares one rate.
 * KEYS: overall, chat.  ARGV: overall interval µs, chat interval µs.
 * Returns 0 when the slot is taken, else µs to wait.
 */
const TAKE_SLOT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local all = tonumber(redis.call('GET', KEYS[1]) or '0')
local chat = tonumber(redis.call('GET', KEYS[2]) or '0')
if all < now then all = now end
if chat < now then chat = now end
local wait = math.max(all - now, chat - now)
if wait > 0 then return wait end
local allInterval = tonumber(ARGV[1])
local chatInterval = tonumber(ARGV[2])
redis.call('SET', KEYS[1], all + allInterval, 'PX', math.ceil(allInterval / 1000) + 1000)
redis.call('SET', KEYS[2], chat + chatInterval, 'PX', math.ceil(chatInterval / 1000) + 1000)
return 0`;

type Arg = string | number;
type Scripts = {
  nbReschedule(numKeys: number, ...args: Arg[]): Promise<number>;
  nbRelease(numKeys: number, ...args: Arg[]): Promise<number>;
  nbTakeSlot(numKeys: number, ...args: Arg[]): Promise<number>;
};

/** One message a second per chat (Telegram's limit). */
const CHAT_INTERVAL_US = 1_000_000;

export class RedisReminderLedger implements ReminderLedger {
  private readonly redis: Redis & Scripts;
  readonly indexKey: string;

  constructor(
    client: Redis,
    private readonly prefix: string,
  ) {
    client.defineCommand("nbReschedule", { lua: RESCHEDULE });
    client.defineCommand("nbRelease", { lua: RELEASE });
    client.defineCommand("nbTakeSlot", { lua: TAKE_SLOT });
    this.redis = client as Redis & Scripts;
    this.indexKey = `${prefix}remind`;
  }

  sentKey(reportId: string): string {
    return `${this.prefix}sent:${reportId}`;
  }

  private get inactiveKey(): string {
    return `${this.prefix}inactive`;
  }

  async backfill(): Promise<void> {
    const reportPrefix = `${this.prefix}report:`;
    let cursor = "0";
    do {
      const [next, keys] = await this.redis.scan(cursor, "MATCH", `${reportPrefix}*`, "COUNT", 500);
      cursor = next;
      if (keys.length > 0)
        await this.redis.zadd(this.indexKey, "NX", ...keys.flatMap((k) => [0, k.slice(reportPrefix.length)]));
    } while (cursor !== "0");
  }

  async due(until: Date, limit: number): Promise<{ id: string; at: number }[]> {
    const flat = await this.redis.zrangebyscore(
      this.indexKey,
      "-inf",
      until.getTime(),
      "WITHSCORES",
      "LIMIT",
      0,
      limit,
    );
    const out: { id: string; at: number }[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) out.push({ id: flat[i] as string, at: Number(flat[i + 1]) });
    return out;
  }

  async reschedule(id: string, seenAt: number, next: number | undefined): Promise<boolean> {
    return (await this.redis.nbReschedule(1, this.indexKey, id, seenAt, next ?? "")) === 1;
  }

  async lease(userId: number, owner: string, ms: number): Promise<boolean> {
    return (await this.redis.set(`${this.prefix}lease:${userId}`, owner, "PX", ms, "NX")) === "OK";
  }

  async release(userId: number, owner: string): Promise<void> {
    await this.redis.nbRelease(1, `${this.prefix}lease:${userId}`, owner);
  }

  async sentStages(userId: number, stages: ReminderStageRef[]): Promise<Set<string>> {
    if (stages.length === 0) return new Set();
    const pipeline = this.redis.pipeline();
    for (const s of stages) pipeline.hexists(this.sentKey(s.reportId), `${s.stage}|${userId}`);
    const replies = (await pipeline.exec()) ?? [];
    const sent = new Set<string>();
    replies.forEach(([err, value], i) => {
      if (err) throw err;
      const ref = stages[i];
      if (value === 1 && ref) sent.add(stageRefKey(ref));
    });
    return sent;
  }

  async recordSent(userId: number, stages: ReminderStageRef[], at: Date): Promise<void> {
    if (stages.length === 0) return;
    const multi = this.redis.multi();
    for (const s of stages) multi.hsetnx(this.sentKey(s.reportId), `${s.stage}|${userId}`, at.toISOString());
    await multi.exec();
  }

  async allSent(): Promise<SentStage[]> {
    const head = this.sentKey("");
    const keys = new Set<string>();
    let cursor = "0";
    do {
      const [next, found] = await this.redis.scan(cursor, "MATCH", `${head}*`, "COUNT", 500);
      cursor = next;
      for (const key of found) keys.add(key);
    } while (cursor !== "0");
    const out: SentStage[] = [];
    for (const key of keys)
      for (const [field, at] of Object.entries(await this.redis.hgetall(key))) {
        // "<stage>|<userId>" (see recordSent).
        const bar = field.lastIndexOf("|");
        const [stage, userId] = [field.slice(0, bar), Number(field.slice(bar + 1))];
        out.push({ reportId: key.slice(head.length), stage, userId, at });
      }
    return out;
  }

  async markInactive(userId: number, at: Date): Promise<void> {
    await this.redis.hset(this.inactiveKey, String(userId), at.toISOString());
  }

  async clearInactive(userId: number): Promise<void> {
    await this.redis.hdel(this.inactiveKey, String(userId));
  }

  async inactive(userIds: number[]): Promise<Map<number, string>> {
    if (userIds.length === 0) return new Map();
    const values = await this.redis.hmget(this.inactiveKey, ...userIds.map(String));
    const out = new Map<number, string>();
    userIds.forEach((id, i) => {
      const at = values[i];
      if (at) out.set(id, at);
    });
    return out;
  }

  async takeSendSlot(chatId: number, perSecond: number): Promise<number> {
    const waitUs = await this.redis.nbTakeSlot(
      2,
      `${this.prefix}rate:all`,
      `${this.prefix}rate:chat:${chatId}`,
      Math.ceil(1_000_000 / perSecond),
      CHAT_INTERVAL_US,
    );
    return waitUs > 0 ? Math.ceil(waitUs / 1000) : 0;
  }
}
