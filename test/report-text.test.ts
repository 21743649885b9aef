import { describe, expect, it } from "vitest";
import { flowFor } from "../flows/index.js";
import { formatChineseDate } from "../src/form/beijing-time.js";
import type { NarrativeId } from "../src/form/draft.js";
import {
  formatReportDate,
  narrativeParagraphs,
  openingParagraph,
  splitParagraphs,
  titleLines,
} from "../src/report/report-text.js";

const flow = flowFor("2021");
function paragraphsOf(id: NarrativeId, text: string): string[] {
  const section = flow.sections.find((s) => s.parts.some((p) => p.id === id))!;
  return narrativeParagraphs(section, section.parts.find((p) => p.id === id)!, text);
}

describe("splitParagraphs", () => {
  it("makes one paragraph per non-empty line, trimming spaces and the ideographic indent", () => {
    expect(splitParagraphs("　　第一段。\r\n\n  第二段。 \r第三段。\n")).toEqual(["第一段。", "第二段。", "第三段。"]);
    expect(splitParagraphs(undefined)).toEqual([]);
    expect(splitParagraphs(" \n　")).toEqual([]);
  });
});

describe("narrativeParagraphs drops a heading the officer typed again", () => {
  it.each([
    ["other", "6、 其他需要报告的事项\n本年度未收取信息处理费。", ["本年度未收取信息处理费。"]],
    ["other", "六、其他需要报告的事项\n本年度未收取信息处理费。", ["本年度未收取信息处理费。"]],
    ["other", "六、本年度未收取信息处理费。", ["本年度未收取信息处理费。"]],
    ["other", "其他需要报告的事项：\n本年度未收取信息处理费。", ["本年度未收取信息处理费。"]],
    ["problems", "五、存在的主要问题及改进情况：一是宣传不够。", ["一是宣传不够。"]],
    ["overview.on_request", "（二）依申请公开\n本年度收到申请17件。", ["本年度收到申请17件。"]],
    ["overview.on_request", "(二)依申请公开政府信息情况\n本年度收到申请17件。", ["本年度收到申请17件。"]],
    ["overview.on_request", "（二）依申请公开：本年度收到申请17件。", ["本年度收到申请17件。"]],
    ["overview.on_request", "（二）本年度收到申请17件。", ["本年度收到申请17件。"]],
    ["overview.platform", "（四）平台建设情况\n以门户网站为第一平台。", ["以门户网站为第一平台。"]],
    ["overview.active", "一、总体情况\n（一）主动公开\n全年主动公开312条。", ["全年主动公开312条。"]],
    ["overview.active", "1.主动公开情况\n全年主动公开312条。", ["全年主动公开312条。"]],
    // The whole heading phrase goes, up to its punctuation: no "情况。" left at the start of the part.
    ["overview.active", "（一）主动公开情况。2024年全年主动公开312条。", ["2024年全年主动公开312条。"]],
    ["overview.active", "（一）主动公开工作：全年主动公开312条。", ["全年主动公开312条。"]],
    ["overview.on_request", "（二）依申请公开情况。本年度收到申请17件。", ["本年度收到申请17件。"]],
  ] as [NarrativeId, string, string[]][])("%s: %j", (id, text, expected) => {
    expect(paragraphsOf(id, text)).toEqual(expected);
  });

  it.each([
    ["problems", "一是宣传力度不够；二是栏目不完善。"],
    ["overview.active", "1.加强组织领导，落实责任。\n2.完善制度。"],
    ["overview.active", "1.加强组织领导\n2.完善制度"],
    ["overview.on_request", "二是依申请公开办理规范。"],
    ["other", "6月份起本局调整了公开目录。"],
    ["overview.management", "三类内部事务信息依法不予公开。"],
  ] as [NarrativeId, string][])("keeps %s text that only looks like a number: %j", (id, text) => {
    expect(paragraphsOf(id, text)).toEqual(splitParagraphs(text));
  });

  it("keeps a sentence that merely begins with the heading's words, without the repeated number", () => {
    expect(paragraphsOf("overview.active", "（一）主动公开工作扎实推进，全年公开312条。")).toEqual([
      "主动公开工作扎实推进，全年公开312条。",
    ]);
    expect(paragraphsOf("overview.active", "主动公开工作扎实推进，全年公开312条。")).toEqual([
      "主动公开工作扎实推进，全年公开312条。",
    ]);
  });
});

describe("openingParagraph and formatChineseDate", () => {
  it("names both notices' differences and omits the contact when there is none", () => {
    const text = openingParagraph(flowFor("2019"), { year: 2020 });
    expect(text).toContain(
      "（国办公开办函〔2019〕60号）所附《中华人民共和国政府信息公开工作年度报告格式（试行）》要求编制。",
    );
    expect(text.endsWith("本报告中所列数据的统计期限自2020年1月1日起至2020年12月31日止。")).toBe(true);
    expect(openingParagraph(flow, { year: 2023, contact: "联系电话：0571-1234" })).toMatch(
      /止。联系电话：0571-1234。$/,
    );
  });

  it("dates in Beijing time", () => {
    expect(formatChineseDate(new Date("2023-01-19T16:30:00Z"))).toBe("2023年1月20日");
    expect(formatChineseDate(new Date("2023-01-19T15:59:59Z"))).toBe("2023年1月19日");
    expect(formatChineseDate(new Date("2022-12-31T16:00:00Z"))).toBe("2023年1月1日");
  });
});

describe("titleLines: GB/T 9704 breaks a long title between words", () => {
  it("keeps a title that fits on one line", () => {
    expect(titleLines({ org: "大关街道", year: 2020 }, 20)).toEqual(["大关街道2020年政府信息公开工作年度报告"]);
  });
  it("breaks after the unit's name or before 政府信息公开工作年度报告, whichever is more even", () => {
    expect(titleLines({ org: "杭州市拱墅区住房和城乡建设局", year: 2022 }, 20)).toEqual([
      "杭州市拱墅区住房和城乡建设局",
      "2022年政府信息公开工作年度报告",
    ]);
    expect(titleLines({ org: "拱墅区卫生健康局", year: 2024 }, 20)).toEqual([
      "拱墅区卫生健康局2024年",
      "政府信息公开工作年度报告",
    ]);
  });
  it("never breaks inside 政府信息公开工作年度报告 or the unit's name", () => {
    for (const org of ["区卫健委", "杭州市拱墅区住房和城乡建设局", "浙江省杭州市拱墅区人民政府办公室"]) {
      const lines = titleLines({ org, year: 2024 }, 20);
      expect(lines.join("")).toBe(`${org}2024年政府信息公开工作年度报告`);
      expect(lines.some((l) => l.startsWith(org) || l.endsWith("政府信息公开工作年度报告"))).toBe(true);
      if (lines.length === 2)
        expect(lines[0]!.startsWith(org) && lines[1]!.endsWith("政府信息公开工作年度报告")).toBe(true);
      expect(lines.every((l) => !l.startsWith("度报告") && !l.startsWith("开工作"))).toBe(true);
    }
  });
});

describe("formatReportDate", () => {
  it("prints the 成文日期 without leading zeros, or a blank to sign by hand", () => {
    expect(formatReportDate("2021-01-08")).toBe("2021年1月8日");
    expect(formatReportDate(undefined)).toBe("　　年　月　日");
  });
});
