// A Lua table as the .t7 format sees it: keys of any Lua type, entries kept in the
// order they were read or set, so a loaded file is written back in the same order.
//
// Keys: numbers (1 and 1.0 are one key), strings, booleans (true and 1 are
// different keys), and objects by identity (a table may even be its own key).
// Lua strings are byte strings: every JS string read from a file holds one byte
// per char code (0-255).

/**
 * A Lua table as a .t7 file holds it: keys of any Lua type (numbers, where 1 and 1.0 are one key;
 * strings; booleans; objects by identity), entries in the order they were read or set, so a loaded
 * file saves back in the same order. Sequences are 1-based, as in Lua.
 */
export class LuaTable {
  private readonly map = new Map<unknown, unknown>();

  /** A table with array part 1..n from the given values. */
  static fromArray(values: readonly unknown[]): LuaTable {
    const t = new LuaTable();
    values.forEach((v, i) => t.set(i + 1, v));
    return t;
  }

  /** A table with string keys, in the object's key order. */
  static fromRecord(record: Record<string, unknown>): LuaTable {
    const t = new LuaTable();
    for (const [k, v] of Object.entries(record)) t.set(k, v);
    return t;
  }

  /** The value at key (undefined for nil). Sequence entries are at 1..n. */
  get(key: unknown): unknown {
    return this.map.get(key);
  }

  /** Setting nil (undefined or null) removes the key, as in Lua. */
  set(key: unknown, value: unknown): this {
    if (key === undefined || key === null) throw new TypeError('a Lua table key cannot be nil');
    if (typeof key === 'number' && Number.isNaN(key)) throw new TypeError('a Lua table key cannot be NaN');
    if (value === undefined || value === null) this.map.delete(key);
    else this.map.set(key, value);
    return this;
  }

  /** Whether key holds a (non-nil) value. */
  has(key: unknown): boolean {
    return this.map.has(key);
  }

  /** Removes key (Lua's t[key] = nil); true if it was there. */
  delete(key: unknown): boolean {
    return this.map.delete(key);
  }

  /** Number of entries (not Lua's # operator; see length()). */
  get size(): number {
    return this.map.size;
  }

  /** The keys, in order. */
  keys(): IterableIterator<unknown> {
    return this.map.keys();
  }

  /** The values, in key order. */
  values(): IterableIterator<unknown> {
    return this.map.values();
  }

  /** [key, value] pairs, in order. */
  entries(): IterableIterator<[unknown, unknown]> {
    return this.map.entries();
  }

  [Symbol.iterator](): IterableIterator<[unknown, unknown]> {
    return this.map.entries();
  }

  /** Lua's # for a sequence: the count of consecutive integer keys from 1. */
  length(): number {
    let n = 0;
    while (this.map.has(n + 1)) n++;
    return n;
  }

  /** Values at keys 1..length(). */
  toArray(): unknown[] {
    const out: unknown[] = [];
    for (let i = 1; this.map.has(i); i++) out.push(this.map.get(i));
    return out;
  }

  /** Appends at length() + 1, like table.insert(t, v). */
  push(value: unknown): this {
    return this.set(this.length() + 1, value);
  }
}
