// The 3x3, stride-1, pad-1 convolution's taps summed in one kernel call: for each 16-column
// tile (outermost: its B panel over the nine taps stays in L1) and each tile of MR output
// positions, the nine taps' terms go into the same registers and C is stored once. The per-tap
// kernels (tap_gemm.ts) store and reload C after each tap: at 16 input channels a tap is 16
// terms, and C's traffic and each tile's setup weigh on the products; each group of images
// also takes nine pool calls instead of one. Taken for up to 35 terms per tap (tap_gemm.ts's
// fusesTaps3x3): ResNet-164's 16-channel layers 16 % (forward) and 9 % (input gradient)
// faster, its 32-channel ones level; a training step 1-3 % faster (alternating, medians).
//
//   forward:        y[p]  = start + sum over taps t (in tapOrder: the centre, then 0..8) of
//                           x[p + (a - 1, e - 1)] . W_t
//   input gradient: dx[p] = sum over t of dy[p - (a - 1, e - 1)] . W_t   (t = 3a + e)
//
// the same sums, in the same order (taps, then channels), as the per-tap kernels, so the same
// bits: a tap that falls in the padding reads a row of zeros, adding 0 * w = +-0 (exactly the
// per-tap path's skipped tap, up to the sign of a zero sum; and NaN where w is not finite, as
// Torch's zero-padded unfold gives). Each position's taps are checked against the image's
// edges at run time (two compares per row, two per position tile).

import { Fn, T, type FuncDef } from './encoder.js';
import { emitTermLoop, NC, NV } from './tap_terms.js';

const TAP3X3_PARAMS = [
  'a', 'b', 'c', 'nTiles', 'k', 'outer', 'h', 'cols', 'col0', 'w', 'aCol', 'cCol', 'ldb', 'load', 'zero', 'bStep',
] as const;

/** The taps in the per-tap kernels' order for a 3x3 pad-1 layer: the centre (which covers every position) first. */
export const TAP3X3_ORDER = [4, 0, 1, 2, 3, 5, 6, 7, 8] as const;

/**
 * tap3x3_mr{m}[_grad](a, b, c, nTiles, k, outer, h, cols, col0, w, aCol, cCol, ldb, load, zero, bStep):
 * over `outer` images of h rows and w columns (A and C share the grid: a and c their first
 * position, aCol / cCol bytes per position), the `cols` tiles of m positions of every row from
 * column col0: C[p, 16 columns] = start + sum over taps (TAP3X3_ORDER) and j < k of
 * A[q(p, t) + 4j] * B[t * k * nTiles * 64 + tile * bStep + j * ldb + columns] (a tap's block:
 * k rows of nTiles * 16 floats), q(p, t) the tap's neighbour of p (forward: p + (a - 1, e - 1);
 * _grad: p - (a - 1, e - 1)), or `zero` (k zero floats) outside the image.
 * start = 0 (load 0) or the float32 row at byte address `load` (the bias, nTiles * 16 floats).
 * Column tiles outermost; B's rows ldb bytes apart, its column tiles bStep (rows of all the
 * tiles: ldb = 64 * nTiles, bStep = 64; 16-column panels: ldb = 64, bStep = 64 k). All counts
 * >= 1; byte addresses.
 */
export function tap3x3Kernel(m: number, inputGrad: boolean): FuncDef {
  const f = new Fn(`tap3x3_mr${m}${inputGrad ? '_grad' : ''}`, TAP3X3_PARAMS);
  const P = (n: (typeof TAP3X3_PARAMS)[number]) => f.l(n);
  const l = (n: string): number => f.l(n);
  const c = f.code;
  const acc = Array.from({ length: m }, (_, q) => Array.from({ length: NV }, (_, v) => f.l(`acc${q}_${v}`, T.v128)));
  const bv = Array.from({ length: NV }, (_, v) => f.l(`b${v}`, T.v128));
  const s = f.l('s', T.v128);
  const aq = Array.from({ length: m }, (_, q) => l(`a${q}`));
  const left = Array.from({ length: m }, (_, q) => l(`left${q}`));
  const right = Array.from({ length: m }, (_, q) => l(`right${q}`));
  const [aRow, cRow, ao, co, o, ar, cr, r, up, down, ap, cp, col, i, bT, cT, tj, bp, j, start, bTap] = [
    'aRow', 'cRow', 'ao', 'co', 'o', 'ar', 'cr', 'r', 'up', 'down', 'ap', 'cp', 'col', 'i', 'bT', 'cT', 'tj', 'bp', 'j', 'start', 'bTap',
  ].map(l);
  c.get(P('k')).get(P('nTiles')).op('i32.mul').i32(NC * 4).op('i32.mul').set(bTap);

  c.get(P('w')).get(P('aCol')).op('i32.mul').set(aRow);
  c.get(P('w')).get(P('cCol')).op('i32.mul').set(cRow);
  c.get(P('b')).set(bT).i32(0).set(cT).get(P('nTiles')).set(tj);
  c.loop(); // column tiles: each one's B panel stays in L1 while it sweeps the positions
  c.get(P('a')).get(P('col0')).get(P('aCol')).op('i32.mul').op('i32.add').set(ao);
  c.get(P('c')).get(P('col0')).get(P('cCol')).op('i32.mul').op('i32.add').set(co);
  c.get(P('outer')).set(o);
  c.loop(); // images
  c.get(ao).set(ar).get(co).set(cr).i32(0).set(r);
  c.loop(); // rows
  // may this row's taps reach the row above / below?
  c.get(r).i32(0).op('i32.gt_u').set(up);
  c.get(r).i32(1).op('i32.add').get(P('h')).op('i32.lt_u').set(down);
  c.get(ar).set(ap).get(cr).set(cp).get(P('col0')).set(col).get(P('cols')).set(i);
  c.loop(); // position tiles of the row
  for (let q = 0; q < m; q++) {
    c.get(col).i32(q).op('i32.add').i32(0).op('i32.gt_u').set(left[q]!);
    c.get(col).i32(q + 1).op('i32.add').get(P('w')).op('i32.lt_u').set(right[q]!);
  }
  // the start: zeros or this column tile's part of the bias row
  c.block();
  c.block();
  c.get(P('load')).op('i32.eqz').brIf(0);
  c.get(P('load')).get(cT).op('i32.add').set(start);
  for (let v = 0; v < NV; v++) {
    c.get(start).v128Load(16 * v).set(bv[v]!);
    for (let q = 0; q < m; q++) c.get(bv[v]!).set(acc[q]![v]!);
  }
  c.br(1);
  c.end();
  for (const row of acc) for (const x of row) c.f32x4(0).set(x);
  c.end();
  for (const t of TAP3X3_ORDER) {
    // the neighbour's offset in rows and columns
    const sign = inputGrad ? -1 : 1;
    const dr = sign * (Math.floor(t / 3) - 1);
    const dc = sign * ((t % 3) - 1);
    for (let q = 0; q < m; q++) {
      c.get(ap);
      if (q > 0) c.get(P('aCol')).i32(q).op('i32.mul').op('i32.add');
      if (dr !== 0) c.get(aRow).op(dr > 0 ? 'i32.add' : 'i32.sub');
      if (dc !== 0) c.get(P('aCol')).op(dc > 0 ? 'i32.add' : 'i32.sub');
      const rowOk = dr < 0 ? up : dr > 0 ? down : -1;
      const colOk = dc < 0 ? left[q]! : dc > 0 ? right[q]! : -1;
      if (rowOk >= 0 || colOk >= 0) {
        c.get(P('zero'));
        if (rowOk >= 0 && colOk >= 0) c.get(rowOk).get(colOk).op('i32.and');
        else c.get(rowOk >= 0 ? rowOk : colOk);
        c.op('select');
      }
      c.set(aq[q]!);
    }
    c.get(bT);
    if (t > 0) c.get(bTap).i32(t).op('i32.mul').op('i32.add');
    c.set(bp);
    emitTermLoop(f, acc, bv, s, aq, bp, j, P('k'), P('ldb')); // the tap's terms
  }
  for (let q = 0; q < m; q++) {
    for (let v = 0; v < NV; v++) {
      c.get(cp);
      if (q > 0) c.get(P('cCol')).i32(q).op('i32.mul').op('i32.add');
      c.get(cT).op('i32.add').get(acc[q]![v]!).v128Store(16 * v);
    }
  }
  c.get(ap).get(P('aCol')).i32(m).op('i32.mul').op('i32.add').set(ap);
  c.get(cp).get(P('cCol')).i32(m).op('i32.mul').op('i32.add').set(cp);
  c.get(col).i32(m).op('i32.add').set(col);
  f.countDown(i).end();
  f.inc(ar, aRow);
  f.inc(cr, cRow);
  c.get(r).i32(1).op('i32.add').tee(r).get(P('h')).op('i32.lt_u').brIf(0);
  c.end();
  c.get(ao).get(aRow).get(P('h')).op('i32.mul').op('i32.add').set(ao);
  c.get(co).get(cRow).get(P('h')).op('i32.mul').op('i32.add').set(co);
  f.countDown(o).end();
  f.inc(bT, P('bStep'));
  c.get(cT).i32(NC * 4).op('i32.add').set(cT);
  f.countDown(tj).end();
  return f.def();
}
