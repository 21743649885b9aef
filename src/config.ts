import { z } from "zod";

/** Configuration from the environment, validated once at start-up. */

const userIds = z
  .string()
  .regex(/^\s*\d+(\s*,\s*\d+)*\s*$/, "should be Telegram user ids separated by commas, e.g. 12345,67890")
  .transform((s) => s.split(",").map((id) => Number(id.trim())));

const proxyUrl = z
  .url()
  .refine((u) => /^(https?|socks5h?):\/\//.test(u), "should be an http://, https:// or socks5:// URL");

export const Config = z.object({
  BOT_TOKEN: z
    .string({ error: "is missing: create a bot with @BotFather and set BOT_TOKEN to its token" })
    .regex(/^\d+:[A-Za-z0-9_-]{20,}$/, "does not look like a bot token (123456:ABC-…) from @BotFather"),
  REDIS_URL: z.url().optional(),
  REDIS_PREFIX: z.string().min(1).default("nianbao:"),
  DATA_DIR: z.string().min(1).default("./data"),
  TELEGRAM_API_ROOT: z.url().default("https://api.telegram.org"),
  TELEGRAM_PROXY: proxyUrl.optional(),
  ALLOWED_USER_IDS: userIds.optional(),
  /** Real time between two looks of the reminder scheduler. */
  REMINDER_TICK_MS: z.coerce.number().int().min(10).max(3_600_000).default(30_000),
  /** "off" runs the bot without its scheduler (another process runs src/scheduler.ts). */
  REMINDERS: z.enum(["on", "off"]).default("on"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});
export type Config = z.infer<typeof Config>;

/** Reads the environment; empty strings count as unset. Throws one message naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const values = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ""));
  const parsed = Config.safeParse(values);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")} ${i.message}`);
  throw new Error(`bad configuration:\n${lines.join("\n")}`);
}
