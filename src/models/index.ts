// Model definitions built in TypeScript, in the draw order of their Torch originals.
export { createMpeluNopreResNet, type MpeluResNetOptions } from './mpelu_nopre_resnet.js';
export { createResNet } from './resnet.js';
export { createPreResNet } from './preresnet.js';
export type { CifarResNetOptions, ShortcutType } from './cifar_resnet_parts.js';
