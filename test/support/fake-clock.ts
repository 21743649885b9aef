import { renameSync, writeFileSync } from "node:fs";

/**
 * Moves the fake clock a bot process reads through NIANBAO_FAKE_CLOCK_FILE.
 * Written aside and renamed, so a reader never sees a half-written file.
 */
export function setFakeTime(file: string, at: Date | string): void {
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, `${typeof at === "string" ? at : at.toISOString()}\n`);
  renameSync(temp, file);
}
