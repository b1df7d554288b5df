// optim.sgd's one-pass step for fb.resnet.torch's configuration (nnlr weightDecays and
// learningRates, Nesterov momentum) as a WebAssembly SIMD kernel. The seven float32 vectors
// the step reads and writes (x, dfdx, the two nnlr vectors, the decay, momentum and delta
// buffers) move once into a WebAssembly.Memory of their own (Storage.moveHostTo: every
// tensor on those storages sees the same values there; the memory lives as long as they do),
// and each step then runs over them in place, four elements per instruction: on ResNet-164's
// 1.7M parameters a step of 30.9 ms in the JavaScript loop takes 4.7 ms (bench/sgd_step.bench.ts).
//
// Per element the kernel makes the JavaScript loop's float32 operations in the same order
// (each product and sum rounded to float32; float64 arithmetic rounded by Math.fround gives
// the same roundings): the same bits. The memory is never grown, so its views stay valid.

import { Fn, assemble } from '../backend/wasm/encoder.js';
import type { Tensor } from '../torch/tensor.js';
import type { Storage } from '../torch/storage.js';

declare const WebAssembly: {
  Memory: new (d: { initial: number; maximum?: number }) => { buffer: ArrayBuffer };
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: Record<string, unknown> };
};

/** Below this many parameters the JavaScript loop stays (moving the vectors costs a copy). */
export const SGD_ARENA_MIN_ELEMENTS = 4096;

/** Bytes before the slots: the momentum and the step (-clr), each in four lanes. */
const HEADER = 32;

/** A WebAssembly memory's largest size (65,536 pages of 64 KiB). */
const MAX_BYTES = 65536 * 65536;

type StepFn = (x: number, g: number, wd: number, lr: number, de: number, b: number, dl: number, nbytes: number, consts: number) => void;

/**
 * (x, g, wd, lr, de, b, dl, nbytes, consts) over nbytes of each vector, consts = [m x4, step x4]:
 * d = wd*x; de = d; g1 = g + d; b = b*m + g1; g = g1 + m*b; dl = lr*g; x = x + step*dl.
 */
function nesterovKernel(): Uint8Array {
  const f = new Fn('nesterov', ['x', 'g', 'wd', 'lr', 'de', 'b', 'dl', 'nbytes', 'consts']);
  const c = f.code;
  const i = f.l('i');
  const [m, step, x, d, g1, b, g2, dl] = ['m', 'step', 'xv', 'd', 'g1', 'bv', 'g2', 'dlv'].map((n) => f.v(n)) as [number, number, number, number, number, number, number, number];
  const at = (p: string) => c.get(f.l(p)).get(i).op('i32.add');
  c.get(f.l('consts')).v128Load().set(m);
  c.get(f.l('consts')).v128Load(16).set(step);
  c.i32(0).set(i);
  c.block().loop();
  c.get(i).get(f.l('nbytes')).op('i32.ge_u').brIf(1);
  at('x').v128Load().set(x);
  at('de');
  at('wd').v128Load().get(x).simd('f32x4.mul').tee(d).v128Store();
  at('g').v128Load().get(d).simd('f32x4.add').set(g1);
  at('b');
  at('b').v128Load().get(m).simd('f32x4.mul').get(g1).simd('f32x4.add').tee(b).v128Store();
  at('g');
  c.get(g1).get(m).get(b).simd('f32x4.mul').simd('f32x4.add').tee(g2).v128Store();
  at('dl');
  at('lr').v128Load().get(g2).simd('f32x4.mul').tee(dl).v128Store();
  at('x');
  c.get(x).get(step).get(dl).simd('f32x4.mul').simd('f32x4.add').v128Store();
  c.get(i).i32(16).op('i32.add').set(i);
  c.br(0).end().end();
  return assemble([f.def()]);
}

let moduleOnce: object | null = null;

/** The seven vectors in one memory, and the kernel instantiated on it. */
class Arena {
  readonly views: Float32Array[];
  private readonly consts: Float32Array;
  private readonly step: StepFn;
  private readonly slotBytes: number;

  constructor(readonly n: number) {
    this.slotBytes = Math.ceil(n / 4) * 16;
    const bytes = HEADER + 7 * this.slotBytes;
    const pages = Math.ceil(bytes / 65536);
    const memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
    moduleOnce ??= new WebAssembly.Module(nesterovKernel());
    this.step = new WebAssembly.Instance(moduleOnce, { env: { memory } }).exports['nesterov'] as StepFn;
    this.consts = new Float32Array(memory.buffer, 0, 8);
    this.views = Array.from({ length: 7 }, (_, k) => new Float32Array(memory.buffer, HEADER + k * this.slotBytes, n));
  }

  run(mom: number, step: number): void {
    this.consts.fill(Math.fround(mom), 0, 4);
    this.consts.fill(Math.fround(step), 4, 8);
    const s = (k: number) => HEADER + k * this.slotBytes;
    this.step(s(0), s(1), s(2), s(3), s(4), s(5), s(6), this.slotBytes, 0);
  }
}

/** Each x storage's arena and how many times its vectors were moved into one. */
const arenas = new WeakMap<Storage, { arena: Arena; moves: number }>();

/** Moves per x storage at most: a caller passing new tensors every step keeps the JavaScript loop. */
const MAX_MOVES = 2;

/**
 * One step in the arena of these tensors (x, dfdx, wds, lrs, decay, buf, delta: Float,
 * contiguous, each the whole of a storage of its own, n elements), their values moved there
 * on the first call (and once more if one of the storages got other host memory since, e.g.
 * by a resize, or is another storage). False, nothing done, when the tensors are not such,
 * too small to be worth it, or keep changing.
 */
export function nesterovStepInArena(tensors: readonly Tensor[], mom: number, step: number): boolean {
  const n = tensors[0]!.nElement();
  if (n < SGD_ARENA_MIN_ELEMENTS) return false;
  const storages: Storage[] = [];
  for (const t of tensors) {
    const s = t.storage();
    if (t.elementType !== 'Float' || !t.isContiguous() || t.offset() !== 0 || t.nElement() !== n || s.size() !== n) return false;
    storages.push(s);
  }
  const entry = arenas.get(storages[0]!);
  // writing: every storage's device copy goes, and its host array must still be the arena's
  if (!entry || storages.some((s, k) => s.mutableData() !== entry.arena.views[k])) {
    const moves = (entry?.moves ?? 0) + 1;
    if (moves > MAX_MOVES || HEADER + 7 * Math.ceil(n / 4) * 16 > MAX_BYTES) return false;
    let arena: Arena;
    try {
      arena = new Arena(n);
    } catch {
      return false; // no memory for it: the JavaScript loop works on the vectors where they are
    }
    storages.forEach((s, k) => s.moveHostTo(arena.views[k]!));
    arenas.set(storages[0]!, { arena, moves });
    arena.run(mom, step);
    return true;
  }
  entry.arena.run(mom, step);
  return true;
}
