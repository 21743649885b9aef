import { cellArrayOf, cellIndex } from "./cell-array.js";
import type { Draft } from "./draft.js";
import type { Flow, NarrativePart, RowStep, SectionDef, TableDef } from "./flow-schema.js";
import { hasVisibleText } from "./visible-text.js";

/** The form as the officer walks it: every narrative part and every table row, in order. */
export type FormStep =
  | { kind: "part"; index: number; section: SectionDef; part: NarrativePart }
  | { kind: "row"; index: number; section: SectionDef; table: TableDef; row: RowStep; position: number };

const cache = new WeakMap<Flow, FormStep[]>();

export function formSteps(flow: Flow): FormStep[] {
  const known = cache.get(flow);
  if (known) return known;
  const steps: FormStep[] = [];
  for (const section of flow.sections) {
    for (const part of section.parts) steps.push({ kind: "part", index: steps.length, section, part });
    for (const table of section.tables)
      table.steps.forEach((row, position) => {
        steps.push({ kind: "row", index: steps.length, section, table, row, position });
      });
  }
  cache.set(flow, steps);
  return steps;
}

export function isAnswered(step: FormStep, draft: Draft): boolean {
  if (step.kind === "part") return step.part.optional || hasVisibleText(draft.narrative[step.part.id]);
  return step.row.cells.every((id) => draft.cells[id] !== undefined);
}

/** The section is written as its one-text part alone, none of its headed parts having any text. */
export function writtenAsOneText(section: SectionDef, draft: Pick<Draft, "narrative">): boolean {
  if (!section.oneText || !draft.narrative[section.oneText]?.trim()) return false;
  return section.parts.every((p) => p.id === section.oneText || !draft.narrative[p.id]?.trim());
}

const rowSlotsByFlow = new WeakMap<Flow, (readonly number[] | undefined)[]>();

/** Each row step's cells as slots of the flow's cell array; undefined for a part (or a cell the flow lacks). */
function rowSlots(flow: Flow): (readonly number[] | undefined)[] {
  const known = rowSlotsByFlow.get(flow);
  if (known) return known;
  const { slot } = cellIndex(flow);
  const made = formSteps(flow).map((step) => {
    if (step.kind !== "row") return undefined;
    const slots = step.row.cells.map((id) => slot.get(id));
    return slots.every((i) => i !== undefined) ? (slots as number[]) : undefined;
  });
  rowSlotsByFlow.set(flow, made);
  return made;
}

const answeredByDraft = new WeakMap<Draft, { flow: Flow; answered: readonly boolean[] }>();

/**
 * isAnswered of every step of the flow, by step index; kept per draft (drafts
 * are never changed in place), since an answer asks it of the same draft
 * several times (the next open step, the finish, the missing-answers check).
 */
export function answeredSteps(flow: Flow, draft: Draft): readonly boolean[] {
  const known = answeredByDraft.get(draft);
  if (known?.flow === flow) return known.answered;
  const cells = cellArrayOf(flow, draft);
  const slots = rowSlots(flow);
  const answered = formSteps(flow).map((step, i) => {
    const row = slots[i];
    return row ? row.every((at) => cells[at] !== undefined) : isAnswered(step, draft);
  });
  answeredByDraft.set(draft, { flow, answered });
  return answered;
}

/** The first unanswered step at or after `from`, wrapping round; undefined when all are answered. */
export function nextOpenStep(flow: Flow, draft: Draft, from = 0): FormStep | undefined {
  const steps = formSteps(flow);
  const answered = answeredSteps(flow, draft);
  for (let i = 0; i < steps.length; i++) {
    const at = (from + i) % steps.length;
    const step = steps[at];
    if (step && !answered[at]) return step;
  }
  return undefined;
}

export interface SectionProgress {
  section: SectionDef;
  answered: number;
  total: number;
}

export function sectionProgress(flow: Flow, draft: Draft): SectionProgress[] {
  return flow.sections.map((section) => {
    const steps = formSteps(flow).filter((s) => s.section === section);
    const answered = answeredSteps(flow, draft);
    return { section, answered: steps.filter((s) => answered[s.index]).length, total: steps.length };
  });
}

/** The section number as printed, e.g. "三" from "三、收到和处理…". */
export function sectionNumber(section: SectionDef): string {
  return section.heading.split("、")[0] ?? section.heading;
}
