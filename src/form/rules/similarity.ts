/**
 * Character-bigram Dice similarity of two texts after removing whitespace,
 * punctuation and digits, so a report copied from last year with new figures
 * still counts as copied (雷同).
 */
export function diceSimilarity(a: string, b: string): number {
  const x = bigrams(normalise(a));
  const y = bigrams(normalise(b));
  const total = count(x) + count(y);
  if (total === 0) return 0;
  let shared = 0;
  for (const [gram, n] of x) shared += Math.min(n, y.get(gram) ?? 0);
  return (2 * shared) / total;
}

function normalise(text: string): string {
  return text.replace(/[\s\p{P}\p{S}\p{N}]/gu, "");
}

function bigrams(text: string): Map<string, number> {
  const grams = new Map<string, number>();
  const chars = [...text];
  for (let i = 0; i + 1 < chars.length; i++) {
    const gram = chars[i]! + chars[i + 1]!;
    grams.set(gram, (grams.get(gram) ?? 0) + 1);
  }
  return grams;
}

function count(grams: Map<string, number>): number {
  let n = 0;
  for (const v of grams.values()) n += v;
  return n;
}
