import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { flowFor } from "../flows/index.js";
import { Draft } from "../src/form/draft.js";
import type { TableDef } from "../src/form/flow-schema.js";
import { computeValues } from "../src/form/totals.js";
import { displayWidth, narrativePreview, tablePreview } from "../src/report/table-preview.js";

function fixture(name: string): Draft {
  return Draft.parse(JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), "utf8")));
}
const report2022 = fixture("report-2022");
const seed = fixture("seed-2020");
const flow2021 = flowFor("2021");
const flow2019 = flowFor("2019");
const tableOf = (flow: typeof flow2021, id: string): TableDef =>
  flow.sections.flatMap((s) => s.tables).find((t) => t.id === id)!;

describe("tablePreview", () => {
  it("shows each row of the application table with its values and computed total", () => {
    const text = tablePreview(flow2021, tableOf(flow2021, "apply"), computeValues(flow2021, report2022.cells));
    const lines = text.split("\n");
    const line = (start: string) => lines.find((l) => l.startsWith(start))!;
    expect(line("一、本年新收").trim().split(/\s+/).slice(1)).toEqual(["12", "3", "0", "1", "1", "0", "=", "17"]);
    expect(line("（七）总计").trim().split(/\s+/).slice(1)).toEqual(["13", "3", "0", "1", "1", "0", "=", "18"]);
    expect(line("四、结转下年度").trim().split(/\s+/).slice(1)).toEqual(["1", "0", "0", "0", "0", "0", "=", "1"]);
    // （七）总计 comes after the last outcome row and before 四.
    expect(lines.indexOf(line("（七）总计"))).toBe(lines.indexOf(line("四、结转下年度")) - 1);
    expect(lines[0]).toBe("列：自然人 | 商业企业 | 科研机构 | 社会公益组织 | 法律服务机构 | 其他 = 总计");
    expect(lines).toContain("【（三）不予公开】");
  });

  it("shortens long labels to 14 characters with …", () => {
    const text = tablePreview(flow2021, tableOf(flow2021, "apply"), computeValues(flow2021, report2022.cells));
    expect(text).toContain("一、本年新收政府信息公开申… ");
    expect(text).toContain("（二）部分公开（区分处理的… ");
    expect(text).not.toContain("只计这一情形");
  });

  it("aligns the value columns for a monospace font where CJK takes two columns", () => {
    const text = tablePreview(flow2021, tableOf(flow2021, "apply"), computeValues(flow2021, report2022.cells));
    const rows = text.split("\n").filter((l) => /\s=\s+\d+$/.test(l));
    expect(rows.length).toBe(25); // 24 answered rows and （七）总计
    expect(new Set(rows.map(displayWidth)).size).toBe(1);
    expect(new Set(rows.map((r) => displayWidth(r.slice(0, r.indexOf("="))))).size).toBe(1);
  });

  it("prints the 2019 procurement amount with its unit and groups rows by block", () => {
    const text = tablePreview(flow2019, tableOf(flow2019, "active"), computeValues(flow2019, seed.cells));
    expect(text).toMatch(/政府集中采购\s+32 239\.8282万元/);
    expect(text).toContain("【第二十条第（九）项】\n列：采购项目数量 | 采购总金额");
  });

  it("marks unanswered cells and leaves the total open while a part is missing", () => {
    const cells = { ...report2022.cells };
    delete cells["review.corrected"];
    const text = tablePreview(flow2021, tableOf(flow2021, "review"), computeValues(flow2021, cells));
    expect(text).toMatch(/行政复议\s+1 _ 0 1 = _/);
    expect(text).toContain("（_ 表示未填）");
    expect(text).toMatch(/未经复议直接起诉 1 0 0 0 = 1/);
  });

  it("fits Telegram's 4,096 characters for every table of both formats, and a smaller limit when asked", () => {
    for (const [flow, draft] of [
      [flow2021, report2022],
      [flow2019, seed],
    ] as const) {
      const values = computeValues(flow, draft.cells);
      for (const table of flow.sections.flatMap((s) => s.tables)) {
        expect(tablePreview(flow, table, values).length).toBeLessThanOrEqual(4096);
        const short = tablePreview(flow, table, values, { maxLength: 200 });
        expect(short.length).toBeLessThanOrEqual(200);
      }
    }
    const cut = tablePreview(flow2021, tableOf(flow2021, "apply"), computeValues(flow2021, report2022.cells), {
      maxLength: 300,
    });
    expect(cut).toMatch(/…（还有 \d+ 行未显示）$/);
  });
});

describe("narrativePreview", () => {
  it("gives the whole report's text with headings, tables named, in one message when it fits", () => {
    const messages = narrativePreview(flow2021, report2022);
    expect(messages).toHaveLength(1);
    const text = messages[0]!;
    expect(text.startsWith("杭州市拱墅区住房和城乡建设局2022年政府信息公开工作年度报告\n\n本报告根据")).toBe(true);
    const order = [
      "一、总体情况",
      "（一）主动公开",
      "（五）监督保障",
      "二、主动公开政府信息情况",
      "六、其他需要报告的事项",
    ];
    const positions = order.map((h) => text.indexOf(`\n${h}\n`));
    expect(positions.every((p) => p > 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(text).toContain("（本部分为表格：申请表）");
    expect(text).toContain(report2022.narrative.other!);
  });

  it("splits a long report into messages of at most 4,000 characters, never losing text", () => {
    const long = "本局认真落实政务公开各项要求，持续完善公开机制。".repeat(400); // 9,600 characters
    const draft = { ...report2022, narrative: { ...report2022.narrative, "overview.platform": long, problems: long } };
    const messages = narrativePreview(flow2021, draft);
    expect(messages.length).toBeGreaterThan(4);
    for (const m of messages) expect(m.length).toBeLessThanOrEqual(4000);
    const joined = messages.join("").replace(/\n/g, "");
    expect(joined).toContain(long);
    // A heading is never the last line of a message.
    for (const m of messages.slice(0, -1))
      expect(m.split("\n").at(-1)).not.toMatch(/^(?:[一二三四五六]、|（[一二三四五]）)/);
  });

  it("shows （未填写） for a missing required part and skips a missing optional one", () => {
    const narrative = { ...seed.narrative };
    delete narrative["overview.intro"];
    delete narrative["overview.management"];
    const text = narrativePreview(flow2019, { ...seed, narrative }).join("\n");
    expect(text).toContain("一、总体情况\n（一）主动公开");
    expect(text).toContain("（三）政府信息管理\n（未填写）");
  });
});
