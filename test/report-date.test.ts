import { describe, expect, it } from "vitest";
import { parseReportDate, suggestedReportDate } from "../src/form/report-date.js";

describe("parseReportDate", () => {
  it.each([
    ["2025-01-20", "2025-01-20"],
    ["2025/1/20", "2025-01-20"],
    ["2025.1.20", "2025-01-20"],
    ["20250120", "2025-01-20"],
    ["2025年1月20日", "2025-01-20"],
    [" 2025 年 1 月 20 日 ", "2025-01-20"],
    ["２０２５年１月２０日", "2025-01-20"],
    ["1月20日", "2025-01-20"],
    ["1月20号", "2025-01-20"],
    ["二〇二五年一月二十日", "2025-01-20"],
    ["二〇二六年十二月三十一日", "2026-12-31"],
    ["一月二十日", "2025-01-20"],
  ])("reads %s for a 2024 report", (text, date) => {
    expect(parseReportDate(text, 2024)).toEqual({ ok: true, date });
  });

  it("knows leap days", () => {
    expect(parseReportDate("2028年2月29日", 2026)).toEqual({ ok: true, date: "2028-02-29" });
  });

  it("says that a day does not exist", () => {
    expect(parseReportDate("2025-02-30", 2024)).toEqual({
      ok: false,
      problem: "没有2025年2月30日这一天，请再发一次。",
    });
    expect(parseReportDate("2月29日", 2024)).toEqual({ ok: false, problem: "没有2025年2月29日这一天，请再发一次。" });
    expect(parseReportDate("2025年13月1日", 2024)).toMatchObject({
      ok: false,
      problem: expect.stringContaining("没有2025年13月1日这一天"),
    });
    expect(parseReportDate("二〇二五年一月三十二日", 2024)).toMatchObject({
      ok: false,
      problem: expect.stringContaining("没有2025年1月32日这一天"),
    });
  });

  it("refuses a date before the report year ended or years after it", () => {
    const range = "2024年度报告的成文日期应在 2025年1月1日 到 2026年12月31日 之间，请再发一次。";
    expect(parseReportDate("2024-12-31", 2024)).toEqual({ ok: false, problem: range });
    expect(parseReportDate("2027-01-01", 2024)).toEqual({ ok: false, problem: range });
  });

  it("asks again for what it cannot read", () => {
    for (const text of ["", "明天", "2025-1", "1/20", "2025年1月", "20年1月20日x"])
      expect(parseReportDate(text, 2024)).toEqual({
        ok: false,
        problem: "没有看懂这个日期。请按例如 2025-01-20 或 2025年1月20日这样发。",
      });
  });
});

describe("suggestedReportDate", () => {
  it("is today in Beijing while a report of that year may carry it", () => {
    // 2025-01-19 17:00 UTC is 20 January in Beijing.
    expect(suggestedReportDate(2024, new Date("2025-01-19T17:00:00Z"))).toBe("2025-01-20");
    expect(suggestedReportDate(2024, new Date("2024-12-30T02:00:00Z"))).toBeUndefined();
    expect(suggestedReportDate(2020, new Date("2026-11-28T02:00:00Z"))).toBeUndefined();
  });
});
