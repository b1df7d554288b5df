// Matrix products on the host (mm, addmm, mv, addmv, addr, ger): Float and Double
// accumulate in double; integer types wrap like C.

import { isTensor } from './tensor_base.js';
import { describeArg, parseBlasArgs } from './tensor_args.js';
import { TensorReduce } from './tensor_reduce.js';
import { indexArray } from './layout.js';
import type { Tensor } from './tensor.js';

/** Part of Tensor's class chain: matrix and vector products. */
export abstract class TensorBlas extends TensorReduce {
  /** this = m1 · m2 (resized to m1.size(1) x m2.size(2)). */
  mm(m1: Tensor, m2: Tensor): this {
    this.checkMatrices('mm', [m1, 2], [m2, 2]);
    this.resize(m1.sizes_[0]!, m2.sizes_[1]!);
    return this.gemm('mm', 0, this.asTensor(), 1, m1, m2);
  }

  /**
   * Torch's method addmm: this = beta * M + alpha * (m1 · m2), with M = this unless given:
   * addmm(m1, m2), addmm(alpha, m1, m2), addmm(M, m1, m2), addmm(M, alpha, m1, m2),
   * addmm(beta, alpha, m1, m2), addmm(beta, M, alpha, m1, m2).
   */
  addmm(...args: (number | Tensor)[]): this {
    const [beta, M, alpha, m1, m2] = parseBlasArgs('addmm', args, this.asTensor());
    this.checkMatrices('addmm', [M, 2], [m1, 2], [m2, 2]);
    return this.gemm('addmm', beta, M, alpha, m1, m2);
  }

  /** this = mat · vec (resized to mat.size(1)). */
  mv(mat: Tensor, vec: Tensor): this {
    this.checkMatrices('mv', [mat, 2], [vec, 1]);
    this.resize(mat.sizes_[0]!);
    return this.gemm('mv', 0, this.asTensor(), 1, mat, vec);
  }

  /** this = beta * v + alpha * (mat · vec); argument forms as addmm. */
  addmv(...args: (number | Tensor)[]): this {
    const [beta, v, alpha, mat, vec] = parseBlasArgs('addmv', args, this.asTensor());
    this.checkMatrices('addmv', [v, 1], [mat, 2], [vec, 1]);
    return this.gemm('addmv', beta, v, alpha, mat, vec);
  }

  /** this = beta * M + alpha * (v1 ⊗ v2); argument forms as addmm. */
  addr(...args: (number | Tensor)[]): this {
    const [beta, M, alpha, v1, v2] = parseBlasArgs('addr', args, this.asTensor());
    this.checkMatrices('addr', [M, 2], [v1, 1], [v2, 1]);
    return this.gemm('addr', beta, M, alpha, v1, v2);
  }

  /** this = v1 ⊗ v2 (outer product, resized to fit). */
  ger(v1: Tensor, v2: Tensor): this {
    this.checkMatrices('ger', [v1, 1], [v2, 1]);
    this.resize(v1.sizes_[0]!, v2.sizes_[0]!);
    return this.gemm('ger', 0, this.asTensor(), 1, v1, v2);
  }


  private checkMatrices(op: string, ...mats: [Tensor, number][]): void {
    mats.forEach(([m, dims], i) => {
      if (!isTensor(m)) throw new TypeError(`${op}: argument ${i + 1} should be a tensor, got ${describeArg(m)}`);
      this.checkSameType(m, op);
      if (m.sizes_.length !== dims) {
        throw new RangeError(`${op}: expected a ${dims === 2 ? 'matrix (2-d)' : 'vector (1-d)'} as operand ${i + 1}, got a ${m.sizes_.length}-d tensor of sizes [${m.sizes_.join(', ')}]`);
      }
    });
  }

  /**
   * this = beta * M + alpha * (a · b) for matrix/vector operands (a vector b is a column,
   * a vector a with a vector b is an outer product). beta = 0 ignores M's contents, as BLAS does.
   */
  private gemm(op: string, beta: number, M: Tensor, alpha: number, a: Tensor, b: Tensor): this {
    const n = a.sizes_[0]!;
    const k = a.sizes_.length === 2 ? a.sizes_[1]! : 1;
    const kb = b.sizes_.length === 2 ? b.sizes_[0]! : a.sizes_.length === 2 ? b.sizes_[0]! : 1;
    const p = b.sizes_.length === 2 ? b.sizes_[1]! : a.sizes_.length === 2 ? 1 : b.sizes_[0]!;
    if (k !== kb) throw new RangeError(`${op}: size mismatch, [${a.sizes_.join(' x ')}] times [${b.sizes_.join(' x ')}]`);
    const expected = M.sizes_.length === 2 ? [n, p] : [n];
    if (M.sizes_.some((s, i) => s !== expected[i])) {
      throw new RangeError(`${op}: the result should have sizes [${expected.join(', ')}], got [${M.sizes_.join(', ')}]`);
    }
    const long = this.elementType === 'Long';
    // Operands are read before the result is touched, so they may alias it.
    const A = long ? [] : Float64Array.from(a.values());
    const B = long ? [] : Float64Array.from(b.values());
    const AB = long ? a.bigValues() : [];
    const BB = long ? b.bigValues() : [];
    if (M !== this.asTensor()) {
      this.checkSameType(M, op);
      const m = M.storage_ === this.storage_ ? M.clone() : M;
      if (!this.isSameSizeAs(m)) this.resizeAs(m);
      if (beta !== 0) this.copy(m);
    }
    if (long) {
      const C = beta === 0 ? null : this.bigValues();
      const bb = this.realBig(beta, op);
      const ab = this.realBig(alpha, op);
      const out = new Array<bigint>(n * p);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < p; j++) {
          let s = 0n;
          for (let l = 0; l < k; l++) s += AB[i * k + l]! * BB[l * p + j]!;
          out[i * p + j] = (C ? bb * C[i * p + j]! : 0n) + ab * s;
        }
      }
      const d = this.storage().mutableData() as BigInt64Array;
      indexArray(this.sizes_, this.strides_, this.offset_).forEach((q, t) => (d[q] = out[t]!));
      return this;
    }
    const C = beta === 0 ? null : this.values();
    const be = this.real(beta, op);
    const al = this.real(alpha, op);
    const acc = new Float64Array(n * p);
    for (let i = 0; i < n; i++) {
      const row = i * p;
      for (let l = 0; l < k; l++) {
        const x = A[i * k + l]!;
        const brow = l * p;
        for (let j = 0; j < p; j++) acc[row + j]! += x * B[brow + j]!;
      }
    }
    const d = this.storage().mutableData();
    const write = this.writeFn(d);
    const int32 = this.elementType === 'Int';
    indexArray(this.sizes_, this.strides_, this.offset_).forEach((q, t) => {
      // Integer types wrap their products like C (Int through 32-bit arithmetic).
      const s = int32 ? Math.imul(al, acc[t]! | 0) : al * acc[t]!;
      write(q, C ? (int32 ? Math.imul(be, C[t]!) : be * C[t]!) + s : s);
    });
    return this;
  }
}
