// nn.ConcatTable: every child gets the same input; the output is the table of their outputs.
// gradInput is the sum of the children's gradInputs (element-wise, also for table inputs).

import { tf } from '../torch/tfjs_core.js';
import { Tensor } from '../torch/tensor.js';
import { Container } from './Container.js';
import type { Activity, Module } from './module.js';
import { registerModule } from './registry.js';
import { asArray, commonLayout, detachFrom, engineOf, hostValues, setOutputHost, setOutputTF, sumTF, toTFLayout } from './tensor_helpers.js';
import { branchString } from './tostring.js';
import { releaseConsumed } from './release.js';

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

  override updateOutput(input: In): Out[] {
    let out = this.fields.get('output');
    if (!Array.isArray(out)) {
      out = [];
      this.fields.set('output', out);
    }
    const outs = out as Out[];
    const mods = this.children();
    mods.forEach((m, i) => {
      outs[i] = this.rethrowErrors(m, i + 1, 'updateOutput', () => m.updateOutput(input)) as Out;
    });
    outs.length = mods.length;
    return outs;
  }

  private backwardWith(method: 'updateGradInput' | 'backward', input: In, gradOutput: Activity, scale: number): In {
    const gs = asArray<Activity>(gradOutput, 'nn.ConcatTable gradOutput');
    const mods = this.children();
    if (gs.length < mods.length) throw new RangeError(`nn.ConcatTable: gradOutput has ${gs.length} entries for ${mods.length} branches`);
    const parts = mods.map((m: Module, i) =>
      this.childGradient(this.rethrowErrors(m, i + 1, method, () => (method === 'backward' ? m.backward(input, gs[i]!, scale) : m.updateGradInput(input, gs[i]!))), m, i + 1),
    );
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
    return this.backwardWith('backward', input, gradOutput, scale);
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
