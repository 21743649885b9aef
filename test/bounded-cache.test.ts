import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BoundedCache } from "../src/bounded-cache.js";

describe("BoundedCache", () => {
  it("keeps at most max entries, dropping the least recently used", () => {
    const cache = new BoundedCache<string, number>(2);
    cache.set("a", 1);
    cache.set("b", 2);
    expect(cache.get("a")).toBe(1); // a is now the most recent
    cache.set("c", 3);
    expect(cache.get("b")).toBeUndefined();
    expect(cache.get("a")).toBe(1);
    expect(cache.get("c")).toBe(3);
    expect(cache.size).toBe(2);
  });

  it("replaces a value without growing, and forgets a deleted one", () => {
    const cache = new BoundedCache<string, number>(3);
    cache.set("a", 1);
    cache.set("a", 2);
    expect(cache.size).toBe(1);
    expect(cache.get("a")).toBe(2);
    cache.delete("a");
    expect(cache.get("a")).toBeUndefined();
  });

  it("drops what a plain least-recently-used list drops, over any reads, writes and deletes", () => {
    const op = fc.record({ kind: fc.constantFrom("get", "set", "delete"), key: fc.constantFrom("a", "b", "c", "d") });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 }), fc.array(op, { maxLength: 40 }), (max, ops) => {
        const cache = new BoundedCache<string, number>(max);
        let model: [string, number][] = []; // least recently used first
        ops.forEach(({ kind, key }, n) => {
          const at = model.findIndex(([k]) => k === key);
          if (kind === "get") {
            expect(cache.get(key)).toBe(at >= 0 ? model[at]?.[1] : undefined);
            if (at >= 0) model = [...model.filter(([k]) => k !== key), model[at]!];
          } else if (kind === "set") {
            cache.set(key, n);
            model = [...model.filter(([k]) => k !== key), [key, n]];
            if (model.length > max) model = model.slice(model.length - max);
          } else {
            cache.delete(key);
            model = model.filter(([k]) => k !== key);
          }
          expect(cache.size).toBe(model.length);
        });
        for (const [k, v] of model) expect(cache.get(k)).toBe(v);
      }),
      { numRuns: 500 },
    );
  });

  it("refuses a size that could hold nothing", () => {
    expect(() => new BoundedCache(0)).toThrow(/at least one/);
  });
});
