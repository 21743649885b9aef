import { readDocx } from "./read-docx.js";
import { decodeHtml, readHtml } from "./read-html.js";
import { readText } from "./read-text.js";
import type { SourceRead } from "./source-document.js";

/**
 * A file's bytes → its paragraphs and tables, by what the bytes are (a zip or
 * an OLE file is a Word file whatever its name), then by the name.
 */

/** A report with its pictures stays far below this; Telegram bots cannot download more than 20 MB anyway. */
export const MAX_IMPORT_BYTES = 10 * 1024 * 1024;

export const FILE_REFUSALS = {
  pdf: "PDF 文件里的表格我读不准。请发 Word（.docx）文件，或网站上那一页（另存为 .html，或复制全文发过来）。",
  unknown: "这种文件我读不了。请发 Word（.docx）文件、网页（.html）或文字（.txt）。",
} as const;

export function tooLargeReason(bytes: number): string {
  return `文件太大（${Math.ceil(bytes / 1024 / 1024)} MB），年度报告不会超过 ${MAX_IMPORT_BYTES / 1024 / 1024} MB。请发正文，不要带大图片。`;
}

const startsWith = (bytes: Uint8Array, signature: number[]) => signature.every((b, i) => bytes[i] === b);

/** UTF-8 (a BOM is dropped), or GB18030 for text saved by older Chinese Windows. */
export function decodeText(bytes: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder("gb18030").decode(bytes);
  }
}

export function readReportFile(bytes: Uint8Array, fileName = ""): SourceRead {
  if (bytes.length > MAX_IMPORT_BYTES) return { ok: false, reason: tooLargeReason(bytes.length) };
  const name = fileName.toLowerCase();
  if (startsWith(bytes, [0x50, 0x4b]) || startsWith(bytes, [0xd0, 0xcf, 0x11, 0xe0]) || /\.docx?$/.test(name))
    return readDocx(bytes);
  if (startsWith(bytes, [0x25, 0x50, 0x44, 0x46])) return { ok: false, reason: FILE_REFUSALS.pdf };
  const head = new TextDecoder("latin1").decode(bytes.subarray(0, 1024)).toLowerCase();
  if (/\.x?html?$/.test(name) || /^\s*(?:\ufeff|ï»¿)?\s*<(?:!doctype html|html|head|body|table|meta)/.test(head))
    return { ok: true, source: readHtml(decodeHtml(bytes)) };
  if (bytes.includes(0)) return { ok: false, reason: FILE_REFUSALS.unknown };
  return { ok: true, source: readText(decodeText(bytes)) };
}
