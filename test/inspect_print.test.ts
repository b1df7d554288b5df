// What `mpelu inspect` shows: tensors as Torch7's print(t) (torch7 Tensor.lua's
// __tostring__; no Torch7 print of a tensor is among the fixtures, so the expected texts
// here are worked out by hand from that code's rules), module fields, key hints, and the
// plain JSON for jq.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inspectFile, inspectText } from '../src/cli/inspect.js';
import * as t7 from '../src/t7/index.js';
import { formatE, formatF } from '../src/t7/number_format.js';
import { toPlainJson } from '../src/t7/plain_json.js';
import { Tensor } from '../src/torch/tensor.js';
import { tensorToString } from '../src/torch/tensor_print.js';

const FIX = new URL('../fixtures/torch7/', import.meta.url).pathname;
const SER = join(FIX, 'serialization');
const MODEL = join(FIX, 'resnet/depth20/model_1.t7');

function tensor(values: number[], sizes: number[] = [values.length]): Tensor {
  return Tensor.fromArray('Double', values).view(...sizes);
}

describe("Torch7's print(t)", () => {
  it('integers as %Nd, one per line for a vector', () => {
    expect(tensorToString(tensor([1, 2, 3]))).toBe(' 1\n 2\n 3\n[torch.DoubleTensor of size 3]');
    // the width comes from the magnitudes, not the sign
    expect(tensorToString(tensor([-12, 0, 7]))).toBe('-12\n  0\n  7\n[torch.DoubleTensor of size 3]');
  });

  it('fractions as %N.4f, a common scale past 10^5, %e across more than four decades', () => {
    expect(tensorToString(tensor([0.5, 0.5, 0.5, 0.5], [2, 2]))).toBe(' 0.5000  0.5000\n 0.5000  0.5000\n[torch.DoubleTensor of size 2x2]');
    expect(tensorToString(tensor([123456.5, 234567.25]))).toBe('100000 *\n 1.2346\n 2.3457\n[torch.DoubleTensor of size 2]'); // the scale is printed with %g
    expect(tensorToString(tensor([1e-3, 1e3]))).toBe(' 1.0000e-03\n 1.0000e+03\n[torch.DoubleTensor of size 2]');
    expect(tensorToString(tensor([1.5, 22.25]))).toBe('  1.5000\n 22.2500\n[torch.DoubleTensor of size 2]');
  });

  it("rows wider than 80 characters in 'Columns a to b' blocks", () => {
    const t = tensor(Array.from({ length: 30 }, (_, i) => i + 1), [1, 30]);
    const row = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => String(a + i).padStart(3)).join(' ');
    expect(tensorToString(t)).toBe(`Columns 1 to 20\n${row(1, 20)}\n\nColumns 21 to 30\n${row(21, 30)}\n[torch.DoubleTensor of size 1x30]`);
  });

  it('3-d and more as (i,j,.,.) matrices, the first index varying fastest', () => {
    const t = tensor([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2]);
    expect(tensorToString(t)).toBe('(1,.,.) = \n  1  2\n  3  4\n\n(2,.,.) = \n  5  6\n  7  8\n[torch.DoubleTensor of size 2x2x2]');
    const text = inspectFile(join(SER, 'tensor_4d.t7'));
    expect(text.split('\n').filter((l) => l.startsWith('('))).toEqual(['(1,1,.,.) = ', '(2,1,.,.) = ', '(1,2,.,.) = ', '(2,2,.,.) = ', '(1,3,.,.) = ', '(2,3,.,.) = ']);
  });

  it("%.4f and %.4e round the exact value, ties to even (glibc's printf)", () => {
    expect(formatF(0.03125, 4)).toBe('0.0312'); // an exact tie: to even
    expect(formatF(0.09375, 4)).toBe('0.0938');
    expect(formatF(-0, 4)).toBe('-0.0000');
    expect(formatF(1e21, 1)).toBe('1000000000000000000000.0');
    expect(formatE(1.00005, 4)).toBe('1.0001e+00'); // the double 1.00005 is a little above the tie
    expect(formatE(1.125, 2)).toBe('1.12e+00'); // an exact tie: to even (V8's toExponential gives 1.13)
    expect(formatE(0, 4)).toBe('0.0000e+00');
    expect(formatE(Number.NaN, 4)).toBe('nan');
  });

  it('inspect: a small tensor with its values and the summary line; a big one summarized unless --full', () => {
    const text = inspectFile(join(SER, 'tensor_shared_storage.t7'), { path: 'base' });
    expect(text).toContain('  1   2   3   4   5\n  6   7   8   9  10\n 11  12  13  14  15\n 16  17  18  19  20\n[torch.DoubleTensor of size 4x5]\ntorch.DoubleTensor of size 4x5 [min 1, max 20, mean 10.5, std 5.91608]');
    const big = inspectFile(join(FIX, 'resnet/depth20/optimState_1.t7'), { path: 'learningRates' });
    expect(big).toMatch(/torch\.FloatTensor of size 219642 \[min .*\]\n\(219642 values; --full prints them all as Torch's print does\)$/);
    const full = inspectFile(join(FIX, 'resnet/depth20/optimState_1.t7'), { path: 'learningRates', full: true });
    expect(full.split('\n').length).toBe(1 + 219642 + 2);
  });
});

describe('inspect --path', () => {
  it('on a module: its print line, then its fields with type, size and a short value', () => {
    const text = inspectFile(MODEL, { path: 'modules[1]' });
    const lines = text.split('\n');
    expect(lines[1]).toBe('nn.SpatialConvolution(3 -> 16, 3x3, 1,1, 1,1) without bias {');
    expect(lines).toContain('  nOutputPlane : 16');
    expect(lines).toContain('  _type : "torch.FloatTensor"');
    expect(text).toMatch(/^ {2}weight : torch\.FloatTensor of size 16x3x3x3 \[view: stride 27x9x3x1, offset 1, storage of 219642; min /m);
    // nested modules keep their one-line print; --depth limits nested tables
    const root = inspectFile(MODEL, { path: 'modules', depth: 1 });
    expect(root).toMatch(/^ {2}1 : nn\.SpatialConvolution\(3 -> 16, 3x3, 1,1, 1,1\) without bias$/m);
    expect(inspectText(t7.load(join(SER, 'table_nested_keys.t7')), { depth: 0 })).toMatch(/^\{ \.\.\. \d+ entries \}$/);
  });

  it('hints: indices start at 1, the keys that exist, did you mean', () => {
    expect(() => inspectFile(MODEL, { path: 'modules[0]' })).toThrow('no [0] in modules: indices start at 1, as in Lua; its keys: [1] to [11]');
    expect(() => inspectFile(MODEL, { path: 'modules[12]' })).toThrow('no [12] in modules: it has 11 numbered entries; its keys: [1] to [11]');
    expect(() => inspectFile(MODEL, { path: 'modules[1].wieght' })).toThrow(/^no wieght in modules\[1\]: did you mean weight\?; its keys: kH, kW, dW, gradWeight, /);
    expect(() => inspectFile(MODEL, { path: 'modules[1].weight.x' })).toThrow('no x in modules[1].weight: its keys: storage');
  });
});

describe('inspect --json (for jq)', () => {
  it('tables as objects in file order and arrays, numbers as numbers, tensors as {type,size,stride,offset,values}', () => {
    const state = toPlainJson(t7.load(join(FIX, 'resnet/depth20/optimState_1.t7'))) as Record<string, unknown>;
    expect(state.learningRate).toBe(0.1);
    expect(state.nesterov).toBe(true);
    expect(state.learningRates).toEqual({ type: 'torch.FloatTensor', size: [219642], stride: [1], offset: 1 }); // over 1000 values: none
    const model = toPlainJson(t7.load(MODEL)) as { __class: string; modules: { __class: string; weight: { size: number[] } }[] };
    expect(model.__class).toBe('nn.Sequential');
    expect(model.modules[0]!.__class).toBe('nn.SpatialConvolution');
    expect(model.modules[0]!.weight.size).toEqual([16, 3, 3, 3]);
    expect(Object.keys(model.modules[0]!).slice(0, 4)).toEqual(['__class', '__version', 'kH', 'kW']); // file order
  });

  it('Long values beyond 2^53 as strings only where they are; NaN and infinities as strings; shared values as $ref', () => {
    const long = toPlainJson(t7.load(join(SER, 'tensor_Long.t7'))) as { values: (number | string)[] };
    expect(long.values).toEqual(['-4611686018427387904', -1, 0, 1, 1099511627783, '4611686018427387904']);
    const specials = JSON.stringify(toPlainJson(t7.load(join(SER, 'number_specials.t7'))));
    expect(specials).toMatch(/"inf"/);
    expect(specials).toMatch(/"nan"/);
    const cycle = toPlainJson(t7.load(join(SER, 'table_cycle.t7'))) as Record<string, unknown>;
    expect(cycle.self).toEqual({ $ref: '(root)' });
  });

  it('a depth-20 model is a fraction of the exact form', () => {
    const plain = inspectFile(MODEL, { json: true });
    const exact = inspectFile(MODEL, { json: 'exact' });
    expect(JSON.parse(plain).value.__class).toBe('nn.Sequential');
    expect(plain.length).toBeLessThan(exact.length / 3);
  });
});
