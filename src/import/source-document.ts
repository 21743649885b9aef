/**
 * What a reader takes from a file before anything is matched to the form:
 * the paragraphs and tables of the body, in order. Table rows hold their cells
 * as an HTML table has them: a cell merged down is given once, in its first
 * row; a cell merged across is one cell. Readers only extract; the matching by
 * labels is the same for every kind of file (import-report.ts).
 */

export type SourceBlock = { kind: "paragraph"; text: string } | { kind: "table"; rows: string[][] };

export interface SourceDocument {
  blocks: SourceBlock[];
}

/** Why a file cannot be read at all, in words for the officer. */
export type Refusal = { ok: false; reason: string };
export type SourceRead = { ok: true; source: SourceDocument } | Refusal;

/** Outer spaces of every kind (also U+3000 and no-break spaces, which `\s` covers) trimmed. */
export function trimSpaces(text: string): string {
  return text.replace(/^\s+|\s+$/gu, "");
}
