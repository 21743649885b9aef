import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fontconfigXml } from "../../src/report/fonts.js";

/**
 * A .docx as a reader sees it: converted to PDF by LibreOffice with the
 * fonts the machine has (Noto CJK in CI), through the fontconfig file the
 * renderer's font declarations give. Needs `soffice` and poppler-utils.
 */

/** What is missing to convert, or undefined when LibreOffice and poppler are installed. */
export function libreOfficeMissing(): string | undefined {
  for (const tool of ["soffice", "pdftotext", "pdffonts", "pdfinfo"]) {
    if (spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0) return tool;
  }
  return undefined;
}

export interface Pdf {
  dir: string;
  path: string;
  pages: number;
}

/** Converts in a temp directory with a private LibreOffice profile, so a running soffice does not block it. */
export function docxToPdf(bytes: Buffer, name: string): Pdf {
  const dir = mkdtempSync(join(tmpdir(), "nianbao-pdf-"));
  const docx = join(dir, `${name}.docx`);
  writeFileSync(docx, bytes);
  writeFileSync(join(dir, "fonts.conf"), fontconfigXml());
  execFileSync(
    "soffice",
    [`-env:UserInstallation=file://${dir}/profile`, "--headless", "--convert-to", "pdf", "--outdir", dir, docx],
    { stdio: "ignore", timeout: 180_000, env: { ...process.env, FONTCONFIG_FILE: join(dir, "fonts.conf") } },
  );
  const path = join(dir, `${name}.pdf`);
  readFileSync(path); // throws when the conversion wrote nothing
  const pages = Number(/Pages:\s+(\d+)/.exec(execFileSync("pdfinfo", [path], { encoding: "utf8" }))?.[1]);
  return { dir, path, pages };
}

/** The text of each page, in reading order with the layout kept (one string per page). */
export function pageTexts(pdf: Pdf): string[] {
  const text = execFileSync("pdftotext", ["-layout", pdf.path, "-"], { encoding: "utf8" });
  return text.split("\f").slice(0, pdf.pages);
}

/** Font names the PDF embeds, e.g. NotoSerifCJKjp-Regular (the Noto CJK collections share one name across regions). */
export function pdfFonts(pdf: Pdf): string[] {
  return execFileSync("pdffonts", [pdf.path], { encoding: "utf8" })
    .split("\n")
    .slice(2)
    .map((line) => line.split(/\s+/)[0]!.replace(/^[A-Z]{6}\+/, ""))
    .filter(Boolean);
}
