import { chineseDate, daysLeft } from "../form/deadline.js";
import { REPORT_STATE_LABEL, type ReportState } from "../form/report-state.js";
import type { Campaign } from "./campaign.js";

/**
 * The supervisor's dashboard as data and text: one row per unit with its
 * state, progress, open problems, last activity and officers, filtered by
 * state and cut into pages that fit a phone.
 */

export interface DashboardRow {
  unitId: string;
  name: string;
  state: ReportState;
  /** Sections done of all; absent before anyone joined. */
  progress?: { done: number; total: number };
  errors: number;
  warnings: number;
  lastActivity?: string;
  officers: number;
  /** Officers who blocked the bot. */
  blocked: number;
  /** Officers who muted reminders. */
  muted: number;
}

/** Filters by state: a letter each, for callback data. */
export const FILTERS = {
  a: { label: "全部", states: undefined },
  n: { label: "未开始", states: ["not_started"] },
  f: { label: "填写中", states: ["in_progress", "finished"] },
  s: { label: "已提交", states: ["submitted"] },
  r: { label: "已退回", states: ["returned"] },
  p: { label: "已通过", states: ["approved"] },
} as const satisfies Record<string, { label: string; states: readonly ReportState[] | undefined }>;
export type Filter = keyof typeof FILTERS;
export const isFilter = (s: string): s is Filter => Object.hasOwn(FILTERS, s);

export const PAGE_SIZE = 5;

const COUNTED: ReportState[] = ["approved", "submitted", "returned", "in_progress", "not_started"];

export interface DashboardPage {
  text: string;
  rows: DashboardRow[];
  page: number;
  pages: number;
}

export function filterRows(rows: readonly DashboardRow[], filter: Filter): DashboardRow[] {
  const states = FILTERS[filter].states as readonly ReportState[] | undefined;
  return states ? rows.filter((r) => states.includes(r.state)) : [...rows];
}

const shortDate = (iso: string) => chineseDate(iso.slice(0, 10)).replace(/^\d+年/, "");

/** One unit in one line (plain text: the caller escapes it). */
export function rowLine(row: DashboardRow, index: number): string {
  const parts = [`${index}. ${row.name} — ${REPORT_STATE_LABEL[row.state]}`];
  if (row.progress) parts.push(`${row.progress.done}/${row.progress.total} 部分`);
  if (row.errors > 0 || row.warnings > 0) parts.push(`${row.errors} 错 ${row.warnings} 提醒`);
  if (row.lastActivity) parts.push(`最近 ${shortDate(row.lastActivity)}`);
  const marks = [row.blocked > 0 ? `${row.blocked} 人已屏蔽` : "", row.muted > 0 ? `${row.muted} 人免打扰` : ""]
    .filter(Boolean)
    .join("，");
  parts.push(row.officers > 0 ? `填报人 ${row.officers}${marks ? `（${marks}）` : ""}` : "无人加入");
  return parts.join(" · ");
}

export function dashboardPage(
  campaign: Campaign,
  rows: readonly DashboardRow[],
  filter: Filter,
  page: number,
  now: Date,
): DashboardPage {
  const shown = filterRows(rows, filter);
  const pages = Math.max(1, Math.ceil(shown.length / PAGE_SIZE));
  const at = Math.min(Math.max(page, 0), pages - 1);
  const onPage = shown.slice(at * PAGE_SIZE, (at + 1) * PAGE_SIZE);
  const count = (s: ReportState) =>
    rows.filter((r) => r.state === s || (s === "in_progress" && r.state === "finished")).length;
  const left = daysLeft(campaign.dueDate, now);
  const text = [
    `${campaign.name}`,
    `内部截止 ${chineseDate(campaign.dueDate)}（${left >= 0 ? `还有 ${left} 天` : `已过 ${-left} 天`}），公开截止 ${chineseDate(campaign.deadline)}`,
    `${COUNTED.map((s) => `${REPORT_STATE_LABEL[s]} ${count(s)}`).join(" · ")}（共 ${rows.length}）`,
    `筛选：${FILTERS[filter].label} · 第 ${at + 1}/${pages} 页`,
    "",
    ...(onPage.length > 0 ? onPage.map((r, i) => rowLine(r, at * PAGE_SIZE + i + 1)) : ["（没有这个状态的单位）"]),
  ].join("\n");
  return { text, rows: onPage, page: at, pages };
}
