// Two small functions the kernels with float64 accumulators share: zeroing them, and adding
// runs of them (one per piece of work cut by the shape, never by the thread count) in run
// order, so the order of every sum is the same for any number of threads.

import { Fn, type FuncDef } from './encoder.js';

/** zero(p, vectors): `vectors` v128 zeros from byte address p. */
export function zeroKernel(): FuncDef {
  const f = new Fn('zero', ['p', 'vectors']);
  const c = f.code;
  const [p, k] = [f.l('p'), f.l('vectors')];
  c.block().get(k).op('i32.eqz').brIf(0).loop();
  c.get(p).f32x4(0).v128Store();
  c.get(p).i32(16).op('i32.add').set(p);
  f.countDown(k).end().end();
  return f.def();
}

/**
 * sum_runs(p, vectors, stride, runs): for each of `vectors` pairs of doubles from p,
 * p[i] = ((p[i] + p[i + stride]) + p[i + 2 stride]) + ... over `runs` runs (stride in bytes).
 */
export function sumRunsKernel(): FuncDef {
  const f = new Fn('sum_runs', ['p', 'vectors', 'stride', 'runs']);
  const c = f.code;
  const [p, k, q, r] = [f.l('p'), f.l('vectors'), f.l('q'), f.l('r')];
  const v = f.v('v');
  c.block().get(k).op('i32.eqz').brIf(0).loop();
  c.get(p).v128Load().set(v).get(p).set(q).get(f.l('runs')).i32(1).op('i32.sub').set(r);
  c.block().get(r).op('i32.eqz').brIf(0).loop();
  c.get(q).get(f.l('stride')).op('i32.add').set(q);
  c.get(v).get(q).v128Load().simd('f64x2.add').set(v);
  f.countDown(r).end().end();
  c.get(p).get(v).v128Store();
  c.get(p).i32(16).op('i32.add').set(p);
  f.countDown(k).end().end();
  return f.def();
}
