/**
 * Whether the text mentions a word of every group, each within `window`
 * characters of a word of the first group (anywhere when no window is given).
 */
export function mentions(text: string, groups: readonly (readonly string[])[], window?: number): boolean {
  const [first, ...rest] = groups;
  if (!first) return true;
  const positions = (words: readonly string[]) => {
    const found: number[] = [];
    for (const w of words) for (let i = text.indexOf(w); i >= 0; i = text.indexOf(w, i + 1)) found.push(i);
    return found;
  };
  const others = rest.map(positions);
  return positions(first).some((at) =>
    others.every((list) => list.some((p) => window === undefined || Math.abs(p - at) <= window)),
  );
}
