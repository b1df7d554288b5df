// nn.Container: a module holding other modules in its `modules` table.
//
// `modules` is kept as a LuaTable (what a .t7 file holds), so a container built here
// and one loaded from a file look the same; `modules` below gives it as an array.

import { Tensor } from '../torch/tensor.js';
import { LuaTable } from '../t7/lua_table.js';
import { Module, replaceBuffers, type Activity } from './module.js';
import { registerModule } from './registry.js';
import { explainWasmAbort } from '../backend/wasm/out_of_memory.js';

/**
 * nn.Container, the base of modules holding others in their `modules` table (Sequential, ConcatTable,
 * ParallelTable, Concat). Children are 1-based, as in Lua.
 */
export class Container<In extends Activity = Activity, Out extends Activity = Activity> extends Module<In, Out> {
  /** @param className Torch's class name, written to .t7 files (subclasses pass theirs). */
  constructor(className = 'nn.Container') {
    super(className);
    this.fields.set('modules', new LuaTable());
  }

  /** The children in order (a snapshot; use add/insert/remove to change them). */
  get modules(): Module[] {
    return this.children();
  }

  /** The `modules` table itself (a loaded file may hold a LuaTable; arrays are converted). */
  protected moduleTable(): LuaTable {
    let t = this.fields.get('modules');
    if (t instanceof LuaTable) return t;
    const fresh = Array.isArray(t) ? LuaTable.fromArray(t) : new LuaTable();
    this.fields.set('modules', fresh);
    t = fresh;
    return fresh;
  }

  /** Appends module as the last child and returns this (chainable, as in Torch). */
  add(module: Module): this {
    if (!(module instanceof Module)) throw new TypeError(`${this.className}:add: expected an nn module, got ${String(module)}`);
    this.moduleTable().push(module);
    return this;
  }

  /** The 1-based i-th child. */
  get(index: number): Module {
    const m = this.moduleTable().get(index);
    if (!(m instanceof Module)) throw new RangeError(`${this.className}:get: no module at index ${index} (it has ${this.size()})`);
    return m;
  }

  /** The number of children. */
  size(): number {
    return this.moduleTable().length();
  }

  /** Inserts at 1-based index (default: the end), shifting later modules, like table.insert. */
  insert(module: Module, index = this.size() + 1): this {
    const n = this.size();
    if (index > n + 1 || index < 1) throw new RangeError(`${this.className}:insert: index should be contiguous to existing modules (1..${n + 1}), got ${index}`);
    const list = this.children();
    list.splice(index - 1, 0, module);
    this.fields.set('modules', LuaTable.fromArray(list));
    return this;
  }

  /** Removes the 1-based index-th module (default: the last) and returns it. */
  remove(index = this.size()): Module {
    const n = this.size();
    if (index > n || index < 1) throw new RangeError(`${this.className}:remove: index ${index} out of range (1..${n})`);
    const list = this.children();
    const [removed] = list.splice(index - 1, 1);
    this.fields.set('modules', LuaTable.fromArray(list));
    return removed!;
  }

  override zeroGradParameters(): void {
    for (const m of this.children()) m.zeroGradParameters();
  }

  override updateParameters(learningRate: number): void {
    for (const m of this.children()) m.updateParameters(learningRate);
  }

  /** Torch's Container:share: the i-th child shares with mlp's i-th child (the container itself is not marked). */
  override share(other: Module, ...names: string[]): this {
    const theirs = other.children();
    this.children().forEach((m, i) => {
      const o = theirs[i];
      if (!o) throw new RangeError(`${this.className}:share: module ${i + 1} has no counterpart in the ${other.className} shared with (it has ${theirs.length})`);
      m.share(o, ...names);
    });
    return this;
  }

  /**
   * Torch's containers route accUpdateGradParameters exactly as accGradParameters (same
   * inputs, gradOutputs and order), so this runs the container's own accGradParameters
   * with each child's accGradParameters standing in for its accUpdateGradParameters(lr).
   * The stand-in is an own property of the child for the duration of the call only; it
   * steps aside while the child runs, so the child's own accGradParameters is the real one.
   */
  override accUpdateGradParameters(input: In, gradOutput: Out, lr: number): void {
    // A child's own accGradParameters property (rare: set on the instance) is kept aside and put back.
    const saved = new Map<Module, PropertyDescriptor | undefined>();
    const restore = (m: Module): void => {
      const d = saved.get(m);
      if (d) Object.defineProperty(m, 'accGradParameters', d);
      else delete (m as { accGradParameters?: unknown }).accGradParameters;
    };
    const install = (m: Module): void => {
      Object.defineProperty(m, 'accGradParameters', {
        configurable: true,
        writable: true,
        enumerable: false,
        value: (i: Activity, g: Activity, s: number) => {
          restore(m);
          try {
            m.accUpdateGradParameters(i, g, s);
          } finally {
            install(m);
          }
        },
      });
    };
    try {
      for (const m of this.children()) {
        if (saved.has(m)) continue; // the same module twice
        saved.set(m, Object.getOwnPropertyDescriptor(m, 'accGradParameters'));
        install(m);
      }
      this.accGradParameters(input, gradOutput, lr);
    } finally {
      for (const m of saved.keys()) restore(m);
    }
  }

  /** Every child's parameters, in order (empty lists rather than null, as Torch returns {}). */
  override parameters(): [Tensor[], Tensor[]] {
    const w: Tensor[] = [];
    const gw: Tensor[] = [];
    for (const m of this.children()) {
      const p = m.parameters();
      if (p) {
        w.push(...p[0]);
        gw.push(...p[1]);
      }
    }
    return [w, gw];
  }

  /** Torch's Container:clearState: fresh empty buffers (not set(), which could reset shared tensors). */
  override clearState(): this {
    replaceBuffers(this, ['output', 'gradInput']);
    for (const m of this.children()) m.clearState();
    return this;
  }

  /** A child's input gradient, which this container needs: a child whose gradInput is nil is a clear error. */
  protected childGradient(g: Activity | undefined, module: Module, index: number): Activity {
    if (g !== undefined) return g;
    throw new Error(`${this.className}: module ${index} (${module.className}) has gradInput = nil (not computed), but the ${this.className} needs its input gradient`);
  }

  /** Runs a child's method; an error is re-thrown saying which child of which container failed. */
  protected rethrowErrors<T>(module: Module, index: number, funcName: string, fn: () => T): T {
    try {
      return fn();
    } catch (caught) {
      // tfjs-wasm's bare "Aborted()" at the 4 GiB heap limit, said plainly
      const e = explainWasmAbort(caught) ?? caught;
      if (e instanceof Error) {
        e.message = `In ${index} module of ${this.className} (${funcName}):\n${e.message}`;
        throw e;
      }
      throw new Error(`In ${index} module of ${this.className} (${funcName}) [${module.className}]: ${String(e)}`);
    }
  }
}

registerModule('nn.Container', Container);
