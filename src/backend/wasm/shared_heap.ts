// Makes tfjs-backend-wasm's single-threaded SIMD build allocate its heap as a *shared*
// WebAssembly.Memory, so mpelu's kernels can run on it from worker threads (heap_pool.ts).
//
// tfjs-wasm only starts its threaded build in browsers (its pthread workers are created from
// blob: URLs, which Node refuses), and its SIMD build defines its own memory. That memory
// is declared with a maximum (256 to 65536 pages); a memory with a maximum becomes shared
// by setting the shared bit of its limits (flags 0x01 -> 0x03, WebAssembly threads
// proposal, on by default in Node 20). Nothing else in the module changes: a shared memory
// behaves the same for single-threaded code, and `memory.buffer` is a SharedArrayBuffer
// that other threads can map. The patch applies only while the backend starts (select.ts
// wraps tfjs-wasm's registered factory, so it holds whoever starts the backend; the
// module's bytes pass through WebAssembly.instantiate), and only to a module whose one
// defined memory has flags 0x01; anything else is left as it was.

declare const WebAssembly: {
  instantiate(bytes: unknown, imports?: unknown): Promise<unknown>;
};

/** Whether a tfjs-wasm backend's heap is a shared memory. */
export function wasmHeapShared(backend: unknown): boolean {
  const heap = (backend as { wasm?: { HEAPU8?: Uint8Array } } | null)?.wasm?.HEAPU8;
  return typeof SharedArrayBuffer !== 'undefined' && heap?.buffer instanceof SharedArrayBuffer;
}

function readUleb(b: Uint8Array, at: number): [number, number] {
  let r = 0;
  let s = 0;
  let x: number;
  let p = at;
  do {
    x = b[p++]!;
    r += (x & 0x7f) * 2 ** s;
    s += 7;
  } while (x & 0x80 && p < b.length);
  return [r, p];
}

/**
 * A copy of a WebAssembly binary whose one defined memory (limits flags 0x01, with a
 * maximum) is marked shared, or null when the module has no such memory.
 */
export function withSharedMemory(bytes: Uint8Array): Uint8Array | null {
  if (bytes.length < 8 || bytes[0] !== 0x00 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) return null;
  let p = 8;
  while (p < bytes.length) {
    const id = bytes[p++]!;
    const [len, start] = readUleb(bytes, p);
    if (id === 5) {
      const [count, q] = readUleb(bytes, start);
      if (count !== 1 || bytes[q] !== 0x01) return null;
      const out = new Uint8Array(bytes); // a copy (Buffer.slice would share)
      out[q] = 0x03;
      return out;
    }
    p = start + len;
  }
  return null;
}

/**
 * Runs `start` (which instantiates tfjs-wasm) with WebAssembly.instantiate patched to share
 * the module's memory; restores WebAssembly.instantiate afterwards.
 */
export async function startWithSharedHeap<T>(start: () => Promise<T>): Promise<T> {
  const wa = WebAssembly as { instantiate: (bytes: unknown, imports?: unknown) => Promise<unknown> };
  const original = wa.instantiate;
  wa.instantiate = function (bytes: unknown, imports?: unknown) {
    let view: Uint8Array | null = null;
    if (bytes instanceof Uint8Array) view = bytes;
    else if (bytes instanceof ArrayBuffer) view = new Uint8Array(bytes);
    const patched = view ? withSharedMemory(view) : null;
    return original.call(this, patched ?? bytes, imports);
  };
  try {
    return await start();
  } finally {
    wa.instantiate = original;
  }
}
