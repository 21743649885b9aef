import type { Redis } from "ioredis";
import type { Draft } from "../form/draft.js";
import { connectRedis } from "./redis-connection.js";
import {
  AUDIT_LIMIT,
  AuditEntry,
  applyChange,
  byUpdatedDesc,
  decode,
  encode,
  memberDiff,
  newReport,
  newReportId,
  type ReportChange,
  StateRecord,
  type Store,
  StoredReport,
  type UpdateResult,
  UserState,
} from "./store.js";

/*
 * Keys (all under the prefix):
 *   report:<id>      hash { version, json }: version is the compare-and-set token
 *   audit:<id>       list of audit entries, oldest first (RPUSH), bounded
 *   member:<userId>  set of report ids the user may edit
 *   user:<userId>    string (JSON)
 *   state:<key>      string (JSON), conversation state
 * Each multi-key write is one Lua script, so it is atomic, and the promise
 * resolves only when Redis has answered: that reply is the acknowledgement.
 * All keys a script touches are passed in KEYS.
 */

/** KEYS: report, member sets…  ARGV: json, id. Returns 0 if the id is taken. */
const CREATE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'version', 1, 'json', ARGV[1])
for i = 2, #KEYS do redis.call('SADD', KEYS[i], ARGV[2]) end
return 1`;

/**
 * KEYS: report, audit, member sets to add…, member sets to remove…
 * ARGV: expected version, json, id, audit limit, number of sets to add, audit entries…
 * Returns 1 if written, 0 if the version no longer matches.
 * The audit list is trimmed to the last ARGV[4] (AUDIT_LIMIT = 1000) entries so
 * a busy report's trail cannot grow without bound.
 */
const UPDATE = `
local cur = redis.call('HGET', KEYS[1], 'version')
if not cur or tonumber(cur) ~= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'version', tonumber(ARGV[1]) + 1, 'json', ARGV[2])
local adds = tonumber(ARGV[5])
for i = 3, #KEYS do
  if i - 2 <= adds then redis.call('SADD', KEYS[i], ARGV[3]) else redis.call('SREM', KEYS[i], ARGV[3]) end
end
for i = 6, #ARGV do redis.call('RPUSH', KEYS[2], ARGV[i]) end
if #ARGV >= 6 then redis.call('LTRIM', KEYS[2], -tonumber(ARGV[4]), -1) end
return 1`;

/**
 * KEYS: report, audit, member sets…  ARGV: version read by the caller, id.
 * Returns 1 if deleted, 0 if the version changed (members may have changed too), -1 if gone.
 */
const DELETE = `
local cur = redis.call('HGET', KEYS[1], 'version')
if not cur then return -1 end
if tonumber(cur) ~= tonumber(ARGV[1]) then return 0 end
redis.call('DEL', KEYS[1], KEYS[2])
for i = 3, #KEYS do redis.call('SREM', KEYS[i], ARGV[2]) end
return 1`;

type Arg = string | number;
type Scripts = {
  nbCreate(numKeys: number, ...args: Arg[]): Promise<number>;
  nbUpdate(numKeys: number, ...args: Arg[]): Promise<number>;
  nbDelete(numKeys: number, ...args: Arg[]): Promise<number>;
};

const KNOWN_REPORTS = 1000;

export class RedisStore implements Store {
  private readonly redis: Redis & Scripts;

  /** Takes ownership of the client: close() quits it. */
  constructor(
    client: Redis,
    private readonly prefix: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    client.defineCommand("nbCreate", { lua: CREATE });
    client.defineCommand("nbUpdate", { lua: UPDATE });
    client.defineCommand("nbDelete", { lua: DELETE });
    this.redis = client as Redis & Scripts;
  }

  /** Connects before returning, so a wrong URL fails at start-up. */
  static async connect(
    url: string,
    prefix: string,
    now?: () => Date,
    onError?: (err: Error) => void,
  ): Promise<RedisStore> {
    return new RedisStore(await connectRedis(url, onError), prefix, now);
  }

  /** Resolves when Redis answers (readiness). */
  async ping(): Promise<void> {
    await this.redis.ping();
  }

  private key(kind: "report" | "audit" | "member" | "user" | "state", id: string | number): string {
    return `${this.prefix}${kind}:${id}`;
  }

  async createReport(input: { draft: Draft; members: number[]; deadline?: string }): Promise<StoredReport> {
    for (let attempt = 1; ; attempt++) {
      const report = newReport(newReportId(), input, this.now());
      const key = this.key("report", report.id);
      const json = encode(StoredReport, key, report);
      const memberKeys = report.members.map((u) => this.key("member", u));
      if ((await this.redis.nbCreate(1 + memberKeys.length, key, ...memberKeys, json, report.id)) === 1) return report;
      // A random id that is already taken (56 bits: practically never).
      if (attempt >= 3) throw new Error(`could not find a free report id after ${attempt} attempts`);
    }
  }

  /**
   * Reports this process read or wrote, by key. A stored version never
   * changes, so asking Redis for the version alone tells whether the copy is
   * current: the 10 KB report is then neither fetched nor parsed again.
   * Bounded; callers treat reports as immutable values.
   */
  private readonly known = new Map<string, StoredReport>();

  private remember(key: string, report: StoredReport): StoredReport {
    this.known.delete(key);
    if (this.known.size >= KNOWN_REPORTS) this.known.delete(this.known.keys().next().value as string);
    this.known.set(key, report);
    return report;
  }

  async getReport(id: string): Promise<StoredReport | undefined> {
    const key = this.key("report", id);
    const copy = this.known.get(key);
    if (copy) {
      const version = await this.redis.hget(key, "version");
      if (version !== null && Number(version) === copy.version) return copy;
    }
    const json = await this.redis.hget(key, "json");
    if (json === null) {
      this.known.delete(key);
      return undefined;
    }
    return this.remember(key, decode(StoredReport, key, json));
  }

  async listReports(userId: number): Promise<StoredReport[]> {
    const ids = await this.redis.smembers(this.key("member", userId));
    const reports = await Promise.all(ids.map((id) => this.getReport(id)));
    return reports.filter((r): r is StoredReport => r?.members.includes(userId) === true).sort(byUpdatedDesc);
  }

  async updateReport(
    id: string,
    expectedVersion: number,
    change: ReportChange,
    audit: AuditEntry[],
    basis?: StoredReport,
  ): Promise<UpdateResult> {
    const key = this.key("report", id);
    const auditKey = this.key("audit", id);
    const entries = audit.map((e, i) => encode(AuditEntry, `${auditKey}[${i}]`, e));
    // The script checks the version, so a basis read at that version is as good as a fresh read.
    const current = basis?.id === id && basis.version === expectedVersion ? basis : await this.getReport(id);
    if (!current || current.version !== expectedVersion) return { ok: false, current };
    const next = applyChange(current, change, this.now());
    const json = encode(StoredReport, key, next);
    // The script re-checks the version, so the member diff computed from
    // `current` is exactly the change made when the write goes through.
    const { added, removed } = memberDiff(current.members, next.members);
    const setKeys = [...added, ...removed].map((u) => this.key("member", u));
    const args = [expectedVersion, json, id, AUDIT_LIMIT, added.length, ...entries];
    const written = await this.redis.nbUpdate(2 + setKeys.length, key, auditKey, ...setKeys, ...args);
    if (written === 1) return { ok: true, report: this.remember(key, next) };
    return { ok: false, current: await this.getReport(id) };
  }

  async deleteReport(id: string): Promise<boolean> {
    const key = this.key("report", id);
    for (;;) {
      const current = await this.getReport(id);
      if (!current) return false;
      const setKeys = current.members.map((u) => this.key("member", u));
      const result = await this.redis.nbDelete(
        2 + setKeys.length,
        key,
        this.key("audit", id),
        ...setKeys,
        current.version,
        id,
      );
      if (result !== 0) return result === 1;
      // Changed between the read and the script: read the members again.
    }
  }

  async history(id: string, limit: number): Promise<AuditEntry[]> {
    if (limit <= 0) return [];
    const key = this.key("audit", id);
    const newestFirst = (await this.redis.lrange(key, -limit, -1)).reverse();
    return newestFirst.map((json, i) => decode(AuditEntry, `${key}[-${i + 1}]`, json));
  }

  async getUser(userId: number): Promise<UserState> {
    const key = this.key("user", userId);
    const json = await this.redis.get(key);
    return json === null ? {} : decode(UserState, key, json);
  }

  async setUser(userId: number, state: UserState): Promise<void> {
    const key = this.key("user", userId);
    await this.redis.set(key, encode(UserState, key, state));
  }

  async readState(key: string): Promise<unknown | undefined> {
    const k = this.key("state", key);
    const json = await this.redis.get(k);
    return json === null ? undefined : decode(StateRecord, k, json).value;
  }

  async writeState(key: string, value: unknown): Promise<void> {
    const k = this.key("state", key);
    await this.redis.set(k, encode(StateRecord, k, { value }));
  }

  async deleteState(key: string): Promise<void> {
    await this.redis.del(this.key("state", key));
  }

  async close(): Promise<void> {
    if (this.redis.status !== "end") await this.redis.quit();
  }
}
