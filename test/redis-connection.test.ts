import type { Socket } from "node:net";
import type { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { connectRedis } from "../src/store/redis-connection.js";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

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
});
