import type { ChildNode, Element } from "domhandler";
import { type Unzipped, unzipSync } from "fflate";
import { parseDocument } from "htmlparser2";
import type { SourceBlock, SourceRead } from "./source-document.js";

/**
 * A .docx (zip of XML parts) → paragraphs and tables of word/document.xml.
 * fflate unzips (docx already depends on it); htmlparser2 in XML mode parses.
 * Merged cells: w:gridSpan is one cell; a w:vMerge continuation is left out,
 * as an HTML table leaves out the rows a rowspan covers.
 */

/** Word's own limit for document.xml is far above any report; this only stops zip bombs. */
const MAX_DOCUMENT_XML = 30 * 1024 * 1024;

const OLE_SIGNATURE = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];
const ZIP_SIGNATURE = [0x50, 0x4b, 0x03, 0x04];

export const DOC_REFUSALS = {
  legacyDoc:
    "这是旧版 Word 的 .doc 文件，我读不了。请在 Word 里“另存为” .docx 再发，或者发网站上那一页的链接保存的网页（.html）。",
  encrypted: "这个 Word 文件设了打开密码，我读不了。请去掉密码（文件 → 信息 → 保护文档）后再发。",
  corrupt: "这个 .docx 文件已损坏或不完整，打不开。请重新保存后再发。",
  notWord: "这个文件不是 Word 文档（里面没有正文）。请发 .docx 文件。",
  tooLarge: "这个 Word 文件的正文太大，不像是一份年度报告。",
} as const;

const startsWith = (bytes: Uint8Array, signature: number[]) => signature.every((b, i) => bytes[i] === b);

/**
 * Password-protected .docx files are not zips: Word wraps them in an OLE
 * compound file holding an "EncryptionInfo" stream. A .doc is an OLE file
 * with a "WordDocument" stream. Stream names are stored in UTF-16LE.
 */
function hasStreamName(bytes: Uint8Array, name: string): boolean {
  const needle = Buffer.from(name, "utf16le");
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).includes(needle);
}

export function readDocx(bytes: Uint8Array): SourceRead {
  if (startsWith(bytes, OLE_SIGNATURE))
    return {
      ok: false,
      reason: hasStreamName(bytes, "EncryptionInfo") ? DOC_REFUSALS.encrypted : DOC_REFUSALS.legacyDoc,
    };
  if (!startsWith(bytes, ZIP_SIGNATURE)) return { ok: false, reason: DOC_REFUSALS.corrupt };
  let parts: Unzipped;
  let tooLarge = false;
  try {
    parts = unzipSync(bytes, {
      filter: (file) => {
        if (file.name !== "word/document.xml") return false;
        if (file.originalSize > MAX_DOCUMENT_XML) tooLarge = true;
        return !tooLarge;
      },
    });
  } catch {
    return { ok: false, reason: DOC_REFUSALS.corrupt };
  }
  if (tooLarge) return { ok: false, reason: DOC_REFUSALS.tooLarge };
  const xml = parts["word/document.xml"];
  if (!xml) return { ok: false, reason: DOC_REFUSALS.notWord };
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(xml);
  } catch {
    return { ok: false, reason: DOC_REFUSALS.corrupt };
  }
  const root = parseDocument(text, { xmlMode: true });
  const body = findElement(root.children, "w:body");
  if (!body) return { ok: false, reason: DOC_REFUSALS.notWord };
  return { ok: true, source: { blocks: bodyBlocks(body.children) } };
}

const isElement = (n: ChildNode): n is Element => n.type === "tag";

function findElement(nodes: ChildNode[], name: string): Element | undefined {
  for (const n of nodes) {
    if (!isElement(n)) continue;
    if (n.name === name) return n;
    const found = findElement(n.children, name);
    if (found) return found;
  }
  return undefined;
}

const childElements = (el: Element, name: string) =>
  el.children.filter((c): c is Element => isElement(c) && c.name === name);
const firstChild = (el: Element | undefined, name: string) => (el ? childElements(el, name)[0] : undefined);

/** Paragraphs and tables in order; content controls and custom XML wrappers are looked through. */
function bodyBlocks(nodes: ChildNode[]): SourceBlock[] {
  const blocks: SourceBlock[] = [];
  for (const n of nodes) {
    if (!isElement(n)) continue;
    if (n.name === "w:p") blocks.push({ kind: "paragraph", text: paragraphText(n) });
    else if (n.name === "w:tbl") blocks.push({ kind: "table", rows: tableRows(n) });
    else if (n.name === "w:sdt" || n.name === "w:sdtContent" || n.name === "w:customXml" || n.name === "w:smartTag")
      blocks.push(...bodyBlocks(n.children));
  }
  return blocks;
}

/** The visible text of a paragraph: w:t runs, tabs and breaks; deleted text (w:delText) is not w:t. */
function paragraphText(p: Element): string {
  let text = "";
  const walk = (nodes: ChildNode[]) => {
    for (const n of nodes) {
      if (!isElement(n)) continue;
      if (n.name === "w:t") text += n.children.map((c) => ("data" in c ? c.data : "")).join("");
      else if (n.name === "w:tab") text += "\t";
      else if (n.name === "w:br" || n.name === "w:cr") text += "\n";
      else if (n.name !== "w:pPr" && n.name !== "w:rPr" && n.name !== "w:del") walk(n.children);
    }
  };
  walk(p.children);
  return text;
}

function tableRows(tbl: Element): string[][] {
  return childElements(tbl, "w:tr").map((tr) =>
    cellsOf(tr).flatMap((tc) => {
      const vMerge = firstChild(firstChild(tc, "w:tcPr"), "w:vMerge");
      // <w:vMerge/> without a value continues the cell above; "restart" starts one.
      if (vMerge && vMerge.attribs["w:val"] !== "restart") return [];
      return [childElements(tc, "w:p").map(paragraphText).join("\n")];
    }),
  );
}

/** A row's cells, also those wrapped in content controls. */
function cellsOf(tr: Element): Element[] {
  return tr.children.filter(isElement).flatMap((c) => {
    if (c.name === "w:tc") return [c];
    if (c.name === "w:sdt" || c.name === "w:sdtContent" || c.name === "w:customXml") return cellsOf(c);
    return [];
  });
}
