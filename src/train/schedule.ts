// The learning rate of an epoch as the MPELU paper's train.lua computes it:
//   imagenet: LR * 0.1^floor((epoch - 1) / 30)
//   cifar10, cifar100: LR * 0.1^decay, decay = 2 from epoch 225, 1 from 150, else 0 (the
//   paper's file replaced fb.resnet.torch's 81/122 by 150/225 for every -netType)
// -lrSteps s1,s2,... replaces the steps: decay = how many of them epoch has reached.

/**
 * The learning rate of a 1-based epoch as the paper's train.lua computes it: on CIFAR LR x 0.1 from
 * epoch 150 and x 0.01 from 225 (imagenet: x 0.1 every 30); lrSteps replaces the steps.
 */
export function learningRateAt(epoch: number, LR: number, dataset: string, lrSteps: readonly number[] | null = null): number {
  let decay = 0;
  if (lrSteps) decay = lrSteps.filter((s) => epoch >= s).length;
  else if (dataset === 'imagenet') decay = Math.floor((epoch - 1) / 30);
  else if (dataset === 'cifar10' || dataset === 'cifar100') decay = epoch >= 225 ? 2 : epoch >= 150 ? 1 : 0;
  return LR * Math.pow(0.1, decay);
}

/** The epochs (up to nEpochs) at which the rate drops, for plots. */
export function learningRateDrops(nEpochs: number, LR: number, dataset: string, lrSteps: readonly number[] | null = null): number[] {
  const drops: number[] = [];
  for (let e = 2; e <= nEpochs; e++) if (learningRateAt(e, LR, dataset, lrSteps) < learningRateAt(e - 1, LR, dataset, lrSteps)) drops.push(e);
  return drops;
}
