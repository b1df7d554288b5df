// nn.DataParallelTable (cunn): one model replicated N times ("one per GPU"); the input
// is split along `dimension`, each replica runs on its slice, the outputs are joined,
// and in backward the replicas' gradients are summed onto the first replica (the
// others are zeroed); the parameters are copied from replica 1 to the others before
// the next forward (needsSync), so an optimizer only ever updates replica 1.
//
// There is one device here, so the replicas run one after another (cunn's single-thread
// "Basic" implementation): the numbers are those of N GPUs, including each replica's
// own batch-norm running statistics (only replica 1's are saved: fb.resnet.torch writes
// model:get(1)). Replicas 2..N are clones of replica 1 made at the first call that
// needs them (cunn's setup()), and made again after apply(), as cunn does.
//
// The replicas and flattened parameters live beside the module (not in `fields`):
// cunn does not serialize its replicas either.

import { Tensor } from '../torch/tensor.js';
import { LuaTable } from '../t7/lua_table.js';
import { Container } from './Container.js';
import type { Activity, Module, TensorCache } from './module.js';
import { registerModule } from './registry.js';

interface ReplicaState {
  replicas: Module[] | null;
  /** [flat parameters, flat gradients] of each replica once flattened (getParameters). */
  flattened: [Tensor, Tensor][] | null;
  /** The function given to :threads(fn), run once per replica at setup (cunn runs it in each worker thread). */
  threadInit: (() => unknown) | null;
}

const state = new WeakMap<DataParallelTable, ReplicaState>();

function stateOf(dpt: DataParallelTable): ReplicaState {
  let s = state.get(dpt);
  if (!s) {
    s = { replicas: null, flattened: null, threadInit: null };
    state.set(dpt, s);
  }
  return s;
}

/** cunn's sliceRange: the 1-based start and the size of replica idx's share of n elements. */
export function sliceRange(n: number, idx: number, splits: number): [number, number] {
  const per = n / splits;
  const start = Math.ceil((idx - 1) * per) + 1;
  if (idx === splits) return [start, n - start + 1];
  return [start, Math.ceil(idx * per) - start + 1];
}

/**
 * cunn's nn.DataParallelTable(dimension, flattenParams = false, usenccl = false): one model replicated
 * once per "GPU"; the input is split along `dimension`, each replica runs on its slice and the outputs
 * are joined; gradients are summed onto replica 1, whose parameters the optimizer updates. Here the
 * replicas run one after another on one device, with the numbers N GPUs would give.
 */
export class DataParallelTable extends Container {
  /**
   * @param dimension the 1-based dimension the batch is split along (required; 1 for N x C x H x W).
   * @param flattenParams keep all replicas' parameters in one flat storage each (default false).
   * @param usenccl ask for NCCL: not available here, so cunn's warning and fallback (default false).
   */
  constructor(dimension?: number, flattenParams = false, usenccl = false) {
    super('nn.DataParallelTable');
    if (dimension === undefined || dimension === null) throw new TypeError('nn.DataParallelTable: must specify a dimension! (the one the batch is split along, usually 1)');
    const f = this.fields;
    f.set('dimension', dimension);
    f.set('gpuAssignments', new LuaTable());
    f.set('inputGpu', []);
    f.set('gradOutputGpu', []);
    f.set('outputGpu', []);
    f.set('gradInputGpu', []);
    f.set('flattenParams', Boolean(flattenParams));
    // nccl is a GPU library: asked for, cunn prints a warning and falls back to copies, as here.
    if (usenccl) {
      if (!flattenParams) throw new Error('nn.DataParallelTable: cannot use nccl without flattenParams');
      console.log('warning: could not load nccl, falling back to default communication');
    }
    f.set('usenccl', false);
    f.set('needsSync', false);
  }

  /** The 1-based dimension the batch is split along. */
  get dimension(): number {
    return this.numberField('dimension');
  }

  /** The "GPU" of each replica; their count is the number of replicas. */
  gpus(): number[] {
    const g = this.fields.get('gpuAssignments');
    if (g instanceof LuaTable) return g.toArray() as number[];
    if (Array.isArray(g)) return g as number[];
    return [];
  }

  /**
   * cunn's add(module, gpus): with a table of ids the module is replicated once per id;
   * with one id, the first call stores the module and every call adds one replica.
   */
  override add(module: Module, gpus?: number | number[] | LuaTable): this {
    if (typeof gpus === 'number') {
      if (this.size() === 0) super.add(module);
      const g = this.fields.get('gpuAssignments');
      if (g instanceof LuaTable) g.push(gpus);
      else this.fields.set('gpuAssignments', LuaTable.fromArray([...this.gpus(), gpus]));
      return this;
    }
    const ids = gpus instanceof LuaTable ? (gpus.toArray() as number[]) : gpus;
    if (!Array.isArray(ids) || ids.length < 1) throw new TypeError(`nn.DataParallelTable:add: a table of GPU ids is required, as in dpt:add(model, {1, 2}); got ${gpus === undefined ? 'nil' : typeof gpus}`);
    if (this.size() !== 0) throw new Error('nn.DataParallelTable:add: add should only be called once with a table of GPU assignments');
    super.add(module);
    this.fields.set('gpuAssignments', LuaTable.fromArray(ids));
    return this;
  }

  /**
   * cunn's threads(fn): the replicas would each run in a worker thread that first runs fn.
   * Here they run one after another in this thread; fn runs once per replica at setup.
   */
  threads(initFunc?: unknown): this {
    const s = stateOf(this);
    s.threadInit = typeof initFunc === 'function' ? (initFunc as () => unknown) : null;
    return this;
  }

  // ---- replicas ----------------------------------------------------------------

  /** Replica i (1-based) = the module on "GPU" i, made on first use. */
  replicas(): Module[] {
    const s = stateOf(this);
    if (!s.replicas) this.makeReplicas();
    return s.replicas!;
  }

  private makeReplicas(): void {
    const s = stateOf(this);
    const base = this.baseModule();
    const n = this.gpus().length;
    if (n < 1) throw new Error('nn.DataParallelTable: no GPU assignments; call dpt:add(model, {1, 2, ...}) first');
    const list: Module[] = [base];
    for (let i = 2; i <= n; i++) list.push(base.clone());
    s.replicas = list;
    if (s.threadInit) for (let i = 0; i < n; i++) s.threadInit();
  }

  private baseModule(): Module {
    if (this.size() === 0) throw new Error('nn.DataParallelTable: it holds no module; call dpt:add(model, {1, 2, ...}) first');
    return this.get(1);
  }

  /** Runs fn on each replica (at most maxIdx of them) in order, as cunn's impl:exec. */
  private exec<T>(fn: (m: Module, i: number) => T, maxIdx?: number): T[] {
    const out: T[] = [];
    this.replicas().forEach((m, i) => {
      if (maxIdx === undefined || i < maxIdx) out.push(fn(m, i + 1));
    });
    return out;
  }

  // ---- parameters --------------------------------------------------------------

  /** Each replica's parameters as one flat tensor and its gradients as another. */
  flattenParameters(): void {
    const s = stateOf(this);
    s.flattened = this.exec((m) => flatViews(m) ?? m.getParameters());
    this.fields.set('flattenParams', true);
  }

  override getParameters(): [Tensor, Tensor] {
    this.flattenParameters();
    return stateOf(this).flattened![0]!;
  }

  override parameters(): [Tensor[], Tensor[]] {
    return this.baseModule().parameters() ?? [[], []];
  }

  private hasFlattenedParameters(): boolean {
    const flat = stateOf(this).flattened;
    if (!flat) return false;
    const p = this.baseModule().parameters();
    if (!p) return true;
    return p[0].every((w) => w.storage() === flat[0]![0].storage());
  }

  /** [parameters, gradients] of each replica (the flat ones when flattened). */
  private moduleParameters(): [Tensor[], Tensor[]][] {
    const flat = stateOf(this).flattened;
    if (flat) return flat.map(([p, g]) => [[p], [g]]);
    return this.exec((m) => m.parameters() ?? [[], []]);
  }

  /** Replica 1's parameters copied into every other replica. */
  syncParameters(): void {
    const params = this.moduleParameters();
    for (let r = 1; r < params.length; r++) params[r]![0].forEach((p, k) => p.copy(params[0]![0][k]!));
    this.fields.set('needsSync', false);
  }

  override zeroGradParameters(): void {
    const flat = stateOf(this).flattened;
    if (flat) for (const [, g] of flat) g.zero();
    else this.exec((m) => m.zeroGradParameters());
  }

  override updateParameters(learningRate: number): void {
    this.baseModule().updateParameters(learningRate);
    this.syncParameters();
  }

  // ---- forward and backward ------------------------------------------------------

  override updateOutput(input: Activity): Activity {
    if (this.fields.get('flattenParams') === true && !this.hasFlattenedParameters()) this.flattenParameters();
    if (this.fields.get('needsSync') === true) this.syncParameters();
    const inputs = this.distribute(this.fields.get('inputGpu') as Activity[], input);
    this.fields.set('inputGpu', inputs);
    const used = usedReplicas(inputs);
    this.fields.set('maxUsedGpu', used);
    const outputs = this.exec((m, i) => m.updateOutput(inputs[i - 1]!), used);
    this.fields.set('outputGpu', outputs);
    this.output = this.concat(this.fields.get('output') as Activity, outputs);
    return this.output;
  }

  override updateGradInput(input: Activity, gradOutput: Activity): Activity | undefined {
    return this.runBackward('updateGradInput', input, gradOutput, 1);
  }

  override accGradParameters(input: Activity, gradOutput: Activity, scale = 1): void {
    this.runBackward('accGradParameters', input, gradOutput, scale);
  }

  override backward(input: Activity, gradOutput: Activity, scale = 1): Activity | undefined {
    return this.runBackward('backward', input, gradOutput, scale);
  }

  private runBackward(method: 'backward' | 'updateGradInput' | 'accGradParameters', _input: Activity, gradOutput: Activity, scale: number): Activity | undefined {
    const inputs = this.fields.get('inputGpu') as Activity[];
    const used = this.fields.get('maxUsedGpu') as number | undefined;
    if (method !== 'accGradParameters') {
      const gradOutputs = this.distribute(this.fields.get('gradOutputGpu') as Activity[], gradOutput);
      this.fields.set('gradOutputGpu', gradOutputs);
      const gradInputs = this.exec(
        (m, i) => (method === 'backward' ? m.backward(inputs[i - 1]!, gradOutputs[i - 1]!, scale) : m.updateGradInput(inputs[i - 1]!, gradOutputs[i - 1]!)),
        used,
      );
      this.fields.set('gradInputGpu', gradInputs);
      // fb.resnet.torch sets dpt.gradInput = nil: then nothing is joined.
      const gi = this.fields.get('gradInput');
      if (gi !== undefined && gi !== null) {
        const replicas = this.replicas();
        this.gradInput = this.concat(gi as Activity, gradInputs.map((g, i) => this.childGradient(g, replicas[i]!, i + 1)));
      }
    } else {
      const gradOutputs = this.fields.get('gradOutputGpu') as Activity[];
      this.exec((m, i) => m.accGradParameters(inputs[i - 1]!, gradOutputs[i - 1]!, scale), used);
    }
    if (method !== 'updateGradInput') {
      const grads = this.moduleParameters().map((p) => p[1]);
      // Sum onto replica 1 in replica order, then zero the others (cunn's _reduce).
      for (let r = 1; r < grads.length; r++) grads[r]!.forEach((g, k) => grads[0]![k]!.add(g));
      for (let r = 1; r < grads.length; r++) for (const g of grads[r]!) g.zero();
      this.fields.set('needsSync', true);
    }
    return this.gradInput;
  }

  /** Slices src along `dimension` into one copy per replica (tables recursively). */
  private distribute(previous: Activity[] | undefined, src: Activity): Activity[] {
    const n = this.gpus().length;
    const out: Activity[] = [];
    for (let i = 1; i <= n; i++) {
      out.push(this.sliceFor(previous?.[i - 1], src, i, n, 'input'));
    }
    return out;
  }

  private sliceFor(dst: Activity | undefined, src: Activity, idx: number, n: number, where: string): Activity {
    if (Array.isArray(src)) {
      const d = Array.isArray(dst) && dst.length === src.length ? dst : [];
      src.forEach((s, k) => (d[k] = this.sliceFor(d[k], s, idx, n, `${where}[${k + 1}]`)));
      return d;
    }
    if (!(src instanceof Tensor)) throw new TypeError(`nn.DataParallelTable: ${where} must be a tensor or a table of tensors, got ${typeof src}`);
    const t = dst instanceof Tensor && dst.elementType === src.elementType ? dst : src.new();
    const total = src.dim() > 0 ? src.size(this.dimension) : 0;
    const [start, size] = sliceRange(total, idx, n);
    if (size <= 0) return t.resize(0);
    const slice = src.narrow(this.dimension, start, size);
    return t.resize(...slice.size()).copy(slice);
  }

  /** Joins the replicas' results along `dimension` into dst (tables recursively). */
  private concat(dst: Activity | undefined, parts: Activity[]): Activity {
    if (Array.isArray(parts[0])) {
      const first = parts[0];
      const d = Array.isArray(dst) && dst.length === first.length ? dst : [];
      first.forEach((_, k) => (d[k] = this.concat(d[k], parts.map((p) => (p as Activity[])[k]!))));
      return d;
    }
    const tensors = parts as Tensor[];
    const nonEmpty = tensors.filter((t) => t.nElement() > 0);
    const out = dst instanceof Tensor && nonEmpty.length > 0 && dst.elementType === nonEmpty[0]!.elementType ? dst : (nonEmpty[0]?.new() ?? (dst as Tensor));
    if (nonEmpty.length === 0) return out;
    const sizes = nonEmpty[0]!.size();
    const d = this.dimension;
    sizes[d - 1] = nonEmpty.reduce((acc, t) => acc + t.size(d), 0);
    out.resize(...sizes);
    let at = 1;
    for (const t of nonEmpty) {
      out.narrow(d, at, t.size(d)).copy(t);
      at += t.size(d);
    }
    return out;
  }

  // ---- modes, types, structure ------------------------------------------------------

  override training(): this {
    this.exec((m) => m.training());
    this.train = true;
    return this;
  }

  override evaluate(): this {
    this.exec((m) => m.evaluate());
    this.train = false;
    return this;
  }

  override clearState(): this {
    if (stateOf(this).replicas) this.exec((m) => m.clearState());
    return super.clearState();
  }

  /** cunn: apply() changes replica 1, so the replicas are cloned again and re-flattened. */
  override apply(fn: (m: Module) => void): void {
    super.apply(fn);
    const s = stateOf(this);
    if (s.replicas) {
      s.replicas = null;
      this.makeReplicas();
      if (s.flattened) {
        const first = s.flattened[0]!;
        s.flattened = this.exec((m, i) => (i === 1 ? first : m.getParameters()));
      }
    }
  }

  override type(): string;
  override type(name: string, cache?: TensorCache): this;
  override type(name?: string, cache?: TensorCache): string | this {
    if (name === undefined) return super.type();
    // cunn accepts torch.CudaTensor only; here Float and Double work too (the replicas are host modules).
    const s = stateOf(this);
    if (s.replicas) for (const m of s.replicas.slice(1)) m.type(name, cache);
    this.baseModule().type(name, cache);
    this.fields.set('_type', name);
    return this;
  }

  override accUpdateGradParameters(): void {
    throw new Error('accUpdateGradParameters not supported for DataParallelTable.');
  }

  override share(): this {
    throw new Error('Share not supported for DataParallelTable');
  }

  override clone(...names: string[]): this {
    if (names.length > 0) throw new Error('Sharing not supported for DataParallelTable');
    return super.clone();
  }

  override __tostring__(): string {
    const base = this.size() > 0 ? this.get(1).__tostring__() : 'nil';
    return `DataParallelTable: ${this.gpus().length} x ${base}`;
  }
}

/** When all parameters (and all gradients) are views of one storage each, the span views of them, else null (cunn's flattenParameters). */
function flatViews(m: Module): [Tensor, Tensor] | null {
  const p = m.parameters();
  if (!p || p[0].length === 0) return null;
  const [ws, gs] = p;
  const sameStorage = (ts: Tensor[]) => ts.every((t) => t.storage() === ts[0]!.storage());
  if (!sameStorage(ws) || !sameStorage(gs)) return null;
  const span = (ts: Tensor[]) => {
    const first = ts[0]!;
    const last = ts[ts.length - 1]!;
    const n = last.storageOffset() + last.nElement() - first.storageOffset();
    const v = first.new();
    v.set(first.storage(), first.storageOffset(), [n]);
    return v;
  };
  return [span(ws), span(gs)];
}

/** How many replicas got a non-empty share (cunn's maxUsedGpu). */
function usedReplicas(inputs: Activity[]): number {
  const hasData = (a: Activity): boolean => (Array.isArray(a) ? a.some(hasData) : a.nElement() > 0);
  let n = 0;
  for (const a of inputs) {
    if (!hasData(a)) break;
    n++;
  }
  return n;
}

registerModule('nn.DataParallelTable', DataParallelTable);
