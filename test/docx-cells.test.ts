import { describe, expect, it } from "vitest";
import { flowFor } from "../flows/index.js";
import { renderDocx } from "../src/report/render-docx.js";
import { readDocx, unzip } from "./support/docx-cells.js";
import { fixture } from "./support/fixtures.js";

/** The tests' .docx reader reads what Word and other writers produce, not only what our renderer writes. */

/**
 * The same zip with a ZIP64 end of central directory, as streaming writers
 * emit whatever the size: the classic record says "see ZIP64" (0xFFFF
 * entries, 0xFFFFFFFF offset) and the ZIP64 record holds the real values.
 */
function asZip64(zip: Uint8Array): Uint8Array {
  const bytes = Buffer.from(zip);
  const eocd = bytes.length - 22; // no archive comment
  expect(bytes.readUInt32LE(eocd)).toBe(0x06054b50);
  const count = bytes.readUInt16LE(eocd + 10);
  const size = bytes.readUInt32LE(eocd + 12);
  const offset = bytes.readUInt32LE(eocd + 16);
  const record = Buffer.alloc(56);
  record.writeUInt32LE(0x06064b50, 0);
  record.writeBigUInt64LE(44n, 4);
  record.writeUInt16LE(45, 12);
  record.writeUInt16LE(45, 14);
  record.writeBigUInt64LE(BigInt(count), 24);
  record.writeBigUInt64LE(BigInt(count), 32);
  record.writeBigUInt64LE(BigInt(size), 40);
  record.writeBigUInt64LE(BigInt(offset), 48);
  const locator = Buffer.alloc(20);
  locator.writeUInt32LE(0x07064b50, 0);
  locator.writeBigUInt64LE(BigInt(eocd), 8);
  locator.writeUInt32LE(1, 16);
  const classic = Buffer.from(bytes.subarray(eocd));
  classic.writeUInt16LE(0xffff, 8);
  classic.writeUInt16LE(0xffff, 10);
  classic.writeUInt32LE(0xffffffff, 12);
  classic.writeUInt32LE(0xffffffff, 16);
  return Buffer.concat([bytes.subarray(0, eocd), record, locator, classic]);
}

describe("the tests' .docx reader", () => {
  it("reads a .docx whose zip has a ZIP64 end record as the same document", async () => {
    const report = fixture("report-2022");
    const docx = await renderDocx(flowFor("2021"), report);
    const zip64 = asZip64(docx);
    expect(unzip(zip64)).toEqual(unzip(docx));
    expect(readDocx(zip64)).toEqual(readDocx(docx));
    expect(unzip(docx).get("word/document.xml")).toContain(report.org);
  });
});
