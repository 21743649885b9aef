import { describe, expect, it } from "vitest";
import { ACTIONS, type Action, decodeCallback, decodeEnvelope, encodeCallback } from "../src/bot/callback-data.js";

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

describe("decodeEnvelope remembers the last data decoded", () => {
  it("answers each data for itself, however the calls alternate", () => {
    const datas = [
      encodeCallback("goto", "r1", 3),
      encodeCallback("goto", "r2", 3),
      encodeCallback("rowZero", "r1", 3),
      "1|?|r1|3",
      "",
      encodeCallback("sections", "abc"),
    ];
    const fresh = (data: string) => {
      const [version, code, reportId, raw] = data.split("|");
      const action = (Object.keys(ACTIONS) as Action[]).find((a) => ACTIONS[a].code === code);
      return version === "1" && action && reportId && raw !== undefined ? { action, reportId, raw } : undefined;
    };
    for (const i of [0, 0, 1, 0, 2, 2, 3, 0, 3, 4, 5, 1, 5, 4, 0])
      expect(decodeEnvelope(datas[i]!), `call with ${datas[i]}`).toEqual(fresh(datas[i]!));
    expect(decodeEnvelope(undefined)).toBeUndefined();
  });
});
