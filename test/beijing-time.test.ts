import { describe, expect, it } from "vitest";
import {
  beijingDate,
  beijingInstant,
  beijingIsoDate,
  beijingMinutes,
  beijingStamp,
  formatChineseDate,
} from "../src/form/beijing-time.js";

describe("Beijing time, one module", () => {
  it("reads an instant in UTC+8 across midnight and the year's end", () => {
    const at = new Date("2022-12-31T16:05:00Z");
    expect(beijingDate(at)).toEqual({ year: 2023, month: 1, day: 1 });
    expect(beijingStamp(at)).toBe("01-01 00:05");
    expect(formatChineseDate(at)).toBe("2023年1月1日");
    expect(beijingIsoDate(at.getTime())).toBe("2023-01-01");
    expect(beijingMinutes(at.getTime())).toBe(5);
  });

  it("turns a Beijing wall-clock time back into the same instant", () => {
    const at = beijingInstant("2027-01-24", "09:30");
    expect(new Date(at).toISOString()).toBe("2027-01-24T01:30:00.000Z");
    expect(beijingStamp(new Date(at))).toBe("01-24 09:30");
  });
});
