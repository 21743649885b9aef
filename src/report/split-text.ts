/** Cutting long text into chat messages: Telegram's limit, and one splitter for every long text. */

/** Telegram's limit for one message's text, in UTF-16 code units after entities are parsed. */
export const MESSAGE_LIMIT = 4096;

const SENTENCE_ENDS = ["\n", "。", "！", "？", "；"];
/** Longest HTML entity the bot writes ("&quot;"), so a cut never lands inside one. */
const ENTITY = 8;

export interface SplitOptions {
  /** The length that must stay within the limit (default: characters; e.g. the length after HTML escaping). */
  measure?: (text: string) => number;
}

/**
 * Pieces whose measured length stays within `max`, cut after a sentence end
 * or line break in the second half of the window where there is one, and
 * never inside an HTML entity such as "&amp;" (so escaped text can be split).
 * A line break at a cut is dropped.
 */
export function splitText(text: string, max: number, opts: SplitOptions = {}): string[] {
  const measure = opts.measure ?? ((s: string) => s.length);
  const pieces: string[] = [];
  let rest = text;
  while (measure(rest) > max) {
    let cut = Math.min(rest.length, max);
    while (cut > 1 && measure(rest.slice(0, cut)) > max) cut = Math.floor(cut * 0.9);
    const window = rest.slice(0, cut);
    const end = Math.max(...SENTENCE_ENDS.map((p) => window.lastIndexOf(p)));
    let at = end >= cut / 2 ? end + 1 : cut;
    const amp = rest.lastIndexOf("&", at - 1);
    if (amp > 0 && amp > at - ENTITY && !rest.slice(amp, at).includes(";")) at = amp;
    pieces.push(rest.slice(0, at));
    rest = rest.slice(at).replace(/^\n/, "");
  }
  if (rest) pieces.push(rest);
  return pieces;
}
