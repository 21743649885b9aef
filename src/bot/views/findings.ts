import { createHash } from "node:crypto";
import { InlineKeyboard } from "grammy";
import { cellName } from "../../form/cell-names.js";
import { partName } from "../../form/check-report.js";
import type { Finding } from "../../form/finding.js";
import type { Flow } from "../../form/flow-schema.js";
import { formSteps } from "../../form/form-steps.js";
import { encodeCallback } from "../callback-data.js";
import { escapeHtml } from "../html.js";
import { REPORT_ASKS, SETTING_NAMES } from "../report-settings.js";
import type { View } from "./question.js";

/**
 * Where a finding is: the cells and parts it names, in the officer's words,
 * and a button to the question of the first one that has a question (a table
 * row, a narrative part, or the 成文日期 / contact setting).
 */

type Asked = (typeof REPORT_ASKS)[number];
export type FindingTarget = { step: number } | { setting: Asked };

export interface FindingPlace {
  names: string[];
  target?: FindingTarget;
}

interface FlowPlaces {
  /** Cell or part id → the step that asks for it; a total → the step of its first leaf. */
  steps: Map<string, number>;
  /** Part id → its name, e.g. 一（二）依申请公开. */
  parts: Map<string, string>;
}

const cache = new WeakMap<Flow, FlowPlaces>();

function places(flow: Flow): FlowPlaces {
  const known = cache.get(flow);
  if (known) return known;
  const steps = new Map<string, number>();
  const parts = new Map<string, string>();
  for (const step of formSteps(flow)) {
    if (step.kind === "part") {
      steps.set(step.part.id, step.index);
      parts.set(step.part.id, partName(step.section.heading, step.part.heading));
    } else for (const id of step.row.cells) steps.set(id, step.index);
  }
  // Totals are computed, never asked: their button goes to the first figure they add up.
  const totals = new Map(flow.totals.map((t) => [t.id, t.of]));
  const stepOf = (id: string): number | undefined =>
    steps.get(id) ?? totals.get(id)?.reduce<number | undefined>((found, part) => found ?? stepOf(part), undefined);
  for (const id of totals.keys()) {
    const step = stepOf(id);
    if (step !== undefined) steps.set(id, step);
  }
  const made = { steps, parts };
  cache.set(flow, made);
  return made;
}

/**
 * Rows named per table: a finding about one relation names a few; a section
 * not yet filled names every open cell, which the message already sums up.
 */
const ROWS_SHOWN = 4;

const isAsked = (id: string): id is Asked => (REPORT_ASKS as readonly string[]).includes(id);

export function findingPlace(flow: Flow, finding: Finding): FindingPlace {
  const { steps, parts } = places(flow);
  // Table cells are named by table, then row, then columns: 三、申请表 一、本年新收…：自然人、商业企业；二、上年结转…：自然人.
  const tables = new Map<string, Map<string, string[]>>();
  const names: string[] = [];
  for (const id of finding.cells) {
    const part = parts.get(id);
    if (part) names.push(part);
    else if (isAsked(id)) names.push(SETTING_NAMES[id]);
    else {
      const cell = cellName(flow, id);
      if (!cell.table) continue;
      const table = `${cell.section}、${cell.table}`;
      let rows = tables.get(table);
      if (!rows) {
        rows = new Map();
        tables.set(table, rows);
        names.push(table);
      }
      rows.set(cell.row, [...(rows.get(cell.row) ?? []), cell.column]);
    }
  }
  const named = names.map((name) => {
    const rows = tables.get(name);
    if (!rows) return name;
    const shown = [...rows].slice(0, ROWS_SHOWN).map(([row, columns]) => `${row}：${columns.join("、")}`);
    return `${name} ${shown.join("；")}${rows.size > ROWS_SHOWN ? `等 ${rows.size} 行` : ""}`;
  });
  const first = finding.cells.find((id) => steps.has(id) || isAsked(id));
  if (first === undefined) return { names: named };
  const step = steps.get(first);
  return { names: named, target: step === undefined ? { setting: first as Asked } : { step } };
}

/** The callback data of a finding's button: the question, or the setting's dialogue. */
export function targetData(reportId: string, target: FindingTarget): string {
  return "step" in target
    ? encodeCallback("goto", reportId, target.step)
    : encodeCallback("settings", reportId, target.setting);
}

/** A finding as the officer reads it: the message, then where it is. */
export function findingText(flow: Flow, finding: Finding, number?: number): string {
  const mark = finding.severity === "error" ? "❌" : "⚠️";
  const { names } = findingPlace(flow, finding);
  const head = `${mark} ${number === undefined ? "" : `${number}. `}${escapeHtml(finding.message)}`;
  return names.length > 0 ? `${head}\n　位置：${escapeHtml(names.join("；"))}` : head;
}

/**
 * A short stamp of a list of findings: a button carries the stamp of the
 * warnings the officer was shown, so a list that changed since is shown again.
 */
export function findingsStamp(findings: readonly Finding[]): string {
  const hash = createHash("sha256");
  for (const f of findings) hash.update(`${f.rule}\u0000${f.message}\u0001`);
  return hash.digest("base64url").slice(0, 6);
}

/** At most this many findings (and buttons) in one /check message. */
const PER_MESSAGE = 20;
const BUTTONS_PER_ROW = 5;

/**
 * The /check list: sections of findings, each finding numbered with where it
 * is and a button「改 N」to its question. Messages stay under `limit`
 * characters and carry the buttons of their own findings.
 */
export function checkMessages(
  flow: Flow,
  reportId: string,
  sections: { heading: string; findings: Finding[] }[],
  head: string[],
  tail: string[],
  limit: number,
): View[] {
  const messages: View[] = [];
  let lines: string[] = [];
  let buttons: { text: string; data: string }[] = [];
  let length = 0;
  const flush = () => {
    if (lines.length === 0) return;
    const keyboard = new InlineKeyboard();
    buttons.forEach((b, i) => {
      keyboard.text(b.text, b.data);
      if (i % BUTTONS_PER_ROW === BUTTONS_PER_ROW - 1) keyboard.row();
    });
    messages.push({ text: lines.join("\n"), ...(buttons.length > 0 ? { keyboard } : {}) });
    [lines, buttons, length] = [[], [], 0];
  };
  const add = (text: string, button?: { text: string; data: string }) => {
    if (!text && lines.length === 0) return; // no message starts with a blank line
    const full = buttons.length >= PER_MESSAGE && button !== undefined;
    if (lines.length > 0 && (full || length + 1 + text.length > limit)) flush();
    lines.push(text);
    length += (lines.length > 1 ? 1 : 0) + text.length;
    if (button) buttons.push(button);
  };
  for (const line of head) add(line);
  let number = 0;
  for (const section of sections) {
    if (section.findings.length === 0) continue;
    add("");
    add(`<b>${section.heading}</b>`);
    for (const finding of section.findings) {
      number++;
      const { target } = findingPlace(flow, finding);
      const button = target && { text: `改 ${number}`, data: targetData(reportId, target) };
      add(findingText(flow, finding, number), button);
    }
  }
  for (const line of tail) add(line);
  flush();
  return messages;
}
