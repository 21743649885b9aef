import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { flowFor } from "../flows/index.js";
import type { Draft } from "../src/form/draft.js";
import { renderDocx } from "../src/report/render-docx.js";
import { fixture } from "./support/fixtures.js";
import { docxToPdf, libreOfficeMissing, type Pdf, pageTexts, pdfFonts } from "./support/libreoffice.js";

/**
 * What a reader sees: the .docx converted by LibreOffice with Noto CJK only
 * (CI installs both). Skipped, with the reason printed, where LibreOffice or
 * poppler-utils is missing: test/render-layout.test.ts checks the same points
 * on the XML everywhere.
 */

const missing = libreOfficeMissing();
if (missing)
  console.warn(
    `render-pdf.test.ts skipped: ${missing} is not installed (apt-get install libreoffice-writer-nogui fonts-noto-cjk poppler-utils)`,
  );

const GROUPS: { label: string; rows: string[] }[] = [
  { label: "不予公开", rows: ["1.属于国家秘", "4.保护第三方", "8.属于行政查"] },
  { label: "无法提供", rows: ["1.本机关不掌", "3.补正后申请"] },
  { label: "不予处理", rows: ["1.信访举报投", "2.重复申请", "5.要求行政机"] },
  { label: "其他处理", rows: ["1.申请人无正", "3.其他"] },
];

describe.skipIf(missing !== undefined)("the document as LibreOffice prints it", () => {
  const pdfs: Pdf[] = [];
  let report: { pdf: Pdf; pages: string[] };
  beforeAll(async () => {
    const draft: Draft = fixture("report-2022");
    const pdf = docxToPdf(await renderDocx(flowFor(draft.format), draft), "report-2022");
    pdfs.push(pdf);
    report = { pdf, pages: pageTexts(pdf) };
  }, 180_000);
  afterAll(() => {
    for (const p of pdfs) rmSync(p.dir, { recursive: true, force: true });
  });

  it("breaks the title after the unit's name, never inside a word", () => {
    // pdftotext puts a space between Latin and CJK characters.
    const lines = report.pages[0]!.split("\n")
      .map((l) => l.replace(/\s+/g, ""))
      .filter(Boolean);
    expect(lines[0]).toBe("杭州市拱墅区住房和城乡建设局");
    expect(lines[1]).toBe("2022年政府信息公开工作年度报告");
  });

  it("keeps each group of table 三 on one page with its label", () => {
    const pageOf = (text: string) => report.pages.findIndex((p) => p.includes(text));
    for (const group of GROUPS) {
      const pages = new Set(group.rows.map(pageOf));
      expect(pages.size, group.label).toBe(1);
      const [page] = [...pages];
      expect(page, group.rows[0]).toBeGreaterThanOrEqual(0);
      expect(report.pages[page!], group.label).toContain(group.label);
    }
  });

  it("does not wrap a five-digit count or break a group label inside a word", () => {
    const table = report.pages.join("\n");
    for (const broken of ["不予公\n", "不予处\n", "本年度办\n"]) expect(table).not.toContain(broken);
  });

  it("sets the body in a serif face and the headings in a sans face, both Noto CJK", () => {
    const fonts = pdfFonts(report.pdf);
    expect(fonts.some((f) => /^NotoSerifCJK/.test(f))).toBe(true);
    expect(fonts.some((f) => /^NotoSansCJK/.test(f))).toBe(true);
    expect(fonts.filter((f) => /DejaVu|Droid|WenQuanYi/.test(f))).toEqual([]);
  });

  it("ends with the unit's name and the 成文日期", () => {
    const last = report.pages.at(-1)!.replace(/\s+/g, "");
    expect(last).toContain("杭州市拱墅区住房和城乡建设局");
    expect(last).toContain("2023年1月20日");
  });
});
