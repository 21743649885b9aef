import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { flows } from "../flows/index.js";
import type { Draft } from "../src/form/draft.js";
import { computeValues } from "../src/form/totals.js";
import { IMPORT_REFUSALS, type Imported, importReport } from "../src/import/import-report.js";
import { summaryLine } from "../src/import/import-summary.js";
import { DOC_REFUSALS } from "../src/import/read-docx.js";
import { FILE_REFUSALS, MAX_IMPORT_BYTES, readReportFile } from "../src/import/read-file.js";
import { decodeHtml } from "../src/import/read-html.js";
import { readText } from "../src/import/read-text.js";
import { renderDocx } from "../src/report/render-docx.js";
import { type BuiltBlock, type BuiltCell, buildDocx, oleFile } from "./support/docx-builder.js";
import { fixture } from "./support/fixtures.js";
import {
  activeTable2019,
  activeTable2021,
  applyTable,
  officialReport,
  reviewTable,
} from "./support/official-layout.js";

const FIXTURES = ["seed-2020", "report-2022"] as const;

function imported(bytes: Uint8Array, name: string, options = {}): Imported {
  const source = readReportFile(bytes, name);
  if (!source.ok) throw new Error(source.reason);
  const result = importReport(source.source, flows, options);
  if (!result.ok) throw new Error(result.reason);
  return result;
}

/** Every cell the document prints: leaves as given, totals computed. */
const printedCells = (draft: Draft) => Object.fromEntries(computeValues(flows.flowFor(draft.format), draft.cells));

describe("round trip: render → import", () => {
  for (const name of FIXTURES) {
    it(`reads back every cell, part, unit, year, contact and date of ${name}`, async () => {
      const draft = fixture(name);
      const bytes = await renderDocx(flows.flowFor(draft.format), draft);
      const result = imported(bytes, `${name}.docx`);
      expect(result.draft.cells).toEqual(printedCells(draft));
      expect(result.draft.narrative).toEqual(draft.narrative);
      expect([result.draft.org, result.draft.year, result.draft.format]).toEqual([draft.org, draft.year, draft.format]);
      expect(result.draft.contact).toEqual(draft.contact);
      // The 成文日期 under the unit's name; the seed has none and prints a blank date.
      expect(result.draft.date).toEqual(draft.date);
      expect(result.unplaced).toEqual([]);
      expect(result.missing).toEqual([]);
    });
  }
});

describe("the seed text (a Word file saved as text)", () => {
  it("reads back to the seed's figures and parts", () => {
    const text = readFileSync(new URL("./fixtures/seed-report-2020.txt", import.meta.url), "utf8");
    const result = importReport(readText(text), flows);
    if (!result.ok) throw new Error(result.reason);
    const seed = JSON.parse(readFileSync(new URL("./fixtures/seed-2020.json", import.meta.url), "utf8"));
    expect(result.draft).toEqual(seed);
    expect(summaryLine(result)).toBe("读到 大关街道 2020 年的报告：表格 198 格、正文 8 部分");
  });
});

// --- Word files written by hand in the official template's layout. ---

const report2022 = fixture("report-2022");
const values2022 = printedCells(report2022);
/** Figures as officers type them: full-width spaces before, a space after. */
const padded = (values: Record<string, number>) => (id: string) => `　　${values[id] ?? ""} `;

function built2021(opts: { singleOther?: boolean; normativeLabel?: string; figure?: (id: string) => string } = {}) {
  const figure = opts.figure ?? padded(values2022);
  return officialReport({
    title: "杭州市拱墅区住房和城乡建设局2022年政府信息公开工作年度报告",
    preamble: [
      "本报告根据《中华人民共和国政府信息公开条例》和国办公开办函〔2021〕30号要求编制。本报告中所列数据的统计期限自2022年1月1日起至2022年12月31日止。",
    ],
    overview: [
      "2022年，本局认真贯彻落实条例。",
      "（一）主动公开情况",
      "全年主动公开政府信息312条。",
      "（二）依申请公开。本年度共收到政府信息公开申请17件。",
      "（三）政府信息管理",
      "（三）政府信息管理",
      "健全信息发布审查机制。",
      "（四）平台建设情况",
      "以区政府门户网站为第一平台。",
      "（五）政府信息公开监督保障情况",
      "成立政务公开工作领导小组。",
      "（一）加强组织领导。主要负责人为第一责任人。",
    ],
    active: activeTable2021(figure, opts.normativeLabel ? { normativeLabel: opts.normativeLabel } : {}),
    apply: applyTable("2021", figure, { singleOther: opts.singleOther ?? false }),
    review: reviewTable(figure),
    problems: ["一是政策解读形式单一。", "二是部分栏目更新不及时。"],
    otherHeading: "6、 其他需要报告的事项",
    other: ["本年度未收取信息处理费。"],
    closing: ["", "杭州市拱墅区住房和城乡建设局", "2023年1月18日"],
  });
}

const expectedNarrative2021 = {
  "overview.intro": "2022年，本局认真贯彻落实条例。",
  "overview.active": "全年主动公开政府信息312条。",
  "overview.on_request": "本年度共收到政府信息公开申请17件。",
  "overview.management": "健全信息发布审查机制。",
  "overview.platform": "以区政府门户网站为第一平台。",
  "overview.supervision": "成立政务公开工作领导小组。\n（一）加强组织领导。主要负责人为第一责任人。",
  problems: "一是政策解读形式单一。\n二是部分栏目更新不及时。",
  other: "本年度未收取信息处理费。",
};

describe("Word files not rendered by nianbao (official layout, raw XML)", () => {
  it("reads every leaf cell and part of a 2021 report with full-width spaces, merged cells and 6、 headings", () => {
    const result = imported(buildDocx(built2021()), "built.docx");
    expect(result.draft.cells).toEqual(values2022);
    expect(result.draft.narrative).toEqual(expectedNarrative2021);
    expect([result.draft.org, result.draft.year, result.draft.format]).toEqual([report2022.org, 2022, "2021"]);
    expect(result.unplaced).toEqual([]);
  });

  it("reads 规范性文件 as 行政规范性文件", () => {
    const result = imported(buildDocx(built2021({ normativeLabel: "规范性文件" })), "built.docx");
    expect(result.draft.cells["active.normative.in_force"]).toBe(values2022["active.normative.in_force"]);
    expect(result.missing).toEqual([]);
  });

  it("reads the single （六）其他处理 row of a 2021 table into 3.其他 and says so", () => {
    const figure = (id: string) =>
      id.startsWith("apply.other.3.") ? `${values2022[id.replace(".3.", ".1.")]! + 1}` : padded(values2022)(id);
    const result = imported(buildDocx(built2021({ singleOther: true, figure })), "built.docx");
    expect(result.draft.cells["apply.other.3.natural"]).toBe(values2022["apply.other.1.natural"]! + 1);
    expect(result.missing).toEqual(expect.arrayContaining(["apply.other.1.natural", "apply.other.2.natural"]));
    expect(result.notes.join()).toContain("按“3.其他”读入");
  });

  it("reads blanks in a filled table as 0 and says so; text in a figure cell is listed by row and column", () => {
    const figure = (id: string) =>
      id === "apply.withheld.2.business" ? "" : id === "review.pending" ? "见附件" : padded(values2022)(id);
    const result = imported(buildDocx(built2021({ figure })), "built.docx");
    expect(result.draft.cells["apply.withheld.2.business"]).toBe(0);
    expect(result.notes.join()).toContain("申请表有 1 格是空白，按 0 读入");
    expect(result.unplaced).toEqual([{ row: "（数字行）", column: "尚未审结", text: "见附件" }]);
    expect(summaryLine(result)).toContain("有 1 格看不清");
  });

  it("reads a 2019 report with line breaks in headers and 万 in figures", () => {
    const seed = fixture("seed-2020");
    const values = printedCells(seed);
    const figure = (id: string) => (id === "active.procurement.amount" ? "239.8282万" : ` ${values[id]}`);
    const blocks: BuiltBlock[] = officialReport({
      title: "大关街道政府信息公开工作年度报告",
      preamble: [],
      overview: ["现将大关街道2020年政务公开工作总结如下：", "（一）主动公开", "2020年，我街道高度重视政务公开工作。"],
      active: activeTable2019(figure, { breakHeaders: true }),
      apply: applyTable("2019", figure),
      review: reviewTable(figure),
      problems: ["宣传力度不够。"],
      other: ["未收取费用。"],
      closing: [],
    });
    const result = imported(buildDocx(blocks), "seed.docx");
    expect(result.draft.cells).toEqual(values);
    expect([result.draft.org, result.draft.year, result.draft.format]).toEqual(["大关街道", 2020, "2019"]);
    expect(result.draft.narrative).toEqual({
      "overview.intro": "现将大关街道2020年政务公开工作总结如下：",
      "overview.active": "2020年，我街道高度重视政务公开工作。",
      problems: "宣传力度不够。",
      other: "未收取费用。",
    });
  });

  it("takes --org and --year over the title", () => {
    const result = imported(buildDocx(built2021()), "built.docx", { org: "平潭综合实验区", year: 2022 });
    expect([result.draft.org, result.draft.year]).toEqual(["平潭综合实验区", 2022]);
  });
});

// --- The same report as a web page and as pasted text. ---

/** Built rows → an HTML table with rowspan/colspan, as a website publishes the template. */
function htmlTable(rows: BuiltCell[][]): string {
  const norm = rows.map((r) => r.map((c) => (typeof c === "string" ? { text: c } : c)));
  const colOf = (r: number, i: number) => norm[r]!.slice(0, i).reduce((s, c) => s + (c.span ?? 1), 0);
  const trs = norm.map((row, r) =>
    row
      .map((c, i) => {
        if (c.merge === "continue") return "";
        let rowspan = 1;
        if (c.merge === "restart") {
          const col = colOf(r, i);
          while (norm[r + rowspan]?.some((d, j) => d.merge === "continue" && colOf(r + rowspan, j) === col)) rowspan++;
        }
        const attrs = `${(c.span ?? 1) > 1 ? ` colspan="${c.span}"` : ""}${rowspan > 1 ? ` rowspan="${rowspan}"` : ""}`;
        return `<td${attrs}><p>${(c.text ?? "").replace(/\n/g, "<br>")}</p></td>`;
      })
      .join(""),
  );
  return `<table border="1"><tbody>${trs.map((t) => `<tr>${t}</tr>`).join("\n")}</tbody></table>`;
}

function asHtml(blocks: BuiltBlock[]): string {
  const body = blocks.map((b) => (typeof b === "string" ? `<p>${b}</p>` : htmlTable(b))).join("\n");
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>年报</title><script>var x = "<td>1</td>";</script></head><body><div class="nav">首页 &gt; 政府信息公开</div>${body}<div>分享：</div></body></html>`;
}

/** Rows as a page's text has them: merged-down cells left out, cells joined by " | ". */
function asBarText(blocks: BuiltBlock[]): string {
  return blocks
    .map((b) =>
      typeof b === "string"
        ? b
        : b
            .map((row) =>
              row
                .filter((c) => typeof c === "string" || c.merge !== "continue")
                .map((c) => (typeof c === "string" ? c : (c.text ?? "")).replace(/\n/g, ""))
                .join(" | "),
            )
            .join("\n"),
    )
    .join("\n");
}

/** One cell per line, as a table copied out of a browser into a chat. */
function asCellLines(blocks: BuiltBlock[]): string {
  return blocks
    .flatMap((b) =>
      typeof b === "string"
        ? [b]
        : b.flatMap((row) =>
            row.flatMap((c) => {
              const text = typeof c === "string" ? c : c.merge === "continue" ? undefined : c.text;
              return text === undefined || text.trim() === "" ? [] : [text.replace(/\n/g, "")];
            }),
          ),
    )
    .join("\n");
}

describe("web pages and pasted text", () => {
  const utf8 = (s: string) => new TextEncoder().encode(s);

  it("reads a saved page: tables with rowspan/colspan, the text around them", () => {
    const result = imported(utf8(asHtml(built2021())), "page.html");
    expect(result.draft.cells).toEqual(values2022);
    expect(result.draft.narrative).toEqual(expectedNarrative2021);
  });

  it("decodes a page that declares GBK", () => {
    const head = utf8('<html><head><meta charset="gbk"></head><body><p>');
    const bytes = new Uint8Array([...head, 0xc4, 0xea, ...utf8("</p></body></html>")]); // 年 in GBK
    expect(decodeHtml(bytes)).toContain("<p>年</p>");
  });

  it("reads tables flattened to ' | ' rows", () => {
    const result = imported(utf8(asBarText(built2021())), "page.txt");
    expect(result.draft.cells).toEqual(values2022);
    expect(result.draft.narrative).toEqual(expectedNarrative2021);
  });

  it("reads tables flattened to one cell per line", () => {
    const result = imported(utf8(asCellLines(built2021())), "paste.txt");
    expect(result.draft.cells).toEqual(values2022);
    expect(result.draft.narrative).toEqual(expectedNarrative2021);
  });
});

describe("refusals", () => {
  const refusal = (bytes: Uint8Array, name: string) => {
    const source = readReportFile(bytes, name);
    if (!source.ok) return source.reason;
    const result = importReport(source.source, flows);
    return result.ok ? undefined : result.reason;
  };

  it("refuses a .doc, a password-protected .docx and a corrupt .docx with what to do", () => {
    expect(refusal(oleFile("WordDocument"), "a.doc")).toBe(DOC_REFUSALS.legacyDoc);
    expect(refusal(oleFile("EncryptionInfo"), "a.docx")).toBe(DOC_REFUSALS.encrypted);
    const good = buildDocx(built2021());
    expect(refusal(good.subarray(0, good.length - 200), "a.docx")).toBe(DOC_REFUSALS.corrupt);
    expect(refusal(new TextEncoder().encode("not a zip"), "a.docx")).toBe(DOC_REFUSALS.corrupt);
  });

  it("refuses a Word file without a report table, a PDF, and an oversized file", () => {
    expect(refusal(buildDocx(["会议通知", "请各单位准时参加。"]), "a.docx")).toBe(IMPORT_REFUSALS.notReport);
    expect(refusal(new TextEncoder().encode("%PDF-1.7 ..."), "a.pdf")).toBe(FILE_REFUSALS.pdf);
    expect(refusal(new Uint8Array(MAX_IMPORT_BYTES + 1), "big.docx")).toContain("文件太大");
  });

  it("asks for the year when neither the title nor the text gives one", () => {
    const blocks = built2021().map((b) => (typeof b === "string" ? b.replace(/20\d\d/g, "") : b));
    expect(refusal(buildDocx(blocks), "a.docx")).toBe(IMPORT_REFUSALS.noYear);
  });
});
