import { describe, expect, it } from "vitest";
import { flowFor } from "../flows/index.js";
import type { Draft } from "../src/form/draft.js";
import type { Finding } from "../src/form/finding.js";
import { renderDocx } from "../src/report/render-docx.js";
import { renderHtml } from "../src/report/render-html.js";
import { readDocx } from "./support/docx-cells.js";
import { ACTIVE_2019, ACTIVE_2021, applyTable, expectTable, REVIEW } from "./support/expected-tables.js";
import { fixture, withCells } from "./support/fixtures.js";
import { readHtml } from "./support/html-cells.js";

/** The website version (issue 12, point 11), read back and checked cell for cell like the .docx. */

const html = (draft: Draft, problems?: Finding[]) =>
  readHtml(renderHtml(flowFor(draft.format), draft, problems ? { problems } : {}));

describe("renderHtml: every cell as the official layout prints it", () => {
  it("prints the 2021 fixture's three tables with the official labels, merges and values", () => {
    const draft = fixture("report-2022");
    const page = html(draft);
    expect(page.tables.map((t) => t.id)).toEqual(["active", "apply", "review"]);
    expectTable(page.tables[0]!, ACTIVE_2021, draft);
    expectTable(page.tables[1]!, applyTable("2021"), draft);
    expectTable(page.tables[2]!, REVIEW, draft);
  });
  it("prints the seed's tables in the 2019 layout, the procurement amount with 万元", () => {
    const draft = fixture("seed-2020");
    const page = html(draft);
    expectTable(page.tables[0]!, ACTIVE_2019, draft);
    expectTable(page.tables[1]!, applyTable("2019"), draft);
    expectTable(page.tables[2]!, REVIEW, draft);
  });
  it("merges the cells the .docx merges, with the same spans", async () => {
    for (const draft of [fixture("report-2022"), fixture("seed-2020")]) {
      const docx = readDocx(await renderDocx(flowFor(draft.format), draft));
      const page = html(draft);
      const spans = (rows: { text: string; colSpan: number; rowSpan: number }[][]) =>
        rows.map((row) => row.map(({ text, colSpan, rowSpan }) => ({ text, colSpan, rowSpan })));
      docx.tables.forEach((t, i) => {
        expect(spans(page.tables[i]!.rows)).toEqual(spans(t.rows));
      });
    }
  });
});

describe("renderHtml: the same words as the .docx", () => {
  it("has the title, the opening, every heading and paragraph, and the closing, in the .docx's order", async () => {
    for (const draft of [fixture("report-2022"), fixture("seed-2020")]) {
      const docx = readDocx(await renderDocx(flowFor(draft.format), draft));
      const words = docx.paragraphs.map((p) => p.text).filter((t) => t.trim() !== "");
      expect(html(draft).blocks.map((b) => b.text)).toEqual(words);
    }
  });
  it("escapes what the officer typed", () => {
    const draft = fixture("report-2022");
    const page = renderHtml(flowFor("2021"), {
      ...draft,
      org: "<b>某局</b> & 办公室",
      narrative: { ...draft.narrative, other: '<script>alert("x")</script>' },
    });
    expect(page).not.toContain("<script");
    expect(page).not.toContain("<b>某局");
    expect(page).toContain("&lt;b&gt;某局&lt;/b&gt; &amp; 办公室");
    expect(readHtml(page).blocks.some((b) => b.text === '<script>alert("x")</script>')).toBe(true);
  });
});

describe("renderHtml: a page that survives a paste into a site's editor", () => {
  const page = renderHtml(flowFor("2021"), fixture("report-2022"));
  const read = readHtml(page);
  it("uses no script, no stylesheet, no class and no external file", () => {
    for (const tag of ["script", "style", "link", "img", "iframe", "object"])
      expect(read.tags.has(tag), tag).toBe(false);
    for (const attribute of ["class", "src", "href", "onload", "onclick"])
      expect(read.attributes.has(attribute), attribute).toBe(false);
    expect(page).not.toMatch(/url\(|@import|https?:\/\//);
  });
  it("styles every heading, paragraph, table and cell inline", () => {
    for (const b of read.blocks) expect(b.style, b.text).not.toBe("");
    for (const t of read.tables) {
      expect(t.style).toContain("border-collapse:collapse");
      for (const cell of t.rows.flat()) expect(cell.style).toContain("border:1px solid");
    }
  });
  it("declares UTF-8, Simplified Chinese and a phone viewport", () => {
    expect(page).toContain('<meta charset="utf-8">');
    expect(page).toContain('<html lang="zh-CN">');
    expect(page).toContain('name="viewport"');
  });
});

describe("renderHtml: a draft", () => {
  const problems: Finding[] = [
    { severity: "warning", rule: "contact", cells: ["contact"], numbers: [], message: "开头缺少联系方式" },
    { severity: "error", rule: "missing", cells: ["apply.new.business"], numbers: [1], message: "未填写（商业企业）" },
  ];
  it("lists errors, then warnings, before the title and marks missing cells 待填", () => {
    const page = html(withCells(fixture("report-2022"), { "apply.new.business": undefined }), problems);
    expect(page.blocks.slice(0, 4).map((b) => b.text)).toEqual([
      "草稿：待核实事项",
      "1．［须改正］未填写（商业企业）",
      "2．［请核实］开头缺少联系方式",
      "（草稿）杭州市拱墅区住房和城乡建设局2022年政府信息公开工作年度报告",
    ]);
    const marked = page.tables.flatMap((t) => t.rows.flat()).filter((c) => c.text === "待填");
    expect(marked.map((c) => c.cell)).toEqual(["apply.new.business"]);
    expect(marked[0]!.style).toContain("background:#d9d9d9");
  });
  it("has no marks when final", () => {
    const page = renderHtml(flowFor("2021"), withCells(fixture("report-2022"), { "apply.new.business": undefined }));
    expect(page).not.toContain("待填");
    expect(page).not.toContain("草稿");
  });
});
