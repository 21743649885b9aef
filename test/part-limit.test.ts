import { describe, expect, it } from "vitest";
import { overPartLimit, PART_LIMIT } from "../src/form/draft.js";

/** A typed part's limit is in characters (code points), as the officer counts them, not in UTF-16 units. */
describe("overPartLimit", () => {
  it("counts characters: a part of PART_LIMIT characters is within it, one more is over", () => {
    expect(overPartLimit("字".repeat(PART_LIMIT))).toBe(false);
    expect(overPartLimit("字".repeat(PART_LIMIT + 1))).toBe(true);
    expect(overPartLimit("")).toBe(false);
  });

  it("counts a character outside the BMP (two UTF-16 units) once", () => {
    expect(overPartLimit("𠀀".repeat(PART_LIMIT))).toBe(false);
    expect(overPartLimit(`${"𠀀".repeat(PART_LIMIT - 1)}ab`)).toBe(true);
    expect(overPartLimit(`${"𠀀".repeat(PART_LIMIT / 2)}${"字".repeat(PART_LIMIT / 2)}`)).toBe(false);
  });
});
