import { type Config, loadConfig } from "./config.js";
import { NoAofError } from "./store/redis-connection.js";

/** A start-up refusal the operator can act on: one line on stderr and this exit code, no stack trace. */
export type Refusal = { error: new (...args: never[]) => Error; exitCode: number };

/**
 * Runs a process's `main` with the validated configuration. A bad
 * configuration exits 2; so does a Redis without AOF; `refusals` adds the
 * process's own (e.g. a rejected BOT_TOKEN).
 */
export async function runEntryPoint(main: (config: Config) => Promise<void>, refusals: Refusal[] = []): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(2);
  }
  try {
    await main(config);
  } catch (e) {
    const refusal = [...refusals, { error: NoAofError, exitCode: 2 }].find((r) => e instanceof r.error);
    if (!refusal) throw e;
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(refusal.exitCode);
  }
}
