import type { Redis } from "ioredis";
import { z } from "zod";
import { BoundedCache } from "../bounded-cache.js";
import { Campaign } from "../campaign/campaign.js";
import { connectRedis, luaScript } from "./redis-connection.js";
import { RedisReminderLedger } from "./redis-reminders.js";
import {
  allFields,
  bySize,
  changedFields,
  decodeAudit,
  encodeAudit,
  type FieldWrite,
  fieldsOf,
  isLegacy,
  nameFields,
  reportFromFields,
} from "./report-fields.js";
import {
  AUDIT_LIMIT,
  type AuditEntry,
  applyChange,
  byCreatedDesc,
  byUpdatedDesc,
  type Commit,
  type CommitResult,
  campaignWith,
  decode,
  encode,
  HANDLED_LIMIT,
  MEMBER_FRESH_MS,
  memberDiff,
  type NewReport,
  newReport,
  newReportId,
  type Origin,
  PENDING_ACK_LIMIT,
  PendingAck,
  Position,
  pendingAck,
  type ReportChange,
  SCHEMA_VERSION,
  StaleMember,
  StateRecord,
  type Store,
  StoreDataError,
  StoredReport,
  type StoreLimits,
  type StreamAck,
  type UpdateResult,
  UserState,
  userWith,
  validateChange,
  validated,
  withPosition,
} from "./store.js";

/*
 * Keys (all under the prefix):
 *   report:<id>       hash: version (the compare-and-set token) and the report's
 *                     fields (report-fields.ts) of up to SMALL_VALUE bytes, so it
 *                     stays in Redis' compact encoding; v2 and before { version, json }
 *   text:<id>         hash: the report's longer fields (its narrative parts), from v4
 *   audit:<id>        list of audit elements, one per write (report-fields.ts
 *                     encodeAudit), oldest first (RPUSH), bounded
 *   member:<userId>   set of report ids the user may edit
 *   user:<userId>     string (JSON): current report, position
 *   handled:<userId>  sorted set of the update ids handled for the user, by
 *                     arrival (score), bounded to the newest HANDLED_LIMIT
 *   acks:<userId>     list of acknowledgements not yet accepted by Telegram (JSON), bounded
 *   mver:<userId>     the member's version: +1 at every write of their record, their
 *                     acknowledgements or their dialogue state (Store.recall)
 *   state:<key>       string (JSON), conversation state
 *   remind            sorted set of report ids by the next time the reminder
 *                     scheduler looks at them (ms); every report write sets it to now
 *   sent:<reportId>   hash "<stage>|<userId>" → time: reminder stages sent
 *   lease:<userId>    string: the runner composing the officer's reminder (expires)
 *   inactive          hash userId → time the member blocked the bot (403)
 *   rate:all, rate:chat:<chatId>  the shared send rates (theoretical arrival time, µs)
 *   campaign:<id>     hash { version, json }: a campaign, written compare-and-set
 *   campaigns         set of campaign ids
 * Each multi-key write is one Lua script, so it is atomic, and the promise
 * resolves only when Redis has answered: that reply is the acknowledgement.
 * All keys a script touches are passed in KEYS.
 */

/**
 * The once-only write (Store.commit), and also the plain create and
 * compare-and-set writes (without an update id).
 * KEYS: handled, acks, user, report, audit, remind, campaign, campaigns, text, mver,
 *       member sets to add…, member sets to remove… (user, campaign and campaigns
 *       `<prefix>-` when the write has no record or campaign: never touched, so a
 *       short name, still under the prefix)
 * ARGV: 1 update id ('' none), 2 ack JSON ('' none), 3 now in ms, 4 handled limit,
 *       5 pending-ack limit, 6 user JSON ('' leaves it), 7 report mode ('' | 'create' | 'update'),
 *       8 expected version, 9 '1' when the report's fields are written whole, 10 report id,
 *       11 audit limit, 12 number of member sets to add, 13 campaign version to write ('' none),
 *       14 campaign JSON, 15 campaign id, 16 S: number of small field arguments (name, value, …),
 *       17 L: number of large field arguments, 18 D: number of fields to delete,
 *       19 the member version expected ('' none),
 *       20… the S small and L large field arguments, the D fields, the audit list elements
 * Small fields go to the report's hash, large ones to its text hash; a field
 * written to one is removed from the other, a deleted one from both.
 * Returns {'repeat', ack JSON or ''} when the update id was handled before
 * (the ack when it is still unsent), {'stale'} when the member's version is
 * not the one expected, {'conflict', the report's fields…} when
 * the version moved on (nothing when the report is gone), {'legacy'} when only
 * changed fields were sent for a report still stored in an earlier layout (send
 * it whole), {'taken'} when a new report's id exists, {'ok', the member's new
 * version or ''} when written (the version moves when the record or an
 * acknowledgement is written).
 */
const COMMIT = `
local uid = ARGV[1]
if uid ~= '' and redis.call('ZSCORE', KEYS[1], uid) then
  for _, p in ipairs(redis.call('LRANGE', KEYS[2], 0, -1)) do
    if cjson.decode(p).updateId == tonumber(uid) then return {'repeat', p} end
  end
  return {'repeat', ''}
end
if ARGV[19] ~= '' and tonumber(redis.call('GET', KEYS[10]) or '0') ~= tonumber(ARGV[19]) then return {'stale'} end
if ARGV[13] ~= '' then
  local cv = redis.call('HGET', KEYS[7], 'version')
  if (cv and tonumber(cv) or 0) ~= tonumber(ARGV[13]) - 1 then return {'conflict'} end
end
local mode = ARGV[7]
local sets, larges, dels = tonumber(ARGV[16]), tonumber(ARGV[17]), tonumber(ARGV[18])
-- Writes fields from ARGV[from] on (n arguments) to one hash and removes them from the other.
local function put(key, other, from, n)
  if n == 0 then return end
  redis.call('HSET', key, unpack(ARGV, from, from + n - 1))
  local names = {}
  for i = from, from + n - 1, 2 do names[#names + 1] = ARGV[i] end
  redis.call('HDEL', other, unpack(names))
end
if mode == 'create' then
  if redis.call('EXISTS', KEYS[4]) == 1 then return {'taken'} end
  redis.call('DEL', KEYS[9])
  redis.call('HSET', KEYS[4], 'version', 1, unpack(ARGV, 20, 19 + sets))
  if larges > 0 then redis.call('HSET', KEYS[9], unpack(ARGV, 20 + sets, 19 + sets + larges)) end
elseif mode == 'update' then
  local cur = redis.call('HGET', KEYS[4], 'version')
  if not cur or tonumber(cur) ~= tonumber(ARGV[8]) then
    local current = redis.call('HGETALL', KEYS[4])
    for _, x in ipairs(redis.call('HGETALL', KEYS[9])) do current[#current + 1] = x end
    table.insert(current, 1, 'conflict')
    return current
  end
  if ARGV[9] == '1' then
    -- Rewritten whole: every field goes but the authors' names, which the audit trail reads.
    for _, k in ipairs({KEYS[4], KEYS[9]}) do
      local drop = {}
      for _, f in ipairs(redis.call('HKEYS', k)) do
        if string.sub(f, 1, 2) ~= 'w:' then drop[#drop + 1] = f end
      end
      if #drop > 0 then redis.call('HDEL', k, unpack(drop)) end
    end
  elseif redis.call('HGET', KEYS[4], 'v') ~= '${SCHEMA_VERSION}' then
    return {'legacy'}
  end
  redis.call('HSET', KEYS[4], 'version', tonumber(ARGV[8]) + 1)
  put(KEYS[4], KEYS[9], 20, sets)
  put(KEYS[9], KEYS[4], 20 + sets, larges)
  if dels > 0 then
    redis.call('HDEL', KEYS[4], unpack(ARGV, 20 + sets + larges, 19 + sets + larges + dels))
    redis.call('HDEL', KEYS[9], unpack(ARGV, 20 + sets + larges, 19 + sets + larges + dels))
  end
end
if mode ~= '' then
  redis.call('ZADD', KEYS[6], 'LT', ARGV[3], ARGV[10])
  local adds = tonumber(ARGV[12])
  for i = 11, #KEYS do
    if i - 10 <= adds then redis.call('SADD', KEYS[i], ARGV[10]) else redis.call('SREM', KEYS[i], ARGV[10]) end
  end
  local first = 20 + sets + larges + dels
  for i = first, #ARGV do redis.call('RPUSH', KEYS[5], ARGV[i]) end
  if #ARGV >= first then redis.call('LTRIM', KEYS[5], -tonumber(ARGV[11]), -1) end
end
if ARGV[13] ~= '' then
  redis.call('HSET', KEYS[7], 'version', ARGV[13], 'json', ARGV[14])
  redis.call('SADD', KEYS[8], ARGV[15])
end
local mv = ''
if ARGV[6] ~= '' then
  redis.call('SET', KEYS[3], ARGV[6])
  mv = redis.call('INCR', KEYS[10])
end
if uid ~= '' then
  -- Scores only order arrival (for the trim): strictly increasing even within one millisecond.
  local score = tonumber(ARGV[3])
  local top = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
  if top[2] and tonumber(top[2]) >= score then score = tonumber(top[2]) + 1 end
  redis.call('ZADD', KEYS[1], score, uid)
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -tonumber(ARGV[4]) - 1)
  if ARGV[2] ~= '' then
    redis.call('RPUSH', KEYS[2], ARGV[2])
    redis.call('LTRIM', KEYS[2], -tonumber(ARGV[5]), -1)
    if mv == '' then mv = redis.call('INCR', KEYS[10]) end
  end
end
return {'ok', tostring(mv)}`;

/**
 * KEYS: acks, user, mver, inbox stream ('-' none).
 * ARGV: position JSON ('' leaves it, or the next argument carries it), schema version,
 *       inbox group, inbox entry id, the member's record with the new position as the
 *       caller worked it out ('' none), the member version it was worked out at, update ids…
 * Drops the acknowledgements of these updates and sets the member's position
 * in their record: the caller's record when the member's version is the one
 * it was worked out at (nobody wrote the member since), else the record read
 * here with the position put in, so the caller does not read it first. With
 * an inbox entry, acknowledges it in the same step (the update's handling is
 * over once its reply is recorded as sent). Returns {the member's new version
 * or '', their record as written ('=': the caller's, as sent) or ''}.
 */
const MARK_SENT = `
if KEYS[4] ~= '-' then
  redis.call('XACK', KEYS[4], ARGV[3], ARGV[4])
  redis.call('XDEL', KEYS[4], ARGV[4])
end
local sent = {}
for i = 7, #ARGV do sent[tonumber(ARGV[i])] = true end
local pending = redis.call('LRANGE', KEYS[1], 0, -1)
local keep = {}
for _, p in ipairs(pending) do
  if not sent[cjson.decode(p).updateId] then keep[#keep + 1] = p end
end
local changed, written = #keep ~= #pending, ''
if changed then
  redis.call('DEL', KEYS[1])
  if #keep > 0 then redis.call('RPUSH', KEYS[1], unpack(keep)) end
end
if ARGV[5] ~= '' and tonumber(redis.call('GET', KEYS[3]) or '0') == tonumber(ARGV[6]) then
  redis.call('SET', KEYS[2], ARGV[5])
  written, changed = '=', true
elseif ARGV[1] ~= '' or ARGV[5] ~= '' then
  local position = ARGV[1] ~= '' and cjson.decode(ARGV[1]) or cjson.decode(ARGV[5]).position
  local raw = redis.call('GET', KEYS[2])
  local user = raw and cjson.decode(raw) or {v = tonumber(ARGV[2])}
  -- A shown question ends an interrupted dialogue's hold on the next text (store.ts withPosition).
  user.interrupted = nil
  user.position = position
  written, changed = cjson.encode(user), true
  redis.call('SET', KEYS[2], written)
end
if not changed then return {'', ''} end
return {tostring(redis.call('INCR', KEYS[3])), written}`;

/** KEYS: the key, mver ('-' none).  ARGV: value ('' deletes the key). Returns the member's new version or ''. */
const SET_MEMBER = `
if ARGV[1] == '' then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], ARGV[1]) end
if KEYS[2] == '-' then return '' end
return tostring(redis.call('INCR', KEYS[2]))`;

/**
 * KEYS: handled, acks, user, state ('-' none), mver.  ARGV: update id, report key prefix.
 * What an update's handling reads first, in one round trip: whether the
 * update was handled, the member's unsent acknowledgements, their record,
 * the conversation state, and the version of their current report. That
 * report's key comes from the record, so it is not in KEYS (a single Redis,
 * not a cluster).
 */
const SEEN = `
local handled = redis.call('ZSCORE', KEYS[1], ARGV[1]) and 1 or 0
local acks = redis.call('LRANGE', KEYS[2], 0, -1)
local user = redis.call('GET', KEYS[3]) or ''
local state = KEYS[4] ~= '-' and redis.call('GET', KEYS[4]) or ''
local id, version = '', ''
if user ~= '' then
  local ok, doc = pcall(cjson.decode, user)
  if ok and type(doc) == 'table' and type(doc.currentReportId) == 'string' then
    id = doc.currentReportId
    version = redis.call('HGET', ARGV[2] .. id, 'version') or ''
  end
end
return {handled, acks, user, state, id, version, redis.call('GET', KEYS[5]) or '0'}`;

/**
 * KEYS: report, audit, remind, sent, text, member sets…  ARGV: version read by the caller, id.
 * Returns 1 if deleted, 0 if the version changed (members may have changed too), -1 if gone.
 */
const DELETE = `
local cur = redis.call('HGET', KEYS[1], 'version')
if not cur then return -1 end
if tonumber(cur) ~= tonumber(ARGV[1]) then return 0 end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[4], KEYS[5])
redis.call('ZREM', KEYS[3], ARGV[2])
for i = 6, #KEYS do redis.call('SREM', KEYS[i], ARGV[2]) end
return 1`;

/**
 * KEYS: report, text, audit.  ARGV: how many of the newest audit elements to read (0 none).
 * A report's two hashes (and its newest audit elements) as of one moment:
 * an entry may refer to a text the report holds now.
 */
const READ = `
local audit = {}
if tonumber(ARGV[1]) > 0 then audit = redis.call('LRANGE', KEYS[3], -tonumber(ARGV[1]), -1) end
return {redis.call('HGETALL', KEYS[1]), redis.call('HGETALL', KEYS[2]), audit}`;

type Arg = string | number;
type Call<R> = (numKeys: number, args: readonly Arg[]) => Promise<R>;
/** The scripts, by what they return (redis-connection.ts luaScript). */
type Scripts = {
  commit: Call<string[]>;
  markSent: Call<[string, string]>;
  setMember: Call<string>;
  seen: Call<[number, string[], string, string, string, string, string]>;
  delete: Call<number>;
  read: Call<[string[], string[], string[]]>;
};

const KNOWN_REPORTS = 1000;
/** How long the reads done with `seen` stand in for a fresh read (the handling of one update). */
const FIRST_READ_MS = 1000;
const FIRST_READS = 10_000;

/**
 * This process's copy of a member (RedisStore.members): raw JSON as stored, '' for a missing key,
 * and the current report id in `user` (kept with it, so recall does not parse it every update).
 */
type Member = {
  version: number;
  at: number;
  user: string;
  /** `user` decoded (getUser), when it was: every update reads the record, and its JSON changes only with it. */
  decoded?: UserState;
  reportId: string | undefined;
  acks: PendingAck[];
  states: Map<string, string>;
};

/**
 * withPosition of a member's record, and its JSON as encode writes it. Both
 * parts were validated (the record when it was decoded, the position as
 * `positionJson`), so the JSON is put together from them as they are.
 */
function positioned(user: UserState, position: Position, positionJson: string): { state: UserState; json: string } {
  const state = withPosition(user, position);
  const { position: _, ...rest } = state;
  const head = JSON.stringify(rest);
  const fields = head === "{}" ? "" : `${head.slice(1, -1)},`;
  return { state, json: `{"v":${SCHEMA_VERSION},${fields}"position":${positionJson}}` };
}

/** A value `seen` read beside its answer ('' for a missing key), and when. */
type FirstRead<T> = { at: number; value: T };

/** Takes the value out of `reads` (once) while it is fresh. */
function takeFirst<K, T>(reads: Map<K, FirstRead<T>>, key: K): T | undefined {
  const read = reads.get(key);
  if (!read) return undefined;
  reads.delete(key);
  return Date.now() - read.at <= FIRST_READ_MS ? read.value : undefined;
}

function keepFirst<K, T>(reads: Map<K, FirstRead<T>>, key: K, value: T): void {
  if (reads.size >= FIRST_READS) reads.clear();
  reads.set(key, { at: Date.now(), value });
}

/** A report write prepared for the COMMIT script. */
type ReportWrite = {
  mode: "create" | "update";
  next: StoredReport;
  /** The fields of `next` to write: a new report validated whole, an update by what it changes. */
  fields: FieldWrite;
  /** All fields, replacing what is stored (a new report, or one stored in the v2 layout). */
  whole: boolean;
  /** The names of the audit entries' authors (report fields `w:<by>`). */
  names: Map<string, string>;
  expectedVersion: number;
  added: number[];
  removed: number[];
  audit: string[];
};

export class RedisStore implements Store {
  private readonly redis: Redis;
  private readonly scripts: Scripts;
  private readonly handledLimit: number;
  readonly reminders: RedisReminderLedger;

  /** Takes ownership of the client: close() quits it. */
  constructor(
    client: Redis,
    private readonly prefix: string,
    private readonly now: () => Date = () => new Date(),
    limits: StoreLimits = {},
  ) {
    this.scripts = {
      commit: luaScript(client, COMMIT) as Scripts["commit"],
      markSent: luaScript(client, MARK_SENT) as Scripts["markSent"],
      setMember: luaScript(client, SET_MEMBER) as Scripts["setMember"],
      seen: luaScript(client, SEEN) as Scripts["seen"],
      delete: luaScript(client, DELETE) as Scripts["delete"],
      read: luaScript(client, READ) as Scripts["read"],
    };
    this.redis = client;
    this.reminders = new RedisReminderLedger(client, prefix);
    this.handledLimit = limits.handledLimit ?? HANDLED_LIMIT;
  }

  /** Connects before returning, so a wrong URL fails at start-up. */
  static async connect(
    url: string,
    prefix: string,
    now?: () => Date,
    limits?: StoreLimits,
    onError?: (err: Error) => void,
  ): Promise<RedisStore> {
    return new RedisStore(await connectRedis(url, onError), prefix, now, limits);
  }

  /** The ids of the keys `<prefix><kind>:<id>` (SCAN, so Redis is never blocked). */
  private async idsOf(kind: "report" | "user"): Promise<string[]> {
    return (await this.keysAfter(`${this.prefix}${kind}:`)).filter((id) => /^[A-Za-z0-9_-]+$/.test(id));
  }

  /** What follows `head` in every key that starts with it (SCAN, so Redis is never blocked). */
  private async keysAfter(head: string): Promise<string[]> {
    const found = new Set<string>();
    let cursor = "0";
    do {
      const [next, keys] = await this.redis.scan(cursor, "MATCH", `${head}*`, "COUNT", 1000);
      for (const key of keys) found.add(key.slice(head.length));
      cursor = next;
    } while (cursor !== "0");
    return [...found];
  }

  stateKeys(): Promise<string[]> {
    return this.keysAfter(`${this.prefix}state:`);
  }

  reportIds(): Promise<string[]> {
    return this.idsOf("report");
  }

  async userIds(): Promise<number[]> {
    return (await this.idsOf("user")).filter((id) => /^\d+$/.test(id)).map(Number);
  }

  /** Resolves when Redis answers (readiness). */
  async ping(): Promise<void> {
    await this.redis.ping();
  }

  private key(
    kind: "report" | "text" | "audit" | "member" | "user" | "state" | "handled" | "acks" | "campaign" | "mver",
    id: string | number,
  ): string {
    return `${this.prefix}${kind}:${id}`;
  }

  /** Runs the COMMIT script; `origin` absent for the plain create and update writes. */
  private async runCommit(
    origin: Origin | undefined,
    write: ReportWrite | undefined,
    user: { id: number; json: string } | undefined,
    campaign?: Campaign,
    ackJson = "",
  ): Promise<
    | { status: "taken" | "legacy" | "stale" }
    | { status: "ok"; memberVersion?: number }
    | { status: "conflict"; current?: Record<string, string> }
    | { status: "repeat"; unsent?: PendingAck }
  > {
    const owner = origin?.userId ?? user?.id;
    const handledKey = owner === undefined ? this.key("handled", "-") : this.key("handled", owner);
    const acksKey = owner === undefined ? this.key("acks", "-") : this.key("acks", owner);
    const none = `${this.prefix}-`;
    const userKey = user ? this.key("user", user.id) : none;
    const id = write?.next.id ?? "-";
    const reportKey = this.key("report", id);
    const campaignKey = campaign ? this.key("campaign", campaign.id) : none;
    const { small, large } = write ? bySize(write.fields.set, write.names) : { small: [], large: [] };
    const dels = write?.fields.del ?? [];
    // The copy of the member this process handles the update from: the script checks it is current.
    const expected = origin ? this.members.get(origin.userId)?.version : undefined;
    // One array, no intermediate ones: a row answer's command has some 40 arguments.
    const args: Arg[] = [
      handledKey,
      acksKey,
      userKey,
      reportKey,
      this.key("audit", id),
      this.reminders.indexKey,
      campaignKey,
      campaign ? this.campaignsKey : none,
      this.key("text", id),
      owner === undefined ? this.key("mver", "-") : this.key("mver", owner),
    ];
    if (write) {
      for (const u of write.added) args.push(this.key("member", u));
      for (const u of write.removed) args.push(this.key("member", u));
    }
    const numKeys = args.length;
    args.push(
      origin ? origin.updateId : "",
      ackJson,
      this.now().getTime(),
      this.handledLimit,
      PENDING_ACK_LIMIT,
      user ? user.json : "",
      write?.mode ?? "",
      write?.expectedVersion ?? 0,
      write?.whole ? "1" : "0",
      id,
      AUDIT_LIMIT,
      write?.added.length ?? 0,
      campaign?.version ?? "",
      campaign ? encode(Campaign, campaignKey, campaign) : "",
      campaign?.id ?? "",
      small.length,
      large.length,
      dels.length,
      expected ?? "",
      ...small,
      ...large,
      ...dels,
      ...(write?.audit ?? []),
    );
    const reply = await this.scripts.commit(numKeys, args);
    const [status, ack] = reply;
    if (status === "repeat") return ack ? { status, unsent: decode(PendingAck, acksKey, ack) } : { status };
    // The report as it is now: what the caller plans the change again on, without another read.
    if (status === "conflict") return reply.length > 1 ? { status, current: fieldsOf(reply.slice(1)) } : { status };
    if (status === "ok") return ack ? { status, memberVersion: Number(ack) } : { status };
    return { status: status as "taken" | "legacy" | "stale" };
  }

  /** The write of a new report (version 1) under its id, which the script refuses when taken. */
  private createWrite(next: StoredReport, entries: AuditEntry[]): ReportWrite {
    const parsed = StoredReport.safeParse(next);
    if (!parsed.success)
      throw new StoreDataError(
        this.key("report", next.id),
        `refused to write invalid data: ${z.prettifyError(parsed.error)}`,
      );
    const audit = encodeAudit(this.key("audit", next.id), entries, undefined, next);
    const fields = { set: allFields(next), del: [] };
    const names = nameFields(entries);
    return {
      mode: "create",
      next,
      fields,
      whole: true,
      names,
      expectedVersion: 0,
      added: next.members,
      removed: [],
      audit,
    };
  }

  private newWrite(input: NewReport): ReportWrite {
    return this.createWrite(newReport(newReportId(), input, this.now()), input.audit ?? []);
  }

  /** The write of `change` onto `current` (at the version the script will expect). */
  private updateWrite(id: string, current: StoredReport, change: ReportChange, audit: AuditEntry[]): ReportWrite {
    const { cells } = validateChange(this.key("report", id), current, change);
    const next = applyChange(current, change, this.now());
    const entries = encodeAudit(this.key("audit", id), audit, current, next);
    // The script re-checks the version, so the member diff computed from
    // `current` is exactly the change made when the write goes through.
    const { added, removed } = memberDiff(current.members, next.members);
    const whole = this.legacy.has(current);
    return {
      mode: "update",
      next,
      fields: whole ? { set: allFields(next), del: [] } : changedFields(current, next, cells),
      whole,
      names: nameFields(audit),
      expectedVersion: current.version,
      added,
      removed,
      audit: entries,
    };
  }

  async commit(origin: Origin, commit: Commit): Promise<CommitResult> {
    if (commit.create && commit.update) throw new Error("a commit creates or updates a report, not both");
    let write: ReportWrite | undefined;
    if (commit.update) {
      const { id, expectedVersion, change, audit, basis } = commit.update;
      // The script checks the version, so a basis read at that version is as good as a fresh read.
      const current = basis?.id === id && basis.version === expectedVersion ? basis : await this.getReport(id);
      // A stale basis is a conflict; the caller plans again and the next try recognises a repeat.
      if (!current || current.version !== expectedVersion) return { status: "conflict", current };
      write = this.updateWrite(id, current, change, audit);
    }
    for (let attempt = 1; ; attempt++) {
      if (commit.create) write = this.newWrite(commit.create);
      const created = commit.create ? write?.next.id : undefined;
      const state = commit.user && userWith(commit.user, created);
      const user = state && { id: origin.userId, json: encode(UserState, this.key("user", origin.userId), state) };
      if (user) this.firstUsers.delete(user.id);
      const campaign = commit.campaign && campaignWith(commit.campaign.next, created);
      const ack = origin.ack || origin.ackRef ? pendingAck(origin, this.now()) : undefined;
      const ackJson = ack ? encode(PendingAck, this.key("acks", origin.userId), ack) : "";
      let result = await this.runCommit(origin, write, user, campaign, ackJson);
      if (result.status === "legacy" && write)
        result = await this.runCommit(origin, this.asWhole(write), user, campaign, ackJson);
      if (result.status === "repeat") return result;
      if (result.status === "stale") {
        this.forget(origin.userId);
        throw new StaleMember(origin.userId);
      }
      if (result.status === "ok") {
        this.wrote(origin.userId, result.memberVersion, (m) => {
          if (user) {
            m.user = user.json;
            m.decoded = undefined;
            m.reportId = state?.currentReportId;
          }
          if (ack) m.acks = [...m.acks, ack].slice(-PENDING_ACK_LIMIT);
        });
        if (!write) return { status: "applied" };
        return { status: "applied", report: this.remember(this.key("report", write.next.id), write.next) };
      }
      if (result.status === "conflict") return { status: "conflict", current: await this.currentOf(write, result) };
      // A random id that is already taken (56 bits: practically never).
      if (attempt >= 3) throw new Error(`could not find a free report id after ${attempt} attempts`);
    }
  }

  /** The write again, whole: the script found the report still stored in an earlier layout ('legacy'). */
  private asWhole(write: ReportWrite): ReportWrite {
    return { ...write, fields: { set: allFields(write.next), del: [] }, whole: true };
  }

  /** The report a refused write found: from the script's reply, else read. */
  private async currentOf(
    write: ReportWrite | undefined,
    result: { current?: Record<string, string> },
  ): Promise<StoredReport | undefined> {
    const id = write?.next.id ?? "";
    if (!result.current) return this.getReport(id);
    return this.fromFields(this.key("report", id), result.current);
  }

  async markSent(userId: number, updateIds: number[], position?: Position, inboxAck?: StreamAck): Promise<void> {
    const userKey = this.key("user", userId);
    if (updateIds.length === 0 && !position && !inboxAck) return;
    let json = "";
    // The record with the new position, from this process's copy of it (decoded by getUser): the script
    // writes it as it is when the copy is current, so the copy stays decoded (no JSON read back).
    let next: { state: UserState; json: string } | undefined;
    const m = this.members.get(userId);
    if (position) {
      json = JSON.stringify(validated(Position, userKey, position));
      this.firstUsers.delete(userId);
      if (m?.decoded) next = positioned(m.decoded, position, json);
    }
    const args: Arg[] = [
      this.key("acks", userId),
      userKey,
      this.key("mver", userId),
      inboxAck?.stream ?? "-",
      // The record carries the position: not sent twice.
      next ? "" : json,
      SCHEMA_VERSION,
      inboxAck?.group ?? "",
      inboxAck?.id ?? "",
      next?.json ?? "",
      next && m ? m.version : "",
    ];
    for (const id of updateIds) args.push(id);
    const [version, written] = await this.scripts.markSent(4, args);
    this.wrote(userId, version ? Number(version) : undefined, (m) => {
      if (m.acks.length > 0) m.acks = m.acks.filter((a) => !updateIds.includes(a.updateId));
      // The script set the position only: the current report stays.
      if (written === "=" && next) {
        m.user = next.json;
        m.decoded = next.state;
      } else if (written) {
        m.user = written;
        m.decoded = undefined;
      }
    });
  }

  async unsentAcks(userId: number): Promise<PendingAck[]> {
    const key = this.key("acks", userId);
    return (await this.redis.lrange(key, 0, -1)).map((json) => decode(PendingAck, key, json));
  }

  /**
   * What `seen` read beside its answer: the handling of the update reads the
   * member's record, the conversation state and the current report's version
   * next, and gets them from here (each once, within FIRST_READ_MS) instead of
   * another round trip. A write of the record or the state forgets it.
   */
  private readonly firstUsers = new Map<number, FirstRead<string>>();
  private readonly firstStates = new Map<string, FirstRead<string>>();
  private readonly firstVersions = new Map<string, FirstRead<number>>();

  /**
   * This process's copy of each member it handles (Store.recall): their
   * record, unsent acknowledgements and dialogue states as Redis holds them
   * at `version`, confirmed at `at` (read, or written with a version one
   * above this copy's, so nobody else wrote in between).
   */
  private readonly members = new Map<number, Member>();

  recall(userId: number, stateKey?: string): PendingAck[] | undefined {
    const m = this.members.get(userId);
    if (!m || Date.now() - m.at > MEMBER_FRESH_MS) return undefined;
    const state = stateKey === undefined ? "" : m.states.get(stateKey);
    if (state === undefined) return undefined;
    keepFirst(this.firstUsers, userId, m.user);
    if (stateKey !== undefined) keepFirst(this.firstStates, stateKey, state);
    const reportId = m.reportId;
    const copy = reportId === undefined ? undefined : this.known.get(this.key("report", reportId));
    if (reportId !== undefined && copy && this.isFresh(this.key("report", reportId)))
      keepFirst(this.firstVersions, reportId, copy.version);
    return m.acks.slice();
  }

  forget(userId?: number): void {
    if (userId === undefined) {
      this.members.clear();
      this.firstUsers.clear();
      return;
    }
    this.members.delete(userId);
    this.firstUsers.delete(userId);
  }

  /**
   * After this process wrote the member: `version` is the member's version
   * the write left (undefined: it did not move). One above the copy's, the
   * copy is brought up to date; else someone else wrote too: forgotten.
   */
  private wrote(userId: number, version: number | undefined, change: (m: Member) => void): void {
    const m = this.members.get(userId);
    if (!m) return;
    if (version === undefined) {
      change(m);
      return;
    }
    if (version !== m.version + 1) {
      this.members.delete(userId);
      return;
    }
    m.version = version;
    m.at = Date.now();
    change(m);
  }

  async seen(userId: number, updateId: number, stateKey?: string): Promise<{ handled: boolean; unsent: PendingAck[] }> {
    const key = this.key("acks", userId);
    const [handled, pending, user, state, reportId, version, memberVersion] = await this.scripts.seen(5, [
      this.key("handled", userId),
      key,
      this.key("user", userId),
      stateKey === undefined ? "-" : this.key("state", stateKey),
      this.key("mver", userId),
      updateId,
      `${this.prefix}report:`,
    ]);
    const unsent = pending.map((json) => decode(PendingAck, key, json));
    if (this.members.size >= FIRST_READS) this.members.clear();
    this.members.set(userId, {
      version: Number(memberVersion),
      at: Date.now(),
      user,
      // The script read the current report's id from the record.
      reportId: reportId || undefined,
      acks: unsent,
      states: new Map(stateKey === undefined ? [] : [[stateKey, state]]),
    });
    keepFirst(this.firstUsers, userId, user);
    if (stateKey !== undefined) keepFirst(this.firstStates, stateKey, state);
    if (reportId && version) keepFirst(this.firstVersions, reportId, Number(version));
    return { handled: handled === 1, unsent: unsent.slice() };
  }

  async createReport(input: NewReport): Promise<StoredReport> {
    for (let attempt = 1; ; attempt++) {
      const write = this.newWrite(input);
      if ((await this.runCommit(undefined, write, undefined)).status === "ok") return write.next;
      // A random id that is already taken (56 bits: practically never).
      if (attempt >= 3) throw new Error(`could not find a free report id after ${attempt} attempts`);
    }
  }

  async restoreReport(report: StoredReport, audit: AuditEntry[]): Promise<boolean> {
    const write = this.createWrite({ ...report, version: 1 }, audit);
    return (await this.runCommit(undefined, write, undefined)).status === "ok";
  }
  /**
   * Reports this process read or wrote, by key. A stored version never
   * changes, so asking Redis for the version alone tells whether the copy is
   * current: the 10 KB report is then neither fetched nor parsed again.
   * Bounded; callers treat reports as immutable values.
   */
  private readonly known = new BoundedCache<string, StoredReport>(KNOWN_REPORTS);

  /** Reports read in an earlier layout (v2, v3): their next write rewrites them whole in fields. */
  private readonly legacy = new WeakSet<StoredReport>();

  /** When each known report was last read or written (Store.recall trusts a fresh one's version). */
  private readonly verified = new Map<string, number>();

  private remember(key: string, report: StoredReport): StoredReport {
    this.confirmed(key);
    return this.known.set(key, report);
  }

  private confirmed(key: string): void {
    if (this.verified.size >= KNOWN_REPORTS * 10) this.verified.clear();
    this.verified.set(key, Date.now());
  }

  private isFresh(key: string): boolean {
    const at = this.verified.get(key);
    return at !== undefined && Date.now() - at <= MEMBER_FRESH_MS;
  }

  private fromFields(key: string, fields: Record<string, string>): StoredReport {
    const report = reportFromFields(key, fields);
    if (isLegacy(fields)) this.legacy.add(report);
    return this.remember(key, report);
  }

  async getReport(id: string): Promise<StoredReport | undefined> {
    const key = this.key("report", id);
    const copy = this.known.get(key);
    if (copy) {
      const first = takeFirst(this.firstVersions, id);
      const version = first ?? (await this.redis.hget(key, "version"));
      if (version !== null && Number(version) === copy.version) {
        if (first === undefined) this.confirmed(key);
        return copy;
      }
    }
    const [small, large] = await this.scripts.read(3, [key, this.key("text", id), this.key("audit", id), 0]);
    if (small.length === 0) {
      this.known.delete(key);
      return undefined;
    }
    return this.fromFields(key, { ...fieldsOf(large), ...fieldsOf(small) });
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
    // The script checks the version, so a basis read at that version is as good as a fresh read.
    const current = basis?.id === id && basis.version === expectedVersion ? basis : await this.getReport(id);
    if (!current || current.version !== expectedVersion) return { ok: false, current };
    const write = this.updateWrite(id, current, change, audit);
    let result = await this.runCommit(undefined, write, undefined);
    if (result.status === "legacy") result = await this.runCommit(undefined, this.asWhole(write), undefined);
    if (result.status === "ok") return { ok: true, report: this.remember(this.key("report", id), write.next) };
    return { ok: false, current: await this.currentOf(write, result.status === "conflict" ? result : {}) };
  }

  async deleteReport(id: string): Promise<boolean> {
    const key = this.key("report", id);
    for (;;) {
      const current = await this.getReport(id);
      if (!current) return false;
      const setKeys = current.members.map((u) => this.key("member", u));
      const result = await this.scripts.delete(5 + setKeys.length, [
        key,
        this.key("audit", id),
        this.reminders.indexKey,
        this.reminders.sentKey(id),
        this.key("text", id),
        ...setKeys,
        current.version,
        id,
      ]);
      if (result !== 0) return result === 1;
      // Changed between the read and the script: read the members again.
    }
  }

  async history(id: string, limit: number): Promise<AuditEntry[]> {
    const wanted = Math.min(limit, AUDIT_LIMIT);
    if (wanted <= 0) return [];
    const key = this.key("audit", id);
    // An element holds one write's entries (an anchor none): read more elements while they hold too few.
    for (let elements = wanted; ; elements *= 2) {
      const [small, large, raws] = await this.scripts.read(3, [
        this.key("report", id),
        this.key("text", id),
        key,
        elements,
      ]);
      const entries = decodeAudit(key, raws.reverse(), { ...fieldsOf(large), ...fieldsOf(small) });
      if (entries.length >= wanted || raws.length < elements) return entries.slice(0, wanted);
    }
  }

  private get campaignsKey(): string {
    return `${this.prefix}campaigns`;
  }

  async getCampaign(id: string): Promise<Campaign | undefined> {
    const key = this.key("campaign", id);
    const json = await this.redis.hget(key, "json");
    return json === null ? undefined : decode(Campaign, key, json);
  }

  async listCampaigns(): Promise<Campaign[]> {
    const ids = await this.redis.smembers(this.campaignsKey);
    const campaigns = await Promise.all(ids.map((id) => this.getCampaign(id)));
    return campaigns.filter((c): c is Campaign => c !== undefined).sort(byCreatedDesc);
  }

  async getUser(userId: number): Promise<UserState> {
    const key = this.key("user", userId);
    const json = takeFirst(this.firstUsers, userId) ?? (await this.redis.get(key));
    if (json === null || json === "") return {};
    const m = this.members.get(userId);
    if (m?.decoded && m.user === json) return m.decoded;
    const state = decode(UserState, key, json);
    if (m && m.user === json) m.decoded = state;
    return state;
  }

  async setUser(userId: number, state: UserState): Promise<void> {
    const key = this.key("user", userId);
    this.firstUsers.delete(userId);
    const json = encode(UserState, key, state);
    const version = await this.scripts.setMember(2, [key, this.key("mver", userId), json]);
    this.wrote(userId, Number(version), (m) => {
      m.user = json;
      m.decoded = undefined;
      m.reportId = state.currentReportId;
    });
  }

  async readState(key: string): Promise<unknown | undefined> {
    const k = this.key("state", key);
    const json = takeFirst(this.firstStates, key) ?? (await this.redis.get(k));
    return json === null || json === "" ? undefined : decode(StateRecord, k, json).value;
  }

  async writeState(key: string, value: unknown, owner?: number): Promise<void> {
    const k = this.key("state", key);
    await this.setState(key, encode(StateRecord, k, { value }), owner);
  }

  deleteState(key: string, owner?: number): Promise<void> {
    return this.setState(key, "", owner);
  }

  /** Writes ('' deletes) a state; a member's dialogue state moves their version. */
  private async setState(key: string, json: string, owner: number | undefined): Promise<void> {
    this.firstStates.delete(key);
    const mver = owner === undefined ? "-" : this.key("mver", owner);
    const version = await this.scripts.setMember(2, [this.key("state", key), mver, json]);
    if (owner === undefined) {
      // A state of no member: any copy holding it is dropped.
      for (const [id, m] of this.members) if (m.states.has(key)) this.members.delete(id);
      return;
    }
    this.wrote(owner, Number(version), (m) => {
      m.states.set(key, json);
    });
  }

  async close(): Promise<void> {
    if (this.redis.status !== "end") await this.redis.quit();
  }
}
