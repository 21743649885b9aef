import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatCellValue, formatNumber } from "../src/report/format-number.js";

describe("formatNumber shows numbers as published tables do", () => {
  it.each([
    [0, "0"],
    [-0, "0"],
    [7, "7"],
    [1286, "1286"],
    [123456789, "123456789"],
    [-8, "-8"],
    [239.8282, "239.8282"],
    [0.3, "0.3"],
    [2.35, "2.35"],
    [0.1 + 0.2, "0.3"],
    [1.5, "1.5"],
    [0.000001, "0.000001"],
    [1.0000004, "1"],
    [12.3456789, "12.345679"],
  ])("%s → %s", (n, text) => {
    expect(formatNumber(n)).toBe(text);
  });

  it("never writes thousands separators or exponents for counts", () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e12, max: 1e12 }), (n) => {
        expect(formatNumber(n)).toBe(String(n));
      }),
    );
  });

  it("keeps at most six decimals and no trailing zeros for money", () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e6, noNaN: true }), (n) => {
        const text = formatNumber(n);
        expect(text).toMatch(/^\d+(\.\d{0,5}[1-9])?$/);
        expect(Math.abs(Number(text) - n)).toBeLessThanOrEqual(5e-7 + n * Number.EPSILON);
      }),
    );
  });

  it("prints an integer as the Intl formatting it skips would (the integer shortcut)", () => {
    const intl = new Intl.NumberFormat("en-US", { useGrouping: false, maximumFractionDigits: 6 });
    const viaIntl = (n: number) => {
      const text = intl.format(n);
      return text === "-0" ? "0" : text;
    };
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer(),
          fc.maxSafeInteger(),
          fc.constantFrom(-0, 0, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 2 ** 53, 1e21, -1e21),
          fc.double({ noNaN: true, noDefaultInfinity: true }),
        ),
        (n) => {
          expect(formatNumber(n)).toBe(viaIntl(n));
        },
      ),
    );
  });

  it("refuses what is not a number rather than printing NaN", () => {
    expect(() => formatNumber(Number.NaN)).toThrow(RangeError);
    expect(() => formatNumber(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });
});

describe("formatCellValue adds the unit only where the column does not name it", () => {
  it("prints 2019 采购总金额 with 万元", () => {
    expect(formatCellValue({ kind: "money", column: "采购总金额" }, 239.8282)).toBe("239.8282万元");
  });
  it("prints 2021 本年收费金额（单位：万元） without a unit", () => {
    expect(formatCellValue({ kind: "money", column: "本年收费金额（单位：万元）" }, 2.35)).toBe("2.35");
  });
  it("prints counts bare, zero as 0", () => {
    expect(formatCellValue({ kind: "count", column: "自然人" }, 0)).toBe("0");
    expect(formatCellValue({ kind: "signed", column: "本年增/减" }, -3)).toBe("-3");
    expect(formatCellValue(undefined, 17)).toBe("17");
  });
});
