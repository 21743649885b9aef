import { randomBytes } from "node:crypto";
import type { Socket } from "node:net";
import { type Command, type Redis, ReplyError } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { connectRedis, luaScript } from "../src/store/redis-connection.js";
import { commandsSent } from "./support/redis-commands.js";
import { REDIS_URL } from "./support/redis-url.js";

/** Counts the writes that reach the client's socket (its _write/_writev, below cork). */
function countWrites(client: Redis): { writes: number; chunks: number } {
  const socket = client.stream as Socket & {
    _write: (...a: unknown[]) => void;
    _writev?: (chunks: unknown[], cb: unknown) => void;
  };
  const count = { writes: 0, chunks: 0 };
  const write = socket._write;
  socket._write = function (this: Socket, ...args: unknown[]) {
    count.writes++;
    count.chunks++;
    return write.apply(this, args);
  };
  const writev = socket._writev;
  if (writev)
    socket._writev = function (this: Socket, chunks: unknown[], cb: unknown) {
      count.writes++;
      count.chunks += chunks.length;
      return writev.call(this, chunks, cb);
    };
  return count;
}

describe("the Redis connection", () => {
  let client: Redis | undefined;
  afterEach(() => {
    client?.disconnect();
    client = undefined;
  });

  it("writes the commands issued in one turn in one socket write, in order, and answers each", async () => {
    client = await connectRedis(REDIS_URL);
    const key = `nianbao-test-coalesce:${process.pid}`;
    const count = countWrites(client);
    const replies = await Promise.all([
      client.set(key, "1"),
      client.incr(key),
      client.incr(key),
      client.get(key),
      client.del(key),
    ]);
    expect(replies).toEqual(["OK", 2, 3, "3", 1]);
    expect(count).toEqual({ writes: 1, chunks: 5 });
    // A command of a later turn is a write of its own.
    await client.ping();
    expect(count.writes).toBe(2);
  });

  it("coalesces on a new connection after a reconnect too", async () => {
    client = await connectRedis(REDIS_URL);
    const first = client.stream;
    const ready = new Promise((resolve) => client?.once("ready", resolve));
    first.destroy();
    await ready;
    expect(client.stream).not.toBe(first);
    const count = countWrites(client);
    expect(await Promise.all([client.ping(), client.ping("again")])).toEqual(["PONG", "again"]);
    expect(count).toEqual({ writes: 1, chunks: 2 });
  });

  it("calls a script in full on a connection's first call, by its hash after, and in full again when Redis lost it", async () => {
    client = await connectRedis(REDIS_URL);
    // A script no other test loaded, so Redis does not know it yet.
    const script = luaScript(client, `-- ${randomBytes(8).toString("hex")}\nreturn {KEYS[1], ARGV[1], ARGV[2]}`);
    const key = `nianbao-test-script:${process.pid}`;
    const first = await commandsSent(() => script(1, [key, "a", 2]));
    expect(first).toMatchObject({ result: [key, "a", "2"], commands: ["eval"] });
    const second = await commandsSent(() => script(1, [key, "b", 3]));
    expect(second).toMatchObject({ result: [key, "b", "3"], commands: ["evalsha"] });
    // Redis answers NOSCRIPT (as after a restart, or SCRIPT FLUSH): the call goes again in full.
    const c = client;
    const send = c.sendCommand.bind(c);
    let refused = false;
    c.sendCommand = ((command: Command) => {
      if (refused || command.name !== "evalsha") return send(command);
      refused = true;
      command.reject(new ReplyError("NOSCRIPT No matching script. Please use EVAL."));
      return command.promise;
    }) as typeof c.sendCommand;
    const third = await commandsSent(() => script(1, [key, "c", 4]));
    expect(refused).toBe(true);
    expect(third).toMatchObject({ result: [key, "c", "4"], commands: ["eval"] });
    expect((await commandsSent(() => script(1, [key, "d", 5]))).commands).toEqual(["evalsha"]);
  });
});
