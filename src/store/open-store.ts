import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { EmbeddedInbox } from "./embedded-inbox.js";
import { EmbeddedStore } from "./embedded-store.js";
import type { Inbox } from "./inbox.js";
import { RedisInbox } from "./redis-inbox.js";
import { RedisStore } from "./redis-store.js";
import type { Store, StoreLimits } from "./store.js";

export type OpenStoreOptions = {
  /** With a URL the store is Redis (production); without, the embedded file. */
  redisUrl?: string;
  /** Key prefix in Redis, e.g. "nianbao:". */
  redisPrefix: string;
  /** Folder of the embedded store's file; created if missing. */
  dataDir: string;
  /** Clock for createdAt/updatedAt (tests). */
  now?: () => Date;
  /** Bounds of the once-only record (tests shrink them). */
  limits?: StoreLimits;
  /** The inbox consumer's name (INSTANCE_ID); the host name and pid by default. */
  instanceId?: string;
  /** Told of Redis connection errors (the client reconnects by itself). */
  onRedisError?: (err: Error) => void;
};

export const EMBEDDED_FILE_NAME = "nianbao.sqlite";

/** Picks the store (DESIGN.md principle 6) and opens it ready for use. */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  if (options.redisUrl)
    return RedisStore.connect(options.redisUrl, options.redisPrefix, options.now, options.limits, options.onRedisError);
  mkdirSync(options.dataDir, { recursive: true });
  return new EmbeddedStore(join(options.dataDir, EMBEDDED_FILE_NAME), options.now, options.limits);
}

/** The inbox beside the store: a stream in the same Redis, or a table in the same file. */
export async function openInbox(options: OpenStoreOptions): Promise<Inbox> {
  if (options.redisUrl) return RedisInbox.connect(options.redisUrl, options.redisPrefix, options.instanceId);
  mkdirSync(options.dataDir, { recursive: true });
  return new EmbeddedInbox(join(options.dataDir, EMBEDDED_FILE_NAME));
}
