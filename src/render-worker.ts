import { flows } from "../flows/index.js";
import type { Draft } from "./form/draft.js";
import { type RenderOptions, renderDocx } from "./report/render-docx.js";

/** What the render pool hands a worker: the draft (its format names the flow) and how to render it. */
export interface RenderJob {
  draft: Draft;
  options: RenderOptions;
}

/** Runs in a worker thread of the render pool (render-pool.ts): one report's .docx. */
export default function renderJob({ draft, options }: RenderJob): Promise<Uint8Array> {
  return renderDocx(flows.flowFor(draft.format), draft, options);
}
