import { describe, expect, it } from "vitest";
import { ofWhichMismatches, parseChineseNumber, statedValues, statedZeros } from "../src/form/narrative-numbers.js";

// Patterns as a flow would configure them; the module itself knows none of them.
const RECEIVED = ["收到…申请", "新收…申请", "受理…申请", "申请…共计"];
const OPENED = ["予以公开…件"];
const OPENED_OR_PARTLY = ["予以公开及部分公开"];
const CARRIED_OVER = ["上年结转"];
const REVIEW = ["行政复议"];
const NORMATIVE = ["规范性文件"];
const NONE_RECEIVED = ["未收到…申请", "没有…申请", "无…申请"];

const values = (text: string, patterns: readonly string[]) => statedValues(text, patterns).map((s) => s.value);

describe("parseChineseNumber", () => {
  it.each([
    ["十二", 12],
    ["两", 2],
    ["二十三", 23],
    ["一百零五", 105],
    ["3", 3],
    ["１２", 12],
    ["四十四", 44],
    ["零", 0],
    ["十", 10],
    ["一千零一", 1001],
    ["三万五千", 35000],
    ["1,200", 1200],
    ["二〇二〇", 2020],
  ])("reads %s as %d", (s, n) => {
    expect(parseChineseNumber(s)).toBe(n);
  });

  it.each(["", "abc", "百", "十十", "二三十", "三百十百", "1.5", "12件"])("refuses %j", (s) => {
    expect(parseChineseNumber(s)).toBeUndefined();
  });
});

describe("statedValues finds the figure a phrase states", () => {
  it.each([
    ["共收到政府信息公开申请12件。", RECEIVED, 12],
    ["本年度新收政府信息公开申请十二件。", RECEIVED, 12],
    ["共受理依申请公开两件。", RECEIVED, 2],
    ["全年共收到12件政府信息公开申请，均已按期答复。", RECEIVED, 12],
    ["本年度收到政府信息公开申请，共计１２件。", RECEIVED, 12],
    ["申请数量共计十二件。", RECEIVED, 12],
    ["共收到政府信息公开申请0件。", RECEIVED, 0],
    ["办理结果中，予以公开3件。", OPENED, 3],
    ["予以公开及部分公开5件，不予公开1件。", OPENED_OR_PARTLY, 5],
    ["上年结转政府信息公开申请3件。", CARRIED_OVER, 3],
    ["本年度发生行政复议案件2起。", REVIEW, 2],
    ["本年度发生2起行政复议案件。", REVIEW, 2],
    ["全年制发行政规范性文件3件。", NORMATIVE, 3],
    ["共收到政府信息公开申请1,017件。", RECEIVED, 1017],
  ])("%s", (text, patterns, value) => {
    expect(values(text, patterns)).toEqual([value]);
  });

  it.each([
    ["全年收取行政事业性收费1,234.5万元。", 1234.5],
    ["全年收取行政事业性收费12,345.5元。", 1.23455],
    ["全年收取行政事业性收费2.35万元。", 2.35],
  ])("reads an amount with thousands commas whole: %s", (text, value) => {
    const units = ["万元", "元"];
    expect(statedValues(text, ["行政事业性收费"], { units }).map((s) => s.value)).toEqual([value]);
  });

  it("reads each outcome of a list from its own phrase", () => {
    const text = "收到申请12件，其中予以公开3件、部分公开2件、不予公开7件。";
    expect(values(text, RECEIVED)).toEqual([12]);
    expect(values(text, OPENED)).toEqual([3]);
    expect(values(text, ["部分公开"])).toEqual([2]);
    expect(values(text, ["不予公开"])).toEqual([7]);
  });

  it("reports each statement once even when several patterns find it, with a short quote", () => {
    const text = "2021年，我单位共收到申请共计12件。";
    const [s, ...rest] = statedValues(text, RECEIVED);
    expect(rest).toEqual([]);
    expect(s).toEqual({
      value: 12,
      unit: "件",
      index: text.indexOf("收到"),
      at: text.indexOf("12"),
      quote: "收到申请共计12件",
    });
  });

  it("quotes at most about 40 characters", () => {
    const text = `收到${"甲".repeat(10)}申请${"乙".repeat(10)}12件。`;
    for (const s of statedValues(text, RECEIVED)) expect(s.quote.length).toBeLessThanOrEqual(41);
  });

  it("does not let a gap run into the next sentence", () => {
    expect(values("我们收到。申请12件", RECEIVED)).toEqual([]);
  });
});

describe("statedValues does not take what is not a count", () => {
  it.each([
    ["a year", "2020年收到政府信息公开申请。", RECEIVED],
    ["a year (年度)", "收到申请2021年度的材料。", RECEIVED],
    ["a document number", "受理申请依据拱政办发〔2020〕14号。", RECEIVED],
    ["a document number in square brackets", "受理申请依据〔2020〕14号文和[2020]15号文。", RECEIVED],
    ["an approximation (余)", "收到申请200余条。", RECEIVED],
    ["an approximation (近)", "收到申请近百件。", RECEIVED],
    ["an approximation (左右)", "收到申请20件左右。", RECEIVED],
    ["an ordinal", "收到申请第二十条规定的材料。", RECEIVED],
    ["an ordinal with brackets", "受理申请适用第（一）项。", RECEIVED],
    ["a date", "收到申请12月底前办结。", RECEIVED],
    ["a full date", "收到申请1月1日起施行。", RECEIVED],
    ["a percentage", "收到申请同比增长12%。", RECEIVED],
    ["a percentage point", "收到申请增长3个百分点。", RECEIVED],
    ["a decimal", "收到申请平均用时3.5个工作日。", RECEIVED],
    ["a quantity of another phrase in another clause", "本年度未发生行政复议案件，行政诉讼案件2起。", REVIEW],
    ["a quantity in another sentence", "本年度未发生行政复议案件。行政诉讼2起。", REVIEW],
    [
      "a quantity after two clause breaks",
      "无政策性解读、无行政规范性文件、无土地与房屋征收公告，其他信息27条。",
      NORMATIVE,
    ],
    ["a slogan", "收到申请后落实最多跑一次要求。", RECEIVED],
  ])("%s", (_what, text, patterns) => {
    expect(values(text, patterns)).toEqual([]);
  });

  it("takes the count, not the year, in one sentence holding both", () => {
    expect(values("2020年全年共收到政府信息公开申请12件。", RECEIVED)).toEqual([12]);
  });
});

describe("statedZeros", () => {
  it("finds a zero statement once, even when several patterns match it", () => {
    const text = "2020年我街道未收到政府信息公开申请，不存在依申请公开不予公开政府信息情况。";
    const zeros = statedZeros(text, [...NONE_RECEIVED, "未收到"]);
    const index = text.indexOf("未收到");
    expect(zeros).toEqual([{ value: 0, index, at: index, quote: "未收到政府信息公开申请" }]);
  });

  it("finds 没有 and 无 phrasings", () => {
    expect(statedZeros("本年度没有收到申请。", NONE_RECEIVED).map((z) => z.quote)).toEqual(["没有收到申请"]);
    expect(statedZeros("全年无政府信息公开申请。", NONE_RECEIVED).map((z) => z.quote)).toEqual(["无政府信息公开申请"]);
  });

  it("is not a zero when the clause states a figure", () => {
    expect(statedZeros("无效申请2件。", NONE_RECEIVED)).toEqual([]);
  });

  it("finds nothing when the phrase is absent", () => {
    expect(statedZeros("共收到政府信息公开申请12件。", NONE_RECEIVED)).toEqual([]);
  });
});

describe("ofWhichMismatches", () => {
  it("accepts parts that add up to the whole", () => {
    expect(ofWhichMismatches("收到申请12件，其中予以公开3件、部分公开2件、不予公开7件。")).toEqual([]);
  });

  it("reports parts that do not add up to the whole", () => {
    const [m, ...rest] = ofWhichMismatches("收到申请12件，其中予以公开3件、部分公开2件、不予公开6件。");
    expect(rest).toEqual([]);
    expect(m?.whole).toBe(12);
    expect(m?.parts).toEqual([3, 2, 6]);
    expect(m?.quote.startsWith("12件")).toBe(true);
  });

  it("reads 其中…分别… as one list", () => {
    const ok = "共收到政府信息公开申请12件，其中予以公开、部分公开、不予公开分别为5件、3件、4件。";
    expect(ofWhichMismatches(ok)).toEqual([]);
    const bad = "共收到政府信息公开申请12件，其中予以公开、部分公开、不予公开分别为5件、3件、3件。";
    expect(ofWhichMismatches(bad)).toMatchObject([{ whole: 12, parts: [5, 3, 3] }]);
  });

  it("finds the whole in the previous sentence", () => {
    expect(ofWhichMismatches("全年共收到申请十件。其中自然人申请八件，法人申请三件。")).toMatchObject([
      { whole: 10, parts: [8, 3] },
    ]);
  });

  it("ignores a single part, which need not be the whole", () => {
    expect(ofWhichMismatches("共收到申请12件，其中网上申请10件。")).toEqual([]);
  });

  it("accepts a list that runs on after its parts add up", () => {
    expect(ofWhichMismatches("收到申请12件，其中自然人10件、法人2件，已办结11件。")).toEqual([]);
  });

  it("ignores lists in another unit and lists with approximate parts", () => {
    expect(ofWhichMismatches("收到申请12件。行政复议、行政诉讼分别为2起、1起。")).toEqual([]);
    expect(ofWhichMismatches("发布信息44条，其中动态信息约30条、公告5条。")).toEqual([]);
  });

  it("never takes an approximate figure as the whole", () => {
    expect(ofWhichMismatches("发布信息200余条，其中动态信息30条、公告5条。")).toEqual([]);
  });
});

// Paragraphs copied from /work/shared/seed-report-2020.txt (大关街道 2020).
const SEED = `大关街道政府信息公开工作年度报告

一、总体情况
对照《拱墅区人民政府办公室关于印发2020年拱墅区政务公开工作要点的通知》（拱政办发〔2020〕14号）等文件要求，现将大关街道2020年政务公开工作总结如下：
（一）主动公开
2020年，我街道高度重视政务公开工作，将政务公开工作摆在重要位置。指定专人具体负责政务公开内容维护、组织协调等日常工作，确保信息公开发布全面、及时、准确，严格按照《中华人民共和国政府信息公开条例》规定的主动公开信息范围发布或更新信息，政务公开平台的信息服务功能不断优化，公开能力不断增强，我街道政务公开工作取得了积极成效。我街道按照区委、区政府政务公开的要求，扎实做好各类信息的公开工作，及时更新基本信息、领导班子、内设科室等相关情况，主动公开部门文件，实时发布街道、社区动态信息。截止到12月底，我街累计政府信息公开44条，报送主网站信息发布200余条.街道微信微博公众号千余篇。其中政府信息公开：机构设置3条，人事信息3条，部门文件7条，转发回应社会关切1条，无政策性解读、无行政规范性文件、无土地与房屋征收公告，其他信息27条。
（二）依申请公开政府信息情况
2020年我街道未收到政府信息公开申请，不存在依申请公开不予公开政府信息情况。

（三）政府信息管理
在日常管理中，将政务公开工作纳入街道重要议事日程，街道设置专职信息管理人,认真贯彻落实发布信息内部审查制度,确保街道政务公开工作准确、及时、全面。
（五）监督保障情况
街道高度重视，结合实际研究部署本街道政府信息公开工作，一把手负总责，并明确由街道副主任抓政府信息公开工作，党政办工作人员为经办人员，负责政府信息公开材料的收集和及时上网公开，切实做好政府信息公开工作。
二、主动公开政府信息情况

	第二十条第（一）项

	信息内容
	本年新
制作数量
	规章
	　　0
	 0
	第二十条第（九）项
	政府集中采购
	239.8282万
五、存在的主要问题及改进情况
2020年，在政府信息公开工作方面主要存在以下问题：一是宣传力度不够；二是部分政务公开栏目内容不够完善；三是教育培训力度不够。
2021年，我们将从以下几个方面落实整改：一是开展各种形式的宣传，增强政府信息公开准确性和时效性；二是完善政府信息公开内容，对社会发展等等与居民生活密切相关的政府信息进行公开。
6、 其他需要报告的事项
2020年我街道未收取政府信息公开相关费用。`;

describe("the seed report (大关街道 2020)", () => {
  it("finds the one list that does not add up: 3+3+7+1+27 = 41, not 44", () => {
    const found = ofWhichMismatches(SEED);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ whole: 44, parts: [3, 3, 7, 1, 27] });
    expect(found[0]?.quote.length).toBeLessThanOrEqual(41);
    expect(found[0]?.quote.startsWith("44条")).toBe(true);
  });

  it("takes the whole by the name the list repeats, even with an exact figure nearer", () => {
    const text = SEED.replace("报送主网站信息发布200余条", "报送主网站信息发布200条");
    expect(ofWhichMismatches(text)).toMatchObject([{ whole: 44, parts: [3, 3, 7, 1, 27] }]);
  });

  it("falls back to the nearest exact figure when the list names no whole", () => {
    const text = SEED.replace("其中政府信息公开：", "其中");
    expect(ofWhichMismatches(text)).toMatchObject([{ whole: 44, parts: [3, 3, 7, 1, 27] }]);
  });

  it("states no number of applications, and says none were received", () => {
    expect(statedValues(SEED, RECEIVED)).toEqual([]);
    expect(statedZeros(SEED, NONE_RECEIVED)).toMatchObject([{ value: 0, quote: "未收到政府信息公开申请" }]);
  });

  it("states 44 items disclosed and nothing for the table's ordinals, years and document numbers", () => {
    expect(values(SEED, ["累计…公开"])).toEqual([44]);
    expect(values(SEED, ["规范性文件", "规章", "第二十条", "拱政办发", "政府集中采购"])).toEqual([]);
  });

  it("does not read a figure for a name that heads a list", () => {
    expect(values(SEED, ["其中政府信息公开"])).toEqual([]);
  });
});
