// nn.ParallelTable: child i gets input[i]; the output is the table of their outputs.

import type { Tensor } from '../torch/tensor.js';
import { Container } from './Container.js';
import type { Activity } from './module.js';
import { registerModule } from './registry.js';
import { asArray } from './tensor_helpers.js';
import { branchString } from './tostring.js';

/**
 * nn.ParallelTable(): child i is applied to entry i of the input table (1-based in Torch, index i - 1
 * here); the output is the table of their outputs.
 */
export class ParallelTable<In extends Activity = Tensor, Out extends Activity = Tensor> extends Container<In[], Out[]> {
  constructor() {
    super('nn.ParallelTable');
    this.fields.set('output', []);
    this.fields.set('gradInput', []);
  }

  private table(name: 'output' | 'gradInput'): Activity[] {
    const v = this.fields.get(name);
    if (Array.isArray(v)) return v as Activity[];
    const t: Activity[] = [];
    this.fields.set(name, t);
    return t;
  }

  private entries(x: Activity, what: string): Activity[] {
    const xs = asArray<Activity>(x, `nn.ParallelTable ${what}`);
    const n = this.size();
    if (xs.length < n) throw new RangeError(`nn.ParallelTable: ${what} has ${xs.length} entries for ${n} branches`);
    return xs;
  }

  override updateOutput(input: In[]): Out[] {
    const xs = this.entries(input, 'input');
    const out = this.table('output') as Out[];
    const mods = this.children();
    mods.forEach((m, i) => (out[i] = this.rethrowErrors(m, i + 1, 'updateOutput', () => m.updateOutput(xs[i]!) as Out)));
    out.length = mods.length;
    return out;
  }

  override updateGradInput(input: In[], gradOutput: Out[]): In[] {
    const xs = this.entries(input, 'input');
    const gs = this.entries(gradOutput, 'gradOutput');
    const gi = this.table('gradInput') as In[];
    const mods = this.children();
    mods.forEach((m, i) => (gi[i] = this.childGradient(this.rethrowErrors(m, i + 1, 'updateGradInput', () => m.updateGradInput(xs[i]!, gs[i]!)), m, i + 1) as In));
    gi.length = mods.length;
    return gi;
  }

  override accGradParameters(input: Activity, gradOutput: Activity, scale = 1): void {
    const xs = this.entries(input, 'input');
    const gs = this.entries(gradOutput, 'gradOutput');
    this.children().forEach((m, i) => this.rethrowErrors(m, i + 1, 'accGradParameters', () => m.accGradParameters(xs[i]!, gs[i]!, scale)));
  }

  override __tostring__(): string {
    return branchString(this.className, this.children());
  }
}

registerModule('nn.ParallelTable', ParallelTable);
