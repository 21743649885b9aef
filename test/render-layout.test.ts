import { beforeAll, describe, expect, it } from "vitest";
import { flowFor } from "../flows/index.js";
import type { Draft } from "../src/form/draft.js";
import type { Finding } from "../src/form/finding.js";
import { renderDocx } from "../src/report/render-docx.js";
import { child, type DocxContent, descendants, type El, parseXml, readDocx } from "./support/docx-cells.js";
import { fixture, withCells } from "./support/fixtures.js";

/**
 * What a reader noticed in rendered published reports (issue 12), checked on
 * the .docx XML: these run everywhere; test/render-pdf.test.ts checks the
 * same points on LibreOffice's PDF where it is installed.
 */

const render = async (draft: Draft, problems?: Finding[]) =>
  readDocx(await renderDocx(flowFor(draft.format), draft, problems ? { problems } : {}));

const report = fixture("report-2022");
const seed = fixture("seed-2020");
const attr = (el: El | undefined, name: string) => el?.attrs[name];
const rowsOf = (table: El) => descendants(table, "w:tr");
const paragraphsOfRow = (tr: El) => descendants(tr, "w:p");
const keptWithNext = (tr: El) => paragraphsOfRow(tr).every((p) => child(child(p, "w:pPr"), "w:keepNext") !== undefined);
const rowText = (tr: El) =>
  descendants(tr, "w:t")
    .map((t) => t.children.join(""))
    .join("");

let doc2021: DocxContent;
let docSeed: DocxContent;
beforeAll(async () => {
  [doc2021, docSeed] = await Promise.all([render(report), render(seed)]);
});

describe("1. the title breaks between words", () => {
  it("puts a long title on two lines: the unit, then the year's 政府信息公开工作年度报告", () => {
    const title = descendants(doc2021.body, "w:p")[0]!;
    const runs = descendants(title, "w:r");
    expect(runs.map((r) => descendants(r, "w:t")[0]?.children.join(""))).toEqual([
      "杭州市拱墅区住房和城乡建设局",
      "2022年政府信息公开工作年度报告",
    ]);
    expect(descendants(runs[1]!, "w:br")).toHaveLength(1);
    expect(descendants(runs[0]!, "w:br")).toHaveLength(0);
  });
  it("keeps a short title on one line", () => {
    const title = descendants(docSeed.body, "w:p")[0]!;
    expect(descendants(title, "w:br")).toHaveLength(0);
    expect(docSeed.paragraphs[0]!.text).toBe("大关街道2020年政府信息公开工作年度报告");
  });
});

describe("2. no leftover of a typed heading starts a part", () => {
  it("drops （一）主动公开情况。 as a whole", async () => {
    const doc = await render({
      ...report,
      narrative: { ...report.narrative, "overview.active": "（一）主动公开情况。2022年，全年主动公开政府信息312条。" },
    });
    const at = doc.paragraphs.findIndex((p) => p.text === "（一）主动公开");
    expect(doc.paragraphs[at + 1]!.text).toBe("2022年，全年主动公开政府信息312条。");
  });
});

describe("3. the closing date is the report's 成文日期", () => {
  it("prints the draft's date, not the day of rendering", () => {
    expect(doc2021.paragraphs.at(-1)!.text).toBe("2023年1月20日");
  });
  it("prints a blank date to sign by hand when the report has none", () => {
    expect(docSeed.paragraphs.at(-1)!.text).toBe("　　年　月　日");
    expect(docSeed.paragraphs.at(-2)!.text).toBe("大关街道");
  });
});

describe("4. table 三 breaks between groups only", () => {
  it("never splits a row, and keeps every row inside a merged group with the next", () => {
    const apply = doc2021.tables[1]!.xml;
    const rows = rowsOf(apply);
    for (const tr of rows) expect(child(child(tr, "w:trPr"), "w:cantSplit"), rowText(tr)).toBeDefined();
    const at = (label: string) => rows.findIndex((tr) => rowText(tr).includes(label));
    // The three header rows stay with the first data row.
    for (let r = 0; r < 3; r++) expect(keptWithNext(rows[r]!), `header ${r}`).toBe(true);
    for (const [group, size] of [
      ["（三）不予公开", 8],
      ["（四）无法提供", 3],
      ["（五）不予处理", 5],
      ["（六）其他处理", 3],
    ] as const) {
      const first = at(group);
      for (let r = first; r < first + size - 1; r++) expect(keptWithNext(rows[r]!), rowText(rows[r]!)).toBe(true);
      // The table may break after a group and before the next one.
      expect(keptWithNext(rows[first + size - 1]!), `end of ${group}`).toBe(false);
      expect(keptWithNext(rows[first - 1]!), `before ${group}`).toBe(false);
    }
    expect(keptWithNext(rows[at("一、本年新收")]!)).toBe(false);
    expect(keptWithNext(rows[at("（七）总计")]!)).toBe(false);
  });
  it("prints a group label in two lines, after its number: （三） / 不予公开", () => {
    const label = descendants(doc2021.tables[1]!.xml, "w:tc").find((tc) => rowText(tc) === "（三）不予公开")!;
    const runs = descendants(label, "w:r");
    expect(runs.map((r) => rowText(r))).toEqual(["（三）", "不予公开"]);
    expect(descendants(runs[1]!, "w:br")).toHaveLength(1);
  });
  it("repeats the header rows on every page the table runs onto", () => {
    const rows = rowsOf(doc2021.tables[1]!.xml);
    const headers = rows.filter((tr) => child(child(tr, "w:trPr"), "w:tblHeader") !== undefined);
    expect(headers).toHaveLength(3);
  });
});

describe("5. fonts: a font table with substitutes, and Simplified Chinese", () => {
  const fontTable = () => parseXml(doc2021.parts.get("word/fontTable.xml")!);
  const declared = () => new Map(descendants(fontTable(), "w:font").map((f) => [f.attrs["w:name"]!, f]));
  it("declares every face the document names, with family, panose, charset and alternative names", () => {
    const used = new Set(
      [...doc2021.parts.values()].flatMap((xml) => [...xml.matchAll(/w:eastAsia="([^"]+)"/g)].map((m) => m[1]!)),
    );
    used.delete("zh-CN"); // w:lang's attribute of the same name
    const fonts = declared();
    for (const name of used) expect(fonts.has(name), name).toBe(true);
    const expected: [string, string, string[]][] = [
      ["仿宋_GB2312", "roman", ["仿宋", "FangSong", "STFangsong"]],
      ["楷体_GB2312", "roman", ["楷体", "KaiTi"]],
      ["方正小标宋简体", "roman", ["宋体"]],
      ["黑体", "modern", ["SimHei"]],
    ];
    for (const [name, family, alt] of expected) {
      const f = fonts.get(name)!;
      expect(attr(child(f, "w:family"), "w:val"), name).toBe(family);
      expect(attr(child(f, "w:charset"), "w:val"), name).toBe("86");
      expect(attr(child(f, "w:panose1"), "w:val"), name).toMatch(/^[0-9A-F]{20}$/);
      const names = attr(child(f, "w:altName"), "w:val")!.split(",");
      for (const a of alt) expect(names, name).toContain(a);
    }
    expect(attr(child(fonts.get("Times New Roman"), "w:family"), "w:val")).toBe("roman");
  });
  it("sets the East-Asian language zh-CN in the defaults and on every run", () => {
    const styles = parseXml(doc2021.parts.get("word/styles.xml")!);
    const defaults = descendants(styles, "w:rPrDefault")[0]!;
    expect(attr(descendants(defaults, "w:lang")[0], "w:eastAsia")).toBe("zh-CN");
    const runs = descendants(doc2021.body, "w:r");
    for (const r of runs) expect(attr(child(child(r, "w:rPr"), "w:lang"), "w:eastAsia")).toBe("zh-CN");
  });
});

describe("6. columns of table 三 fit their labels and five-digit counts", () => {
  const twipsPerChar = 10.5 * 20;
  const gridOf = (table: El) => descendants(table, "w:gridCol").map((g) => Number(g.attrs["w:w"]));
  it("holds 不予公开 of a group label and 三、本年度办理结果 in two lines, at 10.5 pt", () => {
    const [resultCol, groupCol] = gridOf(doc2021.tables[1]!.xml);
    const margins = 100;
    expect(groupCol! - margins).toBeGreaterThanOrEqual(4 * twipsPerChar); // （三） / 不予公开
    expect(resultCol! - margins).toBeGreaterThanOrEqual(5 * twipsPerChar); // 三、本年度 / 办理结果
  });
  it("holds 10000 in every figure column without wrapping", () => {
    for (const table of doc2021.tables) {
      const size = table === doc2021.tables[2] ? 9 : 10.5;
      const grid = gridOf(table.xml);
      const figureColumns = table === doc2021.tables[1] ? grid.slice(3) : table === doc2021.tables[2] ? grid : [];
      for (const w of figureColumns) expect(w - 100).toBeGreaterThanOrEqual(5 * 0.5 * size * 20);
    }
  });
  it("still spans the text width exactly", () => {
    for (const t of doc2021.tables) expect(gridOf(t.xml).reduce((a, b) => a + b, 0)).toBe(8845);
  });
});

describe("7. a draft marks its problems", () => {
  const problems: Finding[] = [
    { severity: "warning", rule: "R-fees", cells: [], numbers: [], message: "六、没有写收取信息处理费的情况" },
    {
      severity: "error",
      rule: "missing",
      cells: ["apply.new.business"],
      numbers: [1],
      message: "三、收到和处理政府信息公开申请情况：未填写一、本年新收政府信息公开申请数量（商业企业）",
    },
  ];
  it("shades a missing cell and marks it 待填; other cells stay plain", async () => {
    const doc = await render(withCells(report, { "apply.new.business": undefined }), problems);
    const cells = descendants(doc.tables[1]!.xml, "w:tc");
    const marked = cells.filter((tc) => child(child(tc, "w:tcPr"), "w:shd") !== undefined);
    expect(marked).toHaveLength(1);
    expect(rowText(marked[0]!)).toBe("待填");
    expect(attr(child(child(marked[0]!, "w:tcPr"), "w:shd"), "w:fill")).toBe("D9D9D9");
    const row = doc.tables[1]!.rows[3]!.map((c) => c.text);
    expect(row.slice(0, 3)).toEqual(["一、本年新收政府信息公开申请数量", "12", "待填"]);
  });
  it("lists the problems, errors first, before the title; a final document has no marks", async () => {
    const draftDoc = await render(withCells(report, { "apply.new.business": undefined }), problems);
    expect(draftDoc.paragraphs.slice(0, 3).map((p) => p.text)).toEqual([
      "草稿：待核实事项",
      `1．［须改正］${problems[1]!.message}`,
      `2．［请核实］${problems[0]!.message}`,
    ]);
    const final = await render(withCells(report, { "apply.new.business": undefined }));
    expect(final.documentXml).not.toContain("待填");
    expect(final.documentXml).not.toContain("w:shd");
    expect(final.paragraphs[0]!.style).toBe("ReportTitle");
  });
});

describe("9. section 一 of the 2019 format written as one text", () => {
  it("prints the text alone, with no empty sub-headings and no （未填写）", async () => {
    const narrative = Object.fromEntries(Object.entries(seed.narrative).filter(([id]) => !id.startsWith("overview.")));
    const doc = await render({ ...seed, narrative: { ...narrative, "overview.intro": "2020年，我街道……" } });
    const at = doc.paragraphs.findIndex((p) => p.text === "一、总体情况");
    expect(doc.paragraphs[at + 1]!.text).toBe("2020年，我街道……");
    expect(doc.paragraphs[at + 2]!.text).toBe("二、主动公开政府信息情况");
    expect(doc.documentXml).not.toContain("（未填写）");
  });
});

describe("10. GB/T 9704: document grid, page numbers, properties", () => {
  it("sets a line grid of 22 lines and a body character pitch of 28 characters a line", () => {
    const grid = child(child(doc2021.body, "w:sectPr"), "w:docGrid")!;
    expect(grid.attrs["w:type"]).toBe("lines");
    expect(Number(grid.attrs["w:linePitch"])).toBe(579);
    const pgSz = child(child(doc2021.body, "w:sectPr"), "w:pgSz")!;
    const pgMar = child(child(doc2021.body, "w:sectPr"), "w:pgMar")!;
    const height = Number(pgSz.attrs["w:h"]) - Number(pgMar.attrs["w:top"]) - Number(pgMar.attrs["w:bottom"]);
    expect(Math.floor(height / 579)).toBe(22);
    const styles = parseXml(doc2021.parts.get("word/styles.xml")!);
    const bodyStyle = descendants(styles, "w:style").find((s) => s.attrs["w:styleId"] === "Body")!;
    const spacing = Number(attr(descendants(child(bodyStyle, "w:rPr")!, "w:spacing")[0], "w:val"));
    const pitchPt = 16 + spacing / 20; // w:spacing of a run is in twentieths of a point
    expect(Math.floor(8845 / 20 / pitchPt)).toBe(28);
    // Table text does not snap to the 29 pt line grid.
    const tableStyle = descendants(styles, "w:style").find((s) => s.attrs["w:styleId"] === "TableText")!;
    expect(attr(descendants(tableStyle, "w:snapToGrid")[0], "w:val")).toBe("0");
  });
  it("names the unit as author and last editor", () => {
    const core = doc2021.parts.get("docProps/core.xml")!;
    expect(core).toContain("<dc:creator>杭州市拱墅区住房和城乡建设局</dc:creator>");
    expect(core).toContain("<cp:lastModifiedBy>杭州市拱墅区住房和城乡建设局</cp:lastModifiedBy>");
  });
});
