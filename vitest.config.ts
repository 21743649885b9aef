import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // The shared test Redis runs without AOF; only the refusal test (a private redis-server) goes without this.
    env: { REDIS_ALLOW_NO_AOF: "1" },
  },
});
