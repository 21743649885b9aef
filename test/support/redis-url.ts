import { loadStoreConfig } from "../../src/config.js";

/**
 * The Redis the tests and benches use: REDIS_URL read as the bot reads it
 * (src/config.ts: an empty variable counts as unset), else the local one.
 * Read with `?? default`, `REDIS_URL=` handed "" to every store and inbox and
 * failed the Redis tests instead of using 127.0.0.1.
 */
export function testRedisUrl(env: NodeJS.ProcessEnv = process.env): string {
  return loadStoreConfig(env).redisUrl ?? "redis://127.0.0.1:6379";
}

export const REDIS_URL = testRedisUrl();
