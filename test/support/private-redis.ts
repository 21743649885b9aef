import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";

/**
 * A redis-server of a test's own (temporary directory, random port, AOF on),
 * for fault tests that stall or kill Redis: the shared Redis at 6379 is never
 * touched.
 */
export type PrivateRedisOptions = {
  /** AOF on (default) or off (the test of the refusal to start without it). */
  aof?: boolean;
  /** A given port (a test that starts Redis after the bot); a free one otherwise. */
  port?: number;
  /** More redis-server arguments, e.g. ["--rename-command", "CONFIG", ""]. */
  args?: string[];
};

export class PrivateRedis {
  private process?: ChildProcess;

  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly options: PrivateRedisOptions = {},
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts a server and waits until it answers PING. */
  static async start(options: PrivateRedisOptions = {}): Promise<PrivateRedis> {
    const dir = mkdtempSync(join(tmpdir(), "nianbao-redis-"));
    const redis = new PrivateRedis(dir, options.port ?? (await freePort()), options);
    await redis.launch();
    return redis;
  }

  /** (Re)starts the server on the same port and directory (the AOF is replayed). */
  async launch(): Promise<void> {
    if (this.process && this.process.exitCode === null && this.process.signalCode === null) {
      throw new Error("the private redis-server is already running");
    }
    const args = ["--port", String(this.port), "--bind", "127.0.0.1", "--dir", this.dir, "--save", ""];
    const aof = this.options.aof === false ? "no" : "yes";
    args.push("--appendonly", aof, "--appendfsync", "always", "--daemonize", "no", "--logfile", "");
    args.push(...(this.options.args ?? []));
    this.process = spawn("redis-server", args, { stdio: "ignore" });
    const until = Date.now() + 10_000;
    for (;;) {
      const probe = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      probe.on("error", () => undefined);
      try {
        await probe.connect();
        if ((await probe.ping()) === "PONG") return;
      } catch {
        // not listening yet
      } finally {
        probe.disconnect();
      }
      if (Date.now() > until) throw new Error(`the private redis-server on port ${this.port} did not start`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** SIGSTOP: the server stalls, connections stay open and commands hang. */
  stall(): void {
    this.signal("SIGSTOP");
  }

  /** SIGCONT: the stalled server answers again. */
  resume(): void {
    this.signal("SIGCONT");
  }

  /** SIGKILL, and waits until the process is gone. */
  async kill(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGCONT"); // a stopped process dies on SIGKILL too, but this keeps the order plain
    child.kill("SIGKILL");
    await gone;
  }

  /** Kills the server and removes its directory. */
  async close(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private signal(signal: NodeJS.Signals): void {
    if (!this.process || this.process.exitCode !== null) throw new Error("the private redis-server is not running");
    this.process.kill(signal);
  }
}

/** A port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
