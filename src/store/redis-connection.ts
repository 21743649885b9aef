import { createHash } from "node:crypto";
import { Command, Redis, type RedisOptions } from "ioredis";

/**
 * How the bot talks to Redis when Redis misbehaves (issue "Production" 3):
 * a stalled or dead Redis makes a command fail within COMMAND_TIMEOUT_MS
 * instead of silencing the officer, commands are never queued while the
 * connection is down (the caller answers "暂时无法保存" at once), and the
 * client reconnects by itself.
 */

export const COMMAND_TIMEOUT_MS = 1500;
const CONNECT_TIMEOUT_MS = 2000;

export const REDIS_OPTIONS: RedisOptions = {
  lazyConnect: true,
  connectTimeout: CONNECT_TIMEOUT_MS,
  commandTimeout: COMMAND_TIMEOUT_MS,
  // No offline queue: a command while disconnected fails at once rather than waiting unbounded.
  enableOfflineQueue: false,
  // A command in flight when the connection drops fails instead of being sent again after reconnecting.
  maxRetriesPerRequest: 0,
  autoResendUnfulfilledCommands: false,
  // Reconnect for ever, quickly at first, at most every 2 s.
  retryStrategy: (times) => Math.min(100 * times, 2000),
};

/** A Redis client with the fault options; connects before returning, so a wrong URL fails early. */
export async function connectRedis(
  url: string,
  onError?: (err: Error) => void,
  options: RedisOptions = {},
): Promise<Redis> {
  const client = new Redis(url, { ...REDIS_OPTIONS, ...options });
  coalesceWrites(client);
  let last: Error | undefined;
  // Without a listener ioredis prints every connection error with a stack trace.
  client.on("error", (err: Error) => {
    last = err;
    onError?.(err);
  });
  try {
    await client.connect();
  } catch (err) {
    client.disconnect();
    // connect() only says "Connection is closed."; the error event says why.
    throw last ?? err;
  }
  return client;
}

/**
 * Sends the commands issued in one turn of the event loop in one socket
 * write. ioredis writes every command to the socket at once, a system call
 * each (with loopback TCP, the kernel's delivery to Redis is charged to that
 * call): under load, replies arrive in batches, and the handlers they resume
 * issue their next commands in the same turn. Corking the socket until the
 * pending callbacks of this turn ran (process.nextTick runs after them)
 * writes them together; the order of the commands is unchanged. Every new
 * connection (a reconnect) gets its socket wrapped.
 */
function coalesceWrites(client: Redis): void {
  const wrapped = new WeakSet<object>();
  client.on("connect", () => {
    const stream = client.stream;
    if (wrapped.has(stream)) return;
    wrapped.add(stream);
    const write = stream.write;
    let corked = false;
    const uncork = () => {
      corked = false;
      stream.uncork();
    };
    stream.write = function (this: typeof stream, ...args: Parameters<typeof write>) {
      if (!corked) {
        corked = true;
        stream.cork();
        process.nextTick(uncork);
      }
      return write.apply(this, args);
    } as typeof write;
  });
}

/** A Lua script's call: `numKeys` keys, then the other arguments. */
export type ScriptCall = (numKeys: number, args: readonly (string | number)[]) => Promise<unknown>;

/**
 * Calls a Lua script as ioredis' defineCommand does (EVAL on a connection's
 * first call, which loads it, EVALSHA after; EVAL again when Redis answers
 * NOSCRIPT, e.g. after a restart), but without its argument handling: a
 * defined command copies its arguments three times, and ioredis' Command
 * flattens them with Array.prototype.flat, which costs about half a
 * microsecond an element here (20 µs for the commit's 45 arguments, more
 * than the script takes in Redis). The arguments are copied once, as
 * strings, into the command.
 */
export function luaScript(client: Redis, lua: string): ScriptCall {
  const sha = createHash("sha1").update(lua).digest("hex");
  /** The connections (sockets) this script was sent to in full. */
  const loaded = new WeakSet<object>();
  class ScriptCommand extends Command {
    constructor(args: string[]) {
      // Nothing to flatten in the constructor; the arguments are set as they are.
      super("evalsha", [], { replyEncoding: "utf8" });
      this.args = args;
    }
    override toWritable(socket: object): string | Buffer {
      if (!loaded.has(socket)) {
        loaded.add(socket);
        this.name = "eval";
        this.args[0] = lua;
      } else if (this.name === "eval") {
        this.name = "evalsha";
        this.args[0] = sha;
      }
      return super.toWritable(socket);
    }
  }
  const send = (numKeys: number, args: readonly (string | number)[]) => {
    const call = new Array<string>(args.length + 2);
    call[0] = sha;
    call[1] = String(numKeys);
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      call[i + 2] = typeof a === "string" ? a : String(a);
    }
    // sendCommand returns the command's promise (typed unknown).
    return client.sendCommand(new ScriptCommand(call)) as Promise<unknown>;
  };
  return (numKeys, args) =>
    send(numKeys, args).catch((err: Error) => {
      if (!err.message.includes("NOSCRIPT")) throw err;
      // Redis lost its scripts (a restart): send it in full again.
      loaded.delete(client.stream);
      return send(numKeys, args);
    });
}

/** Short, stack-free reason for a connection failure: "ECONNREFUSED", "WRONGPASS …". */
export function redisFailure(err: unknown): string {
  const e = err as { code?: string; message?: string };
  return e.code ?? e.message?.split("\n")[0] ?? String(err);
}

/**
 * Whether Redis appends every write to its AOF. CONFIG may be refused
 * (managed Redis renames it), then INFO persistence says it too.
 */
export async function aofEnabled(redis: Redis): Promise<boolean> {
  try {
    const reply = (await redis.config("GET", "appendonly")) as string[];
    if (reply.length >= 2) return reply[1] === "yes";
  } catch {
    // CONFIG refused: fall back to INFO.
  }
  const info = await redis.info("persistence");
  return /^aof_enabled:1\s*$/m.test(info);
}

export const NO_AOF_REFUSAL =
  "Redis runs without AOF (appendonly no): every answer acknowledged with 已保存 since the last snapshot " +
  "would be lost when Redis restarts. Turn it on (redis-server --appendonly yes, or CONFIG SET appendonly yes " +
  "and CONFIG REWRITE), or set REDIS_ALLOW_NO_AOF=1 to start anyway.";

export type WaitForRedisOptions = {
  allowNoAof: boolean;
  /** Told of each failed attempt, with the delay before the next. */
  onRetry: (reason: string, delayMs: number) => void;
  /** Resolves when start-up should give up (SIGTERM while waiting). */
  aborted?: AbortSignal;
  maxDelayMs?: number;
};

export class NoAofError extends Error {}

/**
 * Waits until Redis answers (retrying with a growing delay), then checks
 * its durability. Resolves false when aborted while waiting.
 */
export async function waitForRedis(url: string, options: WaitForRedisOptions): Promise<boolean> {
  const maxDelay = options.maxDelayMs ?? 5000;
  for (let attempt = 1; !options.aborted?.aborted; attempt++) {
    let probe: Redis | undefined;
    try {
      probe = await connectRedis(url, undefined, { retryStrategy: () => null });
      const aof = await aofEnabled(probe);
      if (!aof && !options.allowNoAof) throw new NoAofError(NO_AOF_REFUSAL);
      return true;
    } catch (err) {
      if (err instanceof NoAofError) throw err;
      const delay = Math.min(500 * 2 ** (attempt - 1), maxDelay);
      options.onRetry(redisFailure(err), delay);
      await sleep(delay, options.aborted);
    } finally {
      probe?.disconnect();
    }
  }
  return false;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
