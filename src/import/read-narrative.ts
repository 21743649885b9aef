import type { NarrativeId } from "../form/draft.js";
import type { Flow, SectionDef } from "../form/flow-schema.js";
import { narrativeParagraphs } from "../report/report-text.js";
import { labelKey, labelParts } from "./label-key.js";
import { trimSpaces } from "./source-document.js";

/**
 * Headings as officers type them ("一、总体情况", "6、 其他需要报告的事项",
 * "（四）平台建设情况", "（一）主动公开。2020年……"): the right number and at
 * least two characters in a row of the flow's words. Headings are found in
 * order, so "（一）加强领导" inside （五） is not taken for （一）.
 */

/** The first clause of a paragraph, where a heading would be. */
const firstClause = (text: string) => trimSpaces(text).split(/[。：:；;]/)[0] ?? "";

function sharesTwo(a: string, b: string): boolean {
  for (let i = 0; i + 2 <= a.length; i++) if (b.includes(a.slice(i, i + 2))) return true;
  return false;
}

/** Whether the paragraph starts with this heading (a section's 一、… or a part's （一）…). */
export function startsWithHeading(paragraph: string, heading: string, section: boolean): boolean {
  const clause = firstClause(paragraph);
  if (clause.length > 40) return false;
  const h = labelParts(heading);
  const p = labelParts(clause);
  if (p.number === undefined || p.number !== h.number) return false;
  // A section heading is never written in brackets; a part's may be "（一）" or "1.".
  if (section && /^\(/.test(labelKey(clause))) return false;
  return p.core === "" || sharesTwo(p.core, h.core);
}

/** Index of each section's heading among the paragraphs (in order), -1 where none is found. */
export function findSectionHeadings(flow: Flow, paragraphs: string[]): number[] {
  const found: number[] = [];
  let from = 0;
  for (const section of flow.sections) {
    const at = paragraphs.findIndex((p, i) => i >= from && startsWithHeading(p, section.heading, true));
    found.push(at);
    if (at >= 0) from = at + 1;
  }
  return found;
}

/** The text of one part: its paragraphs joined by line breaks, its heading dropped (also when typed twice). */
function partText(section: SectionDef, part: SectionDef["parts"][number], lines: string[]): string | undefined {
  let text = narrativeParagraphs(section, part, lines.join("\n")).join("\n");
  const first = () => text.split("\n")[0] ?? "";
  // The heading alone on a line again, right after the heading: drop the repetition too.
  while (
    part.heading &&
    first() !== "" &&
    first() === firstClause(first()) &&
    startsWithHeading(first(), part.heading, false)
  ) {
    const next = narrativeParagraphs(section, part, text).join("\n");
    if (next === text) break;
    text = next;
  }
  return text === "" ? undefined : text;
}

/**
 * A section's paragraphs (its heading included) → its parts. A section with
 * one part takes all its text; a section with sub-parts is split at their
 * headings, text before the first going to a part without heading (the lead).
 */
export function readSectionParts(section: SectionDef, paragraphs: string[]): Partial<Record<NarrativeId, string>> {
  const out: Partial<Record<NarrativeId, string>> = {};
  const headed = section.parts.filter((p) => p.heading !== undefined);
  const lead = section.parts.find((p) => p.heading === undefined);
  if (headed.length === 0) {
    const only = section.parts[0];
    const text = only && partText(section, only, paragraphs);
    if (only && text !== undefined) out[only.id] = text;
    return out;
  }
  const starts: { at: number; part: (typeof headed)[number] }[] = [];
  let next = 0;
  paragraphs.forEach((p, i) => {
    for (let k = next; k < headed.length; k++) {
      if (i > 0 && startsWithHeading(p, headed[k]!.heading!, false)) {
        starts.push({ at: i, part: headed[k]! });
        next = k + 1;
        return;
      }
    }
  });
  const leadEnd = starts[0]?.at ?? paragraphs.length;
  if (lead) {
    const text = partText(section, lead, paragraphs.slice(0, leadEnd));
    if (text !== undefined) out[lead.id] = text;
  }
  starts.forEach((s, k) => {
    const end = starts[k + 1]?.at ?? paragraphs.length;
    const text = partText(section, s.part, paragraphs.slice(s.at, end));
    if (text !== undefined) out[s.part.id] = text;
  });
  return out;
}
