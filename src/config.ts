import { z } from "zod";

/**
 * Configuration from the environment, validated once at start-up: one union
 * of the two ways updates arrive. Setting WEBHOOK_URL (or WEBHOOK_SECRET)
 * selects webhook mode, which then needs both; otherwise the bot polls.
 */

const userIds = z
  .string()
  .regex(/^\s*\d+(\s*,\s*\d+)*\s*$/, "should be Telegram user ids separated by commas, e.g. 12345,67890")
  .transform((s) => s.split(",").map((id) => Number(id.trim())));

const proxyUrl = z
  .url()
  .refine((u) => /^(https?|socks5h?):\/\//.test(u), "should be an http://, https:// or socks5:// URL");

const port = z.coerce
  .number({ error: "should be a TCP port number" })
  .int("should be a TCP port number")
  .min(1, "should be a TCP port number (1–65535)")
  .max(65535, "should be a TCP port number (1–65535)");

const flag = z.enum(["0", "1"], { error: "should be 1 or 0" }).transform((v) => v === "1");

const common = {
  BOT_TOKEN: z
    .string({ error: "is missing: create a bot with @BotFather and set BOT_TOKEN to its token" })
    .regex(/^\d+:[A-Za-z0-9_-]{20,}$/, "does not look like a bot token (123456:ABC-…) from @BotFather"),
  REDIS_URL: z.url().optional(),
  REDIS_PREFIX: z.string().min(1).default("nianbao:"),
  /** A Redis without AOF loses acknowledged answers on a restart: refused unless this is 1. */
  REDIS_ALLOW_NO_AOF: flag.default(false),
  DATA_DIR: z.string().min(1).default("./data"),
  TELEGRAM_API_ROOT: z.url().default("https://api.telegram.org"),
  TELEGRAM_PROXY: proxyUrl.optional(),
  ALLOWED_USER_IDS: userIds.optional(),
  /** Who may create campaigns (/campaign) and manage their links. */
  BOT_ADMINS: userIds.optional(),
  /** Real time between two looks of the reminder scheduler. */
  REMINDER_TICK_MS: z.coerce.number().int().min(10).max(3_600_000).default(30_000),
  /** "off" runs the bot without its scheduler (another process runs src/scheduler.ts). */
  REMINDERS: z.enum(["on", "off"]).default("on"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** /healthz and /readyz; off when unset (the Docker image sets it). */
  HEALTH_PORT: port.optional(),
  /**
   * Names this instance's inbox consumer (default: host name and pid). A
   * restart under the same name resumes its work at once; two running
   * instances must not share one.
   */
  INSTANCE_ID: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, "should be 1–64 characters of A-Z a-z 0-9 _ . -")
    .optional(),
  /** How long SIGTERM waits for the updates in flight before exiting anyway. */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
};

const Polling = z.object({ mode: z.literal("polling"), ...common });

const Webhook = z.object({
  mode: z.literal("webhook"),
  ...common,
  WEBHOOK_URL: z
    .url({ error: "is missing or not a URL: the public https:// address Telegram posts updates to" })
    .refine((u) => u.startsWith("https://"), "should be an https:// URL (Telegram posts to HTTPS only)"),
  // Telegram's secret_token: 1–256 characters A-Z a-z 0-9 _ -.
  WEBHOOK_SECRET: z
    .string({ error: "is missing: webhook mode needs a secret that Telegram sends with every update" })
    .regex(/^[A-Za-z0-9_-]{16,256}$/, "should be 16–256 characters of A-Z a-z 0-9 _ -"),
  /** Where the webhook server listens (behind the HTTPS proxy). */
  PORT: port.default(8080),
});

export const Config = z.discriminatedUnion("mode", [Polling, Webhook]);
export type Config = z.infer<typeof Config>;
export type WebhookConfig = z.infer<typeof Webhook>;

/** The environment without empty variables: an empty string counts as unset. */
function setVariables(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== "")) as Record<
    string,
    string
  >;
}

/** One message naming every bad variable. */
function badConfiguration(error: z.ZodError): Error {
  const lines = error.issues.map((i) => `  ${i.path.join(".")} ${i.message}`);
  return new Error(`bad configuration:\n${lines.join("\n")}`);
}

/** Reads the environment. Throws one message naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const values = setVariables(env);
  const mode = values.WEBHOOK_URL !== undefined || values.WEBHOOK_SECRET !== undefined ? "webhook" : "polling";
  const parsed = Config.safeParse({ ...values, mode });
  if (parsed.success) return parsed.data;
  throw badConfiguration(parsed.error);
}

/** What the command line needs to open the store the bot uses (export-all, import-all). */
const StoreConfig = z.object({
  REDIS_URL: common.REDIS_URL,
  REDIS_PREFIX: common.REDIS_PREFIX,
  DATA_DIR: common.DATA_DIR,
});

export function loadStoreConfig(env: NodeJS.ProcessEnv): { redisUrl?: string; redisPrefix: string; dataDir: string } {
  const parsed = StoreConfig.safeParse(setVariables(env));
  if (!parsed.success) throw badConfiguration(parsed.error);
  const { REDIS_URL, REDIS_PREFIX, DATA_DIR } = parsed.data;
  return { ...(REDIS_URL ? { redisUrl: REDIS_URL } : {}), redisPrefix: REDIS_PREFIX, dataDir: DATA_DIR };
}
