import { describe, expect, it } from "vitest";
import { ACTIONS, type Action, decodeCallback, encodeCallback } from "../src/bot/callback-data.js";

describe("callback data: each action's argument parsed once, as declared", () => {
  it("reads a step index as a number and nothing else", () => {
    expect(decodeCallback(encodeCallback("rowZero", "r1", 12))).toEqual({ action: "rowZero", reportId: "r1", arg: 12 });
    for (const forged of ["", "1e1", "-1", "abc", "0x1", "1234567"])
      expect(decodeCallback(encodeCallback("goto", "r1", forged)), forged).toBeUndefined();
  });

  it("takes only the declared words of a button, never an object key", () => {
    expect(decodeCallback(encodeCallback("card", "r1", "check"))?.arg).toBe("check");
    expect(decodeCallback(encodeCallback("settings", "r1", "deadline"))?.arg).toBe("deadline");
    for (const forged of ["delete", "constructor", "__proto__", "hasOwnProperty", ""])
      expect(decodeCallback(encodeCallback("card", "r1", forged)), forged).toBeUndefined();
    expect(decodeCallback(encodeCallback("finalize", "r1", "draftx"))).toBeUndefined();
  });

  it("wants no argument where none is declared, and the import token's shape", () => {
    expect(decodeCallback(encodeCallback("sections", "r1"))?.arg).toBe("");
    expect(decodeCallback(encodeCallback("sections", "r1", "0"))).toBeUndefined();
    expect(decodeCallback(encodeCallback("importFile", "r1", "yAbC_-123"))?.arg).toBe("yAbC_-123");
    for (const forged of ["y", "n", "xAAAAAAAA", "yAAAAAAA", "yAAAAAAAAA"])
      expect(decodeCallback(encodeCallback("importFile", "r1", forged)), forged).toBeUndefined();
  });

  it("gives every action a distinct one-letter code that fits 64 bytes with the longest argument", () => {
    const codes = Object.values(ACTIONS).map((a) => a.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const action of Object.keys(ACTIONS) as Action[])
      expect(Buffer.byteLength(encodeCallback(action, "A".repeat(16), "9".repeat(24)))).toBeLessThanOrEqual(64);
  });
});
