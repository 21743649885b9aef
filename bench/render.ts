/**
 * How long a report takes to render, against the cheapest .docx the same
 * library can make in the same process:
 *
 *   npx tsx bench/render.ts [runs]
 *
 * Renders the 2021 fixture (test/fixtures/report-2022.json: every narrative
 * part a few hundred characters, three tables, 28×10 merged application
 * table) and a one-paragraph document, each `runs` times (30 by default)
 * after a warm-up, interleaved so both see the same machine state, and
 * prints the medians and their ratio. Speed goals are not tests: always exits 0.
 */
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { Document, Packer, Paragraph } from "docx";
import { flowFor } from "../flows/index.js";
import { Draft } from "../src/form/draft.js";
import { renderDocx } from "../src/report/render-docx.js";

const TARGET_RATIO = 8;
const runs = Number(process.argv[2] ?? 30);
const WARM_UP = 5;

const draft = Draft.parse(
  JSON.parse(readFileSync(new URL("../test/fixtures/report-2022.json", import.meta.url), "utf8")),
);
const flow = flowFor(draft.format);
const report = () => renderDocx(flow, draft);
const onePage = () =>
  Packer.toBuffer(new Document({ sections: [{ children: [new Paragraph("本报告根据《条例》要求编制。")] }] }));

async function time(fn: () => Promise<Buffer>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

for (let i = 0; i < WARM_UP; i++) {
  await report();
  await onePage();
}
const reportTimes: number[] = [];
const baseTimes: number[] = [];
for (let i = 0; i < runs; i++) {
  reportTimes.push(await time(report));
  baseTimes.push(await time(onePage));
}
const r = median(reportTimes);
const b = median(baseTimes);
const bytes = (await report()).length;
console.log(
  `render median ${r.toFixed(1)} ms (${(bytes / 1024).toFixed(0)} KB), one-paragraph docx ${b.toFixed(1)} ms, ` +
    `ratio ${(r / b).toFixed(1)} (target <= ${TARGET_RATIO}), ${runs} runs`,
);
