import { parseDate } from "../form/deadline.js";
import { CAMPAIGN_NAME_LIMIT, type Campaign, type CampaignInput, parseUnitList } from "./campaign.js";

/**
 * The /campaign form: one message an administrator pastes, labelled lines
 * then the units one per line. One message is easier on a phone than eight
 * questions, and the office keeps its list in a document anyway.
 */
export const CAMPAIGN_FORM_EXAMPLE = [
  "名称：西湖区2026年度政府信息公开工作年度报告",
  "年度：2026",
  "内部截止：2027-01-15",
  "公开截止：2027-01-31（可不写，默认次年1月31日）",
  "单位：",
  "北山街道",
  "西溪街道",
  "区教育局",
].join("\n");

const LABELS = { 名称: "name", 年度: "year", 内部截止: "dueDate", 公开截止: "deadline" } as const;

export function parseCampaignForm(text: string): { ok: true; input: CampaignInput } | { ok: false; message: string } {
  const lines = text.split(/\r?\n/);
  const fields: Partial<Record<(typeof LABELS)[keyof typeof LABELS], string>> = {};
  let unitsAt = -1;
  for (const [i, line] of lines.entries()) {
    const m = line.match(/^\s*(名称|年度|内部截止|公开截止|单位)\s*[:：]\s*(.*)$/);
    if (!m) continue;
    if (m[1] === "单位") {
      unitsAt = i;
      if (m[2]?.trim()) lines[i] = m[2];
      else lines[i] = "";
      break;
    }
    fields[LABELS[m[1] as keyof typeof LABELS]] = (m[2] ?? "").replace(/[（(].*$/, "").trim();
  }
  const name = fields.name ?? "";
  if (!name) return { ok: false, message: "缺少「名称：」一行。" };
  if (name.length > CAMPAIGN_NAME_LIMIT) return { ok: false, message: `名称太长（最多 ${CAMPAIGN_NAME_LIMIT} 字）。` };
  const year = Number(fields.year);
  if (!/^\d{4}$/.test(fields.year ?? "") || year < 2008 || year > 2100)
    return { ok: false, message: "「年度：」请写四位年份，例如 2026。" };
  const dueDate = parseDate(fields.dueDate ?? "");
  if (!dueDate) return { ok: false, message: "「内部截止：」请写日期，例如 2027-01-15。" };
  const deadline = fields.deadline ? parseDate(fields.deadline) : `${year + 1}-01-31`;
  if (!deadline) return { ok: false, message: "「公开截止：」请写日期，例如 2027-01-31，或删掉这一行。" };
  const problem = checkDates(year, dueDate, deadline);
  if (problem) return { ok: false, message: problem };
  if (unitsAt < 0) return { ok: false, message: "缺少「单位：」一行，单位写在它下面，每行一个。" };
  const units = parseUnitList(lines.slice(unitsAt).join("\n"));
  if (!units.ok) return units;
  return { ok: true, input: { name, year, dueDate, deadline, units: units.units } };
}

/** The rules of a campaign's dates: the internal due date after the report year, not after the publication deadline. */
export function checkDates(year: number, dueDate: string, deadline: string): string | undefined {
  if (dueDate > deadline) return "内部截止不能晚于公开截止。";
  if (dueDate <= `${year}-12-31`) return `内部截止应在 ${year + 1} 年，报告年度结束之后。`;
  return undefined;
}

export type CampaignDates = Pick<Campaign, "dueDate" | "deadline">;

/**
 * /dates: the new dates as labelled lines, like the /campaign form
 * ("内部截止：2027-01-20", "公开截止：2027-01-31"); a date left out stays.
 */
export function parseDatesForm(
  text: string,
  current: Pick<Campaign, "year"> & CampaignDates,
): { ok: true; dates: CampaignDates } | { ok: false; message: string } {
  const dates = { ...current };
  let found = false;
  for (const line of text.split(/\r?\n/)) {
    const m = line.match(/^\s*(内部截止|公开截止)\s*[:：]\s*(.*)$/);
    if (!m) continue;
    const date = parseDate((m[2] ?? "").replace(/[（(].*$/, ""));
    if (!date) return { ok: false, message: `「${m[1]}：」请写日期，例如 ${current.year + 1}-01-20。` };
    if (m[1] === "内部截止") dates.dueDate = date;
    else dates.deadline = date;
    found = true;
  }
  if (!found) return { ok: false, message: "请写「内部截止：」或「公开截止：」一行（或两行），后面写日期。" };
  const problem = checkDates(current.year, dates.dueDate, dates.deadline);
  return problem
    ? { ok: false, message: problem }
    : { ok: true, dates: { dueDate: dates.dueDate, deadline: dates.deadline } };
}
