// Torch class names -> module classes. Registering a module class also claims its
// name with the .t7 reader, so a loaded nn.X (or cudnn.X twin) is a live module.

import { LuaTable } from '../t7/lua_table.js';
import { registerTorchClass, registerTorchClassPrefix, type TorchObject } from '../t7/torch_object.js';

/** A module or criterion class (anything whose state lives in TorchObject.fields). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ModuleClass = abstract new (...args: any[]) => TorchObject;

const classes = new Map<string, ModuleClass>();

/**
 * Registers `cls` under a Torch class name ('nn.ReLU', 'cudnn.ReLU', ...). A module
 * read from a file is made without running its constructor (which would draw random
 * numbers and allocate): it gets the class's prototype and the fields the file holds.
 * So modules keep no state outside `fields`.
 */
export function registerModule(className: string, cls: ModuleClass): void {
  classes.set(className, cls);
  registerTorchClass(className, loadedAs(cls));
}

/** Classes of these namespaces that mpelu does not implement load as `cls` (see UnknownModule). */
export function registerModuleFallback(prefixes: readonly string[], cls: ModuleClass): void {
  for (const p of prefixes) registerTorchClassPrefix(p, loadedAs(cls));
}

/** The .t7 reader's factory for `cls`: its prototype, the file's fields, no constructor run. */
export function loadedAs(cls: ModuleClass) {
  return (name: string, version: number | null): TorchObject => {
    const m = Object.create(cls.prototype) as TorchObject;
    m.className = name;
    m.version = version;
    m.fields = new LuaTable();
    return m;
  };
}

export function moduleClass(className: string): ModuleClass | undefined {
  return classes.get(className);
}

export function registeredModuleNames(): string[] {
  return [...classes.keys()];
}
