import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { setPriority } from "node:os";

/**
 * A render process of the render pool (render-pool.ts): started with the
 * render module's URL as its argument, it runs one job at a time from its
 * parent and answers each with the result or the error.
 */

/** What the pool sends a render process. */
export interface JobMessage {
  id: number;
  job: unknown;
}

/** What a render process answers. */
export type ResultMessage =
  | { id: number; result: unknown }
  | { id: number; error: { name: string; message: string } }
  | { ready: true; idle: boolean };

/**
 * Every thread of this process at the lowest priority, so that a render only
 * uses CPU that the bot and Redis leave over. SCHED_IDLE rather than nice 19:
 * since Linux 6.6 (EEVDF) a niced thread that is running keeps the CPU for
 * its slice when the bot's thread wakes, and that added milliseconds to the
 * answers of officers while another chat's report was rendered; a SCHED_IDLE
 * thread gives way at once. All threads, because V8's helper threads (garbage
 * collection, compilation) do a good share of a render's work, and threads
 * started later inherit the policy. Returns whether SCHED_IDLE was set.
 */
export function lowerPriority(): boolean {
  try {
    execFileSync("chrt", ["--idle", "--all-tasks", "--pid", "0", String(process.pid)], { stdio: "ignore" });
    return true;
  } catch {
    // No chrt (not Linux, or a system without util-linux): nice 19 for every thread we can see.
  }
  let tasks: number[] = [];
  try {
    tasks = readdirSync("/proc/self/task").map(Number);
  } catch {
    tasks = [process.pid];
  }
  for (const task of tasks) {
    try {
      setPriority(task, 19);
    } catch {
      // A thread that ended meanwhile, or a system that refuses: renders still work, only less politely.
    }
  }
  return false;
}

/** Start-up as a render process (run by the pool with `node --import tsx render-process.ts <module URL>`). */
async function serve(moduleUrl: string): Promise<void> {
  // The pool may close while a job runs or before this process is ready: nothing to tell it then.
  const send = (message: ResultMessage) => {
    if (process.connected) process.send?.(message, undefined, {}, () => {});
  };
  const idle = lowerPriority();
  const render = ((await import(moduleUrl)) as { default: (job: unknown) => unknown }).default;
  process.on("message", async ({ id, job }: JobMessage) => {
    try {
      send({ id, result: await render(job) });
    } catch (error) {
      const { name, message } = error instanceof Error ? error : new Error(String(error));
      send({ id, error: { name, message } });
    }
  });
  send({ ready: true, idle });
  // The pool closing (or dying) closes the channel: nothing is left to do.
  process.on("disconnect", () => process.exit(0));
}

const moduleUrl = process.argv[2];
if (process.send && moduleUrl) await serve(moduleUrl);
