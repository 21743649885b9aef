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
  | { ready: true };

/**
 * Every thread of this process at nice 19, so that a render only uses CPU
 * that the bot and Redis leave over. All threads, because V8's helper threads
 * (garbage collection, compilation) do a good share of a render's work;
 * threads started later inherit the nice value of the thread that starts them.
 *
 * Not SCHED_IDLE, used before: where Redis runs in another scheduling group
 * than the bot (another container, systemd service or session), a CPU running
 * only SCHED_IDLE threads counts as idle, so Redis is woken there, yet it does
 * not take that CPU at once across groups. Measured on a 2-core machine
 * (Linux 6.18): Redis round trips of the bot reached 4 ms at p99.9 beside a
 * SCHED_IDLE busy loop, 0.7 ms beside a nice-19 one; the p99 answer while
 * another chat renders rose 1.45-fold with SCHED_IDLE, 1.31-fold with nice 19
 * (medians of 12 rounds each).
 */
export function lowerPriority(): void {
  let tasks: number[] = [];
  try {
    tasks = readdirSync("/proc/self/task").map(Number);
  } catch {
    // Not Linux: the process itself.
    tasks = [process.pid];
  }
  for (const task of tasks) {
    try {
      setPriority(task, 19);
    } catch {
      // A thread that ended meanwhile, or a system that refuses: renders still work, only less politely.
    }
  }
}

/** Start-up as a render process (run by the pool with `node --import tsx render-process.ts <module URL>`). */
async function serve(moduleUrl: string): Promise<void> {
  // The pool may close while a job runs or before this process is ready: nothing to tell it then.
  const send = (message: ResultMessage) => {
    if (process.connected) process.send?.(message, undefined, {}, () => {});
  };
  lowerPriority();
  const render = ((await import(moduleUrl)) as { default: (job: unknown) => unknown }).default;
  process.on("message", async ({ id, job }: JobMessage) => {
    try {
      send({ id, result: await render(job) });
    } catch (error) {
      const { name, message } = error instanceof Error ? error : new Error(String(error));
      send({ id, error: { name, message } });
    }
  });
  send({ ready: true });
  // The pool closing (or dying) closes the channel: nothing is left to do.
  process.on("disconnect", () => process.exit(0));
}

const moduleUrl = process.argv[2];
if (process.send && moduleUrl) await serve(moduleUrl);
