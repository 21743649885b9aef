import type { z } from "zod";
import { BoundedCache } from "../../bounded-cache.js";
import type { Finding } from "../finding.js";
import type { OrgLevelRule } from "../flow-schema.js";
import type { ValueReader } from "../totals.js";

type Rule = z.infer<typeof OrgLevelRule>;

/**
 * The body's level is the last level word in its name, after masking words
 * such as 市场 that only look like one (拱墅区市场监督管理局 is a 区 body).
 */
export function orgLevel(org: string, rule: Rule): { level: string; blocked: boolean } | undefined {
  let masked = org;
  for (const word of rule.ignoreWords) masked = masked.replaceAll(word, "\u0000".repeat(word.length));
  let best: { end: number; level: string; blocked: boolean } | undefined;
  const consider = (levels: string[], blocked: boolean) => {
    for (const level of levels) {
      const at = masked.lastIndexOf(level);
      if (at < 0) continue;
      const end = at + level.length;
      if (!best || end > best.end || (end === best.end && level.length > best.level.length))
        best = { end, level, blocked };
    }
  };
  consider(rule.blockedLevels, true);
  consider(rule.allowedLevels, false);
  return best && { level: best.level, blocked: best.blocked };
}

/** orgLevel by rule and name: the rule re-runs on answers to its cells, the name rarely changes. */
const levels = new WeakMap<Rule, BoundedCache<string, ReturnType<typeof orgLevel> | null>>();

function knownOrgLevel(org: string, rule: Rule): ReturnType<typeof orgLevel> {
  let known = levels.get(rule);
  if (!known) {
    known = new BoundedCache(1000);
    levels.set(rule, known);
  }
  // null: the name has no level word (a cache miss is undefined).
  return known.get(org) ?? known.set(org, orgLevel(org, rule) ?? null) ?? undefined;
}

export function checkOrgLevel(rule: Rule, org: string, values: ValueReader): Finding[] {
  const level = knownOrgLevel(org, rule);
  if (!level?.blocked) return [];
  const nonZero = rule.cells.filter((id) => (values.get(id) ?? 0) !== 0);
  if (nonZero.length === 0) return [];
  const numbers = nonZero.map((id) => values.get(id) ?? 0);
  return [
    {
      severity: rule.severity,
      rule: rule.id,
      cells: nonZero,
      numbers,
      message: rule.message
        .replaceAll("{org}", org)
        .replaceAll("{level}", level.level)
        .replaceAll("{values}", numbers.join("、")),
    },
  ];
}
