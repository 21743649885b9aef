import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CellKind } from "../src/form/flow-schema.js";
import { parseRow, type RowParse } from "../src/form/parse-answer.js";

const SIX: CellKind[] = ["count", "count", "count", "count", "count", "count"];
const THREE: CellKind[] = ["count", "count", "count"];

function values(result: RowParse): number[] {
  if (!result.ok) throw new Error(`refused: ${result.reason}`);
  return result.values;
}

function reason(result: RowParse): string {
  if (result.ok) throw new Error(`accepted: ${JSON.stringify(result.values)}`);
  return result.reason;
}

describe("parseRow accepts a whole row in one message", () => {
  it.each([
    ["3 0 0 0 1 0", "spaces"],
    ["3,0,0,0,1,0", "commas"],
    ["3，0，0，0，1，0", "Chinese commas"],
    ["3、0、0、0、1、0", "enumeration commas"],
    ["3;0;0;0;1;0", "semicolons"],
    ["3；0；0；0；1；0", "full-width semicolons"],
    ["３　０　０　０　１　０", "full-width digits and space"],
    ["3, 0，0 、0;  1 ；0", "mixed separators and extra spaces"],
    ["  3 0 0 0 1 0 \n", "leading and trailing whitespace"],
    ["3\n0\n0\n0\n1\n0", "newlines"],
    ["3 0 0 0 1 0。", "a closing full stop"],
  ])("%j (%s)", (text) => {
    expect(values(parseRow(text, SIX))).toEqual([3, 0, 0, 0, 1, 0]);
  });
});

describe("parseRow reads each value the way officers write it", () => {
  it.each([
    ["12件", 12],
    ["12条", 12],
    ["12个", 12],
    ["12项", 12],
    ["12份", 12],
    ["12次", 12],
    ["12 件", 12],
    ["十二", 12],
    ["两", 2],
    ["二十三", 23],
    ["一百零五", 105],
    ["一百五", 150],
    ["三千", 3000],
    ["两万五", 25000],
    ["一〇五", 105],
    ["十二件", 12],
    ["零", 0],
    ["〇", 0],
    ["0", 0],
    ["/", 0],
    ["／", 0],
    ["—", 0],
    ["——", 0],
    ["－", 0],
    ["-", 0],
    ["无", 0],
    ["没有", 0],
    ["空", 0],
    ["1.2万", 12000],
  ])("count %j is %d", (text, expected) => {
    expect(values(parseRow(text, ["count"]))).toEqual([expected]);
  });

  it("reads Chinese numerals and zero words within a row", () => {
    expect(values(parseRow("十二 两 / 无 一百零五 —", SIX))).toEqual([12, 2, 0, 0, 105, 0]);
  });

  it.each([
    ["239.8282万", 239.8282],
    ["239.8282万元", 239.8282],
    ["2万元", 2],
    ["2.5", 2.5],
    ["２．５", 2.5],
    ["0.1", 0.1],
    ["十二万", 12],
    ["两点五万元", 2.5],
  ])("money %j is %d 万元", (text, expected) => {
    const result = parseRow(text, ["money"]);
    expect(values(result)).toEqual([expected]);
    if (result.ok) expect(result.notes).toEqual([]);
  });

  it("converts 元 to 万元 and says so", () => {
    expect(parseRow("3000元", ["money"])).toEqual({ ok: true, values: [0.3], notes: ["3000元按0.3万元记。"] });
    expect(parseRow("3000 元", ["money"])).toEqual({ ok: true, values: [0.3], notes: ["3000元按0.3万元记。"] });
  });

  it("keeps money decimals without float noise", () => {
    expect(values(parseRow("0.1 0.2 1234.5678元", ["money", "money", "money"]))).toEqual([0.1, 0.2, 0.123457]);
  });

  it.each([
    ["-8", -8],
    ["－８", -8],
    ["−8", -8],
    ["负八", -8],
    ["+8", 8],
    ["-0", 0],
  ])("signed %j is %d", (text, expected) => {
    expect(values(parseRow(text, ["signed"]))).toEqual([expected]);
  });

  it("reads a negative only in the signed column of a mixed row", () => {
    expect(values(parseRow("5 2.5 -3", ["count", "money", "signed"]))).toEqual([5, 2.5, -3]);
  });
});

describe("parseRow treats a single zero as the whole row", () => {
  it.each(["0", "无", "没有", "/", "全为0", "都是0", "本行全为0"])("%j fills six zeros with a note", (text) => {
    expect(parseRow(text, SIX)).toEqual({ ok: true, values: [0, 0, 0, 0, 0, 0], notes: ["整行记为0。"] });
  });

  it("gives no row note for a single-cell row", () => {
    expect(parseRow("0", ["count"])).toEqual({ ok: true, values: [0], notes: [] });
  });

  it("does not stretch a single non-zero number over the row", () => {
    expect(reason(parseRow("3", SIX))).toBe("这一行要 6 个数，收到 1 个。");
  });
});

describe("parseRow refuses what it cannot take", () => {
  it.each([
    ["-8", ["count"], "这一格不能是负数"],
    ["－８", ["count"], "这一格不能是负数"],
    ["-0.5", ["money"], "这一格不能是负数"],
    ["2.5", ["count"], "件数要是整数"],
    ["2.5", ["signed"], "件数要是整数"],
    ["1e99", ["count"], "数太大了"],
    ["1e99", ["money"], "数太大了"],
    ["Infinity", ["count"], "数太大了"],
    ["-Infinity", ["signed"], "数太大了"],
    ["10000001", ["count"], "数太大了"],
    ["100000001", ["money"], "数太大了"],
    ["9".repeat(400), ["count"], "数太大了"],
    ["abc", ["count"], "请发数字"],
    ["NaN", ["count"], "请发数字"],
    ["今年没有收到申请", ["count"], "请发数字"],
    ["3件0件", ["count"], "请发数字"],
    ["百", ["count"], "请发数字"],
    ["万元", ["money"], "请发数字"],
    ["3000元", ["count"], "请发数字"],
    ["", ["count"], "没有收到数字"],
    ["  \n ，", ["count"], "没有收到数字"],
  ] as [string, CellKind[], string][])("%j for %j: %s", (text, kinds, expected) => {
    expect(reason(parseRow(text, kinds))).toContain(expected);
  });

  it("throws on a row without cells, which is a flow bug, not bad input", () => {
    expect(() => parseRow("0", [])).toThrow(/at least one cell/);
  });

  it("accepts the largest allowed values", () => {
    expect(values(parseRow("10000000 100000000 -10000000", ["count", "money", "signed"]))).toEqual([
      10_000_000, 100_000_000, -10_000_000,
    ]);
  });

  it("says how many numbers the row needs and how many came", () => {
    expect(reason(parseRow("3 0 0", SIX))).toBe("这一行要 6 个数，收到 3 个。");
    expect(reason(parseRow("3 0 0 0 1 0 7", SIX))).toBe("这一行要 6 个数，收到 7 个。");
  });

  it("names the position of a bad value in a row", () => {
    expect(reason(parseRow("3 -1 0", THREE))).toBe("这一格不能是负数（第 2 个数）。");
    expect(reason(parseRow("3 0 x", THREE))).toBe("请发数字（第 3 个数）。");
  });

  it("asks for numbers before counting them when text is mixed in", () => {
    expect(reason(parseRow("3 个别 0", SIX))).toBe("请发数字（第 2 个数）。");
  });

  it("refuses a 4,096-character message quickly without echoing it", () => {
    const text = "<b>3</b>&".repeat(455).padEnd(4096, "x");
    expect(text).toHaveLength(4096);
    const started = performance.now();
    const result = parseRow(text, SIX);
    expect(performance.now() - started).toBeLessThan(50);
    expect(reason(result).length).toBeLessThan(40);
    expect(reason(result)).not.toContain("<b>");
  });

  it("refuses a long run of digits and separators quickly", () => {
    const started = performance.now();
    expect(reason(parseRow("1 ".repeat(249), SIX))).toBe("这一行要 6 个数，收到 249 个。");
    expect(performance.now() - started).toBeLessThan(50);
  });

  it("never puts HTML special characters in a reason", () => {
    for (const text of ["<b>", "&amp;", "3 > 2", "1<2", "a&b 0 0", "<script>alert(1)</script>"]) {
      expect(reason(parseRow(text, SIX))).not.toMatch(/[<>&]/);
    }
  });
});

describe("parseRow gives an example that fits the row", () => {
  it("uses six numbers for a six-count row", () => {
    const result = parseRow("abc", SIX);
    expect(result).toMatchObject({ ok: false, example: "3 0 0 0 1 0" });
  });

  it("shows money as a decimal and signed as a negative", () => {
    const result = parseRow("", ["count", "money", "signed"]);
    expect(result).toMatchObject({ ok: false, example: "3 0.5 -2" });
  });

  it("has as many numbers as the row needs and is itself accepted", () => {
    const kind = fc.constantFrom<CellKind>("count", "signed", "money");
    fc.assert(
      fc.property(fc.array(kind, { minLength: 1, maxLength: 12 }), (kinds) => {
        const result = parseRow("?", kinds);
        if (result.ok) return false;
        expect(result.example.split(" ")).toHaveLength(kinds.length);
        expect(parseRow(result.example, kinds).ok).toBe(true);
        return true;
      }),
    );
  });
});

describe("parseRow round-trips formatted rows", () => {
  const SEPARATOR = [" ", "  ", ",", ", ", "，", "、", ";", "；", "　", "\n", " ，"];
  const cell = fc.oneof(
    fc.record({ kind: fc.constant<CellKind>("count"), value: fc.integer({ min: 0, max: 10_000_000 }) }),
    fc.record({ kind: fc.constant<CellKind>("signed"), value: fc.integer({ min: -10_000_000, max: 10_000_000 }) }),
    fc.record({
      kind: fc.constant<CellKind>("money"),
      value: fc.integer({ min: 0, max: 100_000_000_000_000 }).map((micro) => micro / 1_000_000),
    }),
  );
  const fullWidth = (s: string) => s.replace(/[0-9.-]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));

  it("formatting any valid values with any separators parses back to the same values", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ cell, separator: fc.constantFrom(...SEPARATOR) }), { minLength: 1, maxLength: 10 }),
        fc.boolean(),
        fc.constantFrom("", " ", "\n", "　"),
        (row, wide, pad) => {
          const text = row.map(({ cell: c }, i) => (i === 0 ? "" : row[i]?.separator) + String(c.value)).join("");
          const sent = pad + (wide ? fullWidth(text) : text) + pad;
          const kinds = row.map(({ cell: c }) => c.kind);
          const expected = row.map(({ cell: c }) => c.value);
          const result = parseRow(sent, kinds);
          expect(result).toMatchObject({ ok: true, values: expected });
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe("numbers as officers type them: thousands commas", () => {
  // The rule: a comma followed by exactly three digits may group thousands. The reading whose
  // figure count matches the row is taken; when two readings with different figures match, ask.
  it.each([
    ["1,234", ["count"], [1234]],
    ["1,234,567", ["count"], [1_234_567]],
    ["１，２３４", ["count"], [1234]],
    ["1,234 5 6", THREE, [1234, 5, 6]],
    ["1,234件", ["count"], [1234]],
    ["1,234.5万", ["money"], [1234.5]],
    ["12345.5元", ["money"], [1.23455]],
    ["1,234元", ["money"], [0.1234]],
    ["-1,234", ["signed"], [-1234]],
  ] as [string, CellKind[], number[]][])("%j for %j reads %j", (text, kinds, expected) => {
    expect(values(parseRow(text, kinds))).toEqual(expected);
  });

  it("keeps a comma as a separator when that is the reading that fits the row", () => {
    expect(values(parseRow("1,234", ["count", "count"]))).toEqual([1, 234]);
    expect(values(parseRow("3,0,0,0,1,0", SIX))).toEqual([3, 0, 0, 0, 1, 0]);
    expect(values(parseRow("12,345,6", THREE))).toEqual([12, 345, 6]);
  });

  it("does not group a comma before two or four digits", () => {
    expect(reason(parseRow("1,23", ["count"]))).toContain("要 1 个数，收到 2 个");
    expect(reason(parseRow("1,2345", ["count"]))).toContain("要 1 个数，收到 2 个");
  });

  it("asks, saying both readings, when two readings fit the row with different figures", () => {
    const asked = reason(parseRow("1,234,567", ["count", "count"]));
    expect(asked).toContain("「1234 567」");
    expect(asked).toContain("「1 234567」");
    expect(asked).toContain("千位不加逗号");
  });

  it("says the row's count when no reading fits", () => {
    expect(reason(parseRow("1,234,567 8 9", ["count", "count"]))).toContain("要 2 个数");
  });
});

describe("one Chinese-numeral reader", () => {
  it.each([
    ["一百五", 150],
    ["两万五", 25000],
    ["一百零五", 105],
    ["两万零五", 20005],
    ["二〇二五", 2025],
  ])("reads %s as %d in a row and in the narrative scan", async (text, n) => {
    const { parseChineseNumber } = await import("../src/form/narrative-numbers.js");
    expect(values(parseRow(text, ["count"]))).toEqual([n]);
    expect(parseChineseNumber(text)).toBe(n);
  });

  it("reads years as officers type them", async () => {
    const { parseYear } = await import("../src/form/chinese-numeral.js");
    expect(parseYear("二〇二五")).toBe(2025);
    expect(parseYear("二〇二五年度")).toBe(2025);
    expect(parseYear("２０２５年")).toBe(2025);
    expect(parseYear("2025")).toBe(2025);
    expect(parseYear("两千零二十五")).toBe(2025);
    expect(parseYear("二〇二五点五")).toBeUndefined();
    expect(parseYear("明年")).toBeUndefined();
  });
});
