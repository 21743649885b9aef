import { describe, expect, it } from "vitest";
import { testRedisUrl } from "./support/redis-url.js";

describe("the Redis the tests use", () => {
  it("is the local one when REDIS_URL is unset, empty or blank, as the bot reads it", () => {
    for (const env of [{}, { REDIS_URL: "" }, { REDIS_URL: "  " }])
      expect(testRedisUrl(env)).toBe("redis://127.0.0.1:6379");
  });

  it("is REDIS_URL when set", () => {
    expect(testRedisUrl({ REDIS_URL: "redis://10.0.0.5:6380/3" })).toBe("redis://10.0.0.5:6380/3");
  });

  it("refuses a REDIS_URL that is no URL, as the bot does", () => {
    expect(() => testRedisUrl({ REDIS_URL: "localhost" })).toThrow(/REDIS_URL/);
  });
});
