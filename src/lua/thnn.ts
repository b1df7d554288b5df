// `input.THNN.X(input:cdata(), ...)` and `require 'nn.THNN'` for Lua layer classes, as
// torch/nn's THNN.lua provides them: a table of kernels per tensor type (FloatTensor and
// its CUDA name, DoubleTensor), reached from any tensor of that type as `t.THNN`, taking
// `t:cdata()` handles and numbers in THNN's argument order. Each call checks its
// arguments (count, tensor types, numbers) and raises a Lua error naming the function,
// the argument and what was expected, where LuaJIT's FFI would fail or THNN crash.

import { lua, lauxlib, type LuaState } from './fengari.js';
import { LuaValueRef, type Bridge, type ObjectKind } from './bridge.js';
import type { LuaRuntime } from './runtime.js';
import { pushTable, runLuaFile } from './packages.js';
import { Tensor } from '../torch/tensor.js';
import { TorchObject } from '../t7/torch_object.js';
import * as K from './thnn_kernels.js';

/* eslint-disable @typescript-eslint/no-explicit-any */

/** What t:cdata() returns: a handle on the tensor (LuaJIT's `cdata<struct THFloatTensor *>`). */
export class TensorCData {
  constructor(readonly tensor: Tensor) {}
}

const handles = new WeakMap<Tensor, TensorCData>();

/** t:cdata(): one handle per tensor, so `a:cdata() == a:cdata()` as for LuaJIT pointers. */
export function cdataOf(t: Tensor): TensorCData {
  let h = handles.get(t);
  if (!h) {
    h = new TensorCData(t);
    handles.set(t, h);
  }
  return h;
}

/** THNN's C type name of a tensor handle. */
function structName(t: Tensor): string {
  return `struct TH${t.elementType}Tensor *`;
}

export function cdataKind(pointer: (x: unknown) => number): ObjectKind {
  return {
    name: 'cdata',
    luaType: 'cdata',
    matches: (o) => o instanceof TensorCData,
    tostring: (h: TensorCData) => `cdata<${structName(h.tensor)}>: 0x${pointer(h.tensor).toString(16).padStart(8, '0')}`,
  };
}

/** One argument of a THNN function: a tensor handle (optional ones may be nil), a number or a bool. */
type ArgKind = 'tensor' | 'tensor?' | 'number' | 'bool';

interface Signature {
  args: [name: string, kind: ArgKind][];
  run: (...a: any[]) => void;
}

const t = (name: string): [string, ArgKind] => [name, 'tensor'];
const opt = (name: string): [string, ArgKind] => [name, 'tensor?'];
const num = (name: string): [string, ArgKind] => [name, 'number'];
const bool = (name: string): [string, ArgKind] => [name, 'bool'];
const geometry = ['kW', 'kH', 'dW', 'dH', 'padW', 'padH'].map(num);

/** The functions, with THNN's argument lists (the paper's THNN.h for PReLU, SPELU and MPELU). */
const signatures: Record<string, Signature[]> = {
  PReLU_updateOutput: [{ args: [t('input'), t('output'), t('weight'), num('nOutputPlane')], run: K.PReLU_updateOutput }],
  PReLU_updateGradInput: [{ args: [t('input'), t('gradOutput'), t('gradInput'), t('weight'), num('nOutputPlane')], run: K.PReLU_updateGradInput }],
  PReLU_accGradParameters: [
    {
      args: [t('input'), t('gradOutput'), t('gradInput'), t('weight'), t('gradWeight'), t('gradWeightBuf'), t('gradWeightBuf2'), num('nOutputPlane'), num('scale')],
      run: K.PReLU_accGradParameters,
    },
  ],
  SPELU_updateOutput: [{ args: [t('input'), t('output'), t('weight'), num('nOutputPlane')], run: K.SPELU_updateOutput }],
  SPELU_updateGradInput: [{ args: [t('input'), t('gradOutput'), t('gradInput'), t('weight'), num('nOutputPlane')], run: K.SPELU_updateGradInput }],
  SPELU_accGradParameters: [
    {
      args: [t('input'), t('gradOutput'), t('gradInput'), t('weight'), t('gradWeight'), t('gradWeightBuf'), t('gradWeightBuf2'), num('nOutputPlane'), num('scale')],
      run: K.SPELU_accGradParameters,
    },
  ],
  MPELU_updateOutput: [{ args: [t('input'), t('output'), t('weight'), t('bias'), num('nOutputPlane')], run: K.MPELU_updateOutput }],
  // The paper's master branch, then its `mpeluTorch` branch ("Faster"), which also passes
  // the output (its C kernel computes the gradient from it; the values are the same math).
  MPELU_updateGradInput: [
    { args: [t('input'), t('gradOutput'), t('gradInput'), t('weight'), t('bias'), num('nOutputPlane')], run: K.MPELU_updateGradInput },
    {
      args: [t('input'), t('output'), t('gradOutput'), t('gradInput'), t('weight'), t('bias'), num('nOutputPlane')],
      run: (i, _o, g, gi, w, b, n) => K.MPELU_updateGradInput(i, g, gi, w, b, n),
    },
  ],
  MPELU_accGradParameters: [
    {
      args: [
        t('input'), t('gradOutput'), t('gradInput'), t('weight'), t('gradWeight'), t('gradWeightBuf'), t('gradWeightBuf2'),
        t('bias'), t('gradBias'), t('gradBiasBuf'), t('gradBiasBuf2'), num('nOutputPlane'), num('scale'),
      ],
      run: K.MPELU_accGradParameters,
    },
    {
      args: [
        t('input'), t('output'), t('gradOutput'), t('gradInput'), t('weight'), t('gradWeight'), t('gradWeightBuf'), t('gradWeightBuf2'),
        t('bias'), t('gradBias'), t('gradBiasBuf'), t('gradBiasBuf2'), num('nOutputPlane'), num('scale'),
      ],
      run: (i, _o, ...rest) => (K.MPELU_accGradParameters as any)(i, ...rest),
    },
  ],
  ELU_updateOutput: [{ args: [t('input'), t('output'), num('alpha'), bool('inplace')], run: K.ELU_updateOutput }],
  ELU_updateGradInput: [{ args: [t('input'), t('gradOutput'), t('gradInput'), t('output'), num('alpha'), bool('inplace')], run: K.ELU_updateGradInput }],
  SpatialConvolutionMM_updateOutput: [
    { args: [t('input'), t('output'), t('weight'), opt('bias'), t('finput'), t('fgradInput'), ...geometry], run: K.SpatialConvolutionMM_updateOutput },
  ],
  SpatialConvolutionMM_updateGradInput: [
    { args: [t('input'), t('gradOutput'), t('gradInput'), t('weight'), t('finput'), t('fgradInput'), ...geometry], run: K.SpatialConvolutionMM_updateGradInput },
  ],
  SpatialConvolutionMM_accGradParameters: [
    {
      args: [t('input'), t('gradOutput'), t('gradWeight'), opt('gradBias'), t('finput'), t('fgradInput'), ...geometry, num('scale')],
      run: K.SpatialConvolutionMM_accGradParameters,
    },
  ],
  BatchNormalization_updateOutput: [
    {
      args: [
        t('input'), t('output'), opt('weight'), opt('bias'), t('running_mean'), t('running_var'), t('save_mean'), t('save_std'),
        bool('train'), num('momentum'), num('eps'),
      ],
      run: K.BatchNormalization_updateOutput,
    },
  ],
  BatchNormalization_backward: [
    {
      args: [
        t('input'), t('gradOutput'), opt('gradInput'), opt('gradWeight'), opt('gradBias'), opt('weight'), t('running_mean'), t('running_var'),
        t('save_mean'), t('save_std'), bool('train'), num('scale'), num('eps'),
      ],
      run: K.BatchNormalization_backward,
    },
  ],
};

export const implementedTHNN = Object.keys(signatures);

function describe(v: unknown): string {
  if (v === undefined || v === null) return 'nil';
  if (v instanceof TensorCData) return `cdata<${structName(v.tensor)}>`;
  if (v instanceof Tensor) return `torch.${v.elementType}Tensor`;
  if (v instanceof TorchObject) return v.className;
  if (typeof v === 'object' || typeof v === 'function') return typeof v === 'function' ? 'function' : 'table';
  return typeof v;
}

/** The argument converted for the kernel, or an error saying what was expected. */
function convert(fn: string, i: number, [name, kind]: [string, ArgKind], v: unknown, type: string): unknown {
  const bad = (expected: string) => new TypeError(`bad argument #${i} to '${fn}' (${name}: ${expected} expected, got ${describe(v)})`);
  if (kind === 'number') {
    if (typeof v !== 'number') throw bad('number');
    return v;
  }
  if (kind === 'bool') {
    if (typeof v === 'boolean') return v;
    if (typeof v === 'number') return v !== 0; // LuaJIT's FFI converts numbers to bool
    throw bad('boolean');
  }
  if (v === undefined && kind === 'tensor?') return undefined;
  const want = `cdata<struct TH${type}Tensor *>${kind === 'tensor?' ? ' or nil' : ''}`;
  if (v instanceof Tensor) throw new TypeError(`bad argument #${i} to '${fn}' (${name}: ${want} expected, got a torch.${v.elementType}Tensor: pass ${name}:cdata())`);
  if (!(v instanceof TensorCData) || v.tensor.elementType !== type) throw bad(want);
  return v.tensor;
}

/** The Lua function for THNN.`fn` on tensors of `type`. */
function bind(fn: string, sigs: Signature[], type: string): (...a: unknown[]) => void {
  return (...args: unknown[]) => {
    const sig = sigs.find((s) => s.args.length === args.length) ?? (args.length < sigs[0]!.args.length ? sigs[0]! : sigs[sigs.length - 1]!);
    if (args.length > sig.args.length) {
      const forms = sigs.map((s) => `${s.args.length} (${s.args.map(([n]) => n).join(', ')})`).join(' or ');
      throw new TypeError(`wrong number of arguments for '${fn}': expected ${forms}, got ${args.length}`);
    }
    // Missing trailing arguments are nil, as for a C call from LuaJIT; convert names the first bad one.
    const values = sig.args.map((a, i) => convert(fn, i + 1, a, args[i], type));
    sig.run(...values);
  };
}

function kernels(type: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, sigs] of Object.entries(signatures)) out[name] = bind(name, sigs, type);
  return out;
}

/**
 * Installs THNN: the kernel tables, `t.THNN` on Float and Double tensors (through
 * `tensorFields`), and lua/thnn.lua (require 'nn.THNN', nn.utils.clear).
 */
export function installTHNN(rt: LuaRuntime, mpelu: number, tensorFields: Map<string, (t: Tensor) => unknown>, pointer: (x: unknown) => number): void {
  const b: Bridge = rt.bridge;
  const L: LuaState = b.L;
  b.kinds.push(cdataKind(pointer));
  const tables = new Map<string, LuaValueRef>();
  for (const type of ['Float', 'Double']) {
    pushTable(b, kernels(type));
    tables.set(type, new LuaValueRef(lauxlib.luaL_ref(L, lua.LUA_REGISTRYINDEX)));
  }
  tensorFields.set('THNN', (x) => tables.get(x.elementType));
  pushTable(b, {
    float: tables.get('Float'),
    double: tables.get('Double'),
    implemented: [...new Set(implementedTHNN.map((n) => n.replace(/_[^_]+$/, '_*')))].join(', '),
  });
  const js = lua.lua_gettop(L);
  runLuaFile(rt, 'thnn.lua', [mpelu, js]);
  lua.lua_pop(L, 1);
}
