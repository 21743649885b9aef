/**
 * The website version as a phone shows it: renders the 2021-format fixture to
 * .html and screenshots it in Debian's chromium at 360 px wide, the top of
 * the page and section 三 with its table scrolled inside its box.
 *
 *   npx tsx bench/render-web.ts
 *
 * Writes docs/report-2022-web-top.png and docs/report-2022-web-table.png.
 * Needs /usr/bin/chromium (apt-get install chromium).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { flowFor } from "../flows/index.js";
import { Draft } from "../src/form/draft.js";
import { renderHtml } from "../src/report/render-html.js";

const root = new URL("..", import.meta.url).pathname;
const draft = Draft.parse(JSON.parse(readFileSync(join(root, "test/fixtures/report-2022.json"), "utf8")));
const profile = mkdtempSync(join(tmpdir(), "nianbao-chromium-"));
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: "/usr/bin/chromium",
  viewport: { width: 360, height: 640 },
  deviceScaleFactor: 1,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
});
try {
  const page = await browser.newPage();
  await page.setContent(renderHtml(flowFor(draft.format), draft));
  await page.screenshot({ path: join(root, "docs/report-2022-web-top.png") });
  const heading = page.locator("h2", { hasText: "三、收到和处理政府信息公开申请情况" });
  const top = await heading.evaluate((el) => el.getBoundingClientRect().top + window.scrollY);
  await page.screenshot({
    path: join(root, "docs/report-2022-web-table.png"),
    fullPage: true,
    clip: { x: 0, y: top - 8, width: 360, height: 640 },
  });
  console.log("docs/report-2022-web-top.png, docs/report-2022-web-table.png");
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
}
