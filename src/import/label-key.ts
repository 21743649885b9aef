/**
 * Labels compared the way a reader compares them: width, spaces, line breaks
 * and quotation marks do not matter ("本年新\n制作数量", "（一）" or "(一)",
 * "1、" or "1．"); the leading number and a trailing remark in brackets can be
 * left out ("部分公开" for "（二）部分公开（区分处理的，只计这一情形…）").
 */

const QUOTES = /[“”‘’"'「」『』]/g;
const NUMBERING = /^(?:([一二三四五六七八九十]+)[、.]|\(([一二三四五六七八九十]+|\d+)\)|(\d+)\.)/;
const CJK = "一二三四五六七八九十";

/** The label as compared: NFKC, no spaces, no quotes, "1、" as "1.". */
export function labelKey(text: string): string {
  return text
    .normalize("NFKC")
    .replace(/\s+/gu, "")
    .replace(QUOTES, "")
    .replace(/^(\d+)、/, "$1.");
}

export interface LabelParts {
  /** The number the label starts with (一、 → 1, （二） → 2, 3. → 3), if any. */
  number?: number;
  /** The words without the number and without a trailing remark in brackets. */
  core: string;
}

export function labelParts(text: string): LabelParts {
  const key = labelKey(text);
  const m = NUMBERING.exec(key);
  const numeral = m ? (m[1] ?? m[2] ?? m[3])! : undefined;
  let core = m ? key.slice(m[0].length) : key;
  const withoutRemark = core.replace(/\([^()]*\)$/, "");
  if (withoutRemark !== "") core = withoutRemark;
  if (numeral === undefined) return { core };
  const number = /^\d+$/.test(numeral) ? Number(numeral) : CJK.indexOf(numeral) + 1;
  return { number, core };
}

/** Names the two formats give the same thing (2019 规范性文件, 2021 行政规范性文件). */
const SAME = [["规范性文件", "行政规范性文件"]];

function sameCore(a: string, b: string): boolean {
  return a === b || SAME.some((names) => names.includes(a) && names.includes(b));
}

/**
 * Whether a label printed in a file names the flow's label. A number, when
 * the file prints one, must agree; a flow label whose words alone are too
 * common ("3.其他") must be printed with its number.
 */
export function labelMatches(printed: string, flowLabel: string, needsNumber = false): boolean {
  if (labelKey(printed) === labelKey(flowLabel)) return true;
  const p = labelParts(printed);
  const f = labelParts(flowLabel);
  if (!sameCore(p.core, f.core)) return false;
  if (p.number === undefined) return !needsNumber || f.number === undefined;
  return f.number === undefined || p.number === f.number;
}
