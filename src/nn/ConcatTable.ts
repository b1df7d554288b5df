// nn.ConcatTable: every child gets the same input; the output is the table of their outputs.
// gradInput is the sum of the children's gradInputs (element-wise, also for table inputs).

import { tf } from '../torch/tfjs_core.js';
import { Tensor } from '../torch/tensor.js';
import { Container } from './Container.js';
import type { Activity, Module } from './module.js';
import { registerModule } from './registry.js';
import { asArray, commonLayout, detachFrom, engineOf, hostValues, setOutputHost, setOutputTF, sumTF, toTFLayout } from './tensor_helpers.js';
import { branchString } from './tostring.js';
import { releaseConsumed, releaseGradInputsEnabled } from './release.js';
import { CAddTable } from './CAddTable.js';
import { Identity } from './Identity.js';
import { RAN_ALONE, Sequential } from './Sequential.js';
import { SpatialConvolution } from './SpatialConvolution.js';
import { inBackward } from './backward_scope.js';
import { offerAddend, residualFusionEnabled, takeAddend } from './addend.js';

/** Element-wise sum of same-shaped tensors (or tables of them) into `into`, reusing its buffers. */
export function sumActivities(parts: readonly Activity[], into: Activity | undefined, where: string): Activity {
  const first = parts[0]!;
  if (first instanceof Tensor) {
    const ts = parts.map((p, i) => {
      if (!(p instanceof Tensor)) throw new TypeError(`${where}: branch ${i + 1} gave a table where branch 1 gave a tensor`);
      if (p.nElement() !== first.nElement()) throw new RangeError(`${where}: branch ${i + 1} gave ${p.nElement()} elements, branch 1 ${first.nElement()}`);
      return p;
    });
    let out = into instanceof Tensor && into.elementType === first.elementType ? into : new Tensor(first.elementType);
    for (const t of ts) detachFrom(out, t);
    if (engineOf(first, where) === 'tf') {
      const layout = commonLayout(ts);
      const sum = tf.tidy(() => {
        const s = sumTF(ts.map((t) => toTFLayout(t, layout)));
        return layout === 'NHWC' ? s : tf.reshape(s, first.size());
      });
      setOutputTF(out, sum, layout);
    } else {
      const acc = hostValues(first);
      for (let i = 1; i < ts.length; i++) {
        const v = hostValues(ts[i]!);
        for (let k = 0; k < acc.length; k++) acc[k] += v[k]!;
      }
      out = setOutputHost(out, first.size(), acc);
    }
    return out;
  }
  const n = first.length;
  const prev = Array.isArray(into) ? into : [];
  const out: Activity[] = [];
  for (let k = 0; k < n; k++) {
    out.push(
      sumActivities(
        parts.map((p, i) => {
          if (!Array.isArray(p) || p.length !== n) throw new RangeError(`${where}: table size mismatch in branch ${i + 1}`);
          return p[k]!;
        }),
        prev[k],
        where,
      ),
    );
  }
  prev.length = 0;
  prev.push(...out);
  return prev;
}

export class ConcatTable<In extends Activity = Tensor, Out extends Activity = Tensor> extends Container<In, Out[]> {
  constructor() {
    super('nn.ConcatTable');
    this.fields.set('output', []);
  }

  private outputArray(): Out[] {
    let out = this.fields.get('output');
    if (!Array.isArray(out)) {
      out = [];
      this.fields.set('output', out);
    }
    return out as Out[];
  }

  override updateOutput(input: In): Out[] {
    const outs = this.outputArray();
    const mods = this.children();
    mods.forEach((m, i) => {
      outs[i] = this.rethrowErrors(m, i + 1, 'updateOutput', () => m.updateOutput(input)) as Out;
    });
    outs.length = mods.length;
    return outs;
  }

  /**
   * A residual unit (this = {branch ending with a convolution, nn.Identity}, next =
   * CAddTable(true), fb.resnet.torch's block) with the add made by the branch's last
   * convolution as it writes its output: the values the two modules give (the conv's float32
   * result + the input, one rounding), one pass over the activations less. Where the kernel
   * cannot, this module's output is done and the add runs as usual (RAN_ALONE). Null (nothing
   * done) for any other pattern.
   */
  updateOutputFused(input: In, next: Module): Activity | typeof RAN_ALONE | null {
    const unit = residualUnit(this);
    if (!unit?.last || !(input instanceof Tensor) || !(next instanceof CAddTable) || next.constructor !== CAddTable || !next.inplace || ownMethod(next, 'updateOutput')) return null;
    const outs = this.outputArray();
    const addend = offerAddend(unit.last, 'output', input);
    try {
      outs[0] = this.rethrowErrors(unit.branch, 1, 'updateOutput', () => unit.branch.updateOutput(input)) as Out;
    } finally {
      takeAddend(unit.last, 'output');
    }
    outs[1] = this.rethrowErrors(unit.identity, 2, 'updateOutput', () => unit.identity.updateOutput(input)) as Out;
    outs.length = 2;
    return addend.done ? next.adoptSum(outs[0] as Tensor) : RAN_ALONE;
  }

  private backwardWith(method: 'updateGradInput' | 'backward', input: In, gradOutput: Activity, scale: number): In {
    const gs = asArray<Activity>(gradOutput, 'nn.ConcatTable gradOutput');
    const mods = this.children();
    if (gs.length < mods.length) throw new RangeError(`nn.ConcatTable: gradOutput has ${gs.length} entries for ${mods.length} branches`);
    // A residual unit while consumed gradInputs are released (nothing reads the branch's own
    // gradInput afterwards): the branch's first convolution adds the Identity's gradient as it
    // writes, the sum ConcatTable's gradInput is (same values, one rounding, as the sum below).
    const unit = method === 'backward' && releaseGradInputsEnabled() && gs[1] instanceof Tensor ? residualUnit(this) : null;
    const addend = unit?.first ? offerAddend(unit.first, 'gradInput', gs[1] as Tensor) : null;
    let parts: Activity[];
    try {
      parts = mods.map((m: Module, i) =>
        this.childGradient(this.rethrowErrors(m, i + 1, method, () => (method === 'backward' ? m.backward(input, gs[i]!, scale) : m.updateGradInput(input, gs[i]!))), m, i + 1),
      );
    } finally {
      if (unit?.first) takeAddend(unit.first, 'gradInput');
    }
    if (addend?.done && parts[0] instanceof Tensor && parts[0].hasStorage()) {
      // the sum moves into this module's own buffer (as the sum below would be written there);
      // the branch's gradInput, consumed, is left empty, as the release would leave it
      const sum = parts[0];
      const own = this.fields.get('gradInput');
      const into = own instanceof Tensor && own.elementType === sum.elementType && !(own.hasStorage() && own.storage() === sum.storage()) ? own : new Tensor(sum.elementType);
      const storage = into.storage(); // made (empty) when it had none
      storage.takeContentsOf(sum.storage());
      into.set(storage, sum.storageOffset(), sum.size(), sum.stride());
      sum.set();
      this.gradInput = into as In;
      return into as In;
    }
    if (parts.length === 0) return this.gradInput ?? ([] as Activity as In);
    const sum = sumActivities(parts, this.fields.get('gradInput') as Activity | undefined, 'nn.ConcatTable') as In;
    this.gradInput = sum;
    // the branches' gradInputs are summed: consumed (unless one is a gradOutput handed through)
    if (method === 'backward') for (const p of parts) releaseConsumed(p, [sum, input, gradOutput, this.output]);
    return sum;
  }

  override updateGradInput(input: In, gradOutput: Out[]): In {
    return this.backwardWith('updateGradInput', input, gradOutput, 1);
  }

  override backward(input: In, gradOutput: Out[], scale = 1): In {
    return inBackward(() => this.backwardWith('backward', input, gradOutput, scale));
  }

  override accGradParameters(input: Activity, gradOutput: Activity, scale = 1): void {
    const gs = asArray<Activity>(gradOutput, 'nn.ConcatTable gradOutput');
    this.children().forEach((m, i) => this.rethrowErrors(m, i + 1, 'accGradParameters', () => m.accGradParameters(input, gs[i]!, scale)));
  }

  override __tostring__(): string {
    return branchString(this.className, this.children());
  }
}

registerModule('nn.ConcatTable', ConcatTable);

function ownMethod(m: Module, name: string): boolean {
  return Object.prototype.hasOwnProperty.call(m, name);
}

/**
 * fb.resnet.torch's residual unit: {a plain nn.Sequential, a plain nn.Identity}, no method
 * replaced on an instance; `first` / `last`: the branch's first / last module when it is a
 * convolution (whose kernel can take the add), else null.
 */
function residualUnit(ct: ConcatTable<any, any>): { branch: Sequential<any, any>; identity: Identity<any>; first: SpatialConvolution | null; last: SpatialConvolution | null } | null {
  const mods = ct.children();
  if (!residualFusionEnabled() || mods.length !== 2 || ownMethod(ct, 'updateOutput') || ownMethod(ct, 'backward')) return null;
  const [branch, identity] = mods as [Module, Module];
  if (!(branch instanceof Sequential) || branch.constructor !== Sequential || !(identity instanceof Identity) || identity.constructor !== Identity) return null;
  for (const m of [branch, identity]) for (const name of ['updateOutput', 'updateGradInput', 'backward']) if (ownMethod(m, name)) return null;
  const inner = branch.children();
  const conv = (m: Module | undefined) => (m instanceof SpatialConvolution ? m : null);
  return { branch, identity, first: conv(inner[0]), last: conv(inner[inner.length - 1]) };
}
