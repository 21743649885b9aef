import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { clockFromEnv, FAKE_CLOCK_ENV, systemClock } from "../src/clock.js";
import { setFakeTime } from "./support/fake-clock.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tempFile = () => {
  const dir = mkdtempSync(join(tmpdir(), "nianbao-clock-"));
  dirs.push(dir);
  return join(dir, "now");
};

describe("the process clock", () => {
  it("is real time unless the test set-up names a fake-time file", () => {
    expect(clockFromEnv({})).toBe(systemClock);
  });

  it("reads the fake time from the file at every call, so a test moves it and a restart keeps it", () => {
    const file = tempFile();
    setFakeTime(file, "2026-12-01T01:30:00.000Z");
    const clock = clockFromEnv({ [FAKE_CLOCK_ENV]: file });
    expect(clock().toISOString()).toBe("2026-12-01T01:30:00.000Z");
    setFakeTime(file, new Date("2027-01-24T01:30:00Z"));
    expect(clock().toISOString()).toBe("2027-01-24T01:30:00.000Z");
    expect(clockFromEnv({ [FAKE_CLOCK_ENV]: file })().toISOString()).toBe("2027-01-24T01:30:00.000Z");
  });

  it("fails at start-up on a file without a time", () => {
    const file = tempFile();
    writeFileSync(file, "tomorrow");
    expect(() => clockFromEnv({ [FAKE_CLOCK_ENV]: file })).toThrow(/does not hold an ISO time/);
  });
});
