// tfjs-wasm's bare "Aborted()" at the 4 GiB wasm32 heap limit becomes an error that says so
// (src/backend/wasm/out_of_memory.ts); other aborts and errors pass through unchanged.
import { describe, expect, it } from 'vitest';
import { WASM_HEAP_MAX, wasmOutOfMemory } from '../src/backend/wasm/out_of_memory.js';
import { nn } from '../src/nn/index.js';
import { Module } from '../src/nn/module.js';
import { Tensor } from '../src/torch/tensor.js';

const abort = () => new Error('Aborted(). Build with -sASSERTIONS for more info.');

describe('wasm heap exhaustion', () => {
  it('an abort with the heap at the 4 GiB limit is explained', () => {
    const e = wasmOutOfMemory(abort(), WASM_HEAP_MAX - 2 ** 20);
    expect(e?.message).toMatch(/^the wasm backend ran out of memory: its heap holds 4\.00 GiB, the most WebAssembly \(wasm32\) can address is 4 GiB/);
    expect(e?.message).toContain('MPELU_OFFLOAD_ACTIVATIONS=1');
    expect(e?.message).toContain('use a smaller batch');
  });

  it('an abort far below the limit, or another error at it, is not', () => {
    expect(wasmOutOfMemory(abort(), 2 ** 30)).toBeNull();
    expect(wasmOutOfMemory(new Error('out of range'), WASM_HEAP_MAX)).toBeNull();
    expect(wasmOutOfMemory('Aborted()', WASM_HEAP_MAX)).toBeNull();
  });

  it('a container still names the failing child when the abort is not about memory', () => {
    class Failing extends Module {
      constructor() {
        super('nn.Identity');
      }
      override updateOutput(): never {
        throw abort();
      }
    }
    const model = nn.Sequential().add(nn.Identity()).add(new Failing());
    expect(() => model.forward(Tensor.create('Float', [2]))).toThrow(/^In 2 module of nn.Sequential \(updateOutput\):\nAborted\(\)/);
  });
});
