/**
 * The one reader of Chinese numerals, for table answers, the narrative scan
 * and years: "二十三", "一百零五", "一百五" (150: a trailing digit without 零
 * counts in the next lower unit), "两万五" (25000), "三点五", and digit by
 * digit without unit characters ("一〇五", "二〇二五"). Undefined when the
 * text is not such a numeral.
 */

const DIGIT: Record<string, number> = {
  零: 0,
  〇: 0,
  一: 1,
  二: 2,
  两: 2,
  三: 3,
  四: 4,
  五: 5,
  六: 6,
  七: 7,
  八: 8,
  九: 9,
};
const UNIT: Record<string, number> = { 十: 10, 百: 100, 千: 1000 };

/** The characters a Chinese numeral is written with (the decimal point 点 included). */
export const NUMERAL_CHARS = "零〇一二两三四五六七八九十百千万点";
const NUMERAL = new RegExp(`^[${NUMERAL_CHARS}]+$`, "u");

export function chineseNumeral(text: string): number | undefined {
  if (!NUMERAL.test(text)) return undefined;
  const [whole = "", fraction, extra] = text.split("点");
  if (extra !== undefined || (whole === "" && fraction === undefined)) return undefined;
  const integer = whole === "" ? 0 : chineseInteger(whole);
  if (integer === undefined || fraction === undefined) return integer;
  const digits = [...fraction].map((c) => DIGIT[c]);
  if (digits.length === 0 || digits.some((d) => d === undefined)) return undefined;
  return integer + Number(`0.${digits.join("")}`);
}

function chineseInteger(text: string): number | undefined {
  const chars = [...text];
  if (!/[十百千万]/u.test(text)) {
    const digits = chars.map((c) => DIGIT[c]);
    return digits.some((d) => d === undefined) ? undefined : Number(digits.join(""));
  }
  let total = 0;
  let section = 0;
  let digit: number | null = null;
  let lastUnit = 100_000; // units within a section must decrease
  let afterZero = false;
  for (const ch of chars) {
    const d = DIGIT[ch];
    if (d === 0) {
      if (digit !== null) return undefined; // "五零" is no numeral
      afterZero = true;
    } else if (d !== undefined) {
      if (digit !== null) return undefined;
      digit = d;
    } else if (ch === "万") {
      if (total > 0 || (section === 0 && digit === null)) return undefined;
      total = (section + (digit ?? 0)) * 10_000;
      [section, digit, lastUnit, afterZero] = [0, null, 10_000, false];
    } else {
      const unit = UNIT[ch];
      // A bare 十 means 一十 ("十二"); a bare 百 or 千 is not a number.
      if (unit === undefined || unit >= lastUnit || (digit === null && unit !== 10)) return undefined;
      section += (digit ?? 1) * unit;
      [digit, lastUnit, afterZero] = [null, unit, false];
    }
  }
  if (digit !== null) section += afterZero ? digit : (digit * lastUnit) / 10;
  return total + section;
}

/** A year as officers type it: "2025", "２０２５", "2025年", "2025年度", "二〇二五", "二〇二五年". */
export function parseYear(text: string): number | undefined {
  const body = text
    .normalize("NFKC")
    .trim()
    .replace(/年度?$/u, "")
    .trim();
  const year = /^\d{4}$/.test(body) ? Number(body) : chineseNumeral(body);
  return year !== undefined && Number.isInteger(year) ? year : undefined;
}
