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

/** The first unanswered step at or after `from`, wrapping round; undefined when all are answered. */
export function nextOpenStep(flow: Flow, draft: Draft, from = 0): FormStep | undefined {
  const steps = formSteps(flow);
  for (let i = 0; i < steps.length; i++) {
    const step = steps[(from + i) % steps.length];
    if (step && !isAnswered(step, draft)) return step;
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
    return { section, answered: steps.filter((s) => isAnswered(s, draft)).length, total: steps.length };
  });
}

/** The section number as printed, e.g. "三" from "三、收到和处理…". */
export function sectionNumber(section: SectionDef): string {
  return section.heading.split("、")[0] ?? section.heading;
}
