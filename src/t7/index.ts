// .t7 files: Torch7's serialization, read and written in both modes.
//
//   const model = t7.load('model_1.t7');          // torch.load
//   t7.save('copy.t7', model);                    // torch.save (atomic)
//   const bytes = t7.serialize(obj); t7.deserialize(bytes);   // torch.serialize

import { writeFileAtomic } from './files.js';
import { LuaTable } from './lua_table.js';
import { TorchObject } from './torch_object.js';
import type { Activity, Module } from '../nn/module.js';
import type { Tensor } from '../torch/tensor.js';
import { readT7, readT7File, type ReadOptions, type ReadResult } from './reader.js';
import { writeT7, writeT7Chunks, type WriteOptions } from './writer.js';

export { T7FormatError, T7WriteError } from './errors.js';
export { FileError, writeFileAtomic, checkWritableDestination } from './files.js';
export { LuaTable } from './lua_table.js';
export { TorchObject, registerTorchClass, isRegisteredTorchClass, createTorchObject } from './torch_object.js';
export { LuaFunction } from './lua_function.js';
export { TdsHash, TdsVec } from './tds.js';
export { registerT7ClassCodec, type T7ClassCodec, type T7Input, type T7Output } from './codec.js';
export { formatPath, parsePath, resolvePath } from './path.js';
export { describe, tensorStats, type Description } from './describe.js';
export { detectFormat, detectEndianness, type ReadOptions, type ReadResult } from './reader.js';
export { luaStringBytes, type WriteOptions } from './writer.js';
export { formatG } from './number_format.js';

/** Options of t7.save: WriteOptions plus fsync. */
export interface SaveOptions extends WriteOptions {
  /** fsync the file before the rename (default true). */
  fsync?: boolean;
}

/**
 * torch.load: the object in a .t7 file (a path, '-' for standard input) or in its bytes.
 * `T` is what the caller knows the file holds (unchecked, like a Lua variable); use
 * loadModule for an nn module, which is checked.
 */
export function load<T = unknown>(pathOrBytes: string | Uint8Array, options: ReadOptions = {}): T {
  return loadWithInfo(pathOrBytes, options).value as T;
}

/**
 * torch.load of a file that holds an nn module (a model saved with torch.save(path, model)):
 * the live module, or an error saying what the file holds instead. It is typed as a module
 * from a Tensor to a Tensor, as most models are; for a model that takes or gives a table
 * say so: `loadModule<Tensor[], Tensor>(file)` (the file itself cannot tell).
 * @param pathOrBytes a .t7 file's path, or its bytes.
 * @param options how to read it (see ReadOptions; the format is detected by default).
 */
export function loadModule<In extends Activity = Tensor, Out extends Activity = Tensor>(pathOrBytes: string | Uint8Array, options: ReadOptions = {}): Module<In, Out> {
  const value = loadWithInfo(pathOrBytes, options).value;
  const m = value as Partial<Module> | null;
  // checked by shape: nn/ imports this module, so it cannot import nn/ back
  if (value instanceof TorchObject && typeof m?.forward === 'function' && typeof m.updateOutput === 'function') return value as Module<In, Out>;
  const what = value instanceof TorchObject ? `an object of class ${value.className}` : value instanceof LuaTable ? 'a table' : value === undefined ? 'nil' : `a ${typeof value}`;
  throw new TypeError(`loadModule: ${typeof pathOrBytes === 'string' ? pathOrBytes : 'the bytes'} hold${typeof pathOrBytes === 'string' ? 's' : ''} ${what}, not an nn module`);
}

/** Like load, also telling the file's mode, long size and the bytes the object used. */
export function loadWithInfo(pathOrBytes: string | Uint8Array, options: ReadOptions = {}): ReadResult {
  return typeof pathOrBytes === 'string' ? readT7File(pathOrBytes, options) : readT7(pathOrBytes, options);
}

/** torch.deserialize. */
export function deserialize(bytes: Uint8Array, options: ReadOptions = {}): unknown {
  return readT7(bytes, options).value;
}

/** torch.serialize: the bytes torch.save would write. */
export function serialize(value: unknown, options: WriteOptions = {}): Uint8Array {
  return writeT7(value, options);
}

/** torch.save(path, value[, 'ascii']): written atomically. */
export function save(file: string, value: unknown, options: SaveOptions = {}): void {
  writeFileAtomic(file, writeT7Chunks(value, options), options.fsync ?? true);
}
