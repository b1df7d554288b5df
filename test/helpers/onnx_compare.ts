// Runs an exported model in ONNX Runtime and compares it with mpelu's own evaluation
// forward on seeded inputs, batch sizes 1 and 7. "Relative" here: the largest absolute
// difference over the largest |value| of mpelu's output (per output tensor).

import { spawnSync } from 'node:child_process';
import * as ort from 'onnxruntime-node';
import { expect } from 'vitest';
import { Tensor } from '../../src/torch/index.js';
import type { Activity, Module } from '../../src/nn/index.js';
import { exportOnnx, type OnnxExportOptions } from '../../src/export/onnx.js';
import { data } from './random_data.js';

export const RELATIVE_TOLERANCE = 1e-5;

/** One thread, no spinning: the tests share 2 cores with other suites. */
export const SESSION_OPTIONS: ort.InferenceSession.SessionOptions = {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  extra: { session: { intra_op: { allow_spinning: '0' } } },
};

function tensors(a: Activity): Tensor[] {
  return Array.isArray(a) ? a.flatMap(tensors) : [a];
}

export interface CompareResult {
  bytes: Uint8Array;
  worst: number;
}

/** Exports `model` (for one sample of `sample` sizes) and checks ORT against mpelu at each batch size. */
export async function compareWithOrt(
  model: Module,
  sample: readonly number[],
  options: OnnxExportOptions & { batches?: number[]; seed?: number; lo?: number; hi?: number; symbolicSize?: boolean } = {},
): Promise<CompareResult> {
  model.float().evaluate();
  // symbolicSize: exported without the input size (symbolic height and width), run at `sample`.
  const bytes = exportOnnx(model, { inputShape: options.symbolicSize ? undefined : sample, ...options });
  const session = await ort.InferenceSession.create(bytes, SESSION_OPTIONS);
  let worst = 0;
  for (const n of options.batches ?? [1, 7]) {
    const shape = [n, ...sample];
    const values = data(shape.reduce((a, b) => a * b, 1), (options.seed ?? 1) + n, options.lo ?? -2, options.hi ?? 2);
    const x = Tensor.create('Float', shape);
    (x.storage().mutableData() as Float32Array).set(values);
    const expected = tensors(model.forward(x));
    const got = await session.run({ input: new ort.Tensor('float32', values.slice(), shape) });
    expect(session.outputNames.length).toBe(expected.length);
    session.outputNames.forEach((name, i) => {
      const want = expected[i]!;
      const have = got[name]!;
      expect([...have.dims], `output ${name} sizes at batch ${n}`).toEqual(want.size());
      const w = want.values();
      const h = have.data as Float32Array;
      let maxAbs = 0;
      let maxDiff = 0;
      for (let k = 0; k < w.length; k++) {
        maxAbs = Math.max(maxAbs, Math.abs(w[k]!));
        maxDiff = Math.max(maxDiff, Math.abs(h[k]! - w[k]!));
      }
      const rel = maxAbs === 0 ? maxDiff : maxDiff / maxAbs;
      worst = Math.max(worst, rel);
      expect(rel, `output ${name} at batch ${n}: max |diff| ${maxDiff} for max |value| ${maxAbs}`).toBeLessThanOrEqual(RELATIVE_TOLERANCE);
    });
  }
  await session.release();
  return { bytes, worst };
}

/** A python3 that imports onnx (Debian's python3-onnx lives under /usr/bin), or null. */
export function onnxPython(): string | null {
  for (const py of ['python3', '/usr/bin/python3']) {
    if (spawnSync(py, ['-c', 'import onnx'], { encoding: 'utf8' }).status === 0) return py;
  }
  return null;
}

/** Runs onnx.checker.check_model(full_check=True) on each file; returns the failures' messages. */
export function onnxCheck(files: readonly string[]): string[] {
  const script = [
    'import sys, onnx',
    'bad = []',
    'for f in sys.argv[1:]:',
    '    try:',
    '        onnx.checker.check_model(onnx.load(f), full_check=True)',
    '    except Exception as e:',
    '        bad.append(f + ": " + str(e).splitlines()[0])',
    'print("\\n".join(bad))',
  ].join('\n');
  const py = onnxPython();
  if (!py) return ['no python3 with onnx'];
  const r = spawnSync(py, ['-c', script, ...files], { encoding: 'utf8' });
  if (r.status !== 0) return [`python3 failed: ${r.stderr}`];
  return r.stdout.split('\n').filter((l) => l.trim() !== '');
}
