// nn.Sequential: modules applied one after the other.

import { Tensor, defaultTensorType } from '../torch/tensor.js';
import { Container } from './Container.js';
import type { Activity, Module } from './module.js';
import { chainString } from './tostring.js';
import { registerModule } from './registry.js';
import { releaseConsumed } from './release.js';
import { inBackward } from './backward_scope.js';
import { dropReloadedActivations, offloadActivations } from './offload.js';

export class Sequential<In extends Activity = Tensor, Out extends Activity = Tensor> extends Container<In, Out> {
  constructor() {
    super('nn.Sequential');
  }

  /** As Torch: the container's output/gradInput are its last/first module's buffers. */
  override add(module: Module): this {
    if (this.size() === 0) this.gradInput = module.gradInput as In | undefined;
    super.add(module);
    this.output = module.output as Out;
    return this;
  }

  override insert(module: Module, index = this.size() + 1): this {
    super.insert(module, index);
    this.relink();
    return this;
  }

  override remove(index = this.size()): Module {
    const removed = super.remove(index);
    this.relink();
    return removed;
  }

  private relink(): void {
    const mods = this.children();
    if (mods.length > 0) {
      this.output = mods[mods.length - 1]!.output as Out;
      this.gradInput = mods[0]!.gradInput as In | undefined;
    } else {
      this.fields.set('output', new Tensor(defaultTensorType()));
      this.fields.set('gradInput', new Tensor(defaultTensorType()));
    }
  }

  override updateOutput(input: In): Out {
    let current: Activity = input;
    const mods = this.children();
    for (let i = 0; i < mods.length; i++) {
      const m = mods[i]!;
      const next = mods[i + 1];
      // from i = 1 the input is the previous module's output: consumed once m has run (offload.ts)
      const x = current;
      const own = i > 0 ? x : undefined;
      // a module that computes the next one's output in its own pass (batch norm, then MPELU)
      if (next && isFusing(m)) {
        const fused = this.rethrowErrors(m, i + 1, 'updateOutput', () => m.updateOutputFused(x, next));
        if (fused === RAN_ALONE) {
          // the module computed its own output only: the next one runs as usual
          current = m.output;
          offloadActivations(own, [current]);
          continue;
        }
        if (fused) {
          current = fused;
          offloadActivations(own, [current]);
          offloadActivations(m.output, [current]);
          i++;
          continue;
        }
      }
      current = this.rethrowErrors(m, i + 1, 'updateOutput', () => m.updateOutput(x));
      offloadActivations(own, [current]);
    }
    this.output = current as Out;
    return this.output;
  }

  override updateGradInput(input: In, gradOutput: Out): In | undefined {
    const mods = this.children();
    let current: Activity | undefined = gradOutput;
    for (let i = mods.length - 1; i >= 1; i--) {
      const m = mods[i]!;
      const prevOut = mods[i - 1]!.output;
      const g = this.gradientFor(current, i);
      current = this.rethrowErrors(m, i + 1, 'updateGradInput', () => m.updateGradInput(prevOut, g));
      // m's output (module i + 2's input) is past in this pass: parked again if it was (as in backward)
      if (i < mods.length - 1) dropReloadedActivations(m.output, [current, prevOut, gradOutput]);
    }
    if (mods.length > 0) {
      const g = this.gradientFor(current, 0);
      current = this.rethrowErrors(mods[0]!, 1, 'updateGradInput', () => mods[0]!.updateGradInput(input, g));
      if (mods.length > 1) dropReloadedActivations(mods[0]!.output, [current, input, gradOutput]);
    }
    this.gradInput = current as In | undefined;
    return this.gradInput;
  }

  override accGradParameters(input: In, gradOutput: Out, scale = 1): void {
    const mods = this.children();
    let current: Activity | undefined = gradOutput;
    for (let i = mods.length - 1; i >= 1; i--) {
      const m = mods[i]!;
      const prevOut = mods[i - 1]!.output;
      const g = this.gradientFor(current, i);
      this.rethrowErrors(m, i + 1, 'accGradParameters', () => m.accGradParameters(prevOut, g, scale));
      current = m.gradInput;
      if (i < mods.length - 1) dropReloadedActivations(m.output, [current, prevOut, gradOutput]);
    }
    if (mods.length > 0) {
      const g = this.gradientFor(current, 0);
      this.rethrowErrors(mods[0]!, 1, 'accGradParameters', () => mods[0]!.accGradParameters(input, g, scale));
      if (mods.length > 1) dropReloadedActivations(mods[0]!.output, [mods[0]!.gradInput, input, gradOutput]);
    }
  }

  override backward(input: In, gradOutput: Out, scale = 1): In | undefined {
    return inBackward(() => this.backwardChildren(input, gradOutput, scale));
  }

  private backwardChildren(input: In, gradOutput: Out, scale: number): In | undefined {
    const mods = this.children();
    let current: Activity | undefined = gradOutput;
    for (let i = mods.length - 1; i >= 1; i--) {
      const m = mods[i]!;
      const prev = mods[i - 1]!;
      const g = this.gradientFor(current, i);
      // a module that also takes the backward of the one after it in one pass (batch norm, MPELU)
      if (isFusing(prev) && prev.backwardFused) {
        const before = i >= 2 ? mods[i - 2]!.output : input;
        const fused = this.rethrowErrors(prev, i, 'backward', () => prev.backwardFused!(before, m, g, scale));
        if (fused) {
          // as the two backwards one after the other: g, then m's gradInput, consumed
          if (i < mods.length - 1) releaseConsumed(g, [m.gradInput, prev.output, m.output, gradOutput]);
          releaseConsumed(m.gradInput, [fused, before, prev.output, gradOutput]);
          // both modules' outputs are past (the last one's is the container's own)
          if (i < mods.length - 1) dropReloadedActivations(m.output, [fused, before, gradOutput]);
          dropReloadedActivations(prev.output, [fused, before, gradOutput]);
          current = fused;
          prev.gradInput = fused;
          i--;
          if (i === 0) {
            this.gradInput = current as In | undefined;
            return this.gradInput;
          }
          continue;
        }
      }
      const prevOut = prev.output;
      current = this.rethrowErrors(m, i + 1, 'backward', () => m.backward(prevOut, g, scale));
      m.gradInput = current;
      // g was module i + 2's gradInput (not the container's gradOutput): consumed now
      if (i < mods.length - 1) {
        releaseConsumed(g, [current, prevOut, m.output, gradOutput]);
        dropReloadedActivations(m.output, [current, prevOut, gradOutput]);
      }
    }
    if (mods.length > 0) {
      const g = this.gradientFor(current, 0);
      current = this.rethrowErrors(mods[0]!, 1, 'backward', () => mods[0]!.backward(input, g, scale));
      if (mods.length > 1) {
        releaseConsumed(g, [current, input, mods[0]!.output, gradOutput]);
        dropReloadedActivations(mods[0]!.output, [current, input, gradOutput]);
      }
    }
    this.gradInput = current as In | undefined;
    return this.gradInput;
  }

  /**
   * The gradient handed to module index0 + 1: the one its successor returned. A successor
   * whose gradInput is nil (not computed) leaves nothing to hand on: a clear error.
   */
  private gradientFor(g: Activity | undefined, index0: number): Activity {
    if (g !== undefined) return g;
    const mods = this.children();
    const next = mods[index0 + 1];
    if (!next) throw new Error(`${this.className}: no gradOutput (nil) for module ${index0 + 1}`);
    throw new Error(
      `${this.className}: module ${index0 + 2} (${next.className}) has gradInput = nil, so module ${index0 + 1} (${mods[index0]!.className}) gets no gradOutput; only the first module may skip its input gradient`,
    );
  }

  override __tostring__(): string {
    return chainString('nn.Sequential', this.children());
  }
}

registerModule('nn.Sequential', Sequential);

/**
 * What updateOutputFused returns when it computed its own output (module.output) but left the
 * next module's to run as usual.
 */
export const RAN_ALONE: unique symbol = Symbol('ran alone');

/**
 * A module that can also compute the next module's output in the same pass, and the next
 * module's backward with its own (or decline: null, nothing done).
 */
interface FusingModule extends Module {
  updateOutputFused(input: Activity, next: Module): Activity | typeof RAN_ALONE | null;
  backwardFused?(input: Activity, next: Module, gradOutput: Activity, scale: number): Activity | null;
}

function isFusing(m: Module): m is FusingModule {
  return typeof (m as unknown as { updateOutputFused?: unknown }).updateOutputFused === 'function';
}
