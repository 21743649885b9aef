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

  it("refuses a size that could hold nothing", () => {
    expect(() => new BoundedCache(0)).toThrow(/at least one/);
  });
});
