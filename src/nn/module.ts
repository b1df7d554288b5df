// nn.Module: the base of every module, with Torch's protocol.
//
// A module is a TorchObject: all of its state lives in `fields`, in the order Torch
// would have it, so a module loaded from a .t7 file keeps every field it carried
// (known or not) and saves back the same. TS accessors give typed access on top.
// A module read from a file is made with Object.create(prototype) (see registry.ts):
// no constructor runs, so nothing may live outside `fields` (no JS class fields).

import { Tensor, defaultTensorType } from '../torch/tensor.js';
import { Storage } from '../torch/storage.js';
import { TorchObject } from '../t7/torch_object.js';
import { TypeConvertible } from './TypeConvertible.js';
import { LuaTable } from '../t7/lua_table.js';
import { tensorClassName, typeFromClassName } from '../torch/types.js';
import { addScaled, asArray, convertStorage, fillTensor } from './tensor_helpers.js';
import { flattenParameters } from './get_parameters.js';
import { deserialize, serialize } from '../t7/index.js';

/** What flows between modules: a tensor, or a table (JS array) of them. */
export type Activity = Tensor | Activity[];

/** Conversions already made by one type() call: keeps shared tensors and storages shared. */
export type TensorCache = Map<Tensor | Storage, Tensor | Storage>;

/**
 * nn.Module, the base of every module, with Torch's protocol: forward(input) computes
 * and returns `output`; backward(input, gradOutput) computes `gradInput` and adds the
 * parameter gradients. `In` and `Out` are what the module takes and gives: a Tensor for
 * most modules, an array (Torch's table) for the table modules (ConcatTable gives one,
 * CAddTable takes one). A module of unknown class (a loaded file) is Activity to Activity.
 *
 * All state lives in `fields` (Torch's fields, in Torch's order), so a module read from a
 * .t7 file keeps every field and saves back the same.
 */
export class Module<In extends Activity = Activity, Out extends Activity = Activity> extends TypeConvertible {
  /** @param className Torch's class name, written to .t7 files (subclasses pass theirs). */
  constructor(className = 'nn.Module') {
    super(className, 1);
    this.fields.set('gradInput', new Tensor(defaultTensorType()));
    this.fields.set('output', new Tensor(defaultTensorType()));
    this.fields.set('_type', tensorClassName(defaultTensorType()));
  }

  // ---- field accessors -------------------------------------------------------

  /** The last forward's result (Torch's `output` field); cleared by clearState(). */
  get output(): Out {
    return this.fields.get('output') as Out;
  }
  set output(v: Out) {
    this.fields.set('output', v);
  }

  /** undefined when the field is nil: Torch's modules then skip the input gradient (the paper's first conv). */
  get gradInput(): In | undefined {
    return (this.fields.get('gradInput') ?? undefined) as In | undefined;
  }
  set gradInput(v: In | undefined) {
    if (v === undefined) this.fields.delete('gradInput');
    else this.fields.set('gradInput', v);
  }

  /** Torch's `train` flag (absent until training()/evaluate() is called: treated as true). */
  get train(): boolean {
    return this.fields.get('train') !== false;
  }
  set train(v: boolean) {
    this.fields.set('train', v);
  }

  /** A tensor field, or undefined when the module has none (e.g. a conv with bias = nil). */
  protected tensorField(name: string): Tensor | undefined {
    const v = this.fields.get(name);
    return v instanceof Tensor ? v : undefined;
  }

  /** A numeric field, with a clear error when it is missing. */
  protected numberField(name: string): number {
    const v = this.fields.get(name);
    if (typeof v !== 'number') throw new TypeError(`${this.className}: field '${name}' should be a number, found ${v === undefined ? 'nil' : typeof v}`);
    return v;
  }

  /**
   * The module's own tensor buffer `name` with element type of `like` (Float or
   * Double). A buffer of another type (a module built with the default type and fed
   * another) is replaced by a fresh one, so parameterless modules follow their input.
   */
  protected buffer(name: string, like: Tensor): Tensor {
    return typedBuffer(this, name, like);
  }

  /** The child modules when this module has a `modules` table (containers). */
  children(): Module[] {
    const mods = this.fields.get('modules');
    if (mods === undefined) return [];
    return asArray<Module>(mods, `${this.className}.modules`);
  }

  // ---- the protocol ----------------------------------------------------------

  /**
   * Torch's forward: computes `output` from `input` (updateOutput) and returns it. The
   * result is the module's own buffer, overwritten by the next call: clone() it to keep it.
   * Batch input is N x ... (a 3 x 32 x 32 image batch is N x 3 x 32 x 32).
   */
  forward(input: In): Out {
    return this.updateOutput(input);
  }

  /**
   * Torch's backward: updateGradInput, then accGradParameters(input, gradOutput, scale).
   * Call it after forward(input), with the gradient of the loss with respect to `output`.
   * Returns gradInput (the gradient with respect to `input`), or undefined for a module
   * whose gradInput is nil (not computed, as in Torch: the paper's first convolution).
   * Parameter gradients are added to (not replaced): zeroGradParameters() first.
   * @param scale multiplies the parameter gradients (Torch's default 1).
   */
  backward(input: In, gradOutput: Out, scale = 1): In | undefined {
    this.updateGradInput(input, gradOutput);
    this.accGradParameters(input, gradOutput, scale);
    return this.gradInput;
  }

  /** Computes `output` from `input` and returns it (forward calls this; modules implement it). */
  updateOutput(_input: In): Out {
    throw new Error(`${this.className}: updateOutput is not implemented by mpelu`);
  }

  /** Computes `gradInput`, the gradient with respect to `input`, from gradOutput, without touching parameter gradients. */
  updateGradInput(_input: In, _gradOutput: Out): In | undefined {
    throw new Error(`${this.className}: updateGradInput is not implemented by mpelu`);
  }

  /** Adds scale x the gradient of the parameters (gradWeight, gradBias) for this input and gradOutput; nothing for modules without parameters. */
  accGradParameters(_input: In, _gradOutput: Out, _scale = 1): void {}

  /** Torch's backwardUpdate: updateGradInput, then accUpdateGradParameters. */
  backwardUpdate(input: In, gradOutput: Out, lr: number): In | undefined {
    this.updateGradInput(input, gradOutput);
    this.accUpdateGradParameters(input, gradOutput, lr);
    return this.gradInput;
  }

  /**
   * Torch's accUpdateGradParameters: the parameters take the gradient step directly.
   * A module marked `shared` (by share()) zeroes its gradients, accumulates and updates;
   * any other runs accGradParameters with -lr on its weight/bias in place of the gradients.
   */
  accUpdateGradParameters(input: In, gradOutput: Out, lr: number): void {
    const shared = this.fields.get('shared');
    if (shared !== undefined && shared !== null && shared !== false) this.sharedAccUpdateGradParameters(input, gradOutput, lr);
    else this.defaultAccUpdateGradParameters(input, gradOutput, lr);
  }

  /** Torch's accUpdateGradParameters of an unshared module: accGradParameters with -lr, the parameters standing in for their gradients. */
  defaultAccUpdateGradParameters(input: In, gradOutput: Out, lr: number): void {
    const f = this.fields;
    const gradWeight = f.get('gradWeight');
    const gradBias = f.get('gradBias');
    setOrDelete(this, 'gradWeight', f.get('weight'));
    setOrDelete(this, 'gradBias', f.get('bias'));
    try {
      this.accGradParameters(input, gradOutput, -lr);
    } finally {
      // Restored even when accGradParameters throws, so a failed call leaves the module usable.
      setOrDelete(this, 'gradWeight', gradWeight);
      setOrDelete(this, 'gradBias', gradBias);
    }
  }

  /** Torch's accUpdateGradParameters of a shared module: zeroGradParameters, accGradParameters, updateParameters(lr). */
  sharedAccUpdateGradParameters(input: In, gradOutput: Out, lr: number): void {
    if (!this.parameters()) return;
    this.zeroGradParameters();
    this.accGradParameters(input, gradOutput, 1);
    this.updateParameters(lr);
  }

  /** [weights, gradWeights] in Torch's order (weight, then bias), or null without parameters. */
  parameters(): [Tensor[], Tensor[]] | null {
    const w = this.tensorField('weight');
    const b = this.tensorField('bias');
    const params: Tensor[] = [];
    const grads: Tensor[] = [];
    const take = (p: Tensor, gradName: string) => {
      const g = this.tensorField(gradName);
      if (!g) throw new Error(`${this.className}: has a parameter but no '${gradName}' field`);
      params.push(p);
      grads.push(g);
    };
    if (w) take(w, 'gradWeight');
    if (b) take(b, 'gradBias');
    return params.length ? [params, grads] : null;
  }

  /** Sets every parameter gradient (gradWeight, gradBias) to zero; call before each backward that should not accumulate. */
  zeroGradParameters(): void {
    const p = this.parameters();
    if (p) for (const g of p[1]) fillTensor(g, 0);
  }

  /** params:add(-learningRate, gradParams) for every parameter. */
  updateParameters(learningRate: number): void {
    const p = this.parameters();
    if (!p) return;
    p[0].forEach((w, i) => addScaled(w, -learningRate, p[1][i]!));
  }

  /**
   * Flattens all parameters into one storage and all gradients into another (every
   * module tensor becomes a view of them), as Torch's Module:getParameters does.
   */
  getParameters(): [Tensor, Tensor] {
    const p = this.parameters();
    const params = p ? p[0] : [];
    const grads = p ? p[1] : [];
    const flatP = flattenParameters(params);
    const flatG = flattenParameters(grads);
    if (flatP.nElement() !== flatG.nElement()) {
      throw new Error(
        `${this.className}:getParameters: ${flatP.nElement()} parameters but ${flatG.nElement()} gradients; check that you are sharing parameters and gradParameters`,
      );
    }
    params.forEach((w, i) => {
      if (w.storageOffset() !== grads[i]!.storageOffset()) throw new Error(`${this.className}:getParameters: misaligned parameter at ${i + 1}`);
    });
    return [flatP, flatG];
  }

  /** Training mode (Torch's `train = true`), here and in every child: batch statistics in batch norm, dropout on. The default. */
  training(): this {
    for (const m of this.children()) m.training();
    this.train = true;
    return this;
  }

  /** Evaluation mode (`train = false`), here and in every child: running statistics in batch norm, dropout off. */
  evaluate(): this {
    for (const m of this.children()) m.evaluate();
    this.train = false;
    return this;
  }

  // ---- types -------------------------------------------------------------------

  /**
   * Torch's module:type(): with no argument the current type name; with one, every
   * tensor field (recursively through tables and child modules) is converted,
   * keeping tensors that shared a storage sharing one.
   */
  type(): string;
  type(name: string, cache?: TensorCache): this;
  type(name?: string, cache: TensorCache = new Map()): string | this {
    if (name === undefined) return (this.fields.get('_type') as string | undefined) ?? tensorClassName(defaultTensorType());
    convertFields(this, name, cache);
    this.fields.set('_type', name);
    return this;
  }

  // ---- sharing and cloning -------------------------------------------------------

  /**
   * Torch's share(mlp, ...): each named tensor field of this module becomes a view of
   * mlp's (`self[name]:set(mlp[name])`, so both see every later write) and both modules
   * are marked `shared`. Names this module lacks are skipped; types must match (set()
   * does not convert, as in Torch), and `_type` is left alone.
   */
  share(other: Module, ...names: string[]): this {
    for (const name of names) {
      const mine = this.fields.get(name);
      if (mine === undefined || mine === null) continue;
      const where = `${this.className}:share('${name}')`;
      if (!(mine instanceof Tensor)) throw new TypeError(`${where}: expected a tensor field, this module's is ${describeValue(mine)}`);
      const theirs = other.fields.get(name);
      if (!(theirs instanceof Tensor)) throw new TypeError(`${where}: expected a tensor field in the ${other.className} shared with, found ${describeValue(theirs)}`);
      if (mine.className() !== theirs.className()) {
        throw new TypeError(`${where}: a ${mine.className()} cannot share the storage of a ${theirs.className()} (convert one module with type() first)`);
      }
      mine.set(theirs);
      this.fields.set('shared', true);
      other.fields.set('shared', true);
    }
    return this;
  }

  /**
   * Torch's clone(...): a deep copy made by serializing the module and reading it back
   * (every field kept, tensors that shared a storage still share one; device storages
   * are read through the host, so the copy holds no tfjs tensors). Named fields
   * ('weight', 'bias', ...) are written empty, as Torch's sharedWrite does, and the copy
   * then shares them with this module through share().
   */
  clone(...names: string[]): this {
    const swapped: [TorchObject, string, Tensor][] = [];
    let bytes: Uint8Array;
    try {
      if (names.length > 0) {
        for (const m of reachableModules(this)) {
          for (const name of names) {
            const v = m.fields.get(name);
            if (v === undefined || v === null) continue;
            if (!(v instanceof Tensor)) throw new TypeError(`${m.className}:clone('${name}'): shared parameters have to be tensors, found ${describeValue(v)}`);
            const empty = new Tensor(v.elementType);
            empty.sourceClass = v.sourceClass;
            swapped.push([m, name, v]);
            m.fields.set(name, empty);
          }
        }
      }
      bytes = serialize(this);
    } finally {
      for (let i = swapped.length - 1; i >= 0; i--) swapped[i]![0].fields.set(swapped[i]![1], swapped[i]![2]);
    }
    const copy = deserialize(bytes);
    if (!(copy instanceof Module) || copy.className !== this.className) {
      throw new Error(`${this.className}:clone: the serialized copy read back as ${describeValue(copy)}`);
    }
    if (names.length > 0) copy.share(this, ...names);
    return copy as this;
  }

  // ---- structure ---------------------------------------------------------------

  /** Empties output and gradInput (and, in containers, every child's), as Torch's clearState. */
  clearState(): this {
    clearFields(this, ['output', 'gradInput']);
    return this;
  }

  /** Calls fn on this module and then on every module inside, depth first (pre-order). */
  apply(fn: (m: Module) => void): void {
    fn(this);
    for (const m of this.children()) m.apply(fn);
  }

  /** Every module, this one first (containers list their children recursively). */
  listModules(): Module[] {
    const out: Module[] = [];
    this.apply((m) => out.push(m));
    return out;
  }

  /** Modules whose class name is `typename`, and the container holding each. */
  findModules(typename: string, container: Module = this): [Module[], Module[]] {
    const nodes: Module[] = [];
    const containers: Module[] = [];
    if (this.className === typename) {
      nodes.push(this);
      containers.push(container);
    }
    for (const child of this.children()) {
      const [n, c] = child.findModules(typename, this);
      nodes.push(...n);
      containers.push(...c);
    }
    return [nodes, containers];
  }

  /** Torch's replace: callback's result replaces each module (children first replaced in place). */
  replace(fn: (m: Module) => Module): Module {
    const out = fn(this);
    const mods = this.fields.get('modules');
    if (mods !== undefined) {
      this.children().forEach((m, i) => setTableEntry(mods, i, m.replace(fn)));
    }
    return out;
  }

  // ---- printing ------------------------------------------------------------------

  /** Torch's tostring(module); classes with their own format override this. */
  __tostring__(): string {
    return this.className;
  }

  override toString(): string {
    return this.__tostring__();
  }
}

/** Lua's `t[k] = v`: assigning nil removes the key. */
function setOrDelete(o: TorchObject, key: string, value: unknown): void {
  if (value === undefined || value === null) o.fields.delete(key);
  else o.fields.set(key, value);
}

function describeValue(v: unknown): string {
  if (v === undefined || v === null) return 'nil';
  if (v instanceof Tensor) return `a ${v.className()}`;
  if (v instanceof TorchObject) return `a ${v.className}`;
  return `a ${typeof v}`;
}

/**
 * Every module a serialization of root writes (root included): through fields, tables
 * and other torch objects, as Torch's sharedWrite reaches every nn.Module written.
 */
function reachableModules(root: Module): Module[] {
  const seen = new Set<object>();
  const out: Module[] = [];
  const visit = (v: unknown): void => {
    if (v === null || typeof v !== 'object' || seen.has(v) || v instanceof Tensor || v instanceof Storage) return;
    seen.add(v);
    if (v instanceof TorchObject) {
      if (v instanceof Module) out.push(v);
      visit(v.fields);
    } else if (v instanceof LuaTable) {
      for (const [k, x] of v.entries()) {
        visit(k);
        visit(x);
      }
    } else if (Array.isArray(v)) {
      for (const x of v) visit(x);
    }
  };
  visit(root);
  return out;
}

/** Tensor field `name` of o with like's element type; a missing one or one of another type is replaced by an empty tensor. */
export function typedBuffer(o: TorchObject, name: string, like: Tensor): Tensor {
  const v = o.fields.get(name);
  if (v instanceof Tensor && v.elementType === like.elementType) {
    // a view of a storage released under it (nn/release.ts: another view of it was freed) starts empty
    if (v.hasStorage() && v.storage().size() === 0 && v.nElement() > 0) v.set();
    return v;
  }
  const t = new Tensor(like.elementType);
  o.fields.set(name, t);
  return t;
}

/** The field conversion of module:type(name) and criterion:type(name): every field through recursiveType. */
export function convertFields(o: TorchObject, name: string, cache: TensorCache): void {
  const parsed = typeFromClassName(name);
  if (!parsed || parsed.kind !== 'Tensor') throw new TypeError(`${o.className}:type: expected a tensor class name such as 'torch.FloatTensor', got '${name}'`);
  for (const [k, v] of [...o.fields.entries()]) o.fields.set(k, recursiveType(v, name, cache));
}

/** nn.utils.recursiveType: converts tensors inside any value; tables are converted in place. */
export function recursiveType(value: unknown, name: string, cache: TensorCache): unknown {
  if (value instanceof Module) return value.type(name, cache);
  if (value instanceof Tensor) return convertTensor(value, name, cache);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = recursiveType(value[i], name, cache);
    return value;
  }
  if (value instanceof LuaTable) {
    for (const [k, v] of [...value.entries()]) value.set(k, recursiveType(v, name, cache));
    return value;
  }
  if (value instanceof TorchObject && typeof (value as { type?: unknown }).type === 'function') {
    // Criterions and other typed torch objects.
    (value as unknown as { type(n: string, c: TensorCache): unknown }).type(name, cache);
    return value;
  }
  return value;
}

function convertTensor(t: Tensor, name: string, cache: TensorCache): Tensor {
  if (t.className() === name) return t;
  const hit = cache.get(t);
  if (hit) return hit as Tensor;
  const parsed = typeFromClassName(name)!;
  const out = new Tensor(parsed.type);
  if (parsed.cuda) out.sourceClass = name;
  if (t.hasStorage()) {
    const s = t.storage();
    let s2 = cache.get(s) as Storage | undefined;
    if (!s2) {
      s2 = convertStorage(s, parsed.type);
      if (parsed.cuda) s2.sourceClass = name.replace('Tensor', 'Storage');
      cache.set(s, s2);
    }
    out.set(s2, t.storageOffset(), t.size(), t.stride());
  }
  cache.set(t, out);
  return out;
}

/** nn.utils.clear: tensors become empty (set()), tables become empty, other values nil. */
export function clearFields(m: TorchObject, names: readonly string[]): void {
  for (const f of names) {
    const v = m.fields.get(f);
    if (v === undefined || v === null || v === false) continue;
    if (v instanceof Tensor) v.set();
    else if (Array.isArray(v) || v instanceof LuaTable) m.fields.set(f, []);
    else m.fields.delete(f);
  }
}

/**
 * Clears buffers that may alias other modules' tensors: tensors become new empty
 * tensors of their class (not set(), which would empty the shared one), tables empty.
 */
export function replaceBuffers(m: TorchObject, names: readonly string[]): void {
  for (const f of names) {
    const v = m.fields.get(f);
    if (v === undefined || v === null || v === false) continue;
    if (v instanceof Tensor) {
      const t = new Tensor(v.elementType);
      t.sourceClass = v.sourceClass;
      m.fields.set(f, t);
    } else if (Array.isArray(v) || v instanceof LuaTable) m.fields.set(f, []);
    else m.fields.delete(f);
  }
}

function setTableEntry(table: unknown, index0: number, value: unknown): void {
  if (Array.isArray(table)) table[index0] = value;
  else if (table instanceof LuaTable) table.set(index0 + 1, value);
}
