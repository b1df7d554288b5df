// Hostile and broken .t7 files: each problem is a T7FormatError naming the byte
// offset and the object path, without hanging and without allocating what the file
// could not hold.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as t7 from '../src/t7/index.js';
import { T7FormatError } from '../src/t7/errors.js';

const SER = new URL('../fixtures/torch7/serialization/', import.meta.url).pathname;
const RESNET = new URL('../fixtures/torch7/resnet/depth20/', import.meta.url).pathname;

/** A little builder for binary .t7 bytes. */
class Bytes {
  private parts: Buffer[] = [];
  int(v: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32LE(v);
    this.parts.push(b);
    return this;
  }
  long(v: bigint | number): this {
    const b = Buffer.alloc(8);
    b.writeBigInt64LE(BigInt(v));
    this.parts.push(b);
    return this;
  }
  double(v: number): this {
    const b = Buffer.alloc(8);
    b.writeDoubleLE(v);
    this.parts.push(b);
    return this;
  }
  str(s: string): this {
    return this.int(s.length).raw(Buffer.from(s, 'latin1'));
  }
  raw(b: Buffer): this {
    this.parts.push(b);
    return this;
  }
  get(): Uint8Array {
    return new Uint8Array(Buffer.concat(this.parts));
  }
}

function formatError(bytes: Uint8Array, options: t7.ReadOptions = {}): T7FormatError {
  try {
    t7.deserialize(bytes, options);
  } catch (e) {
    expect(e).toBeInstanceOf(T7FormatError);
    return e as T7FormatError;
  }
  throw new Error('expected a T7FormatError, the bytes loaded');
}

describe('T7FormatError', () => {
  it('every truncation of a file is an error at or before its end', () => {
    for (const name of ['tensor_shared_storage.t7', 'table_cycle.t7', 'function_upvalues.t7', 'tensor_Long.ascii.t7', 'custom_class.ascii.t7']) {
      const bytes = readFileSync(join(SER, name));
      const ascii = name.includes('.ascii.');
      // ascii numbers carry no length: a cut inside the last number leaves a shorter, valid one
      const text = bytes.toString('latin1').trimEnd();
      const complete = ascii ? Math.max(text.lastIndexOf(' '), text.lastIndexOf('\n')) + 2 : bytes.length;
      for (let n = 0; n < complete; n++) {
        const cut = new Uint8Array(bytes.subarray(0, n));
        const e = formatError(cut, { format: ascii ? 'ascii' : 'binary' });
        expect(e.offset).toBeLessThanOrEqual(n);
        expect(e.offset).toBeGreaterThanOrEqual(0);
      }
    }
  });

  it('names the path of a truncated tensor deep in a model', () => {
    const bytes = readFileSync(join(RESNET, 'model_init.t7'));
    const e = formatError(new Uint8Array(bytes.subarray(0, 5000)));
    expect(e.path).toMatch(/^modules\[\d+\]\.(weight|bias|running_mean|running_var|gradWeight|gradBias)\.<storage>$|^modules\[\d+\]/);
    expect(e.message).toContain(`at byte ${e.offset}`);
    expect(e.message).toContain(e.path);
    expect(e.reason).toMatch(/truncated/);
  });

  it('an unknown type tag', () => {
    const e = formatError(new Bytes().int(3).int(1).int(1).int(2).str('k').int(9).get());
    expect(e.reason).toMatch(/unknown type tag 9/);
    expect(e.offset).toBe(21);
    expect(e.path).toBe('k');
  });

  it('negative sizes', () => {
    expect(formatError(new Bytes().int(3).int(1).int(-1).get()).reason).toMatch(/non-negative table size, found -1/);
    expect(formatError(new Bytes().int(2).int(-5).get()).reason).toMatch(/non-negative length/);
    const storage = new Bytes().int(4).int(1).str('V 1').str('torch.FloatStorage').long(-3).get();
    expect(formatError(storage).reason).toMatch(/non-negative torch.FloatStorage size, found -3/);
    const tensor = new Bytes().int(4).int(1).str('V 1').str('torch.FloatTensor').int(-2).get();
    expect(formatError(tensor).reason).toMatch(/non-negative number of tensor dimensions/);
    const negSize = new Bytes().int(4).int(1).str('V 1').str('torch.FloatTensor').int(1).long(-4).long(1).long(1).int(0).get();
    expect(formatError(negSize).reason).toMatch(/negative size/);
  });

  it('absurd sizes fail before any allocation', () => {
    const storage = new Bytes().int(4).int(1).str('V 1').str('torch.DoubleStorage').long(2n ** 50n).get();
    const e = formatError(storage);
    expect(e.reason).toMatch(/truncated: a torch.DoubleStorage of 1125899906842624 elements needs/);
    const huge = new Bytes().int(4).int(1).str('V 1').str('torch.DoubleStorage').long(2n ** 62n).get();
    expect(formatError(huge).reason).toMatch(/at most 2\^53|truncated/);
    expect(formatError(new Bytes().int(2).int(2 ** 31 - 1).get()).reason).toMatch(/truncated: expected 2147483647 bytes for a string/);
    expect(formatError(new Bytes().int(3).int(1).int(2 ** 31 - 1).get()).reason).toMatch(/truncated/);
    const dims = new Bytes().int(4).int(1).str('V 1').str('torch.FloatTensor').int(2 ** 30).get();
    expect(formatError(dims).reason).toMatch(/a tensor of 1073741824 dimensions/);
  });

  it('a storage bigger than the rest of the file, with the path', () => {
    const bytes = new Bytes()
      .int(3).int(1).int(1)
      .int(2).str('weight')
      .int(4).int(2).str('V 1').str('torch.FloatTensor').int(1).long(10).long(1).long(1)
      .int(4).int(3).str('V 1').str('torch.FloatStorage').long(10)
      .raw(Buffer.alloc(12))
      .get();
    const e = formatError(bytes);
    expect(e.path).toBe('weight.<storage>');
    expect(e.reason).toMatch(/10 elements needs 40 bytes, found 12/);
    expect(e.offset).toBe(bytes.length - 12);
  });

  it('a tensor reaching outside its storage', () => {
    const bytes = new Bytes().int(4).int(1).str('V 1').str('torch.FloatTensor').int(1).long(5).long(1).long(3)
      .int(4).int(2).str('V 1').str('torch.FloatStorage').long(4).raw(Buffer.alloc(16)).get();
    expect(formatError(bytes).reason).toMatch(/reaches outside its storage of 4 elements/);
  });

  it('a reference to an object still being read, and a storage of the wrong type', () => {
    // the tensor's storage slot points back at the tensor itself (index 1)
    const self = new Bytes().int(4).int(1).str('V 1').str('torch.FloatTensor').int(0).long(1).int(4).int(1).get();
    expect(formatError(self).reason).toMatch(/reference to object #1, a tensor whose storage is still being read/);
    const wrong = new Bytes().int(4).int(1).str('V 1').str('torch.FloatTensor').int(0).long(1)
      .int(4).int(2).str('V 1').str('torch.DoubleStorage').long(0).get();
    expect(formatError(wrong).reason).toMatch(/expected a Float storage or nil, found a torch.DoubleStorage/);
  });

  it('a reference index never defined reads as a new object and fails where the bytes end', () => {
    // { a = <object #7> } where #7 was never written: Torch would read a new table here
    const bytes = new Bytes().int(3).int(1).int(1).int(2).str('a').int(3).int(7).get();
    const e = formatError(bytes);
    expect(e.path).toBe('a');
    expect(e.reason).toMatch(/truncated: expected 4 bytes for a table size/);
  });

  it('nil and NaN keys', () => {
    expect(formatError(new Bytes().int(3).int(1).int(1).int(0).int(1).double(1).get()).reason).toMatch(/nil key/);
    expect(formatError(new Bytes().int(3).int(1).int(1).int(1).double(NaN).int(1).double(1).get()).reason).toMatch(/NaN key/);
  });

  it('a class without a field table', () => {
    const bytes = new Bytes().int(4).int(1).str('V 1').str('torch.Generator').int(1).double(5).get();
    expect(formatError(bytes).reason).toMatch(/object of class torch.Generator: expected its field table, found a number/);
  });

  it('absurd nesting depth', () => {
    const b = new Bytes();
    for (let i = 0; i < 100000; i++) b.int(3).int(i + 1).int(1).int(1).double(1);
    const bytes = b.get();
    const e = formatError(bytes);
    expect(e.reason).toMatch(/nested deeper than 1500 levels/);
    expect(e.path.startsWith('[1][1][1]')).toBe(true);
    // past the JS stack: still a T7FormatError
    expect(formatError(bytes, { maxDepth: 1e9 }).reason).toMatch(/too deep for the JavaScript stack|nested deeper/);
  });

  it('ascii garbage', () => {
    expect(formatError(new Uint8Array(Buffer.from('3\n1\nx\n')), { format: 'ascii' }).reason).toMatch(/expected a table size \(an integer\), found "x"/);
    expect(formatError(new Uint8Array(Buffer.from('1\nabc\n')), { format: 'ascii' }).reason).toMatch(/expected a number \(a floating point number\)/);
    expect(formatError(new Uint8Array(Buffer.from('2\n10\nabc\n')), { format: 'ascii' }).reason).toMatch(/truncated: expected 10 raw bytes/);
    expect(formatError(new Uint8Array(0)).reason).toMatch(/empty file/);
  });

  it('4-byte longs are detected only when they are the only reading', () => {
    const value = t7.load(join(SER, 'tensor_shared_storage.t7'));
    const b4 = t7.serialize(value, { longSize: 4 });
    expect(t7.loadWithInfo(b4).longSize).toBe(4);
    // a broken 4-byte file reports the 8-byte reading's error (the default)
    const e = formatError(new Uint8Array(b4.subarray(0, b4.length - 3)));
    expect(e.offset).toBeLessThanOrEqual(b4.length);
    expect(formatError(new Uint8Array(b4), { longSize: 8 })).toBeInstanceOf(T7FormatError);
  });
});
