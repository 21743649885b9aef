import { type ChildProcessByStdio, spawn } from "node:child_process";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import type { FakeTelegram } from "./fake-telegram.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const START_TIMEOUT = 20_000;

/** The bot as a child process: `node --import tsx src/main.ts`, as package.json's start script runs it. */
export class BotProcess {
  /** pino's JSON lines of every run, for the assertion that nothing was logged as an error. */
  readonly logLines: string[] = [];
  /** stdout and stderr of every run, as they came. */
  output = "";
  private child?: ChildProcessByStdio<null, Readable, Readable>;
  private exited?: Promise<NodeJS.Signals | number | null>;

  constructor(
    private readonly fake: FakeTelegram,
    private readonly env: Record<string, string>,
    /** src/main.ts (the bot, polling, with its scheduler) or src/scheduler.ts (the scheduler alone). */
    private readonly script: "src/main.ts" | "src/scheduler.ts" = "src/main.ts",
  ) {}

  /** Starts the process and waits until it polls (the bot) or has looked at the reminders once (the scheduler). */
  async start(): Promise<void> {
    const from = this.fake.calls.length;
    const logsFrom = this.logLines.length;
    const child = spawn(process.execPath, ["--import", "tsx", this.script], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", ...this.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
    this.exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve(signal ?? code)));
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      this.output += chunk;
      out += chunk;
      const lines = out.split("\n");
      out = lines.pop() ?? "";
      this.logLines.push(...lines.filter(Boolean));
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      this.output += chunk;
      err += chunk;
    });
    const ready =
      this.script === "src/main.ts"
        ? () => this.fake.calls.slice(from).some((c) => c.method === "getUpdates" || c.method === "setWebhook")
        : () => this.logLines.slice(logsFrom).some((l) => l.includes('"msg":"reminders tick"'));
    await waitUntil(ready, START_TIMEOUT, () =>
      child.exitCode !== null
        ? `the bot exited with ${child.exitCode} before polling:\n${err}${out}${this.logLines.join("\n")}`
        : undefined,
    );
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  async kill(): Promise<void> {
    if (!this.running) return;
    this.child?.kill("SIGKILL");
    expect(await this.exited).toBe("SIGKILL");
  }

  signal(signal: NodeJS.Signals): void {
    this.child?.kill(signal);
  }

  /** Resolves with the exit code, or the signal that ended the process. */
  async exit(): Promise<number | NodeJS.Signals | null> {
    return (await this.exited) ?? null;
  }

  /** A graceful stop (SIGTERM drains the runner and closes the store). */
  async stop(): Promise<void> {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill("SIGTERM");
    await this.exited;
  }

  errorLogs(): string[] {
    return this.logLines.filter((line) => {
      try {
        return (JSON.parse(line) as { level?: number }).level! >= 50;
      } catch {
        return true; // anything on stdout that is not a log line is unexpected too
      }
    });
  }
}

export async function waitUntil(
  done: () => boolean,
  timeoutMs: number,
  failure?: () => string | undefined,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!done()) {
    const why = failure?.();
    if (why) throw new Error(why);
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
