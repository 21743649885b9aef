import type { ChildNode, Element } from "domhandler";
import { parseDocument } from "htmlparser2";
import type { SourceBlock, SourceDocument } from "./source-document.js";

/**
 * A saved web page → its text as paragraphs, and its <table> elements as rows
 * of cells (a cell with rowspan is given once, in its first row, as HTML has
 * it). htmlparser2 is forgiving with the broken markup of real pages.
 */

const SKIPPED = new Set(["script", "style", "noscript", "template", "head", "title", "select", "button", "svg"]);
/** Elements that end a line of text (everything else is inline). */
const BLOCK = new Set([
  "p",
  "div",
  "section",
  "article",
  "main",
  "header",
  "footer",
  "aside",
  "nav",
  "ul",
  "ol",
  "li",
  "dl",
  "dt",
  "dd",
  "h1",
  "h2",
  "h3",
  "h4",
  "h5",
  "h6",
  "blockquote",
  "pre",
  "form",
  "fieldset",
  "center",
  "hr",
  "address",
  "figure",
]);

const isElement = (n: ChildNode): n is Element => n.type === "tag" || n.type === "script" || n.type === "style";

export function readHtml(html: string): SourceDocument {
  const root = parseDocument(html);
  const blocks: SourceBlock[] = [];
  let line = "";
  const flush = () => {
    if (line.trim() !== "") blocks.push({ kind: "paragraph", text: line });
    line = "";
  };
  const walk = (nodes: ChildNode[]) => {
    for (const n of nodes) {
      if (n.type === "text") line += n.data.replace(/[\r\n\t]+/g, " ");
      if (!isElement(n) || SKIPPED.has(n.name)) continue;
      if (n.name === "br") {
        flush();
      } else if (n.name === "table") {
        flush();
        blocks.push({ kind: "table", rows: tableRows(n) });
      } else if (BLOCK.has(n.name)) {
        flush();
        walk(n.children);
        flush();
      } else {
        walk(n.children);
      }
    }
  };
  walk(root.children);
  flush();
  return { blocks };
}

/** Rows of the table itself (thead, tbody, tfoot), not of tables nested in its cells. */
function tableRows(table: Element): string[][] {
  const rows: Element[] = [];
  const collect = (nodes: ChildNode[]) => {
    for (const n of nodes) {
      if (!isElement(n)) continue;
      if (n.name === "tr") rows.push(n);
      else if (n.name === "thead" || n.name === "tbody" || n.name === "tfoot") collect(n.children);
    }
  };
  collect(table.children);
  return rows.map((tr) =>
    tr.children.filter((c): c is Element => isElement(c) && (c.name === "td" || c.name === "th")).map(cellText),
  );
}

/** A cell's text; <br> and block elements inside it become line breaks. */
function cellText(cell: Element): string {
  let text = "";
  const walk = (nodes: ChildNode[]) => {
    for (const n of nodes) {
      if (n.type === "text") text += n.data.replace(/[\r\n\t]+/g, " ");
      if (!isElement(n) || SKIPPED.has(n.name)) continue;
      if (n.name === "br") text += "\n";
      else if (BLOCK.has(n.name)) {
        text += "\n";
        walk(n.children);
        text += "\n";
      } else walk(n.children);
    }
  };
  walk(cell.children);
  return text.replace(/\n+/g, "\n").trim();
}

/** Bytes of a saved page → text: UTF-8 unless the page declares another charset (GBK pages are common). */
export function decodeHtml(bytes: Uint8Array): string {
  const head = new TextDecoder("latin1").decode(bytes.subarray(0, 4096));
  const declared = /<meta[^>]+charset\s*=\s*["']?\s*([\w-]+)/i.exec(head)?.[1]?.toLowerCase();
  const charset = declared && /^(gb2312|gbk|gb18030)$/.test(declared) ? "gb18030" : "utf-8";
  return new TextDecoder(charset).decode(bytes);
}
