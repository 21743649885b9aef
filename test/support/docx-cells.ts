import { strFromU8, unzipSync } from "fflate";

/**
 * A .docx read back for tests: the zip's XML parts, the body's paragraphs and
 * tables, and each table as an HTML table would have it (w:gridSpan → colSpan,
 * w:vMerge continuations folded into rowSpan). fflate unzips, as src/import
 * does; the XML is parsed here, so the checks do not lean on the renderer's
 * own model of the document.
 */

// --- The zip of XML parts. ---

export function unzip(zip: Uint8Array): Map<string, string> {
  return new Map(Object.entries(unzipSync(zip)).map(([name, bytes]) => [name, strFromU8(bytes)]));
}

// --- A small XML tree. ---

export interface El {
  name: string;
  attrs: Record<string, string>;
  children: (El | string)[];
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
const decode = (s: string) => s.replace(/&(\w+);/g, (m, e: string) => ENTITIES[e] ?? m);

export function parseXml(xml: string): El {
  const root: El = { name: "#root", attrs: {}, children: [] };
  const stack = [root];
  const token = /<\?[^>]*\?>|<!--[\s\S]*?-->|<(\/?)([\w:.-]+)((?:\s+[\w:.-]+="[^"]*")*)\s*(\/?)>|([^<]+)/g;
  for (const m of xml.matchAll(token)) {
    const top = stack[stack.length - 1]!;
    if (m[5] !== undefined) top.children.push(decode(m[5]));
    else if (m[2] === undefined) continue;
    else if (m[1]) stack.pop();
    else {
      const attrs = Object.fromEntries([...m[3]!.matchAll(/([\w:.-]+)="([^"]*)"/g)].map((a) => [a[1]!, decode(a[2]!)]));
      const el: El = { name: m[2], attrs, children: [] };
      top.children.push(el);
      if (!m[4]) stack.push(el);
    }
  }
  return root;
}

export const elements = (el: El) => el.children.filter((c): c is El => typeof c !== "string");
export const child = (el: El | undefined, name: string) => (el ? elements(el).find((c) => c.name === name) : undefined);
export function descendants(el: El, name: string): El[] {
  return elements(el).flatMap((c) => (c.name === name ? [c] : descendants(c, name)));
}
export const textOf = (el: El): string =>
  el.children.map((c) => (typeof c === "string" ? "" : c.name === "w:t" ? c.children.join("") : textOf(c))).join("");

// --- Paragraphs and tables of the body. ---

export interface Run {
  text: string;
  eastAsia?: string;
  size?: string;
  bold: boolean;
  color?: string;
}
export interface Para {
  kind: "p";
  text: string;
  style?: string;
  jc?: string;
  runs: Run[];
}
export interface PrintedCell {
  text: string;
  /** The grid column the cell starts at (0-based). */
  col: number;
  colSpan: number;
  rowSpan: number;
  jc?: string;
  bold: boolean;
}
export interface PrintedTable {
  kind: "tbl";
  xml: El;
  /** HTML-like: cells merged down are given once with their rowSpan. */
  rows: PrintedCell[][];
}

export function readRun(r: El): Run {
  const rPr = child(r, "w:rPr");
  return {
    text: textOf(r),
    eastAsia: child(rPr, "w:rFonts")?.attrs["w:eastAsia"],
    size: child(rPr, "w:sz")?.attrs["w:val"],
    bold: ["true", "1", "on", undefined].includes(child(rPr, "w:b")?.attrs["w:val"]) && child(rPr, "w:b") !== undefined,
    color: child(rPr, "w:color")?.attrs["w:val"],
  };
}

export function readParagraph(p: El): Para {
  const pPr = child(p, "w:pPr");
  return {
    kind: "p",
    text: textOf(p),
    style: child(pPr, "w:pStyle")?.attrs["w:val"],
    jc: child(pPr, "w:jc")?.attrs["w:val"],
    runs: descendants(p, "w:r").map(readRun),
  };
}

/** w:tbl → rows of cells as an HTML table would have them (vMerge continuations folded into rowSpan). */
export function readTable(tbl: El): PrintedTable {
  const rows: PrintedCell[][] = [];
  const openAt = new Map<number, PrintedCell>(); // grid column → cell merged down from there
  for (const tr of elements(tbl).filter((e) => e.name === "w:tr")) {
    const row: PrintedCell[] = [];
    let col = 0;
    for (const tc of elements(tr).filter((e) => e.name === "w:tc")) {
      const tcPr = child(tc, "w:tcPr");
      const span = Number(child(tcPr, "w:gridSpan")?.attrs["w:val"] ?? 1);
      const vMerge = child(tcPr, "w:vMerge");
      if (vMerge && vMerge.attrs["w:val"] !== "restart") {
        const above = openAt.get(col);
        if (!above || above.colSpan !== span)
          throw new Error(`vMerge continue at column ${col} has no matching cell above`);
        above.rowSpan += 1;
      } else {
        const paragraphs = descendants(tc, "w:p").map(readParagraph);
        const runs = paragraphs.flatMap((p) => p.runs);
        const cell: PrintedCell = {
          text: paragraphs.map((p) => p.text).join("\n"),
          col,
          colSpan: span,
          rowSpan: 1,
          jc: paragraphs[0]?.jc,
          bold: runs.length > 0 && runs.every((r) => r.bold),
        };
        row.push(cell);
        if (vMerge) openAt.set(col, cell);
        else openAt.delete(col);
      }
      col += span;
    }
    rows.push(row);
  }
  return { kind: "tbl", xml: tbl, rows };
}

export interface DocxContent {
  parts: Map<string, string>;
  blocks: (Para | PrintedTable)[];
  paragraphs: Para[];
  tables: PrintedTable[];
  documentXml: string;
  body: El;
}

/** The bytes of a .docx → its parts and the body's blocks in order. */
export function readDocx(bytes: Buffer | Uint8Array): DocxContent {
  const parts = unzip(bytes);
  const documentXml = parts.get("word/document.xml");
  if (documentXml === undefined) throw new Error("no word/document.xml in the file");
  const body = child(child(parseXml(documentXml), "w:document"), "w:body");
  if (!body) throw new Error("no w:body in word/document.xml");
  const blocks = elements(body).flatMap((e): (Para | PrintedTable)[] =>
    e.name === "w:p" ? [readParagraph(e)] : e.name === "w:tbl" ? [readTable(e)] : [],
  );
  return {
    parts,
    blocks,
    paragraphs: blocks.filter((b): b is Para => b.kind === "p"),
    tables: blocks.filter((b): b is PrintedTable => b.kind === "tbl"),
    documentXml,
    body,
  };
}

/** The table printed right after the paragraph `heading` (a section's table). */
export function tableAfter(doc: DocxContent, heading: string): PrintedTable | undefined {
  const at = doc.blocks.findIndex((b) => b.kind === "p" && b.text === heading);
  const next = at >= 0 ? doc.blocks[at + 1] : undefined;
  return next?.kind === "tbl" ? next : undefined;
}

const FIGURE = /^-?\d+(\.\d+)?(万元)?$/;

/**
 * The figures a row label names, in column order: either the number cells
 * right of the label in its row (申请表, 主动公开表), or, when the label is a
 * column header (复议诉讼表: 行政复议, 复议后起诉…), the number cells below it
 * within its columns. Throws unless the label is printed exactly once.
 */
export function figuresFor(table: PrintedTable, label: string): PrintedCell[] {
  const hits = table.rows.flatMap((row, r) => row.flatMap((cell, i) => (cell.text === label ? [{ r, i, cell }] : [])));
  if (hits.length !== 1) throw new Error(`label "${label}" is printed ${hits.length} times in the table, not once`);
  const { r, i, cell } = hits[0]!;
  const right = table.rows[r]!.slice(i + 1);
  if (right.length > 0 && right.every((c) => FIGURE.test(c.text))) return right;
  const end = cell.col + cell.colSpan;
  return table.rows
    .slice(r + 1)
    .flatMap((row) => row.filter((c) => c.col >= cell.col && c.col + c.colSpan <= end && FIGURE.test(c.text)));
}
