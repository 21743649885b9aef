import { writeFileSync } from "node:fs";

/** Moves the fake clock a bot process reads through NIANBAO_FAKE_CLOCK_FILE. */
export function setFakeTime(file: string, at: Date | string): void {
  writeFileSync(file, `${typeof at === "string" ? at : at.toISOString()}\n`);
}
