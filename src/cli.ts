import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { flowFor, flows } from "../flows/index.js";
import { checkReport, type Previous } from "./form/check-report.js";
import type { Draft } from "./form/draft.js";
import { exportReport, loadReport } from "./form/load-report.js";
import { importReport } from "./import/import-report.js";
import { importNotes, summaryLine, unplacedLines } from "./import/import-summary.js";
import { readReportFile } from "./import/read-file.js";
import { renderDocx } from "./report/render-docx.js";

/**
 * nianbao check FILE [--previous LAST.json]
 *   one JSON finding per line on stdout; exit 1 on any error, 0 otherwise, 2 if a file is unreadable
 * nianbao render FILE --out OUT.docx [--previous LAST.json]
 *   writes the document; a report with errors becomes a 草稿 listing them
 * nianbao import FILE(.docx|.html|.txt) --out X.json [--org ORG] [--year YEAR]
 *   reads a report someone wrote into an interchange file; what it read goes to stderr
 */

class Unreadable extends Error {}

function read(path: string): Draft {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new Unreadable(`${path}: ${(e as Error).message}`);
  }
  const result = loadReport(text, flows);
  if (!result.ok) throw new Unreadable(`${path}: ${result.error}`);
  return result.draft;
}

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      previous: { type: "string" },
      out: { type: "string" },
      org: { type: "string" },
      year: { type: "string" },
    },
  });
  const [command, file] = positionals;
  const known = command === "check" || command === "render" || command === "import";
  if (!known || !file || (command !== "check" && !values.out)) {
    process.stderr.write(
      "usage: nianbao check FILE [--previous LAST.json]\n       nianbao render FILE --out OUT.docx [--previous LAST.json]\n       nianbao import FILE --out X.json [--org ORG] [--year YEAR]\n",
    );
    return 2;
  }
  if (command === "import") return importFile(file, values.out as string, values.org, values.year);
  try {
    const draft = read(file);
    const flow = flowFor(draft.format);
    let previous: Previous | undefined;
    if (values.previous) {
      const last = read(values.previous);
      previous = { draft: last, flow: flowFor(last.format) };
    }
    const findings = checkReport(flow, draft, previous);
    const errors = findings.filter((f) => f.severity === "error");
    if (command === "check") {
      for (const f of findings) process.stdout.write(`${JSON.stringify(f)}\n`);
      return errors.length > 0 ? 1 : 0;
    }
    const out = values.out as string;
    writeFileSync(out, await renderDocx(flow, draft, { problems: errors.length > 0 ? findings : [] }));
    if (errors.length > 0)
      process.stderr.write(
        `${out}: 草稿 (${errors.length} errors, ${findings.length - errors.length} warnings listed first)\n`,
      );
    return 0;
  } catch (e) {
    if (!(e instanceof Unreadable)) throw e;
    process.stderr.write(`${e.message}\n`);
    return 2;
  }
}

/** A report someone wrote → an interchange file; exit 2 when it cannot be read as a report. */
function importFile(path: string, out: string, org: string | undefined, yearText: string | undefined): number {
  const year = yearText === undefined ? undefined : Number(yearText);
  if (year !== undefined && !Number.isInteger(year)) {
    process.stderr.write(`--year should be a year, got ${JSON.stringify(yearText)}\n`);
    return 2;
  }
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    process.stderr.write(`${path}: ${(e as Error).message}\n`);
    return 2;
  }
  const source = readReportFile(bytes, path);
  const result = source.ok
    ? importReport(source.source, flows, { ...(org ? { org } : {}), ...(year ? { year } : {}) })
    : source;
  if (!result.ok) {
    process.stderr.write(`${path}: ${result.reason}\n`);
    return 2;
  }
  writeFileSync(out, exportReport(result.draft));
  process.stderr.write(`${[summaryLine(result), ...unplacedLines(result), ...importNotes(result)].join("\n")}\n`);
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
