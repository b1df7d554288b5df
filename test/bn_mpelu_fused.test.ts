// The nopre unit's batch norm -> MPELU pair in one pass forward and one backward
// (SpatialBatchNormalization .updateOutputFused / .backwardFused, taken by nn.Sequential):
// the same outputs, batch statistics, running averages, gradInputs and parameter gradients as
// the two modules one after the other, bit for bit, in training and evaluation, per-channel
// and shared MPELU; a pair it cannot take (another channel count, Double) runs the two
// modules as before.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { initBackendInfo } from '../src/backend/index.js';
import { manualSeed } from '../src/torch/random.js';
import { Tensor } from '../src/torch/tensor.js';
import { nn } from '../src/nn/index.js';
import { MPELU } from '../src/nn/MPELU.js';

beforeAll(async () => {
  await initBackendInfo('wasm');
});
afterEach(() => vi.restoreAllMocks());

function same(a: Tensor, b: Tensor): boolean {
  const [u, v] = [a.values(), b.values()];
  return u.length === v.length && u.every((x, i) => Object.is(x, v[i]));
}

/** A conv, batch norm and MPELU (mpeluPlanes alpha/beta pairs), and the input and gradient. */
function pair(mpeluPlanes: number, seed: number, type: 'Float' | 'Double' = 'Float') {
  manualSeed(seed);
  const seq = nn.Sequential().add(nn.SpatialConvolution(3, 16, 3, 3, 1, 1, 1, 1)).add(nn.SpatialBatchNormalization(16)).add(nn.MPELU(0.25, 1, mpeluPlanes));
  const bn = seq.get(2) as InstanceType<typeof nn.SpatialBatchNormalization>;
  bn.weight!.uniform(0.5, 1.5);
  bn.bias!.uniform(-0.5, 0.5);
  const m = seq.get(3) as MPELU;
  m.weight.uniform(0.1, 0.5);
  m.bias.uniform(0.5, 2);
  if (type === 'Double') seq.double(); else seq.float();
  const x = Tensor.create(type, [4, 3, 12, 12]).normal(0, 1);
  const g = Tensor.create(type, [4, 16, 12, 12]).normal(0, 1);
  return { seq, bn, m, x, g };
}

/** The pair run module by module (no fusion) on a clone. */
function unfused(seq: ReturnType<typeof pair>['seq'], x: Tensor, g: Tensor) {
  const c = seq.clone();
  const conv = c.get(1), bn = c.get(2), m = c.get(3);
  const y1 = conv.updateOutput(x) as Tensor;
  const y2 = bn.updateOutput(y1) as Tensor;
  const y3 = m.updateOutput(y2) as Tensor;
  c.output = y3;
  c.zeroGradParameters();
  const g3 = m.backward(y2, g) as Tensor;
  const g2 = bn.backward(y1, g3) as Tensor;
  conv.backward(x, g2);
  return c;
}

describe.each(['wasm', 'cpu'] as const)('batch norm -> MPELU in one pass (%s)', (backend) => {
  beforeAll(async () => {
    await initBackendInfo(backend);
  });
  afterAll(async () => {
    await initBackendInfo('wasm');
  });
  for (const planes of [16, 0]) {
    it(`${planes ? 'per-channel' : 'shared'} MPELU: outputs, statistics and gradients as the two modules, training then evaluation`, () => {
      const { seq, bn, m, x, g } = pair(planes, 3);
      const ref = unfused(seq, x, g);
      const spy = vi.spyOn(MPELU.prototype, 'updateOutput');
      const backSpy = vi.spyOn(MPELU.prototype, 'backward');
      seq.training();
      seq.zeroGradParameters();
      seq.forward(x);
      expect(spy).not.toHaveBeenCalled(); // the batch norm computed MPELU's output
      seq.backward(x, g);
      // per-channel MPELU: the batch norm took MPELU's backward too (a shared one runs its own)
      expect(backSpy).toHaveBeenCalledTimes(planes ? 0 : 1);
      const rbn = ref.get(2) as typeof bn;
      const rm = ref.get(3) as MPELU;
      expect(same(bn.output as Tensor, rbn.output as Tensor)).toBe(true);
      expect(same(m.output as Tensor, rm.output as Tensor)).toBe(true);
      const field = (mod: object, f: string) => (mod as { fields: Map<string, unknown> }).fields.get(f) as Tensor;
      for (const f of ['save_mean', 'save_std', 'running_mean', 'running_var', 'gradWeight', 'gradBias']) {
        expect(same(field(bn, f), field(rbn, f)), f).toBe(true);
      }
      expect(same(m.gradWeight, rm.gradWeight) && same(m.gradBias, rm.gradBias)).toBe(true);
      expect(same(m.gradInput as Tensor, rm.gradInput as Tensor) && same(bn.gradInput as Tensor, rbn.gradInput as Tensor)).toBe(true);
      expect(same(seq.gradInput as Tensor, ref.gradInput as Tensor)).toBe(true);
      expect(same((seq.get(1) as typeof bn).gradWeight as Tensor, (ref.get(1) as typeof bn).gradWeight as Tensor)).toBe(true);
      // evaluation: the running statistics
      seq.evaluate();
      ref.evaluate();
      seq.forward(x);
      ref.get(3).updateOutput(ref.get(2).updateOutput(ref.get(1).updateOutput(x)));
      expect(same(m.output as Tensor, rm.output as Tensor) && same(bn.output as Tensor, rbn.output as Tensor)).toBe(true);
      expect(spy).not.toHaveBeenCalledTimes(0); // only the reference's own call
      expect(spy).toHaveBeenCalledTimes(1);
    });
  }

});

describe('batch norm -> MPELU: what it declines', () => {
  it('declines what it cannot take: the modules run one after the other', () => {
    const spy = vi.spyOn(MPELU.prototype, 'updateOutput');
    const d = pair(16, 5, 'Double');
    d.seq.forward(d.x);
    expect(spy).toHaveBeenCalledTimes(1);
    const f = pair(16, 6);
    const other = nn.Sequential().add(f.seq.get(2)).add(nn.MPELU(0.25, 1, 8)); // 8 planes after 16 channels
    expect(() => other.forward(f.seq.get(1).forward(f.x) as Tensor)).toThrow(/MPELU/);
    expect(spy).toHaveBeenCalledTimes(2);
  });
});
