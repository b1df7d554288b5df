// The MPELU nopre ResNet trained the fb.resnet.torch way, as the benches run it: built from
// torch.manualSeed(1), CrossEntropyCriterion, optim.sgd (nesterov, momentum 0.9, nnlr
// learningRates/weightDecays) on the flat parameter vector, one fixed random batch.

import { manualSeed } from '../../src/torch/random.js';
import { Tensor } from '../../src/torch/tensor.js';
import { nn, type Module } from '../../src/nn/index.js';
import { createMpeluNopreResNet } from '../../src/models/mpelu_nopre_resnet.js';
import { getOptimConfig } from '../../src/optim/nnlr.js';
import { sgd } from '../../src/optim/sgd.js';

export interface ResnetTrainer {
  model: Module;
  nParameters: number;
  /** The flat parameter vector optim.sgd updates. */
  params: Tensor;
  /** Largest parameter tensor, in elements. */
  largestParameter: number;
  input: Tensor;
  /** One training step; returns the loss. */
  step(): number;
}

export function resnetTrainer(depth: number, batch: number): ResnetTrainer {
  manualSeed(1);
  const model = createMpeluNopreResNet({ depth });
  const [params, gradParams] = model.getParameters();
  const [learningRates, weightDecays] = getOptimConfig(model, 0.1, 1e-4);
  const criterion = nn.CrossEntropyCriterion().float();
  const state: Record<string, unknown> = { learningRate: 0.1, momentum: 0.9, nesterov: true, dampening: 0, learningRates, weightDecays };
  const input = Tensor.create('Float', [batch, 3, 32, 32]).normal(0, 1);
  const target = Tensor.create('Long', [batch]);
  for (let i = 1; i <= batch; i++) target.put(i, ((i * 7) % 10) + 1);
  const step = () => {
    const [, fx] = sgd(() => {
      const out = model.forward(input) as Tensor;
      const loss = criterion.forward(out, target);
      model.zeroGradParameters();
      model.backward(input, criterion.backward(out, target) as Tensor);
      return [loss, gradParams];
    }, params, state);
    return fx[0]!;
  };
  const largestParameter = Math.max(...(model.parameters()?.[0] ?? []).map((p) => p.nElement()));
  return { model, nParameters: params.nElement(), params, largestParameter, input, step };
}
