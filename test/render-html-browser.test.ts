import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { flowFor } from "../flows/index.js";
import { renderDocx } from "../src/report/render-docx.js";
import { renderHtml } from "../src/report/render-html.js";
import { readDocx } from "./support/docx-cells.js";
import { fixture } from "./support/fixtures.js";

/**
 * The website version on a phone: Debian's chromium, driven by
 * playwright-core (its own browser downloads are not reachable here), at
 * 360 px wide. Skipped, with the reason printed, where chromium is missing;
 * .ci/run installs it.
 */

const CHROMIUM = "/usr/bin/chromium";
const present = spawnSync(CHROMIUM, ["--version"], { encoding: "utf8" }).status === 0;
if (!present) console.warn(`render-html-browser.test.ts skipped: no ${CHROMIUM} (apt-get install chromium)`);

const PHONE = { width: 360, height: 740 };

interface Box {
  left: number;
  right: number;
}

describe.skipIf(!present)("the website version in a real browser, 360 px wide", () => {
  let browser: BrowserContext;
  let profile: string;
  beforeAll(async () => {
    const { chromium } = await import("playwright-core");
    profile = mkdtempSync(join(tmpdir(), "nianbao-chromium-"));
    // A new, empty profile (playwright passes it as --user-data-dir).
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      viewport: PHONE,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    rmSync(profile, { recursive: true, force: true });
  });

  for (const name of ["report-2022", "seed-2020"] as const) {
    it(`${name}: the page never scrolls sideways; each table scrolls inside its own box`, async () => {
      const draft = fixture(name);
      const page = await browser.newPage();
      await page.setContent(renderHtml(flowFor(draft.format), draft));
      const layout = await page.evaluate(() => ({
        page: document.documentElement.scrollWidth,
        tables: [...document.querySelectorAll("table")].map((t) => {
          const box = t.parentElement!;
          return {
            boxWidth: box.getBoundingClientRect().width,
            boxRight: box.getBoundingClientRect().right,
            overflow: getComputedStyle(box).overflowX,
            tableWidth: t.getBoundingClientRect().width,
            scrollWidth: box.scrollWidth,
          };
        }),
      }));
      expect(layout.page).toBeLessThanOrEqual(PHONE.width);
      expect(layout.tables).toHaveLength(3);
      for (const t of layout.tables) {
        expect(t.boxRight).toBeLessThanOrEqual(PHONE.width);
        expect(t.overflow).toBe("auto");
        // The table keeps a readable width and is reached by scrolling its box.
        expect(t.scrollWidth).toBeGreaterThanOrEqual(Math.floor(t.tableWidth));
      }
      // 三 and 四 are wider than a phone: they do scroll.
      expect(layout.tables[1]!.tableWidth).toBeGreaterThan(layout.tables[1]!.boxWidth);
      await page.close();
    });

    it(`${name}: merged cells span the grid columns they span in the .docx`, async () => {
      const draft = fixture(name);
      const docx = readDocx(await renderDocx(flowFor(draft.format), draft));
      const page = await browser.newPage();
      await page.setContent(renderHtml(flowFor(draft.format), draft));
      const rects: Box[][][] = await page.evaluate(() =>
        [...document.querySelectorAll("table")].map((t) =>
          [...t.rows].map((r) =>
            [...r.cells].map((c) => ({ left: c.getBoundingClientRect().left, right: c.getBoundingClientRect().right })),
          ),
        ),
      );
      await page.close();
      docx.tables.forEach((table, t) => {
        // Each grid column's edges, from the cells the .docx puts in that column alone.
        const left = new Map<number, number>();
        const right = new Map<number, number>();
        for (const [r, row] of table.rows.entries())
          for (const [i, cell] of row.entries()) {
            const box = rects[t]![r]![i]!;
            if (cell.colSpan !== 1 || left.has(cell.col)) continue;
            left.set(cell.col, box.left);
            right.set(cell.col, box.right);
          }
        let merged = 0;
        for (const [r, row] of table.rows.entries())
          for (const [i, cell] of row.entries()) {
            if (cell.colSpan === 1) continue;
            merged++;
            const box = rects[t]![r]![i]!;
            const last = cell.col + cell.colSpan - 1;
            expect(box.left, `${cell.text} left`).toBeCloseTo(left.get(cell.col)!, 0);
            expect(box.right, `${cell.text} right`).toBeCloseTo(right.get(last)!, 0);
          }
        expect(merged).toBeGreaterThan(0);
      });
    });
  }
});
