// What Torch7 can observe of tensors: every tensor reachable from a value (through module
// fields, tables and torch objects), with the path that reaches it, and a check that a
// tensor has the row-major strides Torch7's own buffers have.

import { expect } from 'vitest';
import { Tensor } from '../../src/torch/tensor.js';
import { contiguousStrides } from '../../src/torch/layout.js';
import { TorchObject } from '../../src/t7/torch_object.js';
import { LuaTable } from '../../src/t7/lua_table.js';

export interface ReachedTensor {
  path: string;
  tensor: Tensor;
}

/** Every tensor reachable from `root`, each once, with the first path that reaches it. */
export function reachableTensors(root: unknown, rootName = 'model'): ReachedTensor[] {
  const seen = new Set<object>();
  const out: ReachedTensor[] = [];
  const visit = (v: unknown, path: string): void => {
    if (v === null || typeof v !== 'object' || seen.has(v)) return;
    seen.add(v);
    if (v instanceof Tensor) out.push({ path, tensor: v });
    else if (v instanceof TorchObject) for (const [k, x] of v.fields.entries()) visit(x, `${path}.${String(k)}`);
    else if (v instanceof LuaTable) for (const [k, x] of v.entries()) visit(x, `${path}[${String(k)}]`);
    else if (Array.isArray(v)) v.forEach((x, i) => visit(x, `${path}[${i + 1}]`));
  };
  visit(root, rootName);
  return out;
}

/** Row-major strides, as every Torch7 module buffer and parameter has them (size-1 dims included). */
export function expectTorchStrides(t: Tensor, path: string): void {
  expect(t.stride(), `${path}: strides of sizes [${t.size().join(', ')}]`).toEqual(contiguousStrides(t.size()));
  expect(t.isContiguous(), `${path}: contiguous`).toBe(true);
  if (t.nElement() > 0) expect(t.view(-1).nElement(), `${path}: view(-1)`).toBe(t.nElement());
}
