import { strToU8, type Zippable, zipSync } from "fflate";
import type { Draft } from "../form/draft.js";
import type { Flow } from "../form/flow-schema.js";
import { exportReport } from "../form/load-report.js";
import { reportTitle } from "./report-text.js";
import { type RollupUnit, rollupCsv, rollupDraft } from "./rollup.js";

/**
 * What /collect hands the supervisor: one .zip with every approved unit's
 * .docx and interchange file, the roll-up .docx and the .csv. Rendering is
 * passed in (the bot renders in its render processes, a bench in process).
 */

export interface CollectUnit {
  name: string;
  /** The unit's report when it is approved; absent units are listed as missing. */
  approved?: Draft;
}

export interface CollectInput {
  flow: Flow;
  /** The roll-up's title: whose sum, and the year. */
  title: { org: string; year: number };
  units: readonly CollectUnit[];
  render: (flow: Flow, draft: Draft) => Promise<Uint8Array>;
  /** How many documents render at once. */
  concurrency?: number;
}

export interface Collected {
  zip: Uint8Array;
  included: string[];
  missing: string[];
}

/** A unit name as a file name inside the zip: no path separators or characters Windows refuses. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
const entryName = (name: string): string => name.replace(/[\\/:*?"<>|\u0000-\u001f\u007f]/gu, "_");

export const ROLLUP_DOCX = "汇总报告.docx";
export const ROLLUP_CSV = "各单位数据.csv";
export const UNITS_FOLDER = "各单位";

export async function collectZip(input: CollectInput): Promise<Collected> {
  const { flow } = input;
  const included: RollupUnit[] = [];
  const missing: string[] = [];
  for (const u of input.units) {
    if (u.approved) included.push({ name: u.name, draft: u.approved });
    else missing.push(u.name);
  }
  const docs = await mapLimited(included, input.concurrency ?? 4, (u) => input.render(flow, u.draft));
  const rollup = await input.render(flow, rollupDraft(flow, input.title, included, missing));

  // A .docx is already deflated: stored as is, which keeps /collect close to the rendering cost.
  const files: Zippable = {};
  included.forEach((u, i) => {
    const base = `${UNITS_FOLDER}/${entryName(reportTitle(u.draft))}`;
    files[`${base}.docx`] = [docs[i] ?? new Uint8Array(), { level: 0 }];
    files[`${base}.json`] = strToU8(exportReport(u.draft));
  });
  files[ROLLUP_DOCX] = [rollup, { level: 0 }];
  files[ROLLUP_CSV] = strToU8(rollupCsv(flow, included));
  return { zip: zipSync(files, { level: 6 }), included: included.map((u) => u.name), missing };
}

/** `fn` over `items`, at most `limit` at a time, results in order. */
async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
