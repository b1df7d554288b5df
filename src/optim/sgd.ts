// optim.sgd with torch/optim's exact semantics (optim a5ceed7, sgd.lua), in place on the
// flat parameter vector:
//   (0) defaults: learningRate 1e-3, learningRateDecay 0, weightDecay 0, momentum 0,
//       dampening = momentum, nesterov false; state defaults to config;
//       evalCounter starts at 0; nesterov requires momentum > 0 and dampening 0.
//   (1) fx, dfdx = opfunc(x)
//   (2) weightDecay != 0: dfdx += weightDecay * x;  else weightDecays vector:
//       decayParameters = weightDecays .* x;  dfdx += decayParameters
//   (3) momentum != 0: first call state.dfdx = copy(dfdx); later
//       state.dfdx = momentum * state.dfdx + (1 - dampening) * dfdx;
//       nesterov: dfdx += momentum * state.dfdx, else dfdx = state.dfdx
//   (4) clr = learningRate / (1 + evalCounter * learningRateDecay)  (counter before the increment)
//   (5) learningRates vector: deltaParameters = learningRates .* dfdx; x -= clr * deltaParameters;
//       else x -= clr * dfdx
//   (6) evalCounter += 1; returns x, {fx}
// Config and state are plain objects or LuaTables (an optimState loaded from a .t7 file);
// option values follow Lua truthiness (nil and false mean "not given", 0 does not).

import { Tensor } from '../torch/tensor.js';
import { LuaTable } from '../t7/lua_table.js';
import { hostFloat32ForWrite } from '../nn/tensor_helpers.js';
import { nesterovStepInArena } from './sgd_arena.js';

/** The options optim.sgd reads (any other keys are kept untouched). */
export interface SgdConfig {
  /** The step size (default 1e-3). */
  learningRate?: number;
  /** The step is learningRate / (1 + evalCounter x learningRateDecay) (default 0: constant). */
  learningRateDecay?: number;
  /** L2 penalty: weightDecay x x is added to the gradient (default 0). */
  weightDecay?: number;
  /** A weight decay per parameter (same size as x; nnlr's getOptimConfig makes it), used when weightDecay is 0. */
  weightDecays?: Tensor;
  /** Momentum (default 0: none): the step follows momentum x the previous step + (1 - dampening) x the gradient. */
  momentum?: number;
  /** How much of the gradient is damped in the momentum sum (default: = momentum; 0 for nesterov). */
  dampening?: number;
  /** Nesterov momentum (default false; needs momentum > 0 and dampening 0). */
  nesterov?: boolean;
  /** A learning-rate multiplier per parameter (same size as x; nnlr's getOptimConfig makes it). */
  learningRates?: Tensor;
  [key: string]: unknown;
}

/** The state optim.sgd keeps (saved in fb.resnet.torch's optimState files). */
export interface SgdState {
  /** How many steps were taken (the learningRateDecay counter), starting at 0. */
  evalCounter?: number;
  /** The momentum buffer (the previous step's direction). */
  dfdx?: Tensor;
  /** Scratch: weightDecays .* x. */
  decayParameters?: Tensor;
  /** Scratch: learningRates .* dfdx. */
  deltaParameters?: Tensor;
  [key: string]: unknown;
}

/** A config or state: a plain object, or a LuaTable (an optimState loaded from a .t7 file). */
export type OptimTable<T> = T | LuaTable;

/** opfunc(x) -> [f(x), df/dx] (df/dx may be modified in place by sgd, as in Torch). */
export type OpFunc = (x: Tensor) => [number, Tensor];

function getKey(t: OptimTable<Record<string, unknown>>, key: string): unknown {
  return t instanceof LuaTable ? t.get(key) : t[key];
}

function setKey(t: OptimTable<Record<string, unknown>>, key: string, value: unknown): void {
  if (t instanceof LuaTable) t.set(key, value);
  else t[key] = value;
}

/** Lua's `a or b`. */
function or<T>(v: unknown, fallback: T): T {
  return v === undefined || v === null || v === false ? fallback : (v as T);
}

function numberOption(t: OptimTable<Record<string, unknown>>, key: string, fallback: number): number {
  const v = or<unknown>(getKey(t, key), fallback);
  if (typeof v !== 'number') throw new TypeError(`optim.sgd: config.${key} should be a number, got ${typeof v}`);
  return v;
}

function tensorOption(t: OptimTable<Record<string, unknown>>, key: string): Tensor | undefined {
  const v = getKey(t, key);
  if (v === undefined || v === null || v === false) return undefined;
  if (!(v instanceof Tensor)) throw new TypeError(`optim.sgd: config.${key} should be a tensor, got ${typeof v}`);
  return v;
}

/** A new tensor of x's class sized like `like` (Torch's torch.Tensor():typeAs(x):resizeAs(like)). */
function bufferLike(x: Tensor, like: Tensor): Tensor {
  const t = new Tensor(x.elementType);
  t.sourceClass = x.sourceClass;
  return t.resizeAs(like);
}

/**
 * optim.sgd(opfunc, x, config, state): one step, in place on x. Returns [x, [fx]] with fx
 * evaluated before the update.
 */
export function sgd(
  opfunc: OpFunc,
  x: Tensor,
  config: OptimTable<SgdConfig> = {},
  state: OptimTable<SgdState> = config as OptimTable<SgdState>,
): [Tensor, number[]] {
  const cfg = config as OptimTable<Record<string, unknown>>;
  const st = state as OptimTable<Record<string, unknown>>;
  // (0)
  const lr = numberOption(cfg, 'learningRate', 1e-3);
  const lrd = numberOption(cfg, 'learningRateDecay', 0);
  const wd = numberOption(cfg, 'weightDecay', 0);
  const mom = numberOption(cfg, 'momentum', 0);
  const damp = numberOption(cfg, 'dampening', mom);
  const nesterov = or<unknown>(getKey(cfg, 'nesterov'), false);
  const lrs = tensorOption(cfg, 'learningRates');
  const wds = tensorOption(cfg, 'weightDecays');
  const counter = or<unknown>(getKey(st, 'evalCounter'), 0);
  if (typeof counter !== 'number') throw new TypeError(`optim.sgd: state.evalCounter should be a number, got ${typeof counter}`);
  setKey(st, 'evalCounter', counter);
  const nevals = counter;
  if (nesterov && !(mom > 0 && damp === 0)) {
    throw new Error(`optim.sgd: Nesterov momentum requires a momentum and zero dampening (momentum ${mom}, dampening ${damp})`);
  }

  // (1)
  const [fx, grad] = opfunc(x);
  if (!(grad instanceof Tensor)) throw new TypeError('optim.sgd: opfunc must return [f(x), df/dx] with df/dx a tensor');
  let dfdx = grad;

  // fb.resnet.torch's configuration (nnlr vectors, Nesterov momentum) after the first step:
  // (2), (3) and (5) in one pass, with the same float32 roundings as the passes below
  if (wd === 0 && wds && mom !== 0 && nesterov && damp === 0 && lrs) {
    const buf = getKey(st, 'dfdx');
    const decay = getKey(st, 'decayParameters');
    const delta = getKey(st, 'deltaParameters');
    if (buf instanceof Tensor && decay instanceof Tensor && delta instanceof Tensor &&
      nesterovStepFloat32(x, dfdx, wds, lrs, decay, buf, delta, mom, lr / (1 + nevals * lrd))) {
      setKey(st, 'evalCounter', nevals + 1);
      return [x, [fx]];
    }
  }

  // (2)
  if (wd !== 0) {
    dfdx.add(wd, x);
  } else if (wds) {
    let decay = getKey(st, 'decayParameters');
    if (!(decay instanceof Tensor)) {
      decay = bufferLike(x, dfdx);
      setKey(st, 'decayParameters', decay);
    }
    (decay as Tensor).copy(wds).cmul(x);
    dfdx.add(decay as Tensor);
  }

  // (3)
  if (mom !== 0) {
    let buf = getKey(st, 'dfdx');
    if (!(buf instanceof Tensor)) {
      buf = bufferLike(dfdx, dfdx).copy(dfdx);
      setKey(st, 'dfdx', buf);
    } else {
      buf.mul(mom).add(1 - damp, dfdx);
    }
    if (nesterov) dfdx.add(mom, buf as Tensor);
    else dfdx = buf as Tensor;
  }

  // (4)
  const clr = lr / (1 + nevals * lrd);

  // (5)
  if (lrs) {
    let delta = getKey(st, 'deltaParameters');
    if (!(delta instanceof Tensor)) {
      delta = bufferLike(x, dfdx);
      setKey(st, 'deltaParameters', delta);
    }
    (delta as Tensor).copy(lrs).cmul(dfdx);
    x.add(-clr, delta as Tensor);
  } else {
    x.add(-clr, dfdx);
  }

  // (6)
  setKey(st, 'evalCounter', nevals + 1);
  return [x, [fx]];
}

/**
 * One pass of steps (2), (3) and (5) for weightDecays, Nesterov momentum (dampening 0) and
 * learningRates on contiguous Float tensors of distinct storages; false (nothing done)
 * otherwise. Per element, the roundings of the separate passes: decay = wds*x;
 * dfdx = dfdx + decay; buf = buf*mom + dfdx; dfdx = dfdx + mom*buf; delta = lrs*dfdx;
 * x = x + (-clr)*delta, each product and sum rounded to float32 (as TH's float ops and
 * the optim fixtures); the buffers keep the values the passes would leave.
 */
function nesterovStepFloat32(x: Tensor, dfdx: Tensor, wds: Tensor, lrs: Tensor, decay: Tensor, buf: Tensor, delta: Tensor, mom: number, clr: number): boolean {
  const all = [x, dfdx, wds, lrs, decay, buf, delta];
  if (new Set(all.map((t) => t.storage())).size !== all.length) return false;
  if (nesterovStepInArena(all, mom, -clr)) return true;
  const n = x.nElement();
  const [X, G, WD, LR, DE, B, DL] = all.map((t) => (t.nElement() === n ? hostFloat32ForWrite(t) : null));
  if (!X || !G || !WD || !LR || !DE || !B || !DL) return false;
  const m = Math.fround(mom);
  const step = Math.fround(-clr);
  const f = Math.fround;
  for (let i = 0; i < n; i++) {
    const d = f(WD[i]! * X[i]!);
    DE[i] = d;
    const g = f(G[i]! + d);
    const b = f(f(B[i]! * m) + g);
    B[i] = b;
    const g2 = f(g + f(m * b));
    G[i] = g2;
    const dl = f(LR[i]! * g2);
    DL[i] = dl;
    X[i] = f(X[i]! + f(step * dl));
  }
  return true;
}
