import { flows } from "../flows/index.js";
import type { Draft } from "./form/draft.js";
import { type RenderOptions, renderDocx } from "./report/render-docx.js";
import { renderHtml } from "./report/render-html.js";

/** What the render pool hands a worker: the draft (its format names the flow), how to render it and as what. */
export interface RenderJob {
  draft: Draft;
  options: RenderOptions;
  /** The .docx (default), or the website's .html. */
  as?: "html";
}

/** Runs in a render process of the render pool (render-pool.ts, render-process.ts): one report's .docx or .html. */
export default async function renderJob({ draft, options, as }: RenderJob): Promise<Uint8Array | string> {
  const flow = flows.flowFor(draft.format);
  return as === "html" ? renderHtml(flow, draft, options) : renderDocx(flow, draft, options);
}
