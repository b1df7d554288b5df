// Big-endian .t7 files (Torch's file:bigEndianEncoding()): every int, long, double and
// storage element byte-swapped, strings as they are. No Torch7-written big-endian file
// exists in the fixtures, so the expectations are built here from the format's rules:
// hand-assembled bytes for small objects, and for every binary fixture the round trip
// little -> big -> little giving the original bytes and the big form reading back to the
// content Torch7's sidecar describes.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as t7 from '../src/t7/index.js';
import { compareWithDescription } from '../src/t7/compare.js';

const SER = new URL('../fixtures/torch7/serialization/', import.meta.url).pathname;
const binaries = readdirSync(SER).filter((f) => f.endsWith('.t7') && !f.endsWith('.ascii.t7'));

function be32(v: number): number[] {
  const b = Buffer.alloc(4);
  b.writeInt32BE(v);
  return [...b];
}
function be64(v: bigint): number[] {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(v);
  return [...b];
}
function beDouble(v: number): number[] {
  const b = Buffer.alloc(8);
  b.writeDoubleBE(v);
  return [...b];
}

describe('big-endian .t7', () => {
  it('a number and a DoubleStorage, byte by byte as bigEndianEncoding() writes them', () => {
    expect([...t7.serialize(Math.PI, { endianness: 'big' })]).toEqual([...be32(1), ...beDouble(Math.PI)]);
    const storage = t7.load(join(SER, 'storage_Double.t7'));
    const bytes = t7.serialize(storage, { endianness: 'big' });
    const name = [...Buffer.from('torch.DoubleStorage', 'latin1')];
    const values = [...(storage as { data(): Float64Array }).data()];
    const expected = [
      ...be32(4), // TYPE_TORCH
      ...be32(1), // object index
      ...be32(3), ...Buffer.from('V 1'), // version string
      ...be32(name.length), ...name,
      ...be64(BigInt(values.length)),
      ...values.flatMap(beDouble),
    ];
    expect([...bytes]).toEqual(expected);
    expect(t7.detectEndianness(bytes)).toBe('big');
    expect(t7.detectFormat(bytes)).toBe('binary');
  });

  it(`every binary fixture (${binaries.length}): little -> big -> little gives the original bytes; big reads back as Torch7 described it`, () => {
    for (const f of binaries) {
      const original = readFileSync(join(SER, f));
      const info = t7.loadWithInfo(original);
      expect(info.endianness, f).toBe('little');
      const big = t7.serialize(info.value, { longSize: info.longSize, endianness: 'big' });
      const back = t7.loadWithInfo(big);
      // a nil file (4 zero bytes) reads the same either way
      expect(back.endianness, f).toBe(f.startsWith('nil_') ? 'little' : 'big');
      expect(back.longSize, f).toBe(info.longSize);
      const side = JSON.parse(readFileSync(join(SER, f.replace(/\.t7$/, '.expected.json')), 'utf8')) as { object: t7.Description };
      expect(compareWithDescription(side.object, back.value), f).toEqual([]);
      // big -> big is byte-identical, and big -> little is the file Torch7 wrote
      expect(Buffer.compare(t7.serialize(back.value, { longSize: back.longSize, endianness: 'big' }), big), f).toBe(0);
      expect(Buffer.compare(t7.serialize(back.value, { longSize: back.longSize }), original), f).toBe(0);
      // --big-endian forced on a little-endian file is an error, not garbage
      if (!f.startsWith('nil_') && original.length > 4) expect(() => t7.load(original, { endianness: 'big' }), f).toThrow(t7.T7FormatError);
    }
  });
});
