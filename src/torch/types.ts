// The Torch7 element types and the typed arrays that hold them on the host.

/** Torch7's element types: Byte (uint8), Char (int8), Short (int16), Int (int32), Long (int64), Float (float32), Double (float64), Half (float16). */
export type TensorType = 'Byte' | 'Char' | 'Short' | 'Int' | 'Long' | 'Float' | 'Double' | 'Half';

export const TENSOR_TYPES: readonly TensorType[] = ['Byte', 'Char', 'Short', 'Int', 'Long', 'Float', 'Double', 'Half'];

export type HostArray =
  | Uint8Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Float32Array
  | Float64Array
  | Uint16Array;

/** Half values are kept as their IEEE-754 binary16 bit patterns. */
export function allocHost(type: TensorType, n: number): HostArray {
  switch (type) {
    case 'Byte': return new Uint8Array(n);
    case 'Char': return new Int8Array(n);
    case 'Short': return new Int16Array(n);
    case 'Int': return new Int32Array(n);
    case 'Long': return new BigInt64Array(n);
    case 'Float': return new Float32Array(n);
    case 'Double': return new Float64Array(n);
    case 'Half': return new Uint16Array(n);
  }
}

export function bytesPerElement(type: TensorType): number {
  switch (type) {
    case 'Byte': case 'Char': return 1;
    case 'Short': case 'Half': return 2;
    case 'Int': case 'Float': return 4;
    case 'Long': case 'Double': return 8;
  }
}

export function isFloatingType(type: TensorType): boolean {
  return type === 'Float' || type === 'Double' || type === 'Half';
}

export function isTensorType(s: string): s is TensorType {
  return (TENSOR_TYPES as readonly string[]).includes(s);
}

/** 'torch.FloatTensor' -> 'Float'; also accepts the CUDA names ('torch.CudaTensor' is Float). */
export function typeFromClassName(name: string): { type: TensorType; kind: 'Tensor' | 'Storage'; cuda: boolean } | null {
  const m = /^torch\.(Cuda)?(Byte|Char|Short|Int|Long|Float|Double|Half)?(Tensor|Storage)$/.exec(name);
  if (!m) return null;
  const cuda = m[1] !== undefined;
  const type = (m[2] ?? (cuda ? 'Float' : undefined)) as TensorType | undefined;
  if (!type) return null;
  return { type, kind: m[3] as 'Tensor' | 'Storage', cuda };
}

export function tensorClassName(type: TensorType): string {
  return `torch.${type}Tensor`;
}

export function storageClassName(type: TensorType): string {
  return `torch.${type}Storage`;
}

// binary16 <-> number, round to nearest even as TH_float2half does.
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

export function numberToHalf(v: number): number {
  f32[0] = v;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && (half & 1))) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1))) half++;
  return sign | half;
}

/** Converts a number into what a storage of `type` holds (wrapping integers as C casts do). */
export function castNumber(type: TensorType, v: number): number {
  switch (type) {
    case 'Byte': return (Math.trunc(v) & 0xff) >>> 0;
    case 'Char': return (Math.trunc(v) << 24) >> 24;
    case 'Short': return (Math.trunc(v) << 16) >> 16;
    case 'Int': return Math.trunc(v) | 0;
    case 'Float': return Math.fround(v);
    case 'Half': return halfToNumber(numberToHalf(v));
    default: return v;
  }
}
