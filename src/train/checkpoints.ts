// fb.resnet.torch's checkpoints.lua: after each epoch
//   model_N.t7      the model, float, clearState()'d (same classes as the live model, e.g.
//                   cudnn.SpatialConvolution for the paper's file), parameters as getParameters'
//                   flat storages
//   optimState_N.t7 the optim.sgd state table
//   latest.t7       {epoch = N, modelFile = 'model_N.t7', optimFile = 'optimState_N.t7'}
//   model_best.t7   the model again when the epoch's validation top-1 improved
// each written atomically (temporary file + rename) and latest.t7 after the files it names,
// so a kill at any moment leaves the previous latest.t7 pointing at complete files.
// mpelu adds mpeluState_N.t7 (written before latest.t7, ignored by fb.resnet.torch): the main
// generator's and the loader threads' generator states and the best errors so far, so that
// -resume continues exactly as the uninterrupted run would.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as t7 from '../t7/index.js';
import { LuaTable } from '../t7/lua_table.js';
import { Storage } from '../torch/storage.js';
import { Tensor } from '../torch/tensor.js';
import { Module } from '../nn/module.js';

/** A checkpoint that cannot be read or resumed from, saying which file and why. */
export class CheckpointError extends Error {
  /** Always 'CheckpointError'. */
  override name = 'CheckpointError';
}

/** What mpelu keeps beside fb.resnet.torch's files to resume bit for bit. */
export interface ResumeState {
  /** The state of Torch's main generator. */
  mainGenerator: Uint8Array;
  /** The loader threads' generator states. */
  loaderGenerators: Uint8Array[];
  /** The best top-1 error so far, in percent. */
  bestTop1: number;
  /** The best top-5 error so far, in percent. */
  bestTop5: number;
}

/** fb.resnet.torch's latest.t7: the last saved epoch and its files. */
export interface Latest {
  /** The last finished epoch. */
  epoch: number;
  /** Its model file (model_N.t7). */
  modelFile: string;
  /** Its optimState file (optimState_N.t7). */
  optimFile: string;
}

const bytesTensor = (b: Uint8Array) => Tensor.fromStorage(new Storage('Byte', b.slice()), 0, [b.length]);

function tensorBytes(t: unknown, where: string): Uint8Array {
  if (!(t instanceof Tensor) || t.elementType !== 'Byte') throw new CheckpointError(`${where}: expected a torch.ByteTensor`);
  const c = t.contiguous();
  return (c.storage().data() as Uint8Array).slice(c.offset(), c.offset() + c.nElement());
}

export const resumeStateFile = (epoch: number) => `mpeluState_${epoch}.t7`;

/** Saves one epoch's checkpoint into `dir` as checkpoints.lua does (plus mpeluState_N.t7 when given). */
export function saveCheckpoint(dir: string, epoch: number, model: Module, optimState: LuaTable, isBestModel: boolean, resume?: ResumeState): void {
  model.clearState();
  const modelFile = `model_${epoch}.t7`;
  const optimFile = `optimState_${epoch}.t7`;
  const modelBytes = t7.serialize(model);
  t7.writeFileAtomic(join(dir, modelFile), modelBytes);
  t7.save(join(dir, optimFile), optimState);
  if (resume) {
    const s = new LuaTable();
    s.set('mainGenerator', bytesTensor(resume.mainGenerator));
    const loaders = new LuaTable();
    resume.loaderGenerators.forEach((g) => loaders.push(bytesTensor(g)));
    s.set('loaderGenerators', loaders);
    s.set('bestTop1', resume.bestTop1);
    s.set('bestTop5', resume.bestTop5);
    t7.save(join(dir, resumeStateFile(epoch)), s);
  }
  const latest = new LuaTable();
  latest.set('epoch', epoch);
  latest.set('modelFile', modelFile);
  latest.set('optimFile', optimFile);
  t7.save(join(dir, 'latest.t7'), latest);
  if (isBestModel) t7.writeFileAtomic(join(dir, 'model_best.t7'), modelBytes);
}

function load(file: string, what: string): unknown {
  if (!existsSync(file)) throw new CheckpointError(`${what} not found: ${file}`);
  try {
    return t7.load(file);
  } catch (e) {
    throw new CheckpointError(`${file}: cannot read ${what} (${(e as Error).message})`);
  }
}

/** checkpoints.latest: null when `dir/latest.t7` does not exist (fb.resnet.torch then starts afresh). */
export function readLatest(dir: string): { latest: Latest; optimState: LuaTable } | null {
  const file = join(dir, 'latest.t7');
  if (!existsSync(file)) return null;
  const t = load(file, 'latest checkpoint');
  if (!(t instanceof LuaTable)) throw new CheckpointError(`${file}: expected a table {epoch, modelFile, optimFile}`);
  const epoch = t.get('epoch');
  const modelFile = t.get('modelFile');
  const optimFile = t.get('optimFile');
  if (typeof epoch !== 'number' || typeof modelFile !== 'string' || typeof optimFile !== 'string') {
    throw new CheckpointError(`${file}: expected {epoch = number, modelFile = string, optimFile = string}`);
  }
  const optimState = load(join(dir, optimFile), 'optimState');
  if (!(optimState instanceof LuaTable)) throw new CheckpointError(`${join(dir, optimFile)}: expected the optim state table`);
  return { latest: { epoch, modelFile, optimFile }, optimState };
}

/** A model file (resume, -retrain, -testOnly). */
export function loadModel(file: string): Module {
  const m = load(file, 'model');
  if (!(m instanceof Module)) throw new CheckpointError(`${file}: expected an nn module, found ${m instanceof LuaTable ? 'a table' : typeof m}`);
  return m;
}

/** mpelu's resume state for `epoch`, or null when the run that wrote `dir` did not leave one (fb.resnet.torch's own runs). */
export function readResumeState(dir: string, epoch: number): ResumeState | null {
  const file = join(dir, resumeStateFile(epoch));
  if (!existsSync(file)) return null;
  const t = load(file, 'resume state');
  if (!(t instanceof LuaTable)) throw new CheckpointError(`${file}: expected a table`);
  const loaders = t.get('loaderGenerators');
  if (!(loaders instanceof LuaTable)) throw new CheckpointError(`${file}: loaderGenerators should be a table`);
  return {
    mainGenerator: tensorBytes(t.get('mainGenerator'), `${file} mainGenerator`),
    loaderGenerators: loaders.toArray().map((g, i) => tensorBytes(g, `${file} loaderGenerators[${i + 1}]`)),
    bestTop1: Number(t.get('bestTop1')),
    bestTop5: Number(t.get('bestTop5')),
  };
}
