import { splitText } from "../report/split-text.js";

const NEEDS_ESCAPE = /[&<>"]/;

/** Telegram HTML: every string that did not come from our own code goes through here. */
export function escapeHtml(s: string): string {
  // Most texts (labels, numbers) have nothing to escape: one scan instead of four copies.
  if (!NEEDS_ESCAPE.test(s)) return s;
  return s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");
}

/** Plain text in pieces that each stay within `limit` after HTML escaping. */
export function splitForHtml(text: string, limit = 3500): string[] {
  return splitText(text, limit, { measure: (s) => escapeHtml(s).length });
}

/**
 * Whole lines into messages of at most `limit` characters. The lines are
 * escaped HTML without tags spanning lines, so any line boundary is a safe cut;
 * a single overlong line is cut outside an entity such as "&amp;".
 */
export function packLines(lines: string[], limit: number): string[] {
  const messages: string[] = [];
  let current = "";
  for (const line of lines.flatMap((l) => splitText(l, limit))) {
    if (current && current.length + 1 + line.length > limit) {
      messages.push(current);
      current = "";
    }
    current = current ? `${current}\n${line}` : line;
  }
  if (current.trim()) messages.push(current);
  return messages.filter((m) => m.trim());
}
