import { z } from "zod";

/**
 * An official format, named by the year it was issued (FORMAT.md §0). Which
 * ones exist is the flow registry's business (flows/index.ts), not this type's.
 */
export const FormatId = z.string().regex(/^\d{4}$/, 'a format is named by a year, e.g. "2021"');
export type FormatId = z.infer<typeof FormatId>;

/** Narrative part ids, the same in both formats (INTERCHANGE.md). */
export const NARRATIVE_IDS = [
  "overview.intro",
  "overview.active",
  "overview.on_request",
  "overview.management",
  "overview.platform",
  "overview.supervision",
  "problems",
  "other",
] as const;
export const NarrativeId = z.enum(NARRATIVE_IDS);
export type NarrativeId = z.infer<typeof NarrativeId>;

/** A calendar date as YYYY-MM-DD that exists (no 2月30日). */
export const IsoDate = z.string().refine((s) => {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCFullYear() === Number(m[1]) && d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]);
}, "a date as YYYY-MM-DD");

/** The longest narrative part, in characters: whether typed, imported or loaded. */
export const PART_LIMIT = 20_000;

/**
 * Whether a typed part is longer than PART_LIMIT characters (code points).
 * Counted only when its UTF-16 length is over the limit: a code point takes
 * one or two units, so a text within the limit in units is within it in
 * characters, and an answer appended to a long part is not copied into an
 * array of characters to be counted.
 */
export function overPartLimit(text: string): boolean {
  if (text.length <= PART_LIMIT) return false;
  let count = 0;
  for (const _ of text) if (++count > PART_LIMIT) return true;
  return false;
}

/**
 * One unit's report for one year: the interchange file's content and the
 * draft the bot fills. Cells hold numbers only; whether they are sensible
 * (negative, fractional) is a finding of the checks, not a load error.
 */
export const Draft = z
  .object({
    format: FormatId,
    org: z.string().min(1),
    year: z.number().int().min(2000).max(2100),
    /** Where the report can be downloaded and a phone number for questions: the opening's last sentence. */
    contact: z.string().optional(),
    /** 成文日期, the date the report is signed (ISO, YYYY-MM-DD). */
    date: IsoDate.optional(),
    narrative: z.partialRecord(NarrativeId, z.string()),
    cells: z.record(z.string(), z.number()),
  })
  .strict();
export type Draft = z.infer<typeof Draft>;
