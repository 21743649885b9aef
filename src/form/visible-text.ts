/**
 * Text as an officer means it. Invisible format characters (zero-width
 * space, word joiner, BOM, bidi marks: Unicode category Cf) are dropped,
 * except the zero-width joiner inside emoji; then all Unicode whitespace
 * (ideographic space included) is trimmed from both ends. A part holding only
 * such characters is empty: it is neither counted as written nor stored.
 */
const INVISIBLE = /(?!\u200d)\p{Cf}/gu;
const EDGE_SPACE = /^\p{White_Space}+|\p{White_Space}+$/gu;

export function visibleText(text: string): string {
  return text.replace(INVISIBLE, "").replace(EDGE_SPACE, "");
}

/**
 * A character visibleText keeps and does not trim: the zero-width joiner, or
 * one that is neither a format character nor whitespace.
 */
const VISIBLE_CHAR = /\u200d|[^\p{Cf}\p{White_Space}]/u;

/**
 * True when the text has something an officer can see, i.e. visibleText is
 * not empty. Asked for every part each time the next question is worked out,
 * so it stops at the first visible character instead of building the text.
 */
export function hasVisibleText(text: string | undefined): boolean {
  return text !== undefined && VISIBLE_CHAR.test(text);
}

/** Characters as the officer counts them (a code point each, not UTF-16 units). */
export function visibleLength(text: string): number {
  return [...visibleText(text)].length;
}
