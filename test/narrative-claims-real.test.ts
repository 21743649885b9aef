import { describe, expect, it } from "vitest";
import { flowFor } from "../flows/index.js";
import { checkReport } from "../src/form/check-report.js";
import type { Draft } from "../src/form/draft.js";
import type { Finding } from "../src/form/finding.js";
import { fixture, withCells } from "./support/fixtures.js";

/**
 * The narrative claims (A9) on sentences of real published reports, taken
 * from the stored web pages of several provinces and years (source named on
 * each case; the page text as stored, its punctuation included). Each claim
 * kind has a case that fires (the table says otherwise) and one that does not;
 * the sentences that state none of a claim's figures must read nothing.
 */

const SOURCES = {
  zichang2022: "http://www.zichang.gov.cn/zfxxgk/zfxxgknb/szfnb/2022n/1.html", // 陕西 子长市人民政府 2022
  shanghai2022: "https://shanghai.gov.cn/nw12344/20230331/4a03b5fa47ae4c73b7ec42801de6be66.html", // 上海市 2022
  anqiu2022: "http://anqiu.gov.cn/xxgk/XXGK/XXGKNB/szfbgs/202301/t20230129_6158314.html", // 山东 安丘市政府办公室 2022
  liaoyang2023:
    "http://www.liaoyang.gov.cn/govxxgk/LY/2024-03-05/cfa9849a-3f74-4747-82de-a497ee246555.html?deptcode=033", // 辽宁 辽阳市 2023
  jiaxing2023: "https://www.jiaxing.gov.cn/art/2024/3/7/art_1229779129_5274268.html", // 浙江 嘉兴市 2023
  chengxiang2021: "https://www.chengxiang.gov.cn/zfxxgk/zfxxgkndbg/2021nzfxxgkndbg/qzbm/202201/t20220114_1698601.htm", // 福建 莆田城厢区发改局 2021
  haitang2021: "https://ht.sanya.gov.cn/htqsite/xxgknb/202202/ad24c9c229404b1595aaeedacbafeee8.shtml", // 海南 三亚海棠区 2021
  changchun2023: "http://js.changchun.gov.cn/zcbm/styjrswj/ndbg/202401/t20240115_3271106.html", // 吉林 长春 2023
  yangling2022: "https://yangling.gov.cn/zwgk/gknb/bmnb/1619593655548706818.html", // 陕西 杨凌示范区审计局 2022
  xinzhou2021: "http://www.jxxz.gov.cn/qzfbgs/gknb/202201/de12e31e3be6462d863218ba460324a4.shtml", // 江西 上饶信州区 2021
  qingjiangpu2021: "http://hntrmy.com/col/13649_176277/art/16436448/1645147752038KaoNWX9a.html", // 江苏 淮安清江浦区 2021
  zhangzhou2023: "http://www.zhangzhou.gov.cn/cms/html/zzsrmzf/2024-03-01/1186777553.html", // 福建 漳州市 2023
  beijing2022: "https://bjmssf.com/hzjl/ZWGK2985/ZFXXGK5277/ZFXXGKNB4764/202301/t20230116_6080719", // 市合作交流办 2022
} as const;

/** One real sentence: where it is from and what each claim it states should read. */
interface RealSentence {
  source: keyof typeof SOURCES;
  text: string;
  /** Cell → the figure the sentence states for it; every other claim must read nothing. */
  states: Record<string, number>;
}

const REAL: RealSentence[] = [
  {
    source: "zichang2022",
    text: "本年度制发规范性文件2件,现行有效规范性文件1件,本年度办理行政许可6428件,行政处罚160件。",
    states: {
      "active.normative.issued": 2,
      "active.normative.in_force": 1,
      "active.licensing.decisions": 6428,
      "active.penalty.decisions": 160,
    },
  },
  { source: "zichang2022", text: "全市通过各种形式,主动公开政府信息3131条。", states: {} },
  {
    source: "shanghai2022",
    text: "2022年,在上海市人民政府网站、《上海市人民政府公报》主动公开市政府规章13件(含新制定5件,修改4件,废止4件),主动公开市政府和市政府办公厅行政规范性文件42件,人事任免文件106件,其他文件113件。",
    states: {},
  },
  { source: "shanghai2022", text: "全年上海市人民政府网站共发布各类信息46106条。", states: {} },
  { source: "anqiu2022", text: "发布规范性文件1件,非规范性文件30件;", states: {} },
  {
    source: "anqiu2022",
    text: "2022年,市政府办公室共通过市政府门户网站等平台主动公开政府信息247条,较2021年增加1.23%。",
    states: {},
  },
  { source: "anqiu2022", text: "优化政策解读专栏、回应关切专栏设置,发布政策解读23件,召开新闻发布会56场。", states: {} },
  {
    source: "liaoyang2023",
    text: "2023年,通过现场、邮寄、传真和平台申请等方式,共受理政府信息依申请公开385件,其中6件结转下一年度办理,其余全部按时办结;处理涉及政府信息公开行政复议3件,行政诉讼14件。",
    states: { "apply.new.total": 385, "review.total": 3, "litigation_direct.total": 14 },
  },
  {
    source: "jiaxing2023",
    text: "全年接收处理依申请公开4237件,应对行政复议66件、行政诉讼33件。",
    states: { "review.total": 66, "litigation_direct.total": 33 },
  },
  {
    source: "jiaxing2023",
    text: "做好乡镇(街道)行政规范性文件集中发布工作,运用各县级政府门户网站,统一规范发布乡镇(街道)2023年行政规范性文件68件。",
    states: {},
  },
  {
    source: "chengxiang2021",
    text: "主动公开的政府信息类别,主要包含行政许可类信息1条;重大建设项目信息63条;为民办实事类信息16条;其他类信息9条。",
    states: {},
  },
  {
    source: "haitang2021",
    text: "截止2021年12月31日,我区在政府信息公开专栏主动公开文件共349件,内容涵盖法规文件、财政、监督检查、社会保障、扶贫和教育等民生类文件及其他类文件。",
    states: {},
  },
  {
    source: "haitang2021",
    text: "我区2021年收到依法处理依申请公开共6件,给予非机关告知书文件6件。",
    states: { "apply.new.total": 6 },
  },
  {
    source: "changchun2023",
    text: "本年度,共受理政府信息公开申请2件,都在法定期限内予以答复。",
    states: { "apply.new.total": 2 },
  },
  { source: "yangling2022", text: "2022年,我局通过示范区管委会网站审计信息栏目公开信息20条。", states: {} },
  { source: "xinzhou2021", text: "全区依申请公开办件21件,妥善办理政务舆情2件、按时办结率100%。", states: {} },
  {
    source: "xinzhou2021",
    text: "二是创新解读形式。通过文字、视频、动画及新闻发布会等形式,在政府网站、政务新媒体,解读政策文件21件;",
    states: {},
  },
  {
    source: "qingjiangpu2021",
    text: "今年以来,全区累计处理政府信息依申请公开92件,其中,本年度新接收91件,2020年结转办理1件。",
    // "2020年结转办理1件" is 上年结转 in other words: not read (a miss, never a false figure).
    states: {},
  },
  {
    source: "zhangzhou2023",
    text: "2023年,依托我市各级政府门户网站,共主动公开政府信息17097条,编制《政府公报》4期",
    states: {},
  },
  {
    source: "beijing2022",
    text: "通过门户网站公开信息2017条,通过微信公众号、今日头条等新媒体公开信息1039条。",
    states: {},
  },
  {
    source: "liaoyang2023",
    text: "二是编制《辽阳市人民政府公报》4期,共印发2400册,统一刊登本级政府政策文件,电子版在市政府门户网站公开与纸质版同步发行。",
    states: {},
  },
];

const flow = flowFor("2021");
const base = fixture("report-2022");
/** Every cell a narrative claim of the 2021 flow reads. */
const claimCells = [
  ...new Set(flow.rules.flatMap((r) => (r.kind === "narrative-claims" ? r.claims.flatMap((c) => c.cells) : []))),
];
const totals = new Map(flow.totals.map((t) => [t.id, t.of]));
/** Leaves that make a cell (a leaf or a total) read `value`, the other leaves of a total at 0. */
function leavesFor(id: string, value: number): Record<string, number> {
  const of = totals.get(id);
  if (!of) return { [id]: value };
  return Object.fromEntries(of.map((leaf, i) => [leaf, i === 0 ? value : 0]));
}
const claims = flow.rules.flatMap((r) => (r.kind === "narrative-claims" ? r.claims : []));
/** A claim's figure: `id` is the first of its cells (行政诉讼: both litigation totals); the others read 0. */
function cellsFor(id: string, value: number): Record<string, number> {
  const others = claims.filter((c) => c.cells[0] === id).flatMap((c) => c.cells.slice(1));
  return Object.assign({}, ...others.map((o) => leavesFor(o, 0)), leavesFor(id, value));
}

/** The draft with `text` as 一（一） and the given cells; the other parts are the fixture's. */
function draftWith(text: string, cells: Record<string, number>): Draft {
  return withCells({ ...base, narrative: { ...base.narrative, "overview.active": text } }, cells);
}
const claimsIn一一 = (d: Draft): Finding[] =>
  checkReport(flow, d).filter((f) => f.rule === "A9" && f.cells[0] === "overview.active");

/** Table values no sentence states: any claim that reads a figure from a sentence then fires. */
const UNLIKELY = 98_765;
const everyClaimCellUnlikely = Object.assign({}, ...claimCells.map((id) => cellsFor(id, UNLIKELY))) as Record<
  string,
  number
>;

describe("narrative claims on real published reports", () => {
  it("holds at least 20 real sentences from several provinces and years", () => {
    expect(REAL.length).toBeGreaterThanOrEqual(20);
    expect(new Set(REAL.map((r) => r.source)).size).toBeGreaterThanOrEqual(10);
  });

  for (const [i, sentence] of REAL.entries()) {
    const stated = Object.entries(sentence.states);
    it(`#${i + 1} ${sentence.source}: reads exactly ${stated.length ? stated.map(([c, v]) => `${c}=${v}`).join(", ") : "nothing"}`, () => {
      // With the table agreeing, nothing fires: no false positive.
      const agreeing = Object.assign({}, everyClaimCellUnlikely, ...stated.map(([c, v]) => cellsFor(c, v)));
      expect(claimsIn一一(draftWith(sentence.text, agreeing))).toEqual([]);
      // With every other figure different, only what the sentence states is compared: each stated cell fires alone.
      for (const [cell, value] of stated) {
        const disagreeing = { ...agreeing, ...cellsFor(cell, value + 1) };
        const findings = claimsIn一一(draftWith(sentence.text, disagreeing));
        expect(
          findings.map((f) => f.numbers),
          cell,
        ).toEqual([[value, value + 1]]);
        expect(findings[0]!.cells).toContain(cell);
      }
    });
  }
});

describe("each new claim kind fires when the table differs, and not when it agrees", () => {
  // Sentences in the wording of published reports where the stored pages had none with the figure (our own).
  const cases: { name: string; text: string; cell: string; value: number; source: string }[] = [
    {
      name: "现行有效的行政规范性文件",
      text: REAL[0]!.text,
      cell: "active.normative.in_force",
      value: 1,
      source: SOURCES.zichang2022,
    },
    {
      name: "现行有效的行政规范性文件",
      text: "本年制发行政规范性文件3件，废止1件，现行有效25件。",
      cell: "active.normative.in_force",
      value: 25,
      source: "own wording",
    },
    {
      name: "现行有效的规章",
      text: "现行有效规章12件。",
      cell: "active.rules.in_force",
      value: 12,
      source: "own wording",
    },
    {
      name: "废止的行政规范性文件",
      text: "本年制发行政规范性文件3件，废止1件，现行有效25件。",
      cell: "active.normative.repealed",
      value: 1,
      source: "own wording",
    },
    { name: "废止的规章", text: "本年度废止规章2件。", cell: "active.rules.repealed", value: 2, source: "own wording" },
    {
      name: "行政许可决定",
      text: REAL[0]!.text,
      cell: "active.licensing.decisions",
      value: 6428,
      source: SOURCES.zichang2022,
    },
    {
      name: "行政处罚决定",
      text: REAL[0]!.text,
      cell: "active.penalty.decisions",
      value: 160,
      source: SOURCES.zichang2022,
    },
    {
      name: "行政强制决定",
      text: "全年公开行政许可决定1286件，行政处罚决定37件，行政强制决定4件。",
      cell: "active.enforcement.decisions",
      value: 4,
      source: "own wording",
    },
    {
      name: "行政事业性收费",
      text: "收取行政事业性收费2.35万元。",
      cell: "active.fees.amount",
      value: 2.35,
      source: "own wording",
    },
    {
      name: "被纠正的行政复议",
      text: "本年度发生政府信息公开行政复议3起，结果纠正1起。",
      cell: "review.corrected",
      value: 1,
      source: "own wording",
    },
    {
      name: "被纠正的行政诉讼",
      text: "行政诉讼2起，其中被法院判决纠正1起。",
      cell: "litigation_direct.corrected",
      value: 1,
      source: "own wording",
    },
  ];
  for (const c of cases) {
    it(`${c.name}: ${c.text} (${c.source})`, () => {
      const agreeing = { ...everyClaimCellUnlikely, ...cellsFor(c.cell, c.value) };
      const stated = claimsIn一一(draftWith(c.text, agreeing)).filter((f) => f.cells.includes(c.cell));
      expect(stated).toEqual([]);
      const wrong = claimsIn一一(draftWith(c.text, { ...agreeing, ...cellsFor(c.cell, c.value + 7) })).filter((f) =>
        f.cells.includes(c.cell),
      );
      expect(wrong).toHaveLength(1);
      expect(wrong[0]!.message).toContain(`写${c.name}${c.value}`);
    });
  }

  it("does not read 信息处理费 as 行政事业性收费, nor a count of 条 or 项 as decisions", () => {
    const text = "本年度未收取信息处理费。公开行政许可信息12条，行政处罚事项30项。";
    expect(claimsIn一一(draftWith(text, everyClaimCellUnlikely))).toEqual([]);
  });
});

describe("13. a finding names both sides in the officer's words", () => {
  it("says what the text states and what the table holds, with the table's number", () => {
    const d = draftWith(REAL[0]!.text, {
      ...everyClaimCellUnlikely,
      ...cellsFor("active.normative.issued", 2),
      ...cellsFor("active.licensing.decisions", 6428),
      ...cellsFor("active.penalty.decisions", 160),
      "active.normative.in_force": 5,
    });
    expect(claimsIn一一(d).map((f) => f.message)).toEqual([
      "一（一）主动公开写现行有效的行政规范性文件1件（“现行有效规范性文件1件”），表二为5件",
    ]);
  });
  // 长春's report says 受理申请2件 while its own table 三 has 3 new applications: the finding a reviewer needs.
  it("names table 三 for applications (a real report whose text and table differ)", () => {
    const d = draftWith(REAL[13]!.text, { ...everyClaimCellUnlikely, ...cellsFor("apply.new.total", 3) });
    expect(claimsIn一一(d).map((f) => f.message)).toEqual([
      "一（一）主动公开写收到的申请2件（“受理政府信息公开申请2件”），表三为3件",
    ]);
  });
});
