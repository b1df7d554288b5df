// Counts what one call runs on tfjs: kernels by name (tf.profile), Transpose kernels split
// by what they move, and the permutations paid between a storage's channels-last device
// copy and Torch's order (see DESIGN.md, "channels-last activations, privately").

import * as tf from '@tensorflow/tfjs-core';
import { layoutTransfers } from '../../src/torch/storage.js';

export interface StepCounts {
  /** Kernel name -> how many times it ran. */
  kernels: Map<string, number>;
  /** Transpose kernels on tensors no larger than `smallLimit` elements (parameters). */
  smallTransposes: number;
  /** Transpose kernels on larger tensors (activations), by input shape. */
  largeTransposes: Map<string, number>;
  /** Channels-last device copies read to the host / reordered on the device. */
  hostReads: number;
  deviceReorders: number;
}

export async function stepCounts(fn: () => void, smallLimit: number): Promise<StepCounts> {
  const reads0 = layoutTransfers.hostReads;
  const reorders0 = layoutTransfers.deviceReorders;
  const info = await tf.profile(() => {
    fn();
  });
  const kernels = new Map<string, number>();
  const largeTransposes = new Map<string, number>();
  let smallTransposes = 0;
  for (const k of info.kernels) {
    kernels.set(k.name, (kernels.get(k.name) ?? 0) + 1);
    if (k.name !== 'Transpose') continue;
    const shape = k.inputShapes[0] ?? [];
    const n = shape.reduce((a, b) => a * b, 1);
    if (n <= smallLimit) smallTransposes++;
    else largeTransposes.set(`[${shape.join(',')}]`, (largeTransposes.get(`[${shape.join(',')}]`) ?? 0) + 1);
  }
  return {
    kernels,
    smallTransposes,
    largeTransposes,
    hostReads: layoutTransfers.hostReads - reads0,
    deviceReorders: layoutTransfers.deviceReorders - reorders0,
  };
}

/** One line: the kernels asked for, then the transposes and permutations. */
export function formatCounts(c: StepCounts, names: readonly string[]): string {
  const large = [...c.largeTransposes.entries()].map(([s, n]) => `${n}x${s}`).join(' ') || 'none';
  const picked = names.map((n) => `${n} ${c.kernels.get(n) ?? 0}`).join(', ');
  return `${picked}; Transpose on parameters ${c.smallTransposes}, on activations ${large}; ` +
    `channels-last copies read to the host ${c.hostReads}, reordered on the device ${c.deviceReorders}`;
}
