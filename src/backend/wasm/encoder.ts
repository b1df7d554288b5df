// A minimal WebAssembly binary encoder: just what the SIMD kernels in this folder need
// (one imported memory, functions of i32 parameters, structured control, i32/f32/f64
// scalar ops and the 128-bit SIMD ops). Instructions are appended to a Code buffer in
// stack-machine order; Module assembles the sections. Encoding follows the WebAssembly
// core specification 2.0 (binary format, chapter 5) and its fixed-width SIMD opcodes.

export const enum T {
  i32 = 0x7f,
  i64 = 0x7e,
  f32 = 0x7d,
  f64 = 0x7c,
  v128 = 0x7b,
}

export function uleb(n: number): number[] {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`uleb: expected a non-negative integer, got ${n}`);
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

export function sleb(n: number): number[] {
  if (!Number.isInteger(n) || n < -(2 ** 31) || n >= 2 ** 31) throw new RangeError(`sleb: expected a 32-bit integer, got ${n}`);
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    const done = (n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0);
    out.push(done ? b : b | 0x80);
    if (done) return out;
  }
}

function name(s: string): number[] {
  const bytes = [...new TextEncoder().encode(s)];
  return [...uleb(bytes.length), ...bytes];
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

const F32 = new Float32Array(1);
const F64 = new Float64Array(1);

/** SIMD opcodes (after the 0xfd prefix), named as in the text format. */
export const SIMD = {
  'v128.load': 0x00,
  'v128.load32_splat': 0x09,
  'v128.store': 0x0b,
  'v128.const': 0x0c,
  'i8x16.shuffle': 0x0d,
  'i32x4.splat': 0x11,
  'f32x4.splat': 0x13,
  'f64x2.splat': 0x14,
  'f32x4.extract_lane': 0x1f,
  'f64x2.extract_lane': 0x21,
  'f32x4.eq': 0x41,
  'f32x4.lt': 0x43,
  'f32x4.gt': 0x44,
  'f32x4.le': 0x45,
  'f32x4.ge': 0x46,
  'v128.not': 0x4d,
  'v128.and': 0x4e,
  'v128.andnot': 0x4f,
  'v128.or': 0x50,
  'v128.xor': 0x51,
  'v128.bitselect': 0x52,
  'f32x4.demote_f64x2_zero': 0x5e,
  'f64x2.promote_low_f32x4': 0x5f,
  'f32x4.ceil': 0x67,
  'f32x4.floor': 0x68,
  'f32x4.trunc': 0x69,
  'f32x4.nearest': 0x6a,
  'i32x4.shl': 0xab,
  'i32x4.shr_s': 0xac,
  'i32x4.shr_u': 0xad,
  'i32x4.add': 0xae,
  'i32x4.sub': 0xb1,
  'f32x4.abs': 0xe0,
  'f32x4.neg': 0xe1,
  'f32x4.sqrt': 0xe3,
  'f32x4.add': 0xe4,
  'f32x4.sub': 0xe5,
  'f32x4.mul': 0xe6,
  'f32x4.div': 0xe7,
  'f32x4.min': 0xe8,
  'f32x4.max': 0xe9,
  'f32x4.pmin': 0xea,
  'f32x4.pmax': 0xeb,
  'f64x2.add': 0xf0,
  'f64x2.sub': 0xf1,
  'f64x2.mul': 0xf2,
  'i32x4.trunc_sat_f32x4_s': 0xf8,
  'f32x4.convert_i32x4_s': 0xfa,
  /** Relaxed SIMD (relaxed_simd.ts): a * b + c, fused or not. */
  'f32x4.relaxed_madd': 0x105,
} as const;
export type SimdOp = keyof typeof SIMD;

/** Scalar opcodes used here. */
const OP = {
  'i32.eqz': 0x45,
  'i32.eq': 0x46,
  'i32.ne': 0x47,
  'i32.lt_u': 0x49,
  'i32.gt_u': 0x4b,
  'i32.le_u': 0x4d,
  'i32.ge_u': 0x4f,
  'i32.add': 0x6a,
  'i32.sub': 0x6b,
  'i32.mul': 0x6c,
  'i32.and': 0x71,
  'i32.shl': 0x74,
  'i32.shr_u': 0x76,
  'f64.add': 0xa0,
  'f64.promote_f32': 0xbb,
  'f32.demote_f64': 0xb6,
  select: 0x1b,
  drop: 0x1a,
} as const;
export type ScalarOp = keyof typeof OP;

/** A function body under construction: append instructions in stack order. */
export class Code {
  readonly bytes: number[] = [];

  private push(...b: number[]): this {
    for (const x of b) this.bytes.push(x);
    return this;
  }

  op(o: ScalarOp): this {
    return this.push(OP[o]);
  }

  get(i: number): this {
    return this.push(0x20, ...uleb(i));
  }

  set(i: number): this {
    return this.push(0x21, ...uleb(i));
  }

  tee(i: number): this {
    return this.push(0x22, ...uleb(i));
  }

  i32(n: number): this {
    return this.push(0x41, ...sleb(n | 0));
  }

  f32(x: number): this {
    F32[0] = x;
    return this.push(0x43, ...new Uint8Array(F32.buffer));
  }

  /** Loads/stores: memarg = log2 alignment hint, byte offset. */
  f32Load(offset = 0): this {
    return this.push(0x2a, 2, ...uleb(offset));
  }

  i32Load(offset = 0): this {
    return this.push(0x28, 2, ...uleb(offset));
  }

  f32Store(offset = 0): this {
    return this.push(0x38, 2, ...uleb(offset));
  }

  i32Store(offset = 0): this {
    return this.push(0x36, 2, ...uleb(offset));
  }

  /** call: function `index` of the module (its arguments pushed first). */
  call(index: number): this {
    return this.push(0x10, ...uleb(index));
  }

  f64Load(offset = 0): this {
    return this.push(0x2b, 3, ...uleb(offset));
  }

  f64Store(offset = 0): this {
    return this.push(0x39, 3, ...uleb(offset));
  }

  block(): this {
    return this.push(0x02, 0x40);
  }

  loop(): this {
    return this.push(0x03, 0x40);
  }

  end(): this {
    return this.push(0x0b);
  }

  br(depth: number): this {
    return this.push(0x0c, ...uleb(depth));
  }

  brIf(depth: number): this {
    return this.push(0x0d, ...uleb(depth));
  }

  simd(o: SimdOp, ...immediates: number[]): this {
    return this.push(0xfd, ...uleb(SIMD[o]), ...immediates);
  }

  v128Load(offset = 0): this {
    return this.simd('v128.load', 4, ...uleb(offset));
  }

  v128Store(offset = 0): this {
    return this.simd('v128.store', 4, ...uleb(offset));
  }

  /** v128.const from four float32 lanes. */
  f32x4(a: number, b = a, c = a, d = a): this {
    const v = new Float32Array([a, b, c, d]);
    return this.simd('v128.const', ...new Uint8Array(v.buffer));
  }

  /** v128.const from four int32 lanes. */
  i32x4(a: number, b = a, c = a, d = a): this {
    const v = new Int32Array([a, b, c, d]);
    return this.simd('v128.const', ...new Uint8Array(v.buffer));
  }

  shuffle(lanes: readonly number[]): this {
    if (lanes.length !== 16) throw new RangeError(`i8x16.shuffle: expected 16 lane indices, got ${lanes.length}`);
    return this.simd('i8x16.shuffle', ...lanes);
  }

  /** f64.const, for completeness of scalar accumulators. */
  f64(x: number): this {
    F64[0] = x;
    return this.push(0x44, ...new Uint8Array(F64.buffer));
  }
}

export interface FuncDef {
  name: string;
  params: readonly T[];
  /** Extra locals after the parameters, in order. */
  locals: readonly T[];
  body: Code;
}

/**
 * One module: imports env.memory (shared when the host memory is a SharedArrayBuffer,
 * which then needs a maximum), exports every function by name (no results).
 */
export function assemble(funcs: readonly FuncDef[], sharedMemory = false): Uint8Array {
  const section = (id: number, content: number[]) => [id, ...uleb(content.length), ...content];
  const types = funcs.map((f) => [0x60, ...vec(f.params.map((p) => [p])), ...vec([])]);
  const limits = sharedMemory ? [0x03, ...uleb(1), ...uleb(65536)] : [0x00, ...uleb(1)];
  const imports = vec([[...name('env'), ...name('memory'), 0x02, ...limits]]);
  const funcIdx = vec(funcs.map((_, i) => uleb(i)));
  const exports = vec(funcs.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]));
  const bodies = vec(
    funcs.map((f) => {
      const groups: number[][] = [];
      for (const t of f.locals) {
        const last = groups[groups.length - 1];
        if (last && last[1] === t) last[0]!++;
        else groups.push([1, t]);
      }
      const body = [...vec(groups.map(([n, t]) => [...uleb(n!), t!])), ...f.body.bytes, 0x0b];
      return [...uleb(body.length), ...body];
    }),
  );
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, imports),
    ...section(3, funcIdx),
    ...section(7, exports),
    ...section(10, bodies),
  ]);
}

/**
 * A function under construction: i32 parameters by name, locals declared by name on first
 * use, and the body's Code.
 */
export class Fn {
  private readonly names = new Map<string, number>();
  private readonly extra: T[] = [];
  readonly code = new Code();

  constructor(
    readonly name: string,
    readonly params: readonly string[],
  ) {
    params.forEach((p, i) => this.names.set(p, i));
  }

  /** Index of local `n`, declared with type `t` on first use. */
  l(n: string, t: T = T.i32): number {
    let i = this.names.get(n);
    if (i === undefined) {
      i = this.params.length + this.extra.length;
      this.names.set(n, i);
      this.extra.push(t);
    }
    return i;
  }

  v(n: string): number {
    return this.l(n, T.v128);
  }

  /** local x += local (or parameter) y */
  inc(x: number, y: number): void {
    this.code.get(x).get(y).op('i32.add').set(x);
  }

  /** local x -= 1, then continue the enclosing loop while it is non-zero */
  countDown(x: number): Code {
    return this.code.get(x).i32(1).op('i32.sub').tee(x).brIf(0);
  }

  def(): FuncDef {
    return { name: this.name, params: this.params.map(() => T.i32), locals: this.extra, body: this.code };
  }
}
