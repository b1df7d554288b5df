// tds.Hash and tds.Vec (torch/tds): C-side containers that serialize themselves
// with their own write methods: "V 0", the class name, a long count, then the
// key/value objects (Hash) or the values (Vec).

import { registerT7ClassCodec, type T7Input, type T7Output } from './codec.js';
import { LuaTable } from './lua_table.js';

/** tds.Hash (torch/tds): a hash stored on the C side, read and written with tds's own layout; entries in the file's order. */
export class TdsHash {
  /** Always 'tds.Hash'. */
  readonly className = 'tds.Hash';
  /** The "V n" version of the file (0). */
  version: number | null = 0;
  /** Entries in the order the file held them (tds iterates its hash in that order). */
  readonly entries: LuaTable = new LuaTable();

  /** The value at key (undefined for none). */
  get(key: unknown): unknown {
    return this.entries.get(key);
  }

  /** Sets key to value (nil removes it); returns this. */
  set(key: unknown, value: unknown): this {
    this.entries.set(key, value);
    return this;
  }

  /** The number of entries. */
  get size(): number {
    return this.entries.size;
  }

  [Symbol.iterator](): IterableIterator<[unknown, unknown]> {
    return this.entries.entries();
  }
}

/** tds.Vec (torch/tds): a vector stored on the C side; its elements 1..n are values[0..n-1] here. */
export class TdsVec {
  /** Always 'tds.Vec'. */
  readonly className = 'tds.Vec';
  /** The "V n" version of the file (0). */
  version: number | null = 0;
  /** Elements 1..n (index 0 here); nil elements are undefined. */
  values: unknown[];

  /** @param values the elements in order (element 1 first). */
  constructor(values: unknown[] = []) {
    this.values = values;
  }

  /** The number of elements. */
  get length(): number {
    return this.values.length;
  }
}

registerT7ClassCodec<TdsHash>(['tds.Hash'], {
  create: (_name: string, version: number | null) => {
    const h = new TdsHash();
    h.version = version;
    return h;
  },
  read(h: TdsHash, input: T7Input) {
    const n = input.readLong();
    if (n < 0) input.fail(`tds.Hash: expected a non-negative entry count, found ${n}`);
    for (let i = 0; i < n; i++) {
      const k = input.readObject(`<key ${i + 1}>`);
      if (k === undefined || (typeof k === 'number' && Number.isNaN(k))) input.fail(`tds.Hash: entry ${i + 1} has a ${k === undefined ? 'nil' : 'NaN'} key`);
      const v = input.readObject(typeof k === 'string' || typeof k === 'number' ? k : `<value ${i + 1}>`);
      h.entries.set(k, v);
    }
  },
  owns: (v: unknown): v is TdsHash => v instanceof TdsHash,
  header: (h: TdsHash) => ({ className: h.className, version: h.version }),
  write(h: TdsHash, out: T7Output) {
    out.writeLong(h.entries.size);
    for (const [k, v] of h.entries) {
      out.writeObject(k);
      out.writeObject(v, typeof k === 'string' || typeof k === 'number' ? k : undefined);
    }
  },
});

registerT7ClassCodec<TdsVec>(['tds.Vec'], {
  create: (_name: string, version: number | null) => {
    const v = new TdsVec();
    v.version = version;
    return v;
  },
  read(vec: TdsVec, input: T7Input) {
    const n = input.readLong();
    if (n < 0) input.fail(`tds.Vec: expected a non-negative length, found ${n}`);
    for (let i = 0; i < n; i++) vec.values.push(input.readObject(i + 1));
  },
  owns: (v: unknown): v is TdsVec => v instanceof TdsVec,
  header: (v: TdsVec) => ({ className: v.className, version: v.version }),
  write(vec: TdsVec, out: T7Output) {
    out.writeLong(vec.values.length);
    vec.values.forEach((v, i) => out.writeObject(v, i + 1));
  },
});
