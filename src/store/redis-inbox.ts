import { hostname } from "node:os";
import type { Update } from "grammy/types";
import type { Redis } from "ioredis";
import { chatKeyOf, INBOX_PARTITIONS, type Inbox, type InboxEntry, partitionOf, SEEN_FOR_MS } from "./inbox.js";
import { COMMAND_TIMEOUT_MS, connectRedis } from "./redis-connection.js";
import type { StreamAck } from "./store.js";

/*
 * Keys (all under the prefix):
 *   inbox:<p>          stream of partition p, consumer group "bot"; an entry
 *                      is XACKed and XDELed once handled, so XLEN is the lag
 *   inbox:lease:<p>    the consumer that holds partition p (PX lease)
 *   inbox:consumers    sorted set of live consumers by last heartbeat (ms)
 *   inbox:seen         sorted set of update ids appended in the last day
 */

const GROUP = "bot";
/** A consumer that has not renewed its leases for this long is taken for dead. */
const LEASE_MS = 5_000;
/** Leases are renewed this often (well inside LEASE_MS). */
const TICK_MS = 1_000;

/** KEYS: seen, streams…  ARGV: now, seen-for ms, then (update id, partition index, json) triples. Returns the count added. */
const APPEND = `
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
local added = 0
for i = 3, #ARGV, 3 do
  if redis.call('ZADD', KEYS[1], 'NX', now, ARGV[i]) == 1 then
    redis.call('XADD', KEYS[tonumber(ARGV[i + 1]) + 2], '*', 'u', ARGV[i + 2])
    added = added + 1
  end
end
return added`;

/**
 * KEYS: consumers, leases…  ARGV: me, now, lease ms, draining (1/0).
 * Heartbeats, renews this consumer's leases and, unless draining, takes free
 * partitions up to its fair share. Returns {share, owned partition indexes…}.
 */
const CLAIM = `
local me, now, ttl = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
if ARGV[4] == '1' then redis.call('ZREM', KEYS[1], me) else redis.call('ZADD', KEYS[1], now, me) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - ttl)
local live = math.max(redis.call('ZCARD', KEYS[1]), 1)
local share = math.ceil((#KEYS - 1) / live)
local owned = {}
for i = 2, #KEYS do
  if redis.call('GET', KEYS[i]) == me then
    redis.call('PEXPIRE', KEYS[i], ttl)
    owned[#owned + 1] = i - 2
  end
end
if ARGV[4] ~= '1' then
  for i = 2, #KEYS do
    if #owned >= share then break end
    if redis.call('SET', KEYS[i], me, 'NX', 'PX', ttl) then owned[#owned + 1] = i - 2 end
  end
end
table.insert(owned, 1, share)
return owned`;

/** KEYS: leases to give back.  ARGV: me. */
const RELEASE = `
for i = 1, #KEYS do
  if redis.call('GET', KEYS[i]) == ARGV[1] then redis.call('DEL', KEYS[i]) end
end
return 1`;

/** KEYS: stream.  ARGV: group, entry id. */
const ACK = `
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
return 1`;

type Scripts = {
  nbInboxAppend(numKeys: number, ...args: (string | number)[]): Promise<number>;
  nbInboxClaim(numKeys: number, ...args: (string | number)[]): Promise<number[]>;
  nbInboxRelease(numKeys: number, ...args: (string | number)[]): Promise<number>;
  nbInboxAck(numKeys: number, ...args: (string | number)[]): Promise<number>;
};

type StreamEntries = [id: string, fields: string[]][];

type Partition = {
  /** Locally known end of the lease (ms); nothing of the partition is handled after it. */
  validUntil: number;
  /** Entries an earlier owner took and never acknowledged must be claimed first. */
  claimPending: boolean;
  /** Given back once its entries in flight are acknowledged (more consumers came). */
  releasing: boolean;
  inFlight: number;
};

export class RedisInbox implements Inbox {
  private readonly partitions = new Map<number, Partition>();
  /** Entries ("partition/id") taken and not yet acknowledged or left. */
  private readonly inFlight = new Set<string>();
  private nextTick = 0;
  private draining = false;
  private taken = 0;

  private constructor(
    private readonly redis: Redis & Scripts,
    /** Blocking reads get their own connection, so they never hold up the handlers' commands. */
    private readonly reader: Redis,
    private readonly prefix: string,
    /**
     * This consumer's name. A process started again under the same name (a
     * container restarted: same host name, pid 1) takes its leases and its
     * unacknowledged entries back at once instead of waiting for the leases
     * to expire; two live consumers must never share one.
     */
    readonly consumer: string,
    private readonly now: () => number,
  ) {}

  static async connect(
    url: string,
    prefix: string,
    consumer = defaultConsumerName(),
    now: () => number = Date.now,
  ): Promise<RedisInbox> {
    const redis = await connectRedis(url);
    // The blocking read waits up to its own timeout; give the connection room beyond it.
    const reader = await connectRedis(url, undefined, { commandTimeout: COMMAND_TIMEOUT_MS + 2000 });
    redis.defineCommand("nbInboxAppend", { lua: APPEND });
    redis.defineCommand("nbInboxClaim", { lua: CLAIM });
    redis.defineCommand("nbInboxRelease", { lua: RELEASE });
    redis.defineCommand("nbInboxAck", { lua: ACK });
    const inbox = new RedisInbox(redis as Redis & Scripts, reader, prefix, consumer, now);
    for (let p = 0; p < INBOX_PARTITIONS; p++) {
      await redis.xgroup("CREATE", inbox.stream(p), GROUP, "0", "MKSTREAM").catch((err: Error) => {
        if (!err.message.includes("BUSYGROUP")) throw err;
      });
    }
    return inbox;
  }

  private stream(p: number): string {
    return `${this.prefix}inbox:${p}`;
  }

  private lease(p: number): string {
    return `${this.prefix}inbox:lease:${p}`;
  }

  async append(updates: Update[]): Promise<void> {
    if (updates.length === 0) return;
    const streams = Array.from({ length: INBOX_PARTITIONS }, (_, p) => this.stream(p));
    const args = updates.flatMap((u) => [u.update_id, partitionOf(chatKeyOf(u)), JSON.stringify(u)]);
    await this.redis.nbInboxAppend(
      1 + streams.length,
      `${this.prefix}inbox:seen`,
      ...streams,
      this.now(),
      SEEN_FOR_MS,
      ...args,
    );
  }

  /** Renews the leases and takes this consumer's share of free partitions. */
  private async tick(): Promise<void> {
    const started = this.now();
    if (started < this.nextTick) return;
    this.nextTick = started + TICK_MS;
    const leases = Array.from({ length: INBOX_PARTITIONS }, (_, p) => this.lease(p));
    const [share = 1, ...owned] = await this.redis.nbInboxClaim(
      1 + leases.length,
      `${this.prefix}inbox:consumers`,
      ...leases,
      this.consumer,
      started,
      LEASE_MS,
      this.draining ? 1 : 0,
    );
    const ownedSet = new Set(owned);
    for (const p of this.partitions.keys()) if (!ownedSet.has(p)) this.partitions.delete(p);
    for (const p of owned) {
      const state = this.partitions.get(p);
      if (state) state.validUntil = started + LEASE_MS;
      else {
        this.taken++;
        this.partitions.set(p, { validUntil: started + LEASE_MS, claimPending: true, releasing: false, inFlight: 0 });
      }
    }
    // More consumers than before: give back what is above the share, once idle.
    const mine = [...this.partitions.entries()].filter(([, s]) => !s.releasing);
    for (const [, state] of mine.slice(share)) state.releasing = true;
    await this.releaseIdle();
  }

  private async releaseIdle(): Promise<void> {
    const idle = [...this.partitions.entries()].filter(([, s]) => s.releasing && s.inFlight === 0).map(([p]) => p);
    if (idle.length === 0) return;
    await this.redis.nbInboxRelease(idle.length, ...idle.map((p) => this.lease(p)), this.consumer);
    for (const p of idle) this.partitions.delete(p);
  }

  async take(max: number, waitMs: number): Promise<InboxEntry[]> {
    try {
      return await this.takeOnce(max, waitMs);
    } catch (err) {
      // A read that timed out (Redis stalled) may still run when Redis resumes, handing entries to
      // this consumer whose reply nobody reads: claim this consumer's own pending entries again.
      for (const state of this.partitions.values()) state.claimPending = true;
      throw err;
    }
  }

  private async takeOnce(max: number, waitMs: number): Promise<InboxEntry[]> {
    await this.tick();
    const now = this.now();
    const open = [...this.partitions.entries()].filter(([, s]) => !s.releasing && s.validUntil > now);
    const taken: InboxEntry[] = [];
    // What an earlier owner took and never acknowledged comes first: it is older than anything unread.
    for (const [p, state] of open) {
      if (!state.claimPending) continue;
      let cursor = "0-0";
      do {
        const [next, entries] = (await this.redis.xautoclaim(
          this.stream(p),
          GROUP,
          this.consumer,
          0,
          cursor,
          "COUNT",
          100,
        )) as [string, StreamEntries];
        taken.push(...this.entries(p, entries));
        cursor = next;
      } while (cursor !== "0-0");
      state.claimPending = false;
    }
    if (taken.length > 0 || open.length === 0) {
      if (open.length === 0 && waitMs > 0) await sleep(Math.min(waitMs, TICK_MS));
      return taken;
    }
    const reply = (await this.reader.xreadgroup(
      "GROUP",
      GROUP,
      this.consumer,
      "COUNT",
      max,
      // BLOCK 0 would wait for ever.
      "BLOCK",
      Math.max(1, Math.min(waitMs, COMMAND_TIMEOUT_MS)),
      "STREAMS",
      ...open.map(([p]) => this.stream(p)),
      ...open.map(() => ">"),
    )) as [string, StreamEntries][] | null;
    for (const [key, entries] of reply ?? []) {
      taken.push(...this.entries(Number(key.slice(key.lastIndexOf(":") + 1)), entries));
    }
    return taken;
  }

  private entries(p: number, entries: StreamEntries): InboxEntry[] {
    const out: InboxEntry[] = [];
    for (const [id, fields] of entries) {
      if (!fields) continue; // deleted meanwhile
      // Claimed again while this consumer handles it. (Ids are per stream: two partitions may share one.)
      if (this.inFlight.has(`${p}/${id}`)) continue;
      this.inFlight.add(`${p}/${id}`);
      const json = fields[fields.indexOf("u") + 1];
      if (json === undefined) continue;
      out.push({ id, partition: p, update: JSON.parse(json) as Update });
    }
    const state = this.partitions.get(p);
    if (state) state.inFlight += out.length;
    return out;
  }

  handovers(): number {
    return this.taken;
  }

  owns(entry: InboxEntry): boolean {
    const state = this.partitions.get(entry.partition);
    return state !== undefined && state.validUntil > this.now();
  }

  async ack(entry: InboxEntry, also?: (streamAck?: StreamAck) => Promise<void>): Promise<void> {
    if (also) await also({ stream: this.stream(entry.partition), group: GROUP, id: entry.id });
    else await this.redis.nbInboxAck(1, this.stream(entry.partition), GROUP, entry.id);
    this.leave(entry);
  }

  /** The entry is no longer in flight here (acknowledged, or left for the next owner in the group's pending list). */
  leave(entry: InboxEntry): void {
    this.inFlight.delete(`${entry.partition}/${entry.id}`);
    const state = this.partitions.get(entry.partition);
    if (state) state.inFlight = Math.max(0, state.inFlight - 1);
  }

  async lag(): Promise<number> {
    const pipeline = this.redis.pipeline();
    for (let p = 0; p < INBOX_PARTITIONS; p++) pipeline.xlen(this.stream(p));
    const replies = (await pipeline.exec()) ?? [];
    let total = 0;
    for (const [err, n] of replies) {
      if (err) throw err;
      total += Number(n);
    }
    return total;
  }

  async release(): Promise<void> {
    this.draining = true;
    for (const state of this.partitions.values()) state.releasing = true;
    const leases = [...this.partitions.keys()].map((p) => this.lease(p));
    await this.redis.zrem(`${this.prefix}inbox:consumers`, this.consumer);
    if (leases.length > 0) await this.redis.nbInboxRelease(leases.length, ...leases, this.consumer);
    this.partitions.clear();
  }

  async close(): Promise<void> {
    this.reader.disconnect();
    if (this.redis.status !== "end") await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/** Host name and pid: stable across restarts of a container, unique among processes of one host. */
export function defaultConsumerName(): string {
  return `${hostname()}-${process.pid}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
