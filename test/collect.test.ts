import { strFromU8, unzipSync } from "fflate";
import { describe, expect, it } from "vitest";
import { flows } from "../flows/index.js";
import type { Draft } from "../src/form/draft.js";
import { loadReport } from "../src/form/load-report.js";
import { computeValues } from "../src/form/totals.js";
import { importReport } from "../src/import/import-report.js";
import { readReportFile } from "../src/import/read-file.js";
import { collectZip, ROLLUP_CSV, ROLLUP_DOCX, UNITS_FOLDER } from "../src/report/collect-zip.js";
import { renderDocx } from "../src/report/render-docx.js";
import { printedCellIds, rollupCsv, sumCells } from "../src/report/rollup.js";
import { fixture } from "./support/fixtures.js";

const base = fixture("report-2022");
const flow = flows.flowFor(base.format);

/** A unit's report: the fixture with every figure scaled and shifted, so no two units agree. */
function unit(org: string, k: number): Draft {
  const cells = Object.fromEntries(
    Object.entries(base.cells).map(([id, v], i) => [
      id,
      flow.cells.find((c) => c.id === id)?.kind === "money" ? v * k + 0.1 : v * k + (i % 3),
    ]),
  );
  return { ...base, org, cells };
}

const a = unit("甲街道办事处", 1);
const b = unit("乙镇人民政府", 2);

/** Reads a CSV as Excel would: BOM, CRLF, quoted fields. */
function parseCsv(text: string): string[][] {
  expect(text.charCodeAt(0)).toBe(0xfeff);
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 1; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === "," || (ch === "\r" && text[i + 1] === "\n")) {
      row.push(field);
      field = "";
      if (ch === "\r") {
        rows.push(row);
        row = [];
        i++;
      }
    } else field += ch;
  }
  return rows;
}

describe("the roll-up", () => {
  it("adds every leaf cell across the units, money without float noise", () => {
    const sums = sumCells(flow, [a, b]);
    for (const def of flow.cells) {
      const want = (a.cells[def.id] ?? 0) + (b.cells[def.id] ?? 0);
      expect(sums[def.id], def.id).toBeCloseTo(want, 6);
      expect(String(sums[def.id])).not.toMatch(/\d{9,}/);
    }
  });

  it("writes one CSV row per unit and one column per printed cell, headed in Chinese, figures equal", () => {
    const rows = parseCsv(
      rollupCsv(flow, [
        { name: "甲街道, 一", draft: a },
        { name: "乙镇", draft: b },
      ]),
    );
    const ids = printedCellIds(flow);
    expect(rows).toHaveLength(3);
    expect(rows[0]?.[0]).toBe("单位");
    expect(rows[0]).toHaveLength(ids.length + 1);
    expect(rows[0]?.slice(1).every((h) => /[\u4e00-\u9fff]/.test(h))).toBe(true);
    expect(new Set(rows[0]).size).toBe(rows[0]?.length);
    expect(rows[1]?.[0]).toBe("甲街道, 一");
    const values = computeValues(flow, a.cells);
    for (const [i, id] of ids.entries()) expect(Number(rows[1]?.[i + 1]), id).toBe(values.get(id));
  });
});

describe("/collect's zip", () => {
  it("holds each approved unit's .docx and interchange file, the roll-up .docx and the .csv; others are missing", async () => {
    const result = await collectZip({
      flow,
      title: { org: "西湖区各单位汇总", year: base.year },
      units: [{ name: "甲街道办事处", approved: a }, { name: "乙镇人民政府", approved: b }, { name: "丙区教育局" }],
      render: (f, d) => renderDocx(f, d),
    });
    expect(result.included).toEqual(["甲街道办事处", "乙镇人民政府"]);
    expect(result.missing).toEqual(["丙区教育局"]);
    const files = unzipSync(result.zip);
    const names = Object.keys(files).sort();
    expect(names.filter((n) => n.startsWith(`${UNITS_FOLDER}/`))).toHaveLength(4);
    expect(names).toContain(ROLLUP_DOCX);
    expect(names).toContain(ROLLUP_CSV);

    // Interchange files load back to the unit's draft.
    const json = names.find((n) => n.endsWith(".json") && n.includes("乙镇"));
    expect(json && loadReport(strFromU8(files[json] as Uint8Array), flows)).toEqual({ ok: true, draft: b });

    // The roll-up .docx, read back by the importer, prints the sums cell by cell (totals too).
    const source = readReportFile(files[ROLLUP_DOCX] as Uint8Array, ROLLUP_DOCX);
    if (!source.ok) throw new Error(source.reason);
    const read = importReport(source.source, flows);
    if (!read.ok) throw new Error(read.reason);
    const printed = computeValues(flow, read.draft.cells);
    const va = computeValues(flow, a.cells);
    const vb = computeValues(flow, b.cells);
    for (const id of printedCellIds(flow))
      expect(printed.get(id), id).toBeCloseTo((va.get(id) ?? 0) + (vb.get(id) ?? 0), 6);
    // It names the units included and missing.
    const text = JSON.stringify(read.draft.narrative);
    expect(text).toContain("甲街道办事处、乙镇人民政府");
    expect(text).toMatch(/未计入.*丙区教育局/);

    // The .csv holds the same figures as the units' reports.
    const csv = Buffer.from(files[ROLLUP_CSV] as Uint8Array);
    expect([...csv.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const rows = parseCsv(csv.toString("utf8"));
    expect(rows.map((r) => r[0])).toEqual(["单位", "甲街道办事处", "乙镇人民政府"]);
    for (const [i, id] of printedCellIds(flow).entries()) expect(Number(rows[2]?.[i + 1]), id).toBe(vb.get(id));
  });
});
