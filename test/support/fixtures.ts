import { readFileSync } from "node:fs";
import { flows } from "../../flows/index.js";
import type { Draft } from "../../src/form/draft.js";
import { loadReport } from "../../src/form/load-report.js";

/** A fixture of test/fixtures/, loaded the way the command line loads a file. */
export function fixture(name: "seed-2020" | "report-2022"): Draft {
  const result = loadReport(readFileSync(new URL(`../fixtures/${name}.json`, import.meta.url), "utf8"), flows);
  if (!result.ok) throw new Error(result.error);
  return result.draft;
}

export function withCells(draft: Draft, cells: Record<string, number | undefined>): Draft {
  const next = { ...draft.cells };
  for (const [id, v] of Object.entries(cells)) {
    if (v === undefined) delete next[id];
    else next[id] = v;
  }
  return { ...draft, cells: next };
}
