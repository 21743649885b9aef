import type { ChildNode, Element } from "domhandler";
import { parseDocument } from "htmlparser2";
import type { CellLike } from "./expected-tables.js";

/**
 * A rendered .html read back the way test/support/docx-cells.ts reads a
 * .docx: the tables as rows of cells with their spans, and the text blocks
 * (headings and paragraphs) in order.
 */

const isElement = (n: ChildNode): n is Element => n.type === "tag";
const elementsOf = (n: Element, name?: string): Element[] =>
  n.children.filter(isElement).filter((c) => name === undefined || c.name === name);

function descendants(n: Element, name: string): Element[] {
  return elementsOf(n).flatMap((c) => (c.name === name ? [c] : descendants(c, name)));
}

function textOf(n: ChildNode): string {
  if (n.type === "text") return n.data;
  return isElement(n) ? n.children.map(textOf).join("") : "";
}

/** The few entities the renderer writes. */
const decode = (s: string) =>
  s
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, "&");

export interface HtmlCell extends CellLike {
  style: string;
  /** data-cell: the cell id of a figure. */
  cell?: string;
}

export interface HtmlTable {
  id: string;
  style: string;
  rows: HtmlCell[][];
}

export interface HtmlContent {
  /** h1, h2, h3 and p in document order, with their tag. */
  blocks: { tag: string; text: string; style: string }[];
  tables: HtmlTable[];
  /** Every tag name used. */
  tags: Set<string>;
  /** Every attribute name used. */
  attributes: Set<string>;
}

export function readHtml(html: string): HtmlContent {
  const doc = parseDocument(html, { decodeEntities: false });
  const root = doc.children.filter(isElement);
  const all = root.flatMap((r) => [r, ...allElements(r)]);
  const tags = new Set(all.map((e) => e.name));
  const attributes = new Set(all.flatMap((e) => Object.keys(e.attribs)));
  const blocks = all
    .filter((e) => ["h1", "h2", "h3", "p"].includes(e.name))
    .map((e) => ({ tag: e.name, text: decode(textOf(e)), style: e.attribs.style ?? "" }));
  const tables = all
    .filter((e) => e.name === "table")
    .map((t) => ({
      id: t.attribs["data-table"] ?? "",
      style: t.attribs.style ?? "",
      rows: descendants(t, "tr").map((tr) =>
        elementsOf(tr)
          .filter((c) => c.name === "td" || c.name === "th")
          .map((c): HtmlCell => {
            const style = c.attribs.style ?? "";
            return {
              text: decode(textOf(c)),
              colSpan: Number(c.attribs.colspan ?? 1),
              rowSpan: Number(c.attribs.rowspan ?? 1),
              jc: /text-align:(\w+)/.exec(style)?.[1],
              bold: /font-weight:bold/.test(style),
              style,
              ...(c.attribs["data-cell"] ? { cell: c.attribs["data-cell"] } : {}),
            };
          }),
      ),
    }));
  return { blocks, tables, tags, attributes };
}

function allElements(n: Element): Element[] {
  return elementsOf(n).flatMap((c) => [c, ...allElements(c)]);
}
