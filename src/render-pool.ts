import { type ChildProcess, fork } from "node:child_process";
import type { Draft } from "./form/draft.js";
import type { JobMessage, ResultMessage } from "./render-process.js";
import type { RenderJob } from "./render-worker.js";
import type { RenderOptions } from "./report/render-docx.js";

/**
 * Builds .docx files in separate processes: packing a report takes 30–60 ms of
 * CPU, which in the bot's process would hold up every other officer's answer.
 * The website's .html (a few ms) goes the same way, so no document is ever
 * built in the bot's process.
 *
 * Processes, not worker threads: a render process runs every one of its
 * threads at the lowest priority (render-process.ts), V8's garbage collection
 * and compilation threads included, which in a worker thread are the bot's
 * own, at normal priority. Measured on a 2-core machine while officers
 * answered: renders without pause in a process whose main thread alone was
 * at nice 19 raised the p99 answer time 2.2-fold.
 */
export interface RenderPool {
  render(draft: Draft, options: RenderOptions): Promise<Uint8Array>;
  renderHtml(draft: Draft, options: RenderOptions): Promise<string>;
  /** Waits for renders in progress and waiting, then ends the render processes. */
  close(): Promise<void>;
}

export interface RenderPoolOptions {
  /** Render processes kept ready (default 0: started at the first render). */
  minProcesses?: number;
  maxProcesses?: number;
  /** A render not done this long after it was asked for is abandoned with an error (its process is ended). */
  timeoutMs?: number;
  /** How long a process beyond minProcesses is kept without work. */
  idleMs?: number;
  /** The render module, whose default export does a job (default render-worker.ts); tests point it elsewhere. */
  worker?: URL;
}

const WORKER = new URL("./render-worker.ts", import.meta.url);
const HOST = new URL("./render-process.ts", import.meta.url);

interface Job {
  id: number;
  job: RenderJob;
  resolve: (result: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

interface Renderer {
  child: ChildProcess;
  ready: boolean;
  job?: Job;
  idleTimer?: NodeJS.Timeout;
}

export function renderPool(options: RenderPoolOptions = {}): RenderPool {
  const minProcesses = options.minProcesses ?? 0;
  const maxProcesses = Math.max(1, options.maxProcesses ?? 2, minProcesses);
  const timeoutMs = options.timeoutMs ?? 60_000;
  const idleMs = options.idleMs ?? 60_000;
  const moduleUrl = (options.worker ?? WORKER).href;
  const renderers = new Set<Renderer>();
  const waiting: Job[] = [];
  /** Jobs asked for and not settled: close() waits for them. */
  const pending = new Set<Job>();
  let closing = false;
  let nextId = 0;
  const whenSettled: (() => void)[] = [];
  /** A process ended before it was ready (a broken render module): no new one until there is work again. */
  let startFailed = false;

  function start(): Renderer {
    // The render module is TypeScript, loaded the way `npm start` does (node --import tsx).
    const child = fork(HOST, [moduleUrl], { execArgv: ["--import", "tsx"], serialization: "advanced" });
    const renderer: Renderer = { child, ready: false };
    renderers.add(renderer);
    child.on("message", (message: ResultMessage) => {
      if ("ready" in message) {
        renderer.ready = true;
        startFailed = false;
        dispatch();
        return;
      }
      const job = renderer.job;
      if (!job || job.id !== message.id) return;
      renderer.job = undefined;
      if ("error" in message)
        finish(job, Object.assign(new Error(message.error.message), { name: message.error.name }));
      else finish(job, undefined, message.result);
      dispatch();
    });
    // A process that crashed (out of memory, say) or was ended for a timeout: its job fails, another takes its place.
    const gone = (error?: Error) => {
      if (!renderers.delete(renderer)) return;
      clearTimeout(renderer.idleTimer);
      const reason = error ?? new Error(`the render process ended (${child.exitCode ?? child.signalCode})`);
      const job = renderer.job;
      renderer.job = undefined;
      if (job) finish(job, reason);
      if (!renderer.ready) {
        // It could not even start: the jobs waiting for it would only time out.
        startFailed = true;
        for (const waiter of waiting.splice(0)) finish(waiter, reason);
      }
      dispatch();
    };
    child.on("exit", () => gone());
    child.on("error", (error) => {
      gone(error);
      child.kill("SIGKILL");
    });
    return renderer;
  }

  /** Gives waiting jobs to ready processes, starts processes up to the limit, and keeps minProcesses running. */
  function dispatch(): void {
    for (const renderer of renderers) {
      if (!renderer.ready || renderer.job) continue;
      const job = waiting.shift();
      if (!job) break;
      clearTimeout(renderer.idleTimer);
      renderer.idleTimer = undefined;
      renderer.job = job;
      // Taken up again while it works (rest() let it go).
      renderer.child.ref();
      (renderer.child.channel as { ref?: () => void } | undefined)?.ref?.();
      renderer.child.send({ id: job.id, job: job.job } satisfies JobMessage);
    }
    const starting = [...renderers].filter((r) => !r.ready).length;
    while (!closing && renderers.size < maxProcesses && waiting.length > starting) start();
    while (!closing && !startFailed && renderers.size < minProcesses) start();
    for (const renderer of renderers) if (renderer.ready && !renderer.job) rest(renderer);
  }

  /**
   * A process without work does not keep the bot's process alive (as an idle worker thread did not),
   * and one beyond minProcesses ends after idleMs.
   */
  function rest(renderer: Renderer): void {
    renderer.child.unref();
    (renderer.child.channel as { unref?: () => void } | undefined)?.unref?.();
    if (renderer.idleTimer || renderers.size <= minProcesses) return;
    renderer.idleTimer = setTimeout(() => {
      renderer.idleTimer = undefined;
      if (!renderer.job && renderers.size > minProcesses) stop(renderer);
    }, idleMs);
    renderer.idleTimer.unref();
  }

  function stop(renderer: Renderer): void {
    renderers.delete(renderer);
    clearTimeout(renderer.idleTimer);
    // A ready process ends when its channel closes; one still starting is not listening yet.
    if (renderer.ready && renderer.child.connected) renderer.child.disconnect();
    else renderer.child.kill();
  }

  function finish(job: Job, error?: Error, result?: unknown): void {
    if (!pending.delete(job)) return;
    clearTimeout(job.timer);
    if (error) job.reject(error);
    else job.resolve(result);
    if (pending.size === 0) for (const resolve of whenSettled.splice(0)) resolve();
  }

  function run(job: RenderJob): Promise<unknown> {
    if (closing) return Promise.reject(new Error("the render pool is closed"));
    return new Promise((resolve, reject) => {
      const entry: Job = {
        id: ++nextId,
        job,
        resolve,
        reject,
        timer: setTimeout(() => {
          const at = waiting.indexOf(entry);
          if (at >= 0) waiting.splice(at, 1);
          const renderer = [...renderers].find((r) => r.job === entry);
          finish(entry, new Error(`the render took longer than ${timeoutMs} ms`));
          // A process stuck in a job is of no further use.
          if (renderer) renderer.child.kill("SIGKILL");
        }, timeoutMs),
      };
      pending.add(entry);
      waiting.push(entry);
      dispatch();
    });
  }

  if (minProcesses > 0) dispatch();

  return {
    render: async (draft, renderOptions) => (await run({ draft, options: renderOptions })) as Uint8Array,
    renderHtml: async (draft, renderOptions) => (await run({ draft, options: renderOptions, as: "html" })) as string,
    async close() {
      closing = true;
      if (pending.size > 0) await new Promise<void>((resolve) => whenSettled.push(resolve));
      const ending = [...renderers].map(
        (r) =>
          new Promise<void>((resolve) => {
            if (r.child.exitCode !== null || r.child.signalCode !== null) resolve();
            else r.child.once("exit", () => resolve());
          }),
      );
      for (const renderer of [...renderers]) stop(renderer);
      await Promise.all(ending);
    },
  };
}
