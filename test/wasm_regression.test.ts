// Regressions found on the wasm backend, checked on every test backend.
//
// Batch-norm training statistics: tfjs-wasm's Mean/Sum accumulate in float32, so the
// composite batch norm's mean and variance drifted (~1e-4 on a 4096-element channel
// around 100 below; ~1e-6 relative on ResNet activations), enough to push an activation
// across MPELU's kink and change the Torch7 two-step replay by 0.6% (test/resnet.test.ts).
// Torch's THNN sums in double (accreal) and stores mean and invstd as floats: the
// forward must give exactly those floats.

import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { batchNormTrainForward, forEachBackend, initBackend, testBackends } from '../src/backend/index.js';

beforeAll(async () => {
  await initBackend();
});

describe('batch norm training forward on each backend', () => {
  it('sums its batch statistics in float64 as THNN does (mean, invstd, y against a float64 reference)', async () => {
    // Two channels of 4096 float32 values, 100 + u with u in [-1, 1) (Park-Miller draws).
    const shape = [4, 32, 32, 2];
    const C = 2;
    const n = 4096;
    let seed = 12345;
    const xv = new Float32Array(n * C);
    for (let i = 0; i < xv.length; i++) {
      seed = (seed * 16807) % 2147483647;
      xv[i] = 100 + (2 * seed) / 2147483647 - 1;
    }
    const eps = 1e-5;
    const mean = new Float64Array(C);
    const ssd = new Float64Array(C);
    for (let i = 0; i < xv.length; i++) mean[i % C]! += xv[i]!;
    for (let c = 0; c < C; c++) mean[c]! /= n;
    for (let i = 0; i < xv.length; i++) ssd[i % C]! += (xv[i]! - mean[i % C]!) ** 2;
    const wantMean = Array.from(mean, (m) => Math.fround(m));
    const wantInvstd = Array.from(ssd, (s) => Math.fround(1 / Math.sqrt(s / n + eps)));

    const seen: string[] = [];
    await forEachBackend(testBackends(), (backend) => {
      seen.push(backend);
      const before = tf.memory().numTensors;
      const x = tf.tensor(xv, shape);
      const r = batchNormTrainForward(x, null, null, eps);
      const gotMean = Array.from(r.mean.dataSync());
      const gotInvstd = Array.from(r.invstd.dataSync());
      const y = r.y.dataSync();
      tf.dispose([x, r.y, r.mean, r.invstd, r.varUnbiased]);
      expect(tf.memory().numTensors, backend).toBe(before);

      expect(gotMean, `${backend} mean`).toEqual(wantMean);
      for (let c = 0; c < C; c++) expect(Math.abs(gotInvstd[c]! - wantInvstd[c]!) / wantInvstd[c]!, `${backend} invstd`).toBeLessThan(2e-7);
      // y = (x - float(mean)) * float(invstd): off by at most ~ulp(100) * invstd / 2 (4e-6 here).
      let worst = 0;
      for (let i = 0; i < y.length; i++) worst = Math.max(worst, Math.abs(y[i]! - (xv[i]! - mean[i % C]!) / Math.sqrt(ssd[i % C]! / n + eps)));
      expect(worst, `${backend} y`).toBeLessThan(1e-5);
    });
    expect(seen).toEqual(testBackends());
  });
});
