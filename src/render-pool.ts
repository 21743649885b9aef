import { Piscina } from "piscina";
import type { Draft } from "./form/draft.js";
import type { RenderJob } from "./render-worker.js";
import type { RenderOptions } from "./report/render-docx.js";

/**
 * Builds .docx files in worker threads: packing a report takes 30–60 ms of
 * CPU, which on the main thread would hold up every other officer's answer.
 * The website's .html (a few ms) goes the same way, so no document is ever
 * built on the main thread.
 */
export interface RenderPool {
  render(draft: Draft, options: RenderOptions): Promise<Uint8Array>;
  renderHtml(draft: Draft, options: RenderOptions): Promise<string>;
  /** Waits for renders in progress, then ends the workers. */
  close(): Promise<void>;
}

export interface RenderPoolOptions {
  /** Workers kept ready (default 0: started at the first render). */
  minThreads?: number;
  maxThreads?: number;
  /** A render taking longer than this is abandoned with an error. */
  timeoutMs?: number;
  /** The worker module (default render-worker.ts); tests point it elsewhere. */
  worker?: URL;
}

const WORKER = new URL("./render-worker.ts", import.meta.url);

export function renderPool(options: RenderPoolOptions = {}): RenderPool {
  const pool = new Piscina<RenderJob, Uint8Array | string>({
    filename: (options.worker ?? WORKER).href,
    // Workers load the TypeScript sources the way `npm start` does (node --import tsx).
    execArgv: ["--import", "tsx"],
    minThreads: options.minThreads ?? 0,
    maxThreads: options.maxThreads ?? 2,
    idleTimeout: 60_000,
    // Renders run at a lower CPU priority (Linux, through piscina's optional @napi-rs/nice): on a small
    // machine a render then takes longer rather than slowing every officer's answer on the main thread.
    niceIncrement: 19,
  });
  const timeoutMs = options.timeoutMs ?? 60_000;
  const run = (job: RenderJob) => pool.run(job, { signal: AbortSignal.timeout(timeoutMs) });
  return {
    render: async (draft, renderOptions) => (await run({ draft, options: renderOptions })) as Uint8Array,
    renderHtml: async (draft, renderOptions) => (await run({ draft, options: renderOptions, as: "html" })) as string,
    close: () => pool.close(),
  };
}
