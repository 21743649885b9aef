import { z } from "zod";
import { FormatId, NarrativeId } from "./draft.js";

/**
 * The schema of an official format as data (flows/). The engine reads only
 * this: it names no row or column of the official form itself.
 */

/** count: integer >= 0; signed: integer, may be negative (2019 本年增/减); money: 万元, decimals allowed, >= 0. */
export const CellKind = z.enum(["count", "signed", "money"]);
export type CellKind = z.infer<typeof CellKind>;
/** The largest figure (in absolute value) a cell of each kind holds; more is a typo or a hostile file. */
export const CELL_LIMIT: Record<CellKind, number> = { count: 10_000_000, signed: 10_000_000, money: 100_000_000 };

/** A leaf cell the officer answers. */
export const CellDef = z.object({
  id: z.string(),
  kind: CellKind,
  /** Row and column names as the officer reads them in messages. */
  row: z.string(),
  column: z.string(),
});
export type CellDef = z.infer<typeof CellDef>;

/** A cell derived as the sum of others; a value given in a file is checked against it under `rule`. */
export const TotalDef = z.object({
  id: z.string(),
  of: z.array(z.string()).min(1),
  rule: z.string(),
  row: z.string(),
  column: z.string(),
});
export type TotalDef = z.infer<typeof TotalDef>;

/** One cell of a table's printed grid, like an HTML td. */
export const GridCell = z
  .object({
    role: z.enum(["title", "header", "label", "value"]),
    text: z.string().optional(),
    cell: z.string().optional(),
    colSpan: z.number().int().min(1).default(1),
    rowSpan: z.number().int().min(1).default(1),
  })
  .refine((c) => (c.role === "value") === (c.cell !== undefined), {
    message: "value cells name a cell id, other cells do not",
  });
export type GridCell = z.infer<typeof GridCell>;

/** One question of the form: a table row (or part of one) asked in one message. */
export const RowStep = z.object({
  id: z.string(),
  label: z.string(),
  group: z.string().optional(),
  cells: z.array(z.string()).min(1),
  /** Column names, in the order the officer types them. */
  columns: z.array(z.string()).min(1),
});
export type RowStep = z.infer<typeof RowStep>;

export const TableDef = z.object({
  id: z.string(),
  /** Short name used in messages, e.g. 申请表. */
  name: z.string(),
  /** Grid width and relative column widths for the document. */
  widths: z.array(z.number().positive()).min(1),
  fontSize: z.number().positive(),
  grid: z.array(z.array(GridCell)),
  steps: z.array(RowStep).min(1),
  /** Most small units report nothing here: offer 本表全部为0 first. */
  offerAllZero: z.boolean(),
});
export type TableDef = z.infer<typeof TableDef>;

export const NarrativePart = z.object({
  id: NarrativeId,
  /** Printed sub-heading, e.g. （一）主动公开; none for a lead paragraph. */
  heading: z.string().optional(),
  /** Our own guidance for the officer, never posed as official text. */
  hint: z.string(),
  optional: z.boolean().default(false),
});
export type NarrativePart = z.infer<typeof NarrativePart>;

/** Characters of a section's short name: what a button on a phone shows in full, with "12/24" after it. */
export const SHORT_NAME_MAX = 8;

export const SectionDef = z.object({
  id: z.string(),
  heading: z.string(),
  /** The section's name on buttons, e.g. "三、依申请公开". */
  short: z.string().min(1).max(SHORT_NAME_MAX),
  parts: z.array(NarrativePart).default([]),
  tables: z.array(TableDef).default([]),
  /**
   * A part that may stand for the whole section when none of the headed parts
   * is written (section 一 of the 2019 format: FORMAT.md leaves its
   * sub-parts unconfirmed, and real reports write it as one text).
   */
  oneText: NarrativeId.optional(),
});
export type SectionDef = z.infer<typeof SectionDef>;

export const Severity = z.enum(["error", "warning"]);
export type Severity = z.infer<typeof Severity>;

/** A term of a linear relation; `{col}` in `cell` is replaced by each forEach value. */
const Term = z.object({
  cell: z.string(),
  coef: z.number().default(1),
  of: z.enum(["this", "previous"]).default("this"),
});

const ruleBase = { id: z.string(), severity: Severity };

/**
 * Σ left (op) Σ right. `message` may use {left}, {right} and {col}.
 * Relations naming last year's cells apply only when last year's report has
 * one of `previousFormats`.
 */
export const LinearRule = z.object({
  ...ruleBase,
  kind: z.literal("linear"),
  left: z.array(Term).min(1),
  op: z.enum(["=", ">="]),
  right: z.array(Term),
  forEach: z.array(z.object({ key: z.string(), name: z.string() })).optional(),
  previousFormats: z.array(FormatId).optional(),
  /** What a cross-year relation compares, named when last year's format does not allow it. */
  title: z.string().optional(),
  message: z.string(),
});

/** Cells that a body of the named levels cannot have non-zero (e.g. 规章 at 街道). */
export const OrgLevelRule = z.object({
  ...ruleBase,
  kind: z.literal("org-level"),
  /** The level is the last of these words in the name (ignoreWords masked first). */
  blockedLevels: z.array(z.string()).min(1),
  allowedLevels: z.array(z.string()),
  ignoreWords: z.array(z.string()).default([]),
  cells: z.array(z.string()).min(1),
  message: z.string(),
});

/** A figure the narrative states, compared with the sum of table cells. */
export const Claim = z.object({
  /** What the figure is, in the officer's words: 现行有效的行政规范性文件. */
  name: z.string(),
  patterns: z.array(z.string()).min(1),
  zeroPatterns: z.array(z.string()).default([]),
  cells: z.array(z.string()).min(1),
  parts: z.array(NarrativeId).optional(),
  /** Units the figure is written in; counts (件, 条, 项…) when not given, 万元/元 for money. */
  units: z.array(z.string()).optional(),
  /** The figure only follows the phrase ("规范性文件…废止" + 1件), never sits in its gap. */
  figureAfter: z.boolean().default(false),
});
export type Claim = z.infer<typeof Claim>;

export const NarrativeClaimsRule = z.object({
  ...ruleBase,
  kind: z.literal("narrative-claims"),
  claims: z.array(Claim).min(1),
});

/** "of which" lists that do not add up to their whole. */
export const NarrativeSumsRule = z.object({
  ...ruleBase,
  kind: z.literal("narrative-sums"),
});

/** A part must mention something: every group of words, each within `window` characters of the first. */
export const MentionRule = z.object({
  ...ruleBase,
  kind: z.literal("mention"),
  part: NarrativeId,
  groups: z.array(z.array(z.string()).min(1)).min(1),
  window: z.number().int().positive().optional(),
  message: z.string(),
});

/** Narrative parts nearly identical to last year's (雷同). */
export const SimilarityRule = z.object({
  ...ruleBase,
  kind: z.literal("similar-to-previous"),
  threshold: z.number().min(0).max(1),
  message: z.string(),
});

export const RuleDef = z.discriminatedUnion("kind", [
  LinearRule,
  OrgLevelRule,
  NarrativeClaimsRule,
  NarrativeSumsRule,
  MentionRule,
  SimilarityRule,
]);
export type RuleDef = z.infer<typeof RuleDef>;
export type LinearRule = z.infer<typeof LinearRule>;

export const FlowDef = z.object({
  format: FormatId,
  /** The notice that issued the format, for the opening paragraph. */
  notice: z.string(),
  /** How the opening paragraph cites the format; `{notice}` stands for the notice's number. */
  noticeTitle: z.string().includes("{notice}"),
  years: z.object({ from: z.number().int(), to: z.number().int().optional() }),
  sections: z.array(SectionDef).length(6),
  cells: z.array(CellDef).min(1),
  totals: z.array(TotalDef),
  rules: z.array(RuleDef),
});
export type FlowDef = z.input<typeof FlowDef>;
export type Flow = z.infer<typeof FlowDef>;
