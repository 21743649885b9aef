import { type ChildProcessByStdio, spawn } from "node:child_process";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import type { FakeTelegram } from "./fake-telegram.js";

/**
 * The real bot as a child process, started as `npm start` starts it
 * (`node --import tsx src/main.ts`), for tests that stop, kill and restart it.
 */

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export class BotProcess {
  /** stdout and stderr of every run. */
  output = "";
  private child?: ChildProcessByStdio<null, Readable, Readable>;
  private exited?: Promise<number | NodeJS.Signals | null>;

  constructor(
    private readonly fake: FakeTelegram,
    private readonly env: Record<string, string>,
  ) {}

  /** Starts the bot and waits until it takes updates (its first getUpdates, or its setWebhook). */
  async start(timeoutMs = 20_000): Promise<void> {
    const from = this.fake.calls.length;
    const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", ...this.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
    this.exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve(signal ?? code)));
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (this.output += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (this.output += chunk));
    const until = Date.now() + timeoutMs;
    while (!this.fake.calls.slice(from).some((c) => c.method === "getUpdates" || c.method === "setWebhook")) {
      if (child.exitCode !== null) throw new Error(`the bot exited with ${child.exitCode}:\n${this.output}`);
      if (Date.now() > until) throw new Error(`the bot did not start:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  signal(signal: NodeJS.Signals): void {
    this.child?.kill(signal);
  }

  /** Resolves with the exit code (or the signal that ended it). */
  async exit(): Promise<number | NodeJS.Signals | null> {
    return (await this.exited) ?? null;
  }

  async kill(): Promise<void> {
    if (!this.running) return;
    this.child?.kill("SIGKILL");
    await this.exited;
  }

  /** Log lines at level error or above, and anything on stdout that is not a log line. */
  errorLines(): string[] {
    return this.output
      .split("\n")
      .filter(Boolean)
      .filter((line) => {
        try {
          return ((JSON.parse(line) as { level?: number }).level ?? 0) >= 50;
        } catch {
          return true;
        }
      });
  }
}

export async function waitUntil(done: () => boolean, timeoutMs: number, what = ""): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
