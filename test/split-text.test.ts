import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { escapeHtml, splitForHtml } from "../src/bot/html.js";
import { splitText } from "../src/report/split-text.js";

describe("splitText", () => {
  it("leaves a short text whole", () => {
    expect(splitText("一句话。", 10)).toEqual(["一句话。"]);
  });

  it("cuts after a sentence end in the second half of the window", () => {
    expect(splitText("第一句话说完了。第二句", 10)).toEqual(["第一句话说完了。", "第二句"]);
    expect(splitText("第一行内容\n第二行内容比较长", 8)).toEqual(["第一行内容\n", "第二行内容比较长"]);
  });

  it("never cuts inside an HTML entity", () => {
    const pieces = splitText(escapeHtml("aaaaaaa&b"), 10);
    expect(pieces).toEqual(["aaaaaaa", "&amp;b"]);
  });

  it("keeps every piece within the limit measured after escaping, and loses no character", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom("a", "&", "<", "。", "字", " "), maxLength: 300 }),
        fc.integer({ min: 12, max: 80 }),
        (text, limit) => {
          const pieces = splitForHtml(text, limit);
          for (const p of pieces) expect(escapeHtml(p).length).toBeLessThanOrEqual(limit);
          expect(pieces.join("")).toBe(text);
        },
      ),
    );
  });
});

describe("escapeHtml", () => {
  it("escapes as the four replacements do, texts with nothing to escape (returned as they are) included", () => {
    const byReplacing = (s: string) =>
      s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");
    const text = fc.oneof(
      fc.string(),
      fc.string({ unit: fc.constantFrom("&", "<", ">", '"', "'", "a", "年", " ", "&amp;") }),
    );
    fc.assert(
      fc.property(text, (s) => {
        expect(escapeHtml(s)).toBe(byReplacing(s));
      }),
    );
    expect(escapeHtml("<b>")).toBe("&lt;b&gt;");
  });
});
