// Host-side plumbing shared by the WebAssembly SIMD kernels that run on tfjs-backend-wasm's
// own heap (mpelu_batchnorm.ts, tap_gemm.ts, conv_weight_grad.ts): finding the backend's
// memory and allocator, one module instance per memory, a scratch block malloc'ed from the
// same heap.
//
// These are tfjs-backend-wasm internals, not its public API: package.json pins the tfjs
// versions exactly and test/tfjs_internals.test.ts fails, naming what moved, when
// wasmInternalsMissing finds one of them gone (the kernels would otherwise quietly fall
// back to the slower tfjs paths).

import type * as tf from '@tensorflow/tfjs-core';

// The WebAssembly JS API as used here (tsconfig's lib has no WebAssembly declarations).
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
}
declare const WebAssembly: {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: Record<string, unknown> };
};

/** The parts of tfjs-backend-wasm's backend the heap kernels use (not in its public types). */
export interface WasmHeapBackend extends tf.KernelBackend {
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number): tf.TensorInfo;
  getMemoryOffset(dataId: tf.DataId): number;
  /** The emscripten module: the memory is asm.memory (or wasmMemory in threaded builds). */
  wasm: {
    asm?: { memory?: WasmMemory };
    wasmMemory?: WasmMemory;
    _malloc(bytes: number): number;
    _free(ptr: number): void;
  };
}

function heapMemory(mod: WasmHeapBackend['wasm'] | undefined): WasmMemory | undefined {
  return mod?.asm?.memory ?? mod?.wasmMemory;
}

/**
 * The tfjs-backend-wasm internals the heap kernels use that `backend` lacks, one line each
 * (empty: all there). For the internals test and for `mpelu env`-style diagnostics.
 */
export function wasmInternalsMissing(backend: unknown): string[] {
  const be = (backend ?? {}) as Partial<WasmHeapBackend> & { typedArrayFromHeap?: unknown };
  const missing: string[] = [];
  for (const m of ['makeOutput', 'getMemoryOffset', 'typedArrayFromHeap'] as const) {
    if (typeof be[m] !== 'function') missing.push(`backend.${m}() (a method of tfjs-backend-wasm's BackendWasm)`);
  }
  const mod = be.wasm;
  if (!mod || typeof mod !== 'object') {
    missing.push('backend.wasm (the emscripten module of tfjs-backend-wasm)');
    return missing;
  }
  if (typeof mod._malloc !== 'function') missing.push('backend.wasm._malloc (the heap allocator)');
  if (typeof mod._free !== 'function') missing.push('backend.wasm._free (the heap allocator)');
  const memory = heapMemory(mod);
  if (!memory || !(memory.buffer instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer))) {
    missing.push('the heap memory at backend.wasm.asm.memory or backend.wasm.wasmMemory (a WebAssembly.Memory)');
  }
  return missing;
}

/** A heap: its memory and the allocator that owns it. */
export interface HeapAccess {
  memory: WasmMemory;
  malloc(bytes: number): number;
  free(ptr: number): void;
}

/** `WebAssembly.validate` of a module's bytes, asked once (false where WebAssembly or SIMD is missing). */
export function validatesOnce(moduleBytes: () => Uint8Array): () => boolean {
  let ok: boolean | undefined;
  return () => {
    if (ok === undefined) {
      try {
        ok = typeof WebAssembly === 'object' && WebAssembly.validate(moduleBytes());
      } catch {
        ok = false;
      }
    }
    return ok === true;
  };
}

/**
 * The exports of a module instantiated on `memory`: a threaded build's memory is shared, and
 * a module must declare its imported memory shared to accept it.
 */
export function instantiateOnMemory(moduleBytes: (sharedMemory: boolean) => Uint8Array, memory: WasmMemory): Record<string, unknown> {
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  return new WebAssembly.Instance(new WebAssembly.Module(moduleBytes(shared)), { env: { memory } }).exports;
}

/**
 * A lookup of one `build(heap)` per backend memory (built on first use, kept as long as the
 * memory lives). Null when the backend has no reachable heap or `build` threw (remembered, so
 * a failing build is not retried on every call). Each call of perHeap has its own cache.
 */
export function perHeap<T>(build: (heap: HeapAccess) => T): (backend: tf.KernelBackend) => T | null {
  const byMemory = new WeakMap<object, T | null>();
  return (backend) => {
    const be = backend as Partial<WasmHeapBackend>;
    if (typeof be.getMemoryOffset !== 'function' || typeof be.makeOutput !== 'function') return null;
    const mod = be.wasm;
    const memory = heapMemory(mod);
    if (!mod || !memory || typeof mod._malloc !== 'function') return null;
    let got = byMemory.get(memory);
    if (got === undefined) {
      try {
        got = build({ memory, malloc: (n) => mod._malloc(n) >>> 0, free: (p) => mod._free(p) });
      } catch {
        got = null;
      }
      byMemory.set(memory, got);
    }
    return got;
  };
}

/**
 * One scratch block on a heap, grown (to powers of two, at least `minBytes`) and never
 * shrunk, so steady-state calls do not malloc. Growing may grow the heap and detach earlier
 * typed-array views of it: take views only after reserve.
 */
export class ScratchBlock {
  private block = 0;
  private blockBytes = 0;

  /** `owner` names the kernel in the out-of-memory error. */
  constructor(
    private readonly heap: HeapAccess,
    private readonly owner: string,
    private readonly minBytes: number,
  ) {}

  /** A 16-byte aligned block of at least `bytes`; returns its offset. */
  reserve(bytes: number): number {
    if (bytes > this.blockBytes) {
      if (this.block) this.heap.free(this.block);
      const size = Math.max(this.minBytes, 2 ** Math.ceil(Math.log2(bytes)));
      this.block = this.heap.malloc(size + 16) >>> 0;
      if (!this.block) {
        // nothing held now: the next reserve must allocate again
        this.blockBytes = 0;
        throw new Error(`${this.owner}: could not allocate ${size} bytes of scratch on the wasm heap`);
      }
      this.blockBytes = size;
    }
    return this.base();
  }

  /** reserve(bytes), calling `release` (e.g. disposing an output already made) before rethrowing a failure. */
  reserveOrRelease(bytes: number, release: () => void): number {
    try {
      return this.reserve(bytes);
    } catch (e) {
      release();
      throw e;
    }
  }

  /** The block's 16-byte aligned offset (as last reserved). */
  base(): number {
    return align16(this.block);
  }
}

/** A heap address rounded up to 16 bytes, unsigned (the heap reaches past 2 GiB). */
export function align16(address: number): number {
  return ((address + 15) & ~15) >>> 0;
}
