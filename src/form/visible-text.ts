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

/** True when the text has something an officer can see. */
export function hasVisibleText(text: string | undefined): boolean {
  return text !== undefined && visibleText(text) !== "";
}

/** Characters as the officer counts them (a code point each, not UTF-16 units). */
export function visibleLength(text: string): number {
  return [...visibleText(text)].length;
}
