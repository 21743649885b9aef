import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { flowFor } from "../flows/index.js";
import { checkReport } from "../src/form/check-report.js";
import { formSteps, isAnswered } from "../src/form/form-steps.js";
import { hasVisibleText, visibleLength, visibleText } from "../src/form/visible-text.js";

describe("visibleText: what an officer can see", () => {
  it.each([
    ["\u200b", ""],
    ["\u3000", ""],
    ["\ufeff", ""],
    ["\u200b\u3000\ufeff\u2060\u00a0 \n\t", ""],
    ["\u3000本机关\u200b依法公开。\u3000", "本机关依法公开。"],
    ["\u200e右到左\u200f", "右到左"],
    ["👩\u200d💻 行", "👩\u200d💻 行"],
  ])("%j → %j", (raw, seen) => {
    expect(visibleText(raw)).toBe(seen);
    expect(hasVisibleText(raw)).toBe(seen !== "");
  });

  it("counts code points of the visible text", () => {
    expect(visibleLength("\u200b\u3000𠀀字\u3000")).toBe(2);
  });

  it("a part holding only a zero-width or ideographic space is not answered, and /check lists it", () => {
    const flow = flowFor("2021");
    const step = formSteps(flow).find((s) => s.kind === "part" && s.part.id === "overview.active");
    if (!step) throw new Error("no part overview.active");
    for (const text of ["\u200b", "\u3000", "\ufeff"]) {
      const draft = {
        format: "2021" as const,
        org: "某街道",
        year: 2024,
        narrative: { "overview.active": text },
        cells: {},
      };
      expect(isAnswered(step, draft)).toBe(false);
      const missing = checkReport(flow, draft).find((f) => f.rule === "missing" && f.cells.includes("overview.active"));
      expect(missing).toBeDefined();
    }
  });
});

describe("hasVisibleText stops at the first visible character", () => {
  it("says what visibleText says, over texts of invisible, space and visible characters", () => {
    const pieces = [
      "\u200b",
      "\u200c",
      "\u200d",
      "\u200e",
      "\u2060",
      "\ufeff",
      "\u00ad",
      "\u{e0001}",
      "\u{1d173}",
      "\u3000",
      "\u00a0",
      " ",
      "\n",
      "\t",
      "\u2028",
      "a",
      "字",
      "𠀀",
      "👩",
      "。",
    ];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 8 }), (parts) => {
        const text = parts.join("");
        expect(hasVisibleText(text)).toBe(visibleText(text) !== "");
      }),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 12 }), (text) => {
        expect(hasVisibleText(text)).toBe(visibleText(text) !== "");
      }),
      { numRuns: 3000 },
    );
    expect(hasVisibleText(undefined)).toBe(false);
  });
});
