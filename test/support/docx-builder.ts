import { strToU8, zipSync } from "fflate";

/**
 * .docx files written by hand, as raw WordprocessingML, independently of the
 * renderer: the layouts officers' own Word files have (the official template's
 * tables with w:gridSpan and w:vMerge, line breaks inside labels).
 */

/** A table cell: its text ("\n" is a line break), and how it is merged. */
export type BuiltCell = string | { text?: string; span?: number; merge?: "restart" | "continue" };
export type BuiltBlock = string | BuiltCell[][];

const escapeXml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

function runs(text: string): string {
  return text
    .split("\n")
    .map(
      (line) =>
        `<w:r><w:rPr><w:rFonts w:eastAsia="仿宋_GB2312"/></w:rPr><w:t xml:space="preserve">${escapeXml(line)}</w:t></w:r>`,
    )
    .join("<w:r><w:br/></w:r>");
}

const paragraph = (text: string) => `<w:p><w:pPr><w:jc w:val="both"/></w:pPr>${text === "" ? "" : runs(text)}</w:p>`;

function cell(c: BuiltCell): string {
  const { text = "", span = 1, merge } = typeof c === "string" ? { text: c } : c;
  const props = [
    span > 1 ? `<w:gridSpan w:val="${span}"/>` : "",
    merge === "restart" ? '<w:vMerge w:val="restart"/>' : merge === "continue" ? "<w:vMerge/>" : "",
  ].join("");
  return `<w:tc><w:tcPr><w:tcW w:w="0" w:type="auto"/>${props}</w:tcPr>${text.split("\n\n").map(paragraph).join("")}</w:tc>`;
}

function table(rows: BuiltCell[][]): string {
  return `<w:tbl><w:tblPr><w:tblW w:w="0" w:type="auto"/></w:tblPr>${rows
    .map((r) => `<w:tr>${r.map(cell).join("")}</w:tr>`)
    .join("")}</w:tbl>`;
}

export function buildDocx(blocks: BuiltBlock[]): Uint8Array {
  const body = blocks.map((b) => (typeof b === "string" ? paragraph(b) : table(b))).join("");
  const document = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>${body}<w:sectPr/></w:body></w:document>`;
  return zipSync({
    "[Content_Types].xml": strToU8(
      '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
    ),
    "_rels/.rels": strToU8(
      '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>',
    ),
    "word/document.xml": strToU8(document),
  });
}

/** An OLE compound file header with one stream name, as a .doc or a password-protected .docx starts. */
export function oleFile(streamName: "WordDocument" | "EncryptionInfo"): Uint8Array {
  const header = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);
  return new Uint8Array(
    Buffer.concat([header, Buffer.alloc(504), Buffer.from(streamName, "utf16le"), Buffer.alloc(64)]),
  );
}
