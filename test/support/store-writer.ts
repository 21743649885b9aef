/**
 * Child process for the SIGKILL test in store-contract.test.ts:
 *   node --import tsx test/support/store-writer.ts <redis|embedded> <url-or-dir> <prefix> <reportId>
 * Updates the report in a loop (cursor := new version, one audit entry per
 * write) and prints each acknowledged version on its own line with a
 * blocking write, so every printed version was acknowledged before it and
 * reaches the pipe before the next write starts (process.stdout may buffer
 * in memory while the embedded store's synchronous loop starves the event loop).
 */
import { writeSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { openStore } from "../../src/store/open-store.js";

const [kind, location, prefix, reportId] = process.argv.slice(2);
if ((kind !== "redis" && kind !== "embedded") || !location || prefix === undefined || !reportId) {
  process.stderr.write("usage: store-writer <redis|embedded> <url-or-dir> <prefix> <reportId>\n");
  process.exit(2);
}

// Never outlive the test: stop when the parent closes stdin or after 60 s.
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
setTimeout(() => process.exit(0), 60_000).unref();

const store = await openStore(
  kind === "redis"
    ? { redisUrl: location, redisPrefix: prefix, dataDir: "" }
    : { redisPrefix: prefix, dataDir: location },
);
const start = await store.getReport(reportId);
if (!start) {
  process.stderr.write(`report ${reportId} not found\n`);
  process.exit(3);
}
let version = start.version;
for (;;) {
  const result = await store.updateReport(reportId, version, { cursor: version + 1 }, [
    { at: new Date().toISOString(), by: 1, target: "cursor", old: version, new: version + 1 },
  ]);
  if (!result.ok) {
    process.stderr.write(`unexpected conflict at version ${version}\n`);
    process.exit(4);
  }
  version = result.report.version;
  writeSync(1, `${version}\n`);
  // A short pause lets the event loop run (stdin end, the 60 s timer) and
  // lets the test process take the embedded file's write lock in between.
  await sleep(1);
}
