/**
 * Look at the report the way a reader does: renders a fixture to .docx,
 * converts it to PDF with LibreOffice and the pages to PNG.
 *
 *   npx tsx bench/render-pages.ts [seed|2022|all] [--draft]
 *
 * Writes docs/seed-page-N.png (the 2020 seed report, 2019 format) and/or
 * docs/report-2022-page-N.png (2021 format) at 60 dpi, replacing older
 * pages of the same name, and prints the page count. With --draft the
 * document is rendered with one made-up problem (草稿 mark) into a temp
 * directory only. Needs `soffice` (libreoffice-writer-nogui) and
 * `pdftoppm`/`pdfinfo` (poppler-utils); the Noto CJK fonts stand in for
 * 仿宋_GB2312 and the other official fonts, through the fontconfig file that
 * src/report/fonts.ts derives from the document's font table.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { flowFor } from "../flows/index.js";
import { Draft } from "../src/form/draft.js";
import { renderDocx } from "../src/report/render-docx.js";
import { docxToPdf } from "../test/support/libreoffice.js";

const FIXTURES = { seed: { file: "seed-2020", out: "seed" }, "2022": { file: "report-2022", out: "report-2022" } };
const which = process.argv[2] ?? "seed";
const asDraft = process.argv.includes("--draft");
const chosen = which === "all" ? Object.values(FIXTURES) : [FIXTURES[which as keyof typeof FIXTURES]];
if (chosen.some((c) => c === undefined)) {
  console.error("usage: npx tsx bench/render-pages.ts [seed|2022|all] [--draft]");
  process.exit(2);
}

const root = new URL("..", import.meta.url).pathname;
const docs = join(root, "docs");

for (const { file, out } of chosen as { file: string; out: string }[]) {
  const draft = Draft.parse(JSON.parse(readFileSync(join(root, "test/fixtures", `${file}.json`), "utf8")));
  const problems = asDraft
    ? [{ severity: "error" as const, rule: "demo", cells: [], numbers: [], message: "示例：这是一个待解决的问题" }]
    : [];
  const bytes = await renderDocx(flowFor(draft.format), draft, { problems });
  const { dir: work, path: pdf, pages } = docxToPdf(bytes, out);
  const target = asDraft ? work : docs;
  if (!asDraft) for (const f of readdirSync(docs)) if (f.startsWith(`${out}-page-`)) rmSync(join(docs, f));
  execFileSync("pdftoppm", ["-png", "-r", "60", pdf, join(target, `${out}-page`)]);
  console.log(`${out}: ${pages} pages → ${join(target, `${out}-page-N.png`)}`);
  if (!asDraft) rmSync(work, { recursive: true, force: true });
}
