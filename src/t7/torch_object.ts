// An instance of a torch.class as a .t7 file holds it: a class name, a version
// ("V n" header; null for files written before versioning) and a field table.
//
// Classes mpelu knows (nn modules, ...) subclass TorchObject and keep their whole
// state in `fields`, so fields nobody here understands (`__weightLearningRate`,
// `_type`, a user's own) survive a load and a save, in their original order.

import { LuaTable } from './lua_table.js';

/**
 * An instance of a torch.class as a .t7 file holds it: a class name, a version and a table of fields.
 * Classes mpelu knows (nn modules, ...) subclass it and keep their whole state in `fields`, so fields
 * nobody here understands survive a load and a save, in their order.
 */
export class TorchObject {
  /** Torch's class name, e.g. 'nn.SpatialConvolution'. */
  className: string;
  /** The "V n" version written before the fields; null for a pre-versioning file. */
  version: number | null;
  /** The object's fields (Torch's self.x), in the file's order. */
  fields: LuaTable;

  /**
   * @param className Torch's class name.
   * @param version the "V n" version written before the fields (default 1; null for none).
   * @param fields the field table (default empty).
   */
  constructor(className: string, version: number | null = 1, fields: LuaTable = new LuaTable()) {
    this.className = className;
    this.version = version;
    this.fields = fields;
  }

  /**
   * Called by the reader once `fields` holds everything the file stored (and before
   * the object is handed to anyone else), e.g. to convert an older version's fields.
   */
  onLoad(): void {}

  /** Called by the writer just before the fields are written. */
  onSave(): void {}
}

type Factory = (className: string, version: number | null) => TorchObject;

const factories = new Map<string, Factory>();

/**
 * Claims a torch class name: the reader builds instances of it with `factory`
 * (then fills `fields` and calls onLoad). Unclaimed classes load as plain TorchObjects.
 */
export function registerTorchClass(className: string, factory: Factory): void {
  factories.set(className, factory);
}

const prefixFactories: [string, Factory][] = [];

/**
 * Claims every not otherwise registered class whose name starts with `prefix` (e.g. 'nn.':
 * a module class mpelu does not implement still loads as a module that can be listed,
 * converted and saved, and says clearly that it cannot run).
 */
export function registerTorchClassPrefix(prefix: string, factory: Factory): void {
  prefixFactories.push([prefix, factory]);
}

/** Whether a class name is claimed by a class mpelu implements (it loads as that class, not a plain TorchObject). */
export function isRegisteredTorchClass(className: string): boolean {
  return factories.has(className);
}

/** Claims that hold only while one caller runs (withTorchClassScope), over the global ones. */
let scoped: ReadonlyMap<string, Factory> | null = null;

/**
 * Runs fn with `scope`'s claims first: a Lua runtime whose script replaced a built-in class
 * (dofile of the paper's nn.PReLU) loads that name as its class, without changing what
 * the rest of the process loads.
 */
export function withTorchClassScope<R>(scope: ReadonlyMap<string, Factory>, fn: () => R): R {
  const before = scoped;
  scoped = scope;
  try {
    return fn();
  } finally {
    scoped = before;
  }
}

export type TorchClassFactory = Factory;

/** What the reader calls for every torch object that is not a tensor or storage. */
export function createTorchObject(className: string, version: number | null): TorchObject {
  const factory = scoped?.get(className) ?? factories.get(className) ?? prefixFactories.find(([p]) => className.startsWith(p))?.[1];
  return factory ? factory(className, version) : new TorchObject(className, version);
}
