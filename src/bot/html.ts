/** Telegram HTML: every string that did not come from our own code goes through here. */
export function escapeHtml(s: string): string {
  return s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");
}

/** Telegram's limit for one message, in UTF-16 code units of the text after entities. */
export const MESSAGE_LIMIT = 4096;

/**
 * Splits plain text into pieces that each stay within `limit` after HTML
 * escaping, preferring paragraph and sentence ends.
 */
export function splitText(text: string, limit = 3500): string[] {
  const pieces: string[] = [];
  let rest = text;
  while (escapeHtml(rest).length > limit) {
    let cut = Math.min(rest.length, limit);
    while (escapeHtml(rest.slice(0, cut)).length > limit) cut = Math.floor(cut * 0.9);
    const window = rest.slice(0, cut);
    const at = Math.max(window.lastIndexOf("\n"), window.lastIndexOf("。"));
    const end = at > cut / 2 ? at + 1 : cut;
    pieces.push(rest.slice(0, end));
    rest = rest.slice(end);
  }
  if (rest.length > 0) pieces.push(rest);
  return pieces;
}

/**
 * Whole lines into messages of at most `limit` characters. The lines are
 * escaped HTML without tags spanning lines, so any line boundary is a safe cut;
 * a single overlong line is cut outside an entity such as "&amp;".
 */
export function packLines(lines: string[], limit: number): string[] {
  const messages: string[] = [];
  let current = "";
  for (const line of lines.flatMap((l) => cutLine(l, limit))) {
    if (current && current.length + 1 + line.length > limit) {
      messages.push(current);
      current = "";
    }
    current = current ? `${current}\n${line}` : line;
  }
  if (current.trim()) messages.push(current);
  return messages.filter((m) => m.trim());
}

function cutLine(line: string, limit: number): string[] {
  const pieces: string[] = [];
  let rest = line;
  while (rest.length > limit) {
    let cut = limit;
    const amp = rest.lastIndexOf("&", cut);
    if (amp > cut - 8 && !rest.slice(amp, cut).includes(";")) cut = amp;
    pieces.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  return [...pieces, rest];
}
