/**
 * A map that keeps at most `max` entries, dropping the least recently used:
 * every cache in the process (findings per report version, narrative
 * analyses, reports the Redis store read) is one of these, so none grows
 * without bound.
 */
export class BoundedCache<K, V> {
  private readonly entries = new Map<K, V>();
  /** The most recently used key: reading it again needs no reordering (the checks read one text many times). */
  private newest: K | undefined;

  constructor(readonly max: number) {
    if (!(max >= 1)) throw new Error(`a bounded cache needs room for at least one entry, got ${max}`);
  }

  get size(): number {
    return this.entries.size;
  }

  /** The value, now the most recently used. */
  get(key: K): V | undefined {
    const value = this.entries.get(key);
    if (value === undefined || key === this.newest) return value;
    this.entries.delete(key);
    this.entries.set(key, value);
    this.newest = key;
    return value;
  }

  set(key: K, value: V): V {
    this.entries.delete(key);
    if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value as K);
    this.entries.set(key, value);
    this.newest = key;
    return value;
  }

  delete(key: K): void {
    this.entries.delete(key);
  }
}
