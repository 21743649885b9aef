import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { flowFor, flows } from "../flows/index.js";
import { loadStoreConfig } from "./config.js";
import { checkReport, type Previous } from "./form/check-report.js";
import type { Draft } from "./form/draft.js";
import { draftProblem, exportReport, loadReportFile, MAX_FILE_BYTES } from "./form/load-report.js";
import { importReport } from "./import/import-report.js";
import { importNotes, summaryLine, unplacedLines } from "./import/import-summary.js";
import { readReportFile } from "./import/read-file.js";
import { renderDocx } from "./report/render-docx.js";
import { renderHtml } from "./report/render-html.js";
import { ENVELOPE_FILE, exportAll, importAll, RestoreError } from "./store/backup.js";
import { openStore } from "./store/open-store.js";

/**
 * nianbao check FILE [--previous LAST.json]
 *   one JSON finding per line on stdout; exit 1 on any error, 0 otherwise, 2 if a file is unreadable
 * nianbao render FILE --out OUT.docx [--html] [--previous LAST.json]
 *   writes the document (--html: the web page instead); a report with errors becomes a 草稿 listing them
 * nianbao import FILE(.docx|.html|.txt) --out X.json [--org ORG] [--year YEAR]
 *   reads a report someone wrote into an interchange file; what it read goes to stderr
 * nianbao export-all DIR | import-all DIR
 *   backs up the store named by the environment (REDIS_URL or DATA_DIR) / restores into an empty one
 * nianbao --help | --version
 *
 * Exit codes: 0 done, 1 the report has errors (check), 2 anything else went
 * wrong (bad usage, unreadable file, a file that cannot be written), always
 * with one line on stderr and never a stack trace.
 */

const USAGE = `usage: nianbao check FILE [--previous LAST.json]
       nianbao render FILE --out OUT.docx [--html] [--previous LAST.json]
       nianbao import FILE --out X.json [--org ORG] [--year YEAR]
       nianbao export-all DIR
       nianbao import-all DIR
       nianbao --help | --version

  check   one JSON finding per line on stdout; exit 1 when the report has errors
  render  writes the .docx (--html: one self-contained web page); a report with errors becomes a 草稿 listing them
  import  reads a .docx, .html or text report into an interchange file
  export-all  backs up the whole store (REDIS_URL or DATA_DIR) into DIR: every report as its
              interchange file, the rest in DIR/backup.json
  import-all  restores such a backup into an empty store
Exit codes: 0 done, 1 the report has errors, 2 unusable input or any other failure.
`;

/** A failure the command line reports in one line and exit code 2. */
class Failure extends Error {}

/** The interchange file at `path`, through the same loader as the bot (size first, strict UTF-8, bounds). */
function read(path: string): Draft {
  let bytes: Uint8Array;
  try {
    if (statSync(path).size > MAX_FILE_BYTES) throw new Failure(`${path}: 文件太大，数据文件不会超过 1 MB`);
    bytes = readFileSync(path);
  } catch (e) {
    throw e instanceof Failure ? e : new Failure(`${path}: ${systemMessage(e)}`);
  }
  const result = loadReportFile(bytes, flows);
  if (!result.ok) throw new Failure(`${path}: ${result.error}`);
  return result.draft;
}

/** "ENOENT: no such file or directory, open 'x'" → the part after the code, without a stack. */
function systemMessage(e: unknown): string {
  const error = e as NodeJS.ErrnoException;
  return error.code ? `${error.code}: ${error.message.replace(/^\w+: /, "")}` : String(error.message ?? e);
}

function write(path: string, data: string | Uint8Array): void {
  try {
    writeFileSync(path, data);
  } catch (e) {
    throw new Failure(`cannot write ${path}: ${systemMessage(e)}`);
  }
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (e) {
    process.stderr.write(`${(e as Error).message.split("\n")[0]}\n${USAGE}`);
    return 2;
  }
  const { positionals, values } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (values.version) {
    process.stdout.write(`nianbao ${version()}\n`);
    return 0;
  }
  const [command, file] = positionals;
  const backup = command === "export-all" || command === "import-all";
  const known = backup || command === "check" || command === "render" || command === "import";
  if (!known || !file || (command !== "check" && !backup && !values.out)) {
    process.stderr.write(USAGE);
    return 2;
  }
  try {
    if (command === "import") return importFile(file, values.out as string, values.org, values.year);
    if (command === "export-all" || command === "import-all") return await backupCommand(command, file);
    return await checkOrRender(command, file, values);
  } catch (e) {
    process.stderr.write(`${e instanceof Failure ? e.message : `nianbao: ${(e as Error).message ?? e}`}\n`);
    return 2;
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      previous: { type: "string" },
      out: { type: "string" },
      org: { type: "string" },
      year: { type: "string" },
      html: { type: "boolean" },
      help: { type: "boolean", short: "h" },
      version: { type: "boolean", short: "v" },
    },
  });
}

async function checkOrRender(
  command: "check" | "render",
  file: string,
  values: { previous?: string; out?: string; html?: boolean },
): Promise<number> {
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
  const problems = errors.length > 0 ? findings : [];
  write(out, values.html ? renderHtml(flow, draft, { problems }) : await renderDocx(flow, draft, { problems }));
  if (errors.length > 0)
    process.stderr.write(
      `${out}: 草稿 (${errors.length} errors, ${findings.length - errors.length} warnings listed first)\n`,
    );
  return 0;
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
  // The same bounds as an interchange file (part length, figures).
  const problem = draftProblem(flows.flowFor(result.draft.format), result.draft);
  if (problem) {
    process.stderr.write(`${path}: ${problem}\n`);
    return 2;
  }
  write(out, exportReport(result.draft));
  process.stderr.write(`${[summaryLine(result), ...unplacedLines(result), ...importNotes(result)].join("\n")}\n`);
  return 0;
}

const finished = main(process.argv.slice(2));
// A reader that stops early (`nianbao check x.json | head -1`) closes the pipe: the rest of the
// output has nowhere to go, which is no failure of the command. It exits as it would have.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code !== "EPIPE") {
    process.stderr.write(`nianbao: cannot write the output: ${systemMessage(err)}\n`);
    process.exit(2);
  }
  void finished.then((code) => process.exit(code));
});
process.exitCode = await finished;

/** export-all / import-all on the store the environment names (as the bot would open it). */
async function backupCommand(command: "export-all" | "import-all", dir: string): Promise<number> {
  let options: ReturnType<typeof loadStoreConfig>;
  try {
    options = loadStoreConfig(process.env);
  } catch (e) {
    throw new Failure((e as Error).message.replace(/\n\s*/g, " "));
  }
  const store = await openStore(options).catch((e: unknown) => {
    throw new Failure(`cannot open the store: ${systemMessage(e)}`);
  });
  try {
    if (command === "export-all") {
      if (existsSync(join(dir, ENVELOPE_FILE)))
        throw new Failure(`${dir} already holds a backup; choose an empty folder`);
      const { files, envelope } = await exportAll(store, exportReport, new Date());
      for (const [name, text] of files) {
        const path = join(dir, name);
        try {
          mkdirSync(dirname(path), { recursive: true });
        } catch (e) {
          throw new Failure(`cannot write ${path}: ${systemMessage(e)}`);
        }
        write(path, text);
      }
      process.stdout.write(
        `exported ${envelope.reports.length} reports and ${envelope.users.length} members to ${dir}\n`,
      );
      return 0;
    }
    const envelopePath = join(dir, ENVELOPE_FILE);
    let envelope: unknown;
    try {
      envelope = JSON.parse(readFileSync(envelopePath, "utf8"));
    } catch (e) {
      throw new Failure(
        `${envelopePath}: ${e instanceof SyntaxError ? "not a backup envelope (invalid JSON)" : systemMessage(e)}`,
      );
    }
    const restored = await importAll(store, envelope, (file) => read(join(dir, file))).catch((e: unknown) => {
      throw e instanceof RestoreError ? new Failure(e.message) : e;
    });
    process.stdout.write(`restored ${restored.reports} reports and ${restored.users} members from ${dir}\n`);
    return 0;
  } finally {
    await store.close();
  }
}
