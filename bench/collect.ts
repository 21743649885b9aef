/**
 * How long /collect takes for a campaign of 300 approved units, against
 * rendering the same 300 reports alone, in the same run:
 *
 *   npm run bench:collect [-- units]
 *
 * Both sides render every unit's .docx in this process; /collect also renders
 * the roll-up, writes the interchange files and the .csv, and packs the zip.
 * The two are interleaved (baseline, collect, baseline, collect) and the
 * faster of each pair of runs is compared. Prints `ratio to rendering alone: X`
 * (target ≤ 1.5) and `peak memory: N MB` (the process's maximum resident set).
 * Speed goals are not tests: always exits 0.
 */
import { performance } from "node:perf_hooks";
import { flows } from "../flows/index.js";
import type { Draft } from "../src/form/draft.js";
import { collectZip } from "../src/report/collect-zip.js";
import { renderDocx } from "../src/report/render-docx.js";
import { fixture } from "../test/support/fixtures.js";

const TARGET_RATIO = 1.5;
const UNITS = Number(process.argv[2] ?? 300);
const ROUNDS = 2;

const base = fixture("report-2022");
const flow = flows.flowFor(base.format);
const drafts: Draft[] = Array.from({ length: UNITS }, (_, i) => ({
  ...base,
  org: `第${i + 1}街道办事处`,
  cells: Object.fromEntries(Object.entries(base.cells).map(([id, v]) => [id, v + (i % 7)])),
}));

/** The same rendering /collect does (four documents in flight, as collectZip's default), and nothing else. */
async function renderAlone(): Promise<number> {
  const start = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < drafts.length) await renderDocx(flow, drafts[next++] as Draft);
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  return performance.now() - start;
}

async function collect(): Promise<{ ms: number; bytes: number }> {
  const start = performance.now();
  const { zip } = await collectZip({
    flow,
    title: { org: "压测区各单位汇总", year: base.year },
    units: drafts.map((d) => ({ name: d.org, approved: d })),
    render: (f, d) => renderDocx(f, d),
  });
  return { ms: performance.now() - start, bytes: zip.length };
}

await renderDocx(flow, base); // warm-up: fonts, styles, JIT
let alone = Number.POSITIVE_INFINITY;
let collected = Number.POSITIVE_INFINITY;
let zipBytes = 0;
for (let round = 0; round < ROUNDS; round++) {
  alone = Math.min(alone, await renderAlone());
  const c = await collect();
  collected = Math.min(collected, c.ms);
  zipBytes = c.bytes;
}
const ratio = collected / alone;
const peakMb = process.resourceUsage().maxRSS / 1024;
console.log(`units: ${UNITS}`);
console.log(`rendering alone: ${(alone / 1000).toFixed(2)} s`);
console.log(`/collect: ${(collected / 1000).toFixed(2)} s (zip ${(zipBytes / 1024 / 1024).toFixed(1)} MB)`);
console.log(`ratio to rendering alone: ${ratio.toFixed(2)} (target ≤ ${TARGET_RATIO})`);
console.log(`peak memory: ${Math.round(peakMb)} MB`);
