import type { FormatId } from "./draft.js";
import type { Flow } from "./flow-schema.js";

/**
 * The official formats, derived from the flows' own `years`: which format a
 * report year uses, which years a format covers, and the flow of a format.
 * A new official format is a new flow; nothing here names one.
 */
export interface FlowRegistry {
  /** Known formats, oldest first. */
  readonly formats: readonly FormatId[];
  isFormat(format: string): format is FormatId;
  /** Throws for an unknown format: stored data names only formats a flow defines. */
  flowFor(format: FormatId): Flow;
  /** The format whose years hold `year`; years before the first format use the first. */
  formatForYear(year: number): FormatId;
  /** "2019–2020 年" or "2021 年及以后". */
  formatYears(format: FormatId): string;
}

export function flowRegistry(flows: readonly Flow[]): FlowRegistry {
  if (flows.length === 0) throw new Error("flow registry: no flow");
  const sorted = [...flows].sort((a, b) => a.years.from - b.years.from);
  sorted.forEach((flow, i) => {
    const next = sorted[i + 1];
    const { from, to } = flow.years;
    if (to !== undefined && to < from)
      throw new Error(`flow ${flow.format}: years.to ${to} is before years.from ${from}`);
    if (next === undefined) {
      if (to !== undefined) throw new Error(`flow ${flow.format}: the newest format must have no years.to`);
      return;
    }
    if (to === undefined || to + 1 !== next.years.from)
      throw new Error(`flow ${flow.format}: years must end the year before ${next.format} starts (${next.years.from})`);
  });
  const byFormat = new Map(sorted.map((f) => [f.format, f]));
  if (byFormat.size !== sorted.length) throw new Error("flow registry: two flows share a format id");
  for (const flow of sorted)
    for (const rule of flow.rules)
      if (rule.kind === "linear")
        for (const f of rule.previousFormats ?? [])
          if (!byFormat.has(f)) throw new Error(`flow ${flow.format}: rule ${rule.id} names unknown format ${f}`);

  const flowFor = (format: FormatId): Flow => {
    const flow = byFormat.get(format);
    if (!flow) throw new Error(`unknown report format ${JSON.stringify(format)}`);
    return flow;
  };
  return {
    formats: sorted.map((f) => f.format),
    isFormat: (format: string): format is FormatId => byFormat.has(format),
    flowFor,
    formatForYear(year) {
      const flow = sorted.find((f) => year <= (f.years.to ?? Number.POSITIVE_INFINITY)) ?? sorted[0]!;
      return flow.format;
    },
    formatYears(format) {
      const { from, to } = flowFor(format).years;
      return to === undefined ? `${from} 年及以后` : to === from ? `${from} 年` : `${from}–${to} 年`;
    },
  };
}
