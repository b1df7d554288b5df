// Model definitions built in TypeScript, in the draw order of their Torch originals.
export { createMpeluNopreResNet, type MpeluResNetOptions } from './mpelu_nopre_resnet.js';
