// A module class mpelu does not implement (here nn.Square) still loads as a module: it
// lists, converts, clears, prints and saves back unchanged, and running it is a clear error
// that names the class.

import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend/index.js';
import { nn, UnknownModule, type Module } from '../src/nn/index.js';
import * as t7 from '../src/t7/index.js';
import { TorchObject } from '../src/t7/torch_object.js';
import { LuaTable } from '../src/t7/lua_table.js';
import { torch } from '../src/torch/index.js';

beforeAll(async () => {
  await initBackend();
});

/** The bytes of Sequential{Linear(3, 2), nn.Square} as a file would hold them. */
function fileWithSquare(): Uint8Array {
  const model = nn.Sequential().add(nn.Linear(3, 2)).float();
  const square = new TorchObject('nn.Square', 1, LuaTable.fromRecord({ train: true, gradInput: torch.FloatTensor(), output: torch.FloatTensor() }));
  (model.fields.get('modules') as LuaTable).push(square);
  return t7.serialize(model);
}

describe('a module class mpelu does not implement', () => {
  it('loads as a module that lists, converts, clears and prints, and saves back byte for byte', () => {
    const bytes = fileWithSquare();
    const model = t7.deserialize(bytes) as Module;
    const square = model.listModules()[2]!;
    expect(square).toBeInstanceOf(UnknownModule);
    expect(square.className).toBe('nn.Square');
    expect(model.listModules().map((m) => m.className)).toEqual(['nn.Sequential', 'nn.Linear', 'nn.Square']);
    expect(model.__tostring__()).toBe('nn.Sequential {\n  [input -> (1) -> (2) -> output]\n  (1): nn.Linear(3 -> 2)\n  (2): nn.Square\n}');
    expect(Buffer.from(t7.serialize(model)).equals(Buffer.from(bytes))).toBe(true);
    model.zeroGradParameters();
    model.evaluate();
    expect(square.train).toBe(false);
    const [params] = model.getParameters();
    expect(params.nElement()).toBe(3 * 2 + 2);
    model.double();
    expect((square.fields.get('output') as { className(): string }).className()).toBe('torch.DoubleTensor');
  });

  it('says which class cannot run, forward and backward', () => {
    const model = t7.deserialize(fileWithSquare()) as Module;
    const x = torch.FloatTensor(4, 3).fill(1);
    expect(() => model.forward(x)).toThrow(/In 2 module of nn\.Sequential \(updateOutput\):\nnn\.Square is not implemented by mpelu/);
    expect(() => model.backward(x, torch.FloatTensor(4, 2).fill(1))).toThrow(/nn\.Square is not implemented by mpelu: .*cannot run updateGradInput/);
  });

  it('leaves other namespaces as plain torch objects', () => {
    const bytes = t7.serialize(new TorchObject('mylib.Thing', 1, LuaTable.fromRecord({ a: 1 })));
    const o = t7.deserialize(bytes);
    expect(o).toBeInstanceOf(TorchObject);
    expect(o).not.toBeInstanceOf(UnknownModule);
  });
});
