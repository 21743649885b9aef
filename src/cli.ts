import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { flowFor } from "../flows/index.js";
import { checkReport, type Previous } from "./form/check-report.js";
import type { Draft } from "./form/draft.js";
import { loadReport } from "./form/load-report.js";
import { renderDocx } from "./report/render-docx.js";

/**
 * nianbao check FILE [--previous LAST.json]
 *   one JSON finding per line on stdout; exit 1 on any error, 0 otherwise, 2 if a file is unreadable
 * nianbao render FILE --out OUT.docx [--previous LAST.json]
 *   writes the document; a report with errors becomes a 草稿 listing them
 */

class Unreadable extends Error {}

function read(path: string): Draft {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new Unreadable(`${path}: ${(e as Error).message}`);
  }
  const result = loadReport(text, flowFor);
  if (!result.ok) throw new Unreadable(`${path}: ${result.error}`);
  return result.draft;
}

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { previous: { type: "string" }, out: { type: "string" } },
  });
  const [command, file] = positionals;
  if ((command !== "check" && command !== "render") || !file || (command === "render" && !values.out)) {
    process.stderr.write(
      "usage: nianbao check FILE [--previous LAST.json]\n       nianbao render FILE --out OUT.docx [--previous LAST.json]\n",
    );
    return 2;
  }
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

process.exitCode = await main(process.argv.slice(2));
