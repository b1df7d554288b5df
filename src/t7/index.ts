// .t7 files: Torch7's serialization, read and written in both modes.
//
//   const model = t7.load('model_1.t7');          // torch.load
//   t7.save('copy.t7', model);                    // torch.save (atomic)
//   const bytes = t7.serialize(obj); t7.deserialize(bytes);   // torch.serialize

import { writeFileAtomic } from './files.js';
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

export interface SaveOptions extends WriteOptions {
  /** fsync the file before the rename (default true). */
  fsync?: boolean;
}

/** torch.load: the object in a .t7 file (a path) or in its bytes. */
export function load(pathOrBytes: string | Uint8Array, options: ReadOptions = {}): unknown {
  return loadWithInfo(pathOrBytes, options).value;
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
