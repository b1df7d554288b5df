// The safetensors format: an 8-byte little-endian header length N, N bytes of JSON
// ({name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}},
// padded with spaces to a multiple of 8), then the tensors' little-endian bytes, back to
// back. Reading checks everything a malformed file could get wrong and says where.

import { endianness } from 'node:os';
import { halfToNumber } from '../torch/index.js';

export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

const DTYPE_BYTES: Record<SafetensorsDtype, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

/** The largest header this reader accepts (the reference implementation's limit). */
const MAX_HEADER = 100_000_000;

export interface SafetensorsEntry {
  dtype: SafetensorsDtype;
  shape: number[];
  /** The raw little-endian bytes. */
  bytes: Uint8Array;
}

/** A safetensors file that cannot be read or written, saying where. */
export class SafetensorsError extends Error {
  /**
   * @param where the file or tensor concerned.
   * @param message what is wrong.
   */
  constructor(where: string, message: string) {
    super(`${where}: ${message}`);
    this.name = 'SafetensorsError';
  }
}

function checkHostEndianness(): void {
  if (endianness() !== 'LE') throw new Error('safetensors: this host is big-endian; mpelu reads and writes safetensors on little-endian hosts only');
}

/** Float values as the bytes of a float32 (F32) or float64 (F64) tensor. */
export function floatBytes(values: readonly number[], dtype: 'F32' | 'F64'): Uint8Array {
  checkHostEndianness();
  const a = dtype === 'F32' ? Float32Array.from(values) : Float64Array.from(values);
  return new Uint8Array(a.buffer);
}

/** A file's bytes, as chunks (header, then each tensor): tensors in the given order. */
export function encodeSafetensors(tensors: ReadonlyMap<string, SafetensorsEntry>, metadata: Record<string, string>): Uint8Array[] {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const [name, t] of tensors) {
    if (name === '__metadata__') throw new Error('safetensors: a tensor cannot be called __metadata__');
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (t.bytes.byteLength !== n * DTYPE_BYTES[t.dtype]) throw new Error(`safetensors: ${name} has ${t.bytes.byteLength} bytes for ${t.dtype} [${t.shape.join(', ')}]`);
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + t.bytes.byteLength] };
    offset += t.bytes.byteLength;
  }
  let json = JSON.stringify(header);
  const raw = new TextEncoder().encode(json);
  json += ' '.repeat((8 - (raw.byteLength % 8)) % 8);
  const text = new TextEncoder().encode(json);
  const head = new Uint8Array(8 + text.byteLength);
  new DataView(head.buffer).setBigUint64(0, BigInt(text.byteLength), true);
  head.set(text, 8);
  return [head, ...[...tensors.values()].map((t) => t.bytes)];
}

/** Parses a safetensors file's bytes; `where` names it in errors. */
export function decodeSafetensors(bytes: Uint8Array, where: string): { tensors: Map<string, SafetensorsEntry>; metadata: Record<string, string> } {
  const fail = (msg: string): never => {
    throw new SafetensorsError(where, msg);
  };
  if (bytes.byteLength < 8) fail(`not a safetensors file: ${bytes.byteLength} bytes, expected at least the 8-byte header length`);
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(Math.min(MAX_HEADER, bytes.byteLength - 8))) {
    fail(`header length at byte 0 says ${n} bytes, but the file has ${bytes.byteLength - 8} bytes after it (limit ${MAX_HEADER}): not a safetensors file, or truncated`);
  }
  const headerEnd = 8 + Number(n);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, headerEnd)));
  } catch (e) {
    fail(`the JSON header (bytes 8..${headerEnd}) does not parse: ${(e as Error).message}`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) fail('the header is not a JSON object');
  const data = bytes.subarray(headerEnd);
  const tensors = new Map<string, SafetensorsEntry>();
  let metadata: Record<string, string> = {};
  const spans: [number, number, string][] = [];
  for (const [name, v] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (v === null || typeof v !== 'object' || Object.values(v).some((s) => typeof s !== 'string')) fail('__metadata__ should map strings to strings');
      metadata = v as Record<string, string>;
      continue;
    }
    const e = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e.dtype !== 'string' || !(e.dtype in DTYPE_BYTES)) fail(`tensor '${name}': unknown dtype ${JSON.stringify(e.dtype)} (known: ${Object.keys(DTYPE_BYTES).join(', ')})`);
    const dtype = e.dtype as SafetensorsDtype;
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isInteger(d) && d >= 0)) fail(`tensor '${name}': shape should be a list of non-negative integers, found ${JSON.stringify(e.shape)}`);
    const shape = e.shape as number[];
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isInteger(d) && d >= 0) || off[0] > off[1]) {
      fail(`tensor '${name}': data_offsets should be [begin, end], found ${JSON.stringify(off)}`);
    }
    const [b, end] = off as [number, number];
    const want = shape.reduce((a, d) => a * d, 1) * DTYPE_BYTES[dtype];
    if (end - b !== want) fail(`tensor '${name}': ${dtype} [${shape.join(', ')}] needs ${want} bytes, data_offsets [${b}, ${end}] give ${end - b}`);
    if (end > data.byteLength) fail(`tensor '${name}': data_offsets end at ${end} (file byte ${headerEnd + end}) beyond the ${data.byteLength} data bytes: truncated file?`);
    spans.push([b, end, name]);
    tensors.set(name, { dtype, shape, bytes: data.subarray(b, end) });
  }
  spans.sort((p, q) => p[0] - q[0]);
  for (let i = 1; i < spans.length; i++) {
    if (spans[i]![0] < spans[i - 1]![1]) fail(`tensors '${spans[i - 1]![2]}' and '${spans[i]![2]}' overlap (data bytes ${spans[i]![0]}..${spans[i - 1]![1]})`);
  }
  return { tensors, metadata };
}

/** A tensor's values as float64 numbers (floating dtypes only). */
export function floatValues(t: SafetensorsEntry, name: string): Float64Array {
  checkHostEndianness();
  const copy = new Uint8Array(t.bytes); // a copy, aligned (Buffer.slice would share the file's memory)
  switch (t.dtype) {
    case 'F64':
      return new Float64Array(copy.buffer);
    case 'F32':
      return Float64Array.from(new Float32Array(copy.buffer));
    case 'F16':
      return Float64Array.from(new Uint16Array(copy.buffer), halfToNumber);
    case 'BF16': {
      const u = new Uint16Array(copy.buffer);
      const f = new Float32Array(u.length);
      const bits = new Uint32Array(f.buffer);
      for (let i = 0; i < u.length; i++) bits[i] = u[i]! << 16;
      return Float64Array.from(f);
    }
    default:
      throw new Error(`tensor '${name}' is ${t.dtype}, expected a floating-point dtype (F64, F32, F16, BF16)`);
  }
}
