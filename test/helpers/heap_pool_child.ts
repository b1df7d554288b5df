// Child process for test/heap_pool_exit.test.ts: uses the heap pool, then (argv[2]) either
// just ends ('exit') or makes a kernel trap inside a worker and throws afterwards ('trap').
import { CallList, HeapPool } from '../../src/backend/wasm/heap_pool.js';
import { assemble, Code, T } from '../../src/backend/wasm/encoder.js';

declare const WebAssembly: { Memory: new (d: { initial: number; maximum: number; shared: boolean }) => { buffer: SharedArrayBuffer } };

/** fill(dst, count, value): 4 * count ints of value from byte address dst. */
const c = new Code();
c.block().get(1).op('i32.eqz').brIf(0).loop();
c.get(0).get(2).simd('i32x4.splat').v128Store(0);
c.get(0).i32(16).op('i32.add').set(0);
c.get(1).i32(1).op('i32.sub').tee(1).brIf(0);
c.end().end();
const fill = () => assemble([{ name: 'fill', params: [T.i32, T.i32, T.i32], locals: [], body: c }], true);
const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
const pool = new HeapPool(memory);
const id = pool.fn('fill', fill, 'fill');
const parts = [new CallList(), new CallList()];
if (process.argv[2] === 'trap') {
  parts[1]!.add(id, [65536 - 16, 4, 1]); // past the one 64 KiB page
  try {
    pool.run(parts);
  } catch (e) {
    console.log('caught:', (e as Error).message.split('\n')[0]);
  }
  throw new Error('stop here');
}
parts[0]!.add(id, [0, 4, 1]);
parts[1]!.add(id, [64, 4, 2]);
pool.run(parts);
console.log('ran', new Int32Array(memory.buffer)[16]);
