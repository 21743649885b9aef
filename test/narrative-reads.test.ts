import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { flows } from "../flows/index.js";
import { NARRATIVE_IDS } from "../src/form/draft.js";
import type { Claim } from "../src/form/flow-schema.js";
import { checkNarrativeClaim, claimsFor, statementsOf } from "../src/form/rules/narrative.js";
import type { ValueReader } from "../src/form/totals.js";
import { fixture } from "./support/fixtures.js";

/**
 * The statements a part's claims take from its text are read once per text
 * and claim list (statementsOf) and reused whatever the table says. A reused
 * read must give what a fresh read gives: here the claims are checked against
 * many tables with the read kept, and each result is compared with a check on
 * copied claims, which cannot find the kept read.
 */

const texts = [
  ...Object.values(fixture("report-2022").narrative),
  ...Object.values(fixture("seed-2020").narrative),
  "本年度共收到政府信息公开申请12件，其中予以公开5件，部分公开3件。未收到行政复议申请。",
  "本年度制发规范性文件2件，现行有效规范性文件1件，办理行政许可6428件，行政处罚160件。",
  "",
].filter((t): t is string => typeof t === "string");

const copied = (claims: readonly Claim[]): Claim[] => claims.map((c) => structuredClone(c));

describe("narrative claims read once per text", () => {
  for (const flow of flows.formats.map((f) => flows.flowFor(f))) {
    for (const rule of flow.rules) {
      if (rule.kind !== "narrative-claims") continue;
      it(`${flow.format} ${rule.id}: a kept read gives a fresh read's findings for any table`, () => {
        const cells = [...new Set(rule.claims.flatMap((c) => c.cells))];
        const parts = NARRATIVE_IDS.map((part) => ({ part, claims: claimsFor(rule, part) }));
        fc.assert(
          fc.property(
            fc.constantFrom(...texts),
            fc.constantFrom(...parts),
            fc.array(fc.option(fc.nat(6500), { nil: undefined }), { minLength: cells.length, maxLength: cells.length }),
            (text, { part, claims }, figures) => {
              const values = new Map<string, number>();
              cells.forEach((id, i) => {
                const v = figures[i];
                if (v !== undefined) values.set(id, v);
              });
              const check = (list: readonly Claim[]) =>
                list.flatMap((_, i) => checkNarrativeClaim(rule, list, i, part, text, values, part, (cell) => cell));
              const kept = check(claims);
              expect(statementsOf(claims, text)).toBe(statementsOf(claims, text));
              expect(kept).toEqual(check(copied(claims)));
            },
          ),
          { numRuns: 300 },
        );
      });
    }
  }

  it("reads a changed text again", () => {
    const rule = flows.formats.flatMap((f) => flows.flowFor(f).rules).find((r) => r.kind === "narrative-claims");
    if (rule?.kind !== "narrative-claims") throw new Error("no narrative-claims rule in the flows");
    const claims = claimsFor(rule, NARRATIVE_IDS[0]);
    const stated = (text: string) =>
      statementsOf(claims, text)
        .flat()
        .map((s) => s.value);
    const before = stated("本年度共收到政府信息公开申请12件。");
    expect(stated("本年度共收到政府信息公开申请13件。")).not.toEqual(before);
  });

  it("reads no table figure for a claim the text states no figure for", () => {
    const rule = flows.flowFor("2021").rules.find((r) => r.kind === "narrative-claims");
    if (rule?.kind !== "narrative-claims") throw new Error("no narrative-claims rule in the 2021 flow");
    const claims = claimsFor(rule, NARRATIVE_IDS[0]);
    const read: string[] = [];
    const values: ValueReader = {
      get: (id) => {
        read.push(id);
        return 1;
      },
    };
    const check = (text: string, i: number) =>
      checkNarrativeClaim(rule, claims, i, NARRATIVE_IDS[0], text, values, "一", (cell) => cell);
    const plain = claims.flatMap((_, i) => check("本年度认真贯彻落实条例，主动公开各类信息，工作取得较好成效。", i));
    expect(plain).toEqual([]);
    expect(read).toEqual([]);
    const stating = "本年度共收到政府信息公开申请12件。";
    const asked = claims.findIndex((_, i) => (statementsOf(claims, stating)[i] ?? []).length > 0);
    expect(asked).toBeGreaterThanOrEqual(0);
    expect(check(stating, asked)).toHaveLength(1);
    expect(read).toEqual(claims[asked]?.cells);
  });
});
