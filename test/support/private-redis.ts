import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A redis-server of the test's own (temporary directory, free port), for
 * tests that stall, kill or misconfigure Redis: the shared one is never
 * touched. AOF is on unless the test asks otherwise.
 */
export interface PrivateRedis {
  port: number;
  url: string;
  dir: string;
  /** SIGSTOP: the server keeps its connections but answers nothing. */
  pause(): void;
  resume(): void;
  /** SIGKILL, then start again on the same port and directory (AOF replayed). */
  kill(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function startPrivateRedis(
  options: { aof?: boolean; port?: number; args?: string[] } = {},
): Promise<PrivateRedis> {
  const port = options.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), "nianbao-redis-"));
  let child: ChildProcess | undefined;
  const start = async () => {
    const args = ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", ""];
    args.push("--appendonly", options.aof === false ? "no" : "yes", "--appendfsync", "always");
    const proc = spawn("redis-server", [...args, ...(options.args ?? [])], { stdio: "ignore" });
    child = proc;
    await waitForPort(port, proc);
  };
  const stop = async (signal: NodeJS.Signals) => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once("exit", r));
    if (signal === "SIGKILL") proc.kill("SIGCONT");
    proc.kill(signal);
    await exited;
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    pause: () => child?.kill("SIGSTOP"),
    resume: () => child?.kill("SIGCONT"),
    kill: () => stop("SIGKILL"),
    start,
    async close() {
      await stop("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitForPort(port: number, proc: ChildProcess): Promise<void> {
  const { Socket } = await import("node:net");
  const until = Date.now() + 10_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`redis-server exited with ${proc.exitCode}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = new Socket();
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
      socket.connect(port, "127.0.0.1");
    });
    if (open) return;
    if (Date.now() > until) throw new Error("redis-server did not start");
    await new Promise((r) => setTimeout(r, 50));
  }
}
