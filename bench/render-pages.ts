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
 * 仿宋_GB2312 and the other official fonts.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { flowFor } from "../flows/index.js";
import { Draft } from "../src/form/draft.js";
import { renderDocx } from "../src/report/render-docx.js";

const FIXTURES = { seed: { file: "seed-2020", out: "seed" }, "2022": { file: "report-2022", out: "report-2022" } };
const which = process.argv[2] ?? "seed";
const asDraft = process.argv.includes("--draft");
const chosen = which === "all" ? Object.values(FIXTURES) : [FIXTURES[which as keyof typeof FIXTURES]];
if (chosen.some((c) => c === undefined)) {
  console.error("usage: npx tsx bench/render-pages.ts [seed|2022|all] [--draft]");
  process.exit(2);
}

/**
 * The official fonts are not installed here and fontconfig would fall back to
 * DejaVu (and LibreOffice to one CJK face for all of them); map each to the
 * Noto CJK face closest in kind so headings look different from body text.
 */
const SUBSTITUTES: [string, string][] = [
  ["仿宋_GB2312", "Noto Serif CJK SC"],
  ["楷体_GB2312", "Noto Serif CJK SC"],
  ["方正小标宋简体", "Noto Serif CJK SC"],
  ["宋体", "Noto Serif CJK SC"],
  ["黑体", "Noto Sans CJK SC"],
];
const FONTS_CONF = `<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
${SUBSTITUTES.map(
  ([from, to]) =>
    `  <match target="pattern"><test name="family"><string>${from}</string></test><edit name="family" mode="assign" binding="strong"><string>${to}</string></edit></match>`,
).join("\n")}
</fontconfig>
`;

const root = new URL("..", import.meta.url).pathname;
const docs = join(root, "docs");

for (const { file, out } of chosen as { file: string; out: string }[]) {
  const draft = Draft.parse(JSON.parse(readFileSync(join(root, "test/fixtures", `${file}.json`), "utf8")));
  const problems = asDraft
    ? [{ severity: "error" as const, rule: "demo", cells: [], numbers: [], message: "示例：这是一个待解决的问题" }]
    : [];
  const bytes = await renderDocx(flowFor(draft.format), draft, { date: new Date("2023-01-20T02:00:00Z"), problems });
  const work = mkdtempSync(join(tmpdir(), "nianbao-pages-"));
  const docx = join(work, `${out}.docx`);
  writeFileSync(docx, bytes);
  writeFileSync(join(work, "fonts.conf"), FONTS_CONF);
  // A private profile directory: a soffice already running for the user does not block this one.
  execFileSync(
    "soffice",
    [`-env:UserInstallation=file://${work}/profile`, "--headless", "--convert-to", "pdf", "--outdir", work, docx],
    { stdio: "ignore", timeout: 120_000, env: { ...process.env, FONTCONFIG_FILE: join(work, "fonts.conf") } },
  );
  const pdf = join(work, `${out}.pdf`);
  const pages = /Pages:\s+(\d+)/.exec(execFileSync("pdfinfo", [pdf], { encoding: "utf8" }))?.[1];
  const target = asDraft ? work : docs;
  if (!asDraft) for (const f of readdirSync(docs)) if (f.startsWith(`${out}-page-`)) rmSync(join(docs, f));
  execFileSync("pdftoppm", ["-png", "-r", "60", pdf, join(target, `${out}-page`)]);
  console.log(`${out}: ${pages} pages → ${join(target, `${out}-page-N.png`)}`);
  if (!asDraft) rmSync(work, { recursive: true, force: true });
}
