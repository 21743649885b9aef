import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { flowFor } from "../flows/index.js";
import { Draft } from "../src/form/draft.js";
import type { Finding } from "../src/form/finding.js";
import { renderDocx } from "../src/report/render-docx.js";
import {
  child,
  type DocxContent,
  descendants,
  type El,
  elements,
  type PrintedTable,
  parseXml,
  readDocx,
  readRun,
} from "./support/docx-cells.js";

/**
 * The rendered .docx read back as XML. Every label expected below is typed
 * from FORMAT.md, not imported from flows/, so the flows and this test check
 * each other; expected values and totals are computed here independently.
 */

import { ACTIVE_2019, ACTIVE_2021, applyTable, expectTable, REVIEW } from "./support/expected-tables.js";

// --- Rendering and reading back. ---

type Rendered = DocxContent;

async function render(draft: Draft, problems?: Finding[]): Promise<Rendered> {
  return readDocx(await renderDocx(flowFor(draft.format), draft, problems ? { problems } : {}));
}

function fixture(name: string): Draft {
  return Draft.parse(JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), "utf8")));
}

// --- The tests. ---

describe("renderDocx: the 2021 format (report-2022 fixture, non-zero figures)", () => {
  const draft = fixture("report-2022");
  let doc: Rendered;
  beforeAll(async () => {
    doc = await render(draft);
  });

  it("prints the three tables cell for cell with the official labels, merges and values", () => {
    expect(doc.tables).toHaveLength(3);
    expectTable(doc.tables[0]!, ACTIVE_2021, draft);
    expectTable(doc.tables[1]!, applyTable("2021"), draft);
    expectTable(doc.tables[2]!, REVIEW, draft);
  });

  it("merges 三、本年度办理结果 over 22 rows, 申请人情况 over 7 columns and 行政诉讼 over 10", () => {
    const apply = doc.tables[1]!;
    const results = apply.rows.flat().find((c) => c.text === "三、本年度办理结果")!;
    expect(results.rowSpan).toBe(22);
    expect(apply.rows[0]![1]).toMatchObject({ text: "申请人情况", colSpan: 7 });
    expect(doc.tables[2]!.rows[0]![1]).toMatchObject({ text: "行政诉讼", colSpan: 10 });
    // In the XML, first grid column: the note header (restart + 2 continuations),
    // then 三 (restart on its first row, a continuation on each of the other 21).
    const firstColumn = descendants(apply.xml, "w:tr").map((tr) =>
      child(
        child(
          elements(tr).find((e) => e.name === "w:tc"),
          "w:tcPr",
        ),
        "w:vMerge",
      ),
    );
    const kinds = firstColumn.map((v) => (v === undefined ? "-" : v.attrs["w:val"] === "restart" ? "R" : "C"));
    expect(kinds.join("")).toBe(`RCC--R${"C".repeat(21)}-`);
  });

  it("prints the figures of the fixture and the computed totals", () => {
    const apply = doc.tables[1]!;
    const row = (label: string) => apply.rows.find((r) => r.some((c) => c.text === label))!.map((c) => c.text);
    expect(row("一、本年新收政府信息公开申请数量").slice(1)).toEqual(["12", "3", "0", "1", "1", "0", "17"]);
    expect(row("（七）总计").slice(1)).toEqual(["13", "3", "0", "1", "1", "0", "18"]);
    expect(doc.tables[0]!.rows[13]![1]!.text).toBe("2.35");
    expect(doc.tables[2]!.rows[3]!.map((c) => c.text).join(" ")).toBe("1 1 0 1 3 1 0 0 0 1 0 0 0 1 1");
  });

  it("prints computed totals even when the file gives different ones", async () => {
    const wrong = {
      ...draft,
      cells: { ...draft.cells, "apply.new.total": 99, "apply.result_total.natural": 1, "review.total": 7 },
    };
    const printed = await render(wrong);
    expectTable(printed.tables[1]!, applyTable("2021"), draft);
    expectTable(printed.tables[2]!, REVIEW, draft);
    expect(printed.documentXml).not.toContain(">99<");
  });

  it("leaves unanswered cells empty and prints 0 as 0", async () => {
    const cells = { ...draft.cells };
    delete cells["apply.new.business"];
    const printed = await render({ ...draft, cells });
    const row = printed.tables[1]!.rows[3]!.map((c) => c.text);
    expect(row).toEqual(["一、本年新收政府信息公开申请数量", "12", "", "0", "1", "1", "0", ""]);
    const partial = printed.tables[1]!.rows[4]!.map((c) => c.text);
    expect(partial.slice(1)).toEqual(["2", "0", "0", "0", "0", "0", "2"]);
  });

  it("has the title, the opening paragraph with the 2021 legal basis and the year's period, and the contact", () => {
    const [title, , opening] = doc.paragraphs;
    expect(title!.text).toBe("杭州市拱墅区住房和城乡建设局2022年政府信息公开工作年度报告");
    expect(title!.jc ?? "center").toBe("center");
    expect(title!.runs[0]).toMatchObject({ eastAsia: "方正小标宋简体", size: "44" });
    expect(opening!.text).toContain(
      "本报告根据《中华人民共和国政府信息公开条例》（以下简称《条例》）和《国务院办公厅政府信息与政务公开办公室关于印发〈中华人民共和国政府信息公开工作年度报告格式〉的通知》（国办公开办函〔2021〕30号）要求编制。",
    );
    expect(opening!.text).toContain("本报告中所列数据的统计期限自2022年1月1日起至2022年12月31日止。");
    expect(opening!.text).toContain("总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况");
    expect(opening!.text.endsWith(`${draft.contact}`)).toBe(true);
  });

  it("prints the six headings in 黑体 and the five sub-headings of 一 in 楷体_GB2312, 16 pt", () => {
    const headings = [
      "一、总体情况",
      "二、主动公开政府信息情况",
      "三、收到和处理政府信息公开申请情况",
      "四、政府信息公开行政复议、行政诉讼情况",
      "五、存在的主要问题及改进情况",
      "六、其他需要报告的事项",
    ];
    const found = doc.paragraphs.filter((p) => headings.includes(p.text));
    expect(found.map((p) => p.text)).toEqual(headings);
    for (const h of found) expect(h.runs[0]).toMatchObject({ eastAsia: "黑体", size: "32" });
    const subs = [
      "（一）主动公开",
      "（二）依申请公开",
      "（三）政府信息管理",
      "（四）政府信息公开平台建设",
      "（五）监督保障",
    ];
    const foundSubs = doc.paragraphs.filter((p) => subs.includes(p.text));
    expect(foundSubs.map((p) => p.text)).toEqual(subs);
    for (const h of foundSubs) expect(h.runs[0]).toMatchObject({ eastAsia: "楷体_GB2312", size: "32" });
  });

  it("places each table right after its section heading", () => {
    const followingOf = (heading: string) =>
      doc.blocks[doc.blocks.findIndex((b) => b.kind === "p" && b.text === heading) + 1];
    expect(followingOf("二、主动公开政府信息情况")).toBe(doc.tables[0]);
    expect(followingOf("三、收到和处理政府信息公开申请情况")).toBe(doc.tables[1]);
    expect(followingOf("四、政府信息公开行政复议、行政诉讼情况")).toBe(doc.tables[2]);
  });

  it("keeps the officer's paragraphs, in 仿宋_GB2312 with a two-character first-line indent", () => {
    for (const text of Object.values(draft.narrative)) {
      for (const line of text.split("\n").filter((l) => l.trim())) {
        const p = doc.paragraphs.find((q) => q.text === line.trim());
        expect(p, line).toBeDefined();
        expect(p!.style).toBe("Body");
        expect(p!.runs.every((r) => r.eastAsia === "仿宋_GB2312" && r.size === "32")).toBe(true);
      }
    }
    const styles = parseXml(doc.parts.get("word/styles.xml")!);
    const body = descendants(styles, "w:style").find((s) => s.attrs["w:styleId"] === "Body")!;
    expect(descendants(body, "w:ind")[0]!.attrs["w:firstLine"]).toBe("640");
    const spacing = descendants(body, "w:spacing")[0]!.attrs;
    expect(spacing["w:lineRule"]).toBe("exact");
    expect(Number(spacing["w:line"])).toBeGreaterThanOrEqual(560);
    expect(Number(spacing["w:line"])).toBeLessThanOrEqual(580);
  });

  it("sets an East Asian font on every run of the body, header and footer", () => {
    const runs = descendants(doc.body, "w:r");
    expect(runs.length).toBeGreaterThan(300);
    for (const r of runs) expect(child(child(r, "w:rPr"), "w:rFonts")?.attrs["w:eastAsia"]).toBeTruthy();
    expect(doc.documentXml).toContain('w:eastAsia="仿宋_GB2312"');
    const footer = [...doc.parts].find(([name]) => name.startsWith("word/footer"))![1];
    expect(footer).toContain('w:eastAsia="宋体"');
  });

  it("lays out A4 portrait with GB/T 9704 margins and tables exactly as wide as the text", () => {
    const sectPr = child(doc.body, "w:sectPr")!;
    expect(child(sectPr, "w:pgSz")!.attrs).toMatchObject({ "w:w": "11906", "w:h": "16838" });
    const margin = child(sectPr, "w:pgMar")!.attrs;
    const mm = (twips: string | undefined) => (Number(twips) * 25.4) / 1440;
    expect(mm(margin["w:top"])).toBeCloseTo(37, 0);
    expect(mm(margin["w:bottom"])).toBeCloseTo(35, 0);
    expect(mm(margin["w:left"])).toBeCloseTo(28, 0);
    expect(mm(margin["w:right"])).toBeCloseTo(26, 0);
    const textWidth = 11906 - Number(margin["w:left"]) - Number(margin["w:right"]);
    for (const t of doc.tables) {
      const width = Number(descendants(t.xml, "w:tblW")[0]!.attrs["w:w"]);
      const grid = descendants(t.xml, "w:gridCol").map((g) => Number(g.attrs["w:w"]));
      expect(width).toBe(textWidth);
      expect(grid.reduce((a, b) => a + b, 0)).toBe(width);
    }
  });

  it("sets tables in 仿宋_GB2312 at the flow's size: 10.5 pt, 9 pt for the 15-column table", () => {
    const sizes = (t: PrintedTable) => new Set(descendants(t.xml, "w:r").map((r) => readRun(r).size));
    expect(sizes(doc.tables[0]!)).toEqual(new Set(["21"]));
    expect(sizes(doc.tables[1]!)).toEqual(new Set(["21"]));
    expect(sizes(doc.tables[2]!)).toEqual(new Set(["18"]));
    for (const t of doc.tables)
      for (const r of descendants(t.xml, "w:r")) expect(readRun(r).eastAsia).toBe("仿宋_GB2312");
  });

  it("numbers pages as — 1 —, odd pages on the right and even pages on the left (GB/T 9704)", () => {
    const settings = doc.parts.get("word/settings.xml")!;
    expect(settings).toContain("<w:evenAndOddHeaders/>");
    const rels = doc.parts.get("word/_rels/document.xml.rels")!;
    const sectPr = child(doc.body, "w:sectPr")!;
    const footerOf = (type: string) => {
      const ref = descendants(sectPr, "w:footerReference").find((r) => r.attrs["w:type"] === type)!;
      const target = new RegExp(`Id="${ref.attrs["r:id"]}"[^>]*Target="([^"]+)"`).exec(rels)?.[1];
      return doc.parts.get(`word/${target}`)!;
    };
    for (const [type, jc] of [
      ["default", "right"],
      ["even", "left"],
    ] as const) {
      const footer = footerOf(type);
      expect(footer).toContain("PAGE");
      expect(footer).toContain(">— <");
      expect(footer, type).toContain(`<w:jc w:val="${jc}"/>`);
    }
  });

  it("ends with the body's name and the report's 成文日期, right-aligned", () => {
    const last = doc.paragraphs.slice(-2);
    expect(last.map((p) => p.text)).toEqual(["杭州市拱墅区住房和城乡建设局", "2023年1月20日"]);
    for (const p of last) expect(p.jc).toBe("right");
  });

  it("is no draft without problems: no 草稿 anywhere", () => {
    for (const [name, xml] of doc.parts) expect(xml.includes("草稿"), name).toBe(false);
    expect(doc.paragraphs.some((p) => p.text.includes("待核实事项"))).toBe(false);
  });
});

describe("renderDocx: the 2019 format (the seed report)", () => {
  const draft = fixture("seed-2020");
  let doc: Rendered;
  beforeAll(async () => {
    doc = await render(draft);
  });

  it("prints the three tables cell for cell with the 2019 labels, merges and values", () => {
    expect(doc.tables).toHaveLength(3);
    expectTable(doc.tables[0]!, ACTIVE_2019, draft);
    expectTable(doc.tables[1]!, applyTable("2019"), draft);
    expectTable(doc.tables[2]!, REVIEW, draft);
  });

  it("prints the procurement amount with its unit, 239.8282万元, and 三、本年度办理结果 over 20 rows", () => {
    const procurement = doc.tables[0]!.rows.at(-1)!;
    expect(procurement.map((c) => c.text)).toEqual(["政府集中采购", "32", "239.8282万元"]);
    expect(doc.tables[1]!.rows.flat().find((c) => c.text === "三、本年度办理结果")!.rowSpan).toBe(20);
  });

  it("cites 60号 and the 格式（试行） and the 2020 period in the opening paragraph", () => {
    const opening = doc.paragraphs[2]!.text;
    expect(opening).toContain(
      "《国务院办公厅政府信息与政务公开办公室关于政府信息公开工作年度报告有关事项的通知》（国办公开办函〔2019〕60号）",
    );
    expect(opening).toContain("《中华人民共和国政府信息公开工作年度报告格式（试行）》");
    expect(opening).toContain("本报告中所列数据的统计期限自2020年1月1日起至2020年12月31日止。");
    expect(opening).not.toContain("30号");
  });

  it("prints the title and the lead paragraph of 一 before （一）", () => {
    expect(doc.paragraphs[0]!.text).toBe("大关街道2020年政府信息公开工作年度报告");
    const i = doc.paragraphs.findIndex((p) => p.text === "一、总体情况");
    expect(doc.paragraphs[i + 1]!.text).toBe(draft.narrative["overview.intro"]);
    expect(doc.paragraphs[i + 2]!.text).toBe("（一）主动公开");
  });

  it("splits a part on its newlines: 五 has two paragraphs", () => {
    const i = doc.paragraphs.findIndex((p) => p.text === "五、存在的主要问题及改进情况");
    const [first, second] = draft.narrative.problems!.split("\n");
    expect(doc.paragraphs[i + 1]!.text).toBe(first);
    expect(doc.paragraphs[i + 2]!.text).toBe(second);
    expect(doc.paragraphs[i + 3]!.text).toBe("六、其他需要报告的事项");
  });
});

describe("renderDocx: narrative as the officer typed it", () => {
  const seed = fixture("seed-2020");
  const followingOf = (doc: Rendered, heading: string, n = 1) => {
    const i = doc.paragraphs.findIndex((p) => p.text === heading);
    return doc.paragraphs.slice(i + 1, i + 1 + n).map((p) => p.text);
  };

  it("does not print a heading twice when the officer typed it: 6、, 六、, （二）依申请公开", async () => {
    const doc = await render({
      ...seed,
      narrative: {
        ...seed.narrative,
        other: `6、 其他需要报告的事项\n${seed.narrative.other}`,
        problems: `五、存在的主要问题及改进情况\n${seed.narrative.problems}`,
        "overview.on_request": `（二）依申请公开\n${seed.narrative["overview.on_request"]}`,
        "overview.platform": `（四）平台建设情况\n${seed.narrative["overview.platform"]}`,
      },
    });
    expect(followingOf(doc, "六、其他需要报告的事项")).toEqual([seed.narrative.other!.split("\n")[0]]);
    expect(followingOf(doc, "五、存在的主要问题及改进情况")).toEqual([seed.narrative.problems!.split("\n")[0]]);
    expect(followingOf(doc, "（二）依申请公开")).toEqual([seed.narrative["overview.on_request"]]);
    expect(followingOf(doc, "（四）政府信息公开平台建设")).toEqual([seed.narrative["overview.platform"]]);
    expect(doc.paragraphs.some((p) => /^(6、|（四）平台建设情况)/.test(p.text))).toBe(false);
  });

  it("omits a missing optional part and shows （未填写） for a missing required one", async () => {
    const narrative = { ...seed.narrative };
    delete narrative["overview.intro"];
    delete narrative["overview.platform"];
    narrative.problems = "  \n ";
    const doc = await render({ ...seed, narrative }, [
      { severity: "error", rule: "R-missing", cells: [], numbers: [], message: "（四）政府信息公开平台建设还没有填写" },
    ]);
    expect(followingOf(doc, "一、总体情况")).toEqual(["（一）主动公开"]);
    expect(followingOf(doc, "（四）政府信息公开平台建设")).toEqual(["（未填写）"]);
    expect(followingOf(doc, "五、存在的主要问题及改进情况")).toEqual(["（未填写）"]);
  });
});

describe("renderDocx: a draft", () => {
  const draft = fixture("report-2022");
  const problems: Finding[] = [
    {
      severity: "error",
      rule: "A1",
      cells: ["apply.new.natural"],
      numbers: [12, 2, 13, 2],
      message: "三、自然人：一+二=14，但（七）总计+四=15",
    },
    { severity: "warning", rule: "R-fees", cells: [], numbers: [], message: "六、没有写收取信息处理费的情况" },
  ];
  let doc: Rendered;
  beforeAll(async () => {
    doc = await render(draft, problems);
  });

  it("is marked 草稿 in red in the page header of odd and even pages and in the title", () => {
    const header = [...doc.parts].find(([name]) => name.startsWith("word/header"))?.[1];
    expect(header).toBeDefined();
    const run = descendants(parseXml(header!), "w:r")
      .map(readRun)
      .find((r) => r.text === "草稿");
    expect(run?.color).toBe("FF0000");
    const sectPr = child(doc.body, "w:sectPr")!;
    expect(descendants(sectPr, "w:headerReference").map((r) => r.attrs["w:type"])).toEqual(["default", "even"]);
    const title = doc.paragraphs.find((p) => p.style === "ReportTitle")!;
    expect(title.text).toBe("（草稿）杭州市拱墅区住房和城乡建设局2022年政府信息公开工作年度报告");
  });

  it("lists errors then warnings first, under 草稿：待核实事项, on a page of their own before the title", () => {
    expect(doc.paragraphs[0]!.text).toBe("草稿：待核实事项");
    const titleAt = doc.paragraphs.findIndex((p) => p.style === "ReportTitle");
    const listed = doc.paragraphs.slice(1, titleAt).map((p) => p.text);
    expect(listed).toEqual([`1．［须改正］${problems[0]!.message}`, `2．［请核实］${problems[1]!.message}`]);
    const title = doc.body.children.filter((c): c is El => typeof c !== "string" && c.name === "w:p")[titleAt]!;
    expect(descendants(title, "w:pageBreakBefore")).toHaveLength(1);
    // Nothing after the signature.
    expect(doc.paragraphs.at(-1)!.text).toBe("2023年1月20日");
  });

  it("puts errors before warnings whatever order they come in", async () => {
    const reversed = await render(draft, [...problems].reverse());
    expect(reversed.paragraphs[1]!.text).toContain("［须改正］");
    expect(reversed.paragraphs[2]!.text).toContain("［请核实］");
  });

  it("still prints every table as the final version would", () => {
    expectTable(doc.tables[1]!, applyTable("2021"), draft);
  });

  it("refuses a draft of the other format", async () => {
    await expect(renderDocx(flowFor("2019"), draft)).rejects.toThrow(/format/);
  });
});
