import { readFileSync } from "node:fs";

/**
 * The one source of "now" for the process: the bot, the store's timestamps
 * and the reminder scheduler all read it. Real time in production; tests that
 * drive the calendar (1 December → 1 February in a minute) point
 * NIANBAO_FAKE_CLOCK_FILE at a file holding an ISO instant. The file outlives
 * the process, so a bot killed and started again finds the same date.
 */
export type Clock = () => Date;

/** Test-only: the file holding the fake time. Not part of the documented configuration. */
export const FAKE_CLOCK_ENV = "NIANBAO_FAKE_CLOCK_FILE";

export const systemClock: Clock = () => new Date();

/** A clock that reads the instant in `file` at every call (the test moves it by rewriting the file). */
export function fileClock(file: string): Clock {
  return () => {
    const text = readFileSync(file, "utf8").trim();
    const at = new Date(text);
    if (Number.isNaN(at.getTime())) throw new Error(`${FAKE_CLOCK_ENV}: ${file} does not hold an ISO time`);
    return at;
  };
}

/** The fake clock when the test set-up asked for one, else real time. */
export function clockFromEnv(env: NodeJS.ProcessEnv): Clock {
  const file = env[FAKE_CLOCK_ENV];
  if (!file) return systemClock;
  fileClock(file)(); // fail at start-up, not at the first reminder
  return fileClock(file);
}
