import type { z } from "zod";
import type { NarrativeId } from "../draft.js";
import type { Finding } from "../finding.js";
import type { Claim, NarrativeClaimsRule, NarrativeSumsRule } from "../flow-schema.js";
import { ofWhichMismatches, readsOf, type Statement, statedValues, statedZeros } from "../narrative-numbers.js";
import type { ValueReader } from "../totals.js";
import { roundSum } from "../totals.js";

/** The claims of a rule that apply to a part, longest pattern first (see checkNarrativeClaim). */
export function claimsFor(rule: z.infer<typeof NarrativeClaimsRule>, part: NarrativeId): Claim[] {
  const longest = (patterns: string[]) => Math.max(...patterns.map((p) => p.replaceAll("…", "").length));
  return rule.claims
    .filter((claim) => !claim.parts || claim.parts.includes(part))
    .sort((a, b) => longest(b.patterns) - longest(a.patterns));
}

/**
 * A9: a figure one narrative part states for the claim `claims[index]`,
 * compared with the table. Claims with the longer pattern go first and take
 * their number, so "予以公开及部分公开5件" is not also read as 予以公开 5
 * (`claims` comes from claimsFor). Each claim is a check unit of its own
 * (check-report.ts), so a changed cell re-runs only the claims that read it.
 */
export function checkNarrativeClaim(
  rule: z.infer<typeof NarrativeClaimsRule>,
  claims: readonly Claim[],
  index: number,
  part: NarrativeId,
  text: string,
  values: ValueReader,
  label: string,
  tableOf: (cell: string) => string,
): Finding[] {
  const statements = statementsOf(claims, text)[index] ?? [];
  const claim = claims[index];
  // A claim the text states no figure for has nothing to compare: the table is not read.
  if (!claim || statements.length === 0) return [];
  let table = 0;
  for (const id of claim.cells) {
    const v = values.get(id);
    if (v === undefined) return [];
    table += v;
  }
  table = roundSum(table);
  const wrong = statements.find((s: Statement) => s.value !== table);
  if (!wrong) return [];
  // Both sides in the officer's words: 一（一）写现行有效的行政规范性文件120件，表二为135件.
  const unit = wrong.unit ?? claim.units?.[0] ?? "件";
  const said = wrong.unit ? `${wrong.value}${unit}` : `没有（“${wrong.quote}”）`;
  const quoted = wrong.unit ? `（“${wrong.quote}”）` : "";
  return [
    {
      severity: rule.severity,
      rule: rule.id,
      cells: [part, ...claim.cells],
      numbers: [wrong.value, table],
      message: `${label}写${claim.name}${said}${quoted}，表${tableOf(claim.cells[0]!)}为${table}${unit}`,
    },
  ];
}

/**
 * The statements each claim takes from the text, in the order of `claims`:
 * a claim takes the numbers no claim before it took. They depend on the text
 * and the claims only, so they are read once per text (readsOf), whatever
 * the table says.
 */
export function statementsOf(claims: readonly Claim[], text: string): readonly (readonly Statement[])[] {
  return readsOf(text, claims, () => {
    const taken = new Set<number>();
    return claims.map((claim) => {
      const read = { ...(claim.units ? { units: claim.units } : {}), after: claim.figureAfter };
      const statements = [...statedValues(text, claim.patterns, read), ...statedZeros(text, claim.zeroPatterns)].filter(
        (s) => !taken.has(s.at),
      );
      for (const s of statements) taken.add(s.at);
      return statements;
    });
  });
}

/** A9: "of which" parts that do not add up to their stated whole (the seed's 44 vs 3+3+7+1+27), in one part. */
export function checkNarrativeSums(
  rule: z.infer<typeof NarrativeSumsRule>,
  part: NarrativeId,
  text: string,
  label: string,
): Finding[] {
  return ofWhichMismatches(text).map((m) => {
    const sum = roundSum(m.parts.reduce((a, b) => a + b, 0));
    return {
      severity: rule.severity,
      rule: rule.id,
      cells: [part],
      numbers: [m.whole, sum],
      message: `${label}写共${m.whole}，其中${m.parts.join("+")}=${sum}，两数不一致（“${m.quote}”）`,
    };
  });
}
