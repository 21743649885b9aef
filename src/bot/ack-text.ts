import type { Finding } from "../form/finding.js";
import type { FlowRegistry } from "../form/flow-registry.js";
import type { Flow } from "../form/flow-schema.js";
import { type FormStep, formSteps } from "../form/form-steps.js";
import type { AckRef, PendingAck } from "../store/store.js";
import { findingLine, rowSavedFrom } from "./views/question.js";

/**
 * A row's acknowledgement is stored by reference (AckRef: the step, the
 * numbers, the findings by rule), a tenth of its HTML, and rebuilt when it is
 * sent again. A reference is recorded only when it rebuilds the very text
 * the reply carries; otherwise the text is.
 */

type RowStep = Extract<FormStep, { kind: "row" }>;

/** What an acknowledgement says (HTML): its text, or the text its reference rebuilds. */
export function ackText(flows: FlowRegistry, ack: PendingAck): string {
  if (ack.text !== undefined) return ack.text;
  return (ack.ref && rebuild(flows, ack.ref)) ?? "✅ 已保存。";
}

/**
 * A row's acknowledgement: `before` (HTML lines, e.g. whose figures it
 * overwrote), the row with its numbers and notes, the findings the answer
 * caused. `ref` when it rebuilds `text` exactly.
 */
export function rowAck(
  flow: Flow,
  step: RowStep,
  numbers: number[],
  notes: string[],
  caused: Finding[],
  before = "",
): { text: string; ref?: AckRef } {
  const lines = caused.map((f) => findingLine(f.severity, f.message));
  const saved = rowSavedFrom(step, numbers, notes, lines);
  const text = before ? `${before}\n${saved}` : saved;
  const ref: AckRef = { row: [flow.format, step.index, numbers] };
  if (before) ref.before = before;
  if (notes.length > 0) ref.notes = notes;
  // Without findings the reference rebuilds by the very call above (most answers cause none).
  if (caused.length === 0 && formSteps(flow)[step.index] === step) return { text, ref };
  if (caused.length > 0) ref.findings = caused.map((f, i) => findingRef(flow, f) ?? lines[i] ?? "");
  const rebuilt = rebuildIn(flow, ref);
  return rebuilt === text ? { text, ref } : { text };
}

/** A linear rule's finding as its rule, forEach key and two sides, when its message gives the same words. */
function findingRef(flow: Flow, f: Finding): [string, string, number, number] | undefined {
  const rule = flow.rules.find((r) => r.id === f.rule);
  const [left, right] = f.numbers;
  if (rule?.kind !== "linear" || rule.severity !== f.severity || left === undefined || right === undefined)
    return undefined;
  for (const each of rule.forEach ?? [undefined]) {
    if (linearMessage(rule.message, each?.name ?? "", left, right) === f.message)
      return [f.rule, each?.key ?? "", left, right];
  }
  return undefined;
}

/** As rules/linear.ts words it. */
function linearMessage(message: string, col: string, left: number, right: number): string {
  return message.replaceAll("{col}", col).replaceAll("{left}", String(left)).replaceAll("{right}", String(right));
}

function rebuild(flows: FlowRegistry, ref: AckRef): string | undefined {
  const format = ref.row[0];
  if (!flows.isFormat(format)) return undefined;
  return rebuildIn(flows.flowFor(format), ref);
}

function rebuildIn(flow: Flow, ref: AckRef): string | undefined {
  const [, index, numbers] = ref.row;
  const step = formSteps(flow)[index];
  if (step?.kind !== "row") return undefined;
  const lines: string[] = [];
  for (const f of ref.findings ?? []) {
    if (typeof f === "string") {
      lines.push(f);
      continue;
    }
    const [id, key, left, right] = f;
    const rule = flow.rules.find((r) => r.id === id);
    if (rule?.kind !== "linear") return undefined;
    const each = key === "" ? undefined : rule.forEach?.find((e) => e.key === key);
    if (key !== "" && !each) return undefined;
    lines.push(findingLine(rule.severity, linearMessage(rule.message, each?.name ?? "", left, right)));
  }
  const saved = rowSavedFrom(step, numbers, ref.notes ?? [], lines);
  return ref.before ? `${ref.before}\n${saved}` : saved;
}
