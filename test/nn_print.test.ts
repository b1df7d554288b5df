// Torch's print format: tostring(model) of the MPELU ResNet-20 checkpoint equals what
// Torch7 printed (fixtures/torch7/print/depth20.txt); the container layouts and each
// class's own format; C/Lua number formatting.

import { describe, it, expect } from 'vitest';
import { nn, Module } from '../src/nn/index.js';
import { formatG, luaFormat, luaNumber, indentTail } from '../src/nn/tostring.js';
import { fixtureText, loadFixture } from './helpers/nn_fixtures.js';

describe('tostring(module)', () => {
  it('the MPELU nopre ResNet-20 checkpoint prints exactly as Torch7 printed it', () => {
    const model = loadFixture('resnet/depth20/model_1.t7');
    expect(model).toBeInstanceOf(Module);
    // print() adds the final newline.
    const want = fixtureText('print/depth20.txt').replace(/\n$/, '');
    const got = (model as Module).__tostring__();
    const gl = got.split('\n');
    const wl = want.split('\n');
    const firstDiff = wl.findIndex((l, i) => gl[i] !== l);
    expect(firstDiff, `first differing line ${firstDiff + 1}: got ${JSON.stringify(gl[firstDiff])}, want ${JSON.stringify(wl[firstDiff])}`).toBe(-1);
    expect(got).toBe(want);
    expect(String(model)).toBe(want);
  });

  it('Sequential: the chain line and indented children (nested)', () => {
    const inner = nn.Sequential().add(nn.Identity()).add(nn.Linear(4, 2, false));
    const s = nn.Sequential().add(nn.Linear(10, 4)).add(inner).add(nn.SoftMax());
    expect(s.__tostring__()).toBe(
      [
        'nn.Sequential {',
        '  [input -> (1) -> (2) -> (3) -> output]',
        '  (1): nn.Linear(10 -> 4)',
        '  (2): nn.Sequential {',
        '    [input -> (1) -> (2) -> output]',
        '    (1): nn.Identity',
        '    (2): nn.Linear(4 -> 2) without bias',
        '  }',
        '  (3): nn.SoftMax',
        '}',
      ].join('\n'),
    );
    expect(nn.Sequential().__tostring__()).toBe('nn.Sequential {\n  [input -> output]\n}');
  });

  it('ConcatTable, ParallelTable and Concat: the branch layout', () => {
    const branch = nn.Sequential().add(nn.View(-1)).add(nn.MulConstant(2));
    const c = nn.ConcatTable().add(branch).add(nn.Identity());
    const lines = [
      '  input',
      '    |`-> (1): nn.Sequential {',
      '    |      [input -> (1) -> (2) -> output]',
      '    |      (1): nn.View(-1)',
      '    |      (2): nn.MulConstant',
      '    |    }',
      '     `-> (2): nn.Identity',
      '     ... -> output',
      '}',
    ];
    expect(c.__tostring__()).toBe(['nn.ConcatTable {', ...lines].join('\n'));
    const p = nn.ParallelTable().add(nn.Sequential().add(nn.View(-1)).add(nn.MulConstant(2))).add(nn.Identity());
    expect(p.__tostring__()).toBe(['nn.ParallelTable {', ...lines].join('\n'));
    const k = nn.Concat(2).add(nn.Identity()).add(nn.Sequential().add(nn.CAddTable()));
    expect(k.__tostring__()).toBe(
      [
        'nn.Concat {',
        '  input',
        '    |`-> (1): nn.Identity',
        '     `-> (2): nn.Sequential {',
        '           [input -> (1) -> output]',
        '           (1): nn.CAddTable',
        '         }',
        '     ... -> output',
        '}',
      ].join('\n'),
    );
  });

  it('class formats: View, Reshape, criterions, default class name', () => {
    expect(nn.View(16).setNumInputDims(3).__tostring__()).toBe('nn.View(16)');
    expect(nn.View(2, 3, -1).__tostring__()).toBe('nn.View(2, 3, -1)');
    expect(nn.Reshape(3, 4).__tostring__()).toBe('nn.Reshape(3x4)');
    expect(nn.LogSoftMax().__tostring__()).toBe('nn.LogSoftMax');
    expect(nn.CrossEntropyCriterion().__tostring__()).toBe('nn.CrossEntropyCriterion');
    expect(String(nn.MSECriterion())).toBe('nn.MSECriterion');
  });
});

describe('number formatting', () => {
  it('C %g and Lua tostring (%.14g)', () => {
    expect(formatG(0.248614123)).toBe('0.248614');
    expect(formatG(1)).toBe('1');
    expect(formatG(100000)).toBe('100000');
    expect(formatG(1000000)).toBe('1e+06');
    expect(formatG(0.0001)).toBe('0.0001');
    expect(formatG(0.00001234)).toBe('1.234e-05');
    expect(formatG(-2.5)).toBe('-2.5');
    expect(formatG(0)).toBe('0');
    expect(formatG(Infinity)).toBe('inf');
    expect(luaNumber(0.1)).toBe('0.1');
    expect(luaNumber(1 / 3)).toBe('0.33333333333333');
    expect(luaNumber(1e20)).toBe('1e+20');
    expect(luaNumber(16)).toBe('16');
  });

  it('string.format %d %f %g %s and indentation', () => {
    expect(luaFormat('%s(%d -> %d, %dx%d', 'nn.X', 3, 16, 3, 3)).toBe('nn.X(3 -> 16, 3x3');
    expect(luaFormat('%s(%f)', 'nn.Dropout', 0.5)).toBe('nn.Dropout(0.500000)');
    expect(luaFormat('%s (alpha:%f)', 'nn.ELU', 0.7)).toBe('nn.ELU (alpha:0.700000)');
    expect(luaFormat('(%g) %.3f %%', 0.01, 2)).toBe('(0.01) 2.000 %');
    expect(indentTail('a\nb\nc', '  ')).toBe('a\n  b\n  c');
  });
});
