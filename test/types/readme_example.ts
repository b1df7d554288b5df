import { initBackend, torch, nn, optim, nnlr, t7, models } from 'mpelu';

await initBackend();                                  // pick and start the backend first
torch.manualSeed(1);
// Torch's default tensor type is Double: the model builder makes a Float model itself;
// modules you build by hand are Double until .float() or torch.setdefaulttensortype('torch.FloatTensor')
const model = models.createMpeluNopreResNet({ depth: 164 });  // Torch7's draws (checked bit for bit at depth 20)
const criterion = nn.CrossEntropyCriterion().float();
const [params, gradParams] = model.getParameters();
const [learningRates, weightDecays] = nnlr.getOptimConfig(model, 0.1, 1e-4);
const state = { learningRate: 0.1, momentum: 0.9, nesterov: true, dampening: 0, learningRates, weightDecays };

const input = torch.FloatTensor(32, 3, 32, 32).normal(0, 1);
const target = torch.LongTensor(32).fill(1);
optim.sgd(() => {
  const out = model.forward(input);                   // a Tensor for a tensor input
  const loss = criterion.forward(out, target);
  model.zeroGradParameters();
  model.backward(input, criterion.backward(out, target));
  return [loss, gradParams];
}, params, state);

model.clearState();                                   // drop the batch's activations, as fb.resnet.torch does
t7.save('model.t7', model);                           // 14 MB (1.65 GB without clearState); torch.load reads it
const again = t7.loadModule('model.t7');              // a live nn module again (t7.load<T>() for other files)
const scores = again.evaluate().forward(input.narrow(1, 1, 4));
console.log(scores.size());                           // [ 4, 10 ]
