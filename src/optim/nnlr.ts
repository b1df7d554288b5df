// nnlr (gpleiss/nnlr c993a35): per-module learning-rate and weight-decay multipliers,
// turned into the learningRates / weightDecays vectors optim.sgd takes.
//   module:learningRate('weight'|'bias', v)  sets __weightLearningRate / __biasLearningRate
//   module:weightDecay('weight'|'bias', v)   sets __weightWeightDecay / __biasWeightDecay
//   (a container passes the call to each direct child that has that field; nested
//   containers have no weight/bias field, so, as in nnlr, they are skipped)
//   module:getOptimConfig(baseLearningRate, baseWeightDecay): for every module, weight then
//   bias, a clone filled with the multiplier (default 1) for learningRates and with
//   multiplier * baseWeightDecay for weightDecays, flattened like getParameters.
// The multipliers live in the module's fields, so they survive a .t7 save and load.

import { Tensor } from '../torch/tensor.js';
import { flattenParameters } from '../nn/get_parameters.js';
import type { Module } from '../nn/module.js';

/** Which parameter of a module a multiplier applies to: its weight or its bias. */
export type Accessor = 'weight' | 'bias';

function isContainer(m: Module): boolean {
  return m.fields.get('modules') !== undefined;
}

function fieldName(accessor: Accessor, what: 'LearningRate' | 'WeightDecay'): string {
  return `__${accessor}${what}`;
}

function checkAccessor(accessor: string, where: string): asserts accessor is Accessor {
  if (accessor !== 'weight' && accessor !== 'bias') throw new RangeError(`${where}: unknown accessor type '${accessor}' (should be 'weight' or 'bias')`);
}

function setMultiplier(m: Module, accessor: Accessor, value: number, what: 'LearningRate' | 'WeightDecay'): void {
  const where = `${m.className}:${what === 'LearningRate' ? 'learningRate' : 'weightDecay'}`;
  checkAccessor(accessor, where);
  if (what === 'LearningRate' && typeof value !== 'number') throw new TypeError(`${where}: value must be a number, got ${typeof value}`);
  if (isContainer(m)) {
    for (const child of m.children()) {
      const f = child.fields.get(accessor);
      if (f !== undefined && f !== null) setMultiplier(child, accessor, value, what);
    }
    return;
  }
  const p = m.fields.get(accessor);
  if (p === undefined || p === null || p === false) {
    throw new Error(`${where}: tried to assign '${accessor}' ${what === 'LearningRate' ? 'learningRate' : 'weightDecay'}, but module has no ${accessor}`);
  }
  m.fields.set(fieldName(accessor, what), value);
}

/** module:learningRate(accessor, value); returns the module (chainable as in Lua). */
export function learningRate<M extends Module>(m: M, accessor: Accessor, value: number): M {
  setMultiplier(m, accessor, value, 'LearningRate');
  return m;
}

/** module:weightDecay(accessor, value); returns the module. */
export function weightDecay<M extends Module>(m: M, accessor: Accessor, value: number): M {
  setMultiplier(m, accessor, value, 'WeightDecay');
  return m;
}

function multiplier(m: Module, name: string): number {
  const v = m.fields.get(name);
  if (v === undefined || v === null || v === false) return 1;
  if (typeof v !== 'number') throw new TypeError(`${m.className}: field '${name}' should be a number, found ${typeof v}`);
  return v;
}

/** nnlr's module:optimConfig: the per-tensor vectors, in getParameters order. */
export function optimConfig(m: Module, _baseLearningRate: number, baseWeightDecay: number): [Tensor[], Tensor[]] {
  if (isContainer(m)) {
    const lrs: Tensor[] = [];
    const wds: Tensor[] = [];
    for (const child of m.children()) {
      const [l, w] = optimConfig(child, _baseLearningRate, baseWeightDecay);
      lrs.push(...l);
      wds.push(...w);
    }
    return [lrs, wds];
  }
  const lrs: Tensor[] = [];
  const wds: Tensor[] = [];
  for (const accessor of ['weight', 'bias'] as const) {
    const p = m.fields.get(accessor);
    if (!(p instanceof Tensor)) continue;
    const upper = accessor === 'weight' ? 'weight' : 'bias';
    lrs.push(p.clone().fill(multiplier(m, `__${upper}LearningRate`)));
    wds.push(p.clone().fill(multiplier(m, `__${upper}WeightDecay`) * baseWeightDecay));
  }
  return [lrs, wds];
}

/** nnlr's module:getOptimConfig(baseLearningRate, baseWeightDecay) -> [learningRates, weightDecays]. */
export function getOptimConfig(m: Module, baseLearningRate: number, baseWeightDecay: number): [Tensor, Tensor] {
  const [lrs, wds] = optimConfig(m, baseLearningRate, baseWeightDecay);
  return [flattenParameters(lrs), flattenParameters(wds)];
}
