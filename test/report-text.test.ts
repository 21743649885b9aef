import { describe, expect, it } from "vitest";
import { flowFor } from "../flows/index.js";
import { formatChineseDate } from "../src/form/beijing-time.js";
import type { NarrativeId } from "../src/form/draft.js";
import { narrativeParagraphs, openingParagraph, splitParagraphs } from "../src/report/report-text.js";

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
