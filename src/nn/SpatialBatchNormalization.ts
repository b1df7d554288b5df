// nn.SpatialBatchNormalization(nFeature, eps = 1e-5, momentum = 0.1, affine = true)
//
// Torch's BatchNormalization (class version 2) over 4-d input (N, C, H, W): training
// normalizes with the batch statistics and updates running_mean / running_var (momentum,
// unbiased variance); evaluate normalizes with the running statistics. A batch of one in
// training mode uses the running statistics and leaves them alone, as THNN does.
// Version-1 files hold running_std (= 1/sqrt(var + eps)); onLoad converts it.

import { tf } from '../torch/tfjs_core.js';
import { Tensor, defaultTensorType } from '../torch/tensor.js';
import { Module, clearFields, type Activity } from './module.js';
import { registerModule } from './registry.js';
import { uniformFill } from '../init/index.js';
import { batchNormBackward, batchNormEvalForward, batchNormTrainForward } from '../backend/layer_ops.js';
import { patchTfjsKernels } from '../backend/tfjs_patches.js';
import { accumulateHost, accumulateTF, engineOf, expectTensor, fillTensor, hostFloat32, hostValues, setOutputHost, assignHost } from './tensor_helpers.js';
import { batchNormBackwardHost, batchNormEvalHost, batchNormTrainHost, hostParamsActive, mpeluBatchNormBackwardHost, type MpeluAfter } from '../backend/host_params.js';
import { MPELU } from './MPELU.js';
import { bnBackward, bnBatchStats, bnForward, bnRunningStats, type BNShape, type BNStats } from './float64/batchnorm.js';
import { forEachStorageIndex } from '../torch/layout.js';

/**
 * nn.SpatialBatchNormalization(nFeature, eps = 1e-5, momentum = 0.1, affine = true): per channel of N
 * x nFeature x H x W, (x - mean) / sqrt(var + eps), then x weight + bias. In training() mode mean and
 * var are the batch's and running_mean/running_var move towards them by momentum; in evaluate() mode
 * the running ones are used.
 */
export class SpatialBatchNormalization extends Module<Tensor, Tensor> {
  /**
   * @param nFeature the number of channels (dimension 2 of the input).
   * @param eps added to the variance before the square root (Torch's default 1e-5).
   * @param momentum running = (1 - momentum) running + momentum batch (default 0.1).
   * @param affine learn weight (scale) and bias per channel (default true).
   */
  constructor(nFeature: number, eps = 1e-5, momentum = 0.1, affine = true) {
    super('nn.SpatialBatchNormalization');
    if (!Number.isInteger(nFeature) || nFeature <= 0) {
      throw new RangeError(`${this.className}: expected a positive number of features (set affine = false with the 4th argument), got ${nFeature}`);
    }
    this.version = 2;
    const f = this.fields;
    const type = defaultTensorType();
    f.set('affine', affine);
    f.set('eps', eps);
    f.set('train', true);
    f.set('momentum', momentum);
    f.set('running_mean', Tensor.create(type, [nFeature]));
    f.set('running_var', Tensor.create(type, [nFeature]));
    fillTensor(this.running_var, 1);
    if (affine) {
      f.set('weight', Tensor.create(type, [nFeature]));
      f.set('bias', Tensor.create(type, [nFeature]));
      f.set('gradWeight', Tensor.create(type, [nFeature]));
      f.set('gradBias', Tensor.create(type, [nFeature]));
      this.reset();
    }
  }

  /** Expected input dimension (Torch's class-level nDim). */
  get nDim(): number {
    return 4;
  }

  // ---- fields ------------------------------------------------------------------

  /** Added to the variance before the square root. */
  get eps(): number { return this.numberField('eps'); }
  /** How far the running statistics move towards each batch's (0.1 = 10 %). */
  get momentum(): number { return this.numberField('momentum'); }
  /** Whether weight and bias are learned. */
  get affine(): boolean { return this.fields.get('affine') !== false && this.weight !== undefined; }
  /** The running mean per channel, used in evaluate() mode. */
  get running_mean(): Tensor { return this.requiredTensor('running_mean'); }
  /** The running (unbiased) variance per channel, used in evaluate() mode. */
  get running_var(): Tensor { return this.requiredTensor('running_var'); }
  /** The scale per channel (affine only). */
  get weight(): Tensor | undefined { return this.tensorField('weight'); }
  /** The shift per channel (affine only). */
  get bias(): Tensor | undefined { return this.tensorField('bias'); }
  /** The gradient of weight (affine only). */
  get gradWeight(): Tensor | undefined { return this.tensorField('gradWeight'); }
  /** The gradient of bias (affine only). */
  get gradBias(): Tensor | undefined { return this.tensorField('gradBias'); }

  /** Torch's reset(): weight ~ uniform(0, 1), bias = 0, running_mean = 0, running_var = 1. */
  reset(): this {
    const weight = this.weight;
    if (weight) uniformFill(weight, 0, 1);
    if (this.bias) fillTensor(this.bias, 0);
    fillTensor(this.running_mean, 0);
    fillTensor(this.running_var, 1);
    return this;
  }

  /** Version-1 files store running_std; Torch's read converts it: running_var = running_std^-2 - eps. */
  override onLoad(): void {
    super.onLoad();
    if ((this.version ?? 0) < 2) {
      const std = this.tensorField('running_std');
      if (std) {
        const eps = this.eps;
        // In place on running_std's storage, one rounding per step, as pow(-2) then add(-eps) do.
        const d = std.storage().mutableData() as Float64Array;
        forEachStorageIndex(std.size(), std.stride(), std.offset(), (i) => {
          d[i] = Math.pow(d[i]!, -2);
          d[i] = d[i]! - eps;
        });
        this.fields.set('running_var', std);
        this.fields.delete('running_std');
      }
      this.version = 2;
    }
  }

  // ---- forward / backward ----------------------------------------------------------

  override updateOutput(input: Activity): Tensor {
    const where = `${this.className}:updateOutput`;
    const x4 = this.checkInput(input, where);
    const out = this.buffer('output', x4);
    const saveMean = this.buffer('save_mean', x4);
    const saveStd = this.buffer('save_std', x4);
    const c = this.running_mean.nElement();
    const useBatch = this.train && x4.size(1) > 1;
    const eps = this.eps;
    const momentum = this.momentum;
    const { weight, bias } = this;

    if (engineOf(x4, where) === 'tf') {
      patchTfjsKernels();
      if (hostParamsActive() && this.forwardOnHost(x4, out, saveMean, saveStd, useBatch)) return out;
      if (useBatch) {
        const r = tf.tidy(() => {
          const w = weight ? (weight.toTF() as tf.Tensor1D) : null;
          const b = bias ? (bias.toTF() as tf.Tensor1D) : null;
          const { y, mean, invstd, varUnbiased } = batchNormTrainForward(x4.toTFNHWC(), w, b, eps);
          return { y, mean, invstd, varUnbiased };
        });
        out.setTF(r.y, 'NHWC');
        // The per-channel statistics come to the host (a few numbers) for the running averages.
        const stats = [r.mean, r.invstd, r.varUnbiased].map((t) => {
          const v = Float64Array.from(t.dataSync());
          t.dispose();
          return v;
        });
        this.finishBatchStats(saveMean, saveStd, stats[0]!, stats[1]!, stats[2]!, momentum);
      } else {
        const y = tf.tidy(() => {
          const w = weight ? (weight.toTF() as tf.Tensor1D) : null;
          const b = bias ? (bias.toTF() as tf.Tensor1D) : null;
          return batchNormEvalForward(x4.toTFNHWC(), this.running_mean.toTF() as tf.Tensor1D, this.running_var.toTF() as tf.Tensor1D, w, b, eps);
        });
        out.setTF(y, 'NHWC');
        this.resetSaved(saveMean, saveStd, c);
      }
    } else {
      const sh = this.shapeOf(x4);
      const st = useBatch ? bnBatchStats(hostValues(x4), sh, eps) : bnRunningStats(hostValues(this.running_mean), hostValues(this.running_var), eps);
      const y = bnForward(hostValues(x4), sh, st, weight ? hostValues(weight) : null, bias ? hostValues(bias) : null);
      setOutputHost(out, x4.size(), y);
      if (useBatch) this.finishBatchStats(saveMean, saveStd, st.mean, st.invstd, st.unbiasedVar!, momentum);
      else this.resetSaved(saveMean, saveStd, c);
    }
    return out;
  }

  override updateGradInput(input: Activity, gradOutput: Activity): Tensor | undefined {
    this.runBackward(input, gradOutput, 1, true, false);
    return this.gradInput;
  }

  override accGradParameters(input: Activity, gradOutput: Activity, scale = 1): void {
    this.runBackward(input, gradOutput, scale, false, true);
  }

  /** One pass for gradInput and the parameter gradients, as Torch's BN:backward. */
  override backward(input: Activity, gradOutput: Activity, scale = 1): Tensor | undefined {
    this.runBackward(input, gradOutput, scale, true, true);
    return this.gradInput;
  }

  override clearState(): this {
    clearFields(this, ['buffer', 'buffer2', 'centered', 'std', 'normalized', '_input', '_gradOutput', 'save_mean', 'save_std']);
    return super.clearState();
  }

  override __tostring__(): string {
    return `${this.className} (${this.nDim}D) (${this.running_mean.nElement()})`;
  }

  // ---- internals ------------------------------------------------------------------

  private runBackward(input: Activity, gradOutput: Activity, scale: number, wantGradInput: boolean, wantParams: boolean): void {
    const where = `${this.className}:backward`;
    const x4 = this.checkInput(input, where);
    const dy4 = this.checkInput(gradOutput, `${where} (gradOutput)`);
    if (!dy4.isSameSizeAs(x4)) throw new RangeError(`${where}: gradOutput sizes [${dy4.size().join(', ')}] differ from input sizes [${x4.size().join(', ')}]`);
    const saveMean = this.tensorField('save_mean');
    const saveStd = this.tensorField('save_std');
    if (!saveMean || !saveStd) throw new Error(`${where}: must call updateOutput() first`);
    const useBatch = this.train && x4.size(1) > 1;
    const eps = this.eps;
    const { weight } = this;
    const gradWeight = wantParams ? this.gradWeight : undefined;
    const gradBias = wantParams ? this.gradBias : undefined;
    // gradInput = nil: no input gradient, as THNN is handed a NULL gradInput.
    if (this.gradInput === undefined) wantGradInput = false;

    if (engineOf(x4, where) === 'tf') {
      patchTfjsKernels();
      const gradInput = wantGradInput ? this.buffer('gradInput', x4) : null;
      if (hostParamsActive() && this.backwardOnHost(x4, dy4, useBatch, gradInput, gradWeight, gradBias, scale)) return;
      // Evaluate mode: THNN's invstd = 1/sqrt(running_var + eps), in double, stored as real.
      const invstdHost = useBatch ? null : Float32Array.from(hostValues(this.running_var), (v) => 1 / Math.sqrt(v + eps));
      const res = tf.tidy(() => {
        const mean = (useBatch ? saveMean.toTF() : this.running_mean.toTF()) as tf.Tensor1D;
        const invstd = (invstdHost ? tf.tensor1d(invstdHost) : saveStd.toTF()) as tf.Tensor1D;
        const w = weight ? (weight.toTF() as tf.Tensor1D) : null;
        const g = batchNormBackward(x4.toTFNHWC(), dy4.toTFNHWC(), mean, invstd, w, useBatch);
        const out: Record<string, tf.Tensor> = {};
        if (gradInput) out.dx = g.dx;
        if (gradWeight && g.dWeight) out.gw = g.dWeight;
        if (gradBias && g.dBias) out.gb = g.dBias;
        return out;
      });
      if (gradInput && res.dx) gradInput.setTF(res.dx, 'NHWC');
      if (gradWeight && res.gw) accumulateTF(gradWeight, res.gw, scale);
      if (gradBias && res.gb) accumulateTF(gradBias, res.gb, scale);
    } else {
      const sh = this.shapeOf(x4);
      const st: BNStats = useBatch
        ? { mean: hostValues(saveMean), invstd: hostValues(saveStd), unbiasedVar: null }
        : bnRunningStats(hostValues(this.running_mean), hostValues(this.running_var), eps);
      const r = bnBackward(hostValues(x4), hostValues(dy4), sh, st, weight ? hostValues(weight) : null, useBatch, wantGradInput);
      if (wantGradInput) setOutputHost(this.buffer('gradInput', x4), x4.size(), r.gradInput!);
      if (gradWeight) accumulateHost(gradWeight, r.gradWeight, scale);
      if (gradBias) accumulateHost(gradBias, r.gradBias, scale);
    }
  }

  /**
   * updateOutput, then `next`'s when it is an nn.MPELU reading this output (the nopre unit's
   * pair), both from one pass over the normalized values: the same numbers, the same state
   * (output, save_mean/save_std, running statistics, next.output) as the two updateOutput
   * calls. Returns next's output, or null, with nothing done, where that pass cannot run
   * (Double tensors, no fused kernels, another module after, a channel count MPELU does not
   * have); nn.Sequential then calls the two modules one after the other.
   * @param input this module's input.
   * @param next the module after this one.
   */
  updateOutputFused(input: Activity, next: Module): Tensor | null {
    if (!(next instanceof MPELU) || next.constructor !== MPELU || Object.prototype.hasOwnProperty.call(this, 'updateOutput')) return null;
    const where = `${this.className}:updateOutput`;
    const x4 = this.checkInput(input, where);
    if (x4.elementType !== 'Float' || engineOf(x4, where) !== 'tf' || !hostParamsActive()) return null;
    const mpelu = next.fusedForwardParams(this.running_mean.nElement());
    if (!mpelu) return null;
    patchTfjsKernels();
    const out = this.buffer('output', x4);
    const saveMean = this.buffer('save_mean', x4);
    const saveStd = this.buffer('save_std', x4);
    const useBatch = this.train && x4.size(1) > 1;
    const r = this.forwardOnHost(x4, out, saveMean, saveStd, useBatch, mpelu);
    // with mpelu given, a pass that ran always computed z
    return r ? next.takeFusedOutput(out, r.z!) : null;
  }

  /**
   * backward of `next` (an nn.MPELU with one alpha/beta per channel, reading this module's
   * output) and then this module's backward, from one pass over their per-channel sums: the
   * same gradients, gradInputs and parameter gradients as next:backward(output, gradOutput,
   * scale) followed by backward(input, next.gradInput, scale). Returns this module's
   * gradInput, or null, with nothing done, where that pass cannot run (no gradInput wanted,
   * Double tensors, no fused kernels, a shared MPELU, an overridden backward);
   * nn.Sequential then calls the two backwards one after the other.
   * @param input this module's input.
   * @param next the module after this one.
   * @param gradOutput the gradient with respect to next's output.
   * @param scale the factor for the parameter gradients.
   */
  backwardFused(input: Activity, next: Module, gradOutput: Activity, scale = 1): Tensor | null {
    if (!(next instanceof MPELU) || next.constructor !== MPELU || next.nOutputPlane === 0) return null;
    for (const m of [this, next]) if (Object.prototype.hasOwnProperty.call(m, 'backward')) return null;
    if (this.gradInput === undefined || next.gradInput === undefined || !hostParamsActive()) return null;
    const where = `${this.className}:backward`;
    const x4 = this.checkInput(input, where);
    const y4 = this.tensorField('output');
    const g = gradOutput instanceof Tensor ? gradOutput : null;
    const saveMean = this.tensorField('save_mean');
    const saveStd = this.tensorField('save_std');
    if (!y4 || !g || !saveMean || !saveStd || x4.elementType !== 'Float' || engineOf(x4, where) !== 'tf') return null;
    if (!y4.isSameSizeAs(x4) || !g.isSameSizeAs(x4) || g.elementType !== 'Float') return null;
    const mpelu = next.fusedForwardParams(this.running_mean.nElement());
    if (!mpelu) return null;
    patchTfjsKernels();
    const useBatch = this.train && x4.size(1) > 1;
    const { mean, invstd } = this.backwardStats(useBatch);
    const [x, y, dz] = [x4.toTFNHWC(), y4.toTFNHWC(), g.toTFNHWC()];
    let r: ReturnType<typeof mpeluBatchNormBackwardHost>;
    try {
      r = mpeluBatchNormBackwardHost(x, y, dz, mpelu, mean, invstd, this.weight ? hostFloat32(this.weight) : null, useBatch);
    } finally {
      tf.dispose([x, y, dz]);
    }
    if (!r) return null;
    next.takeFusedBackward(y4, r.d, r.dAlpha, r.dBeta, scale);
    const gradInput = this.buffer('gradInput', x4);
    gradInput.setTF(r.dx, 'NHWC');
    const { gradWeight, gradBias } = this;
    if (r.dWeight && gradWeight) accumulateHost(gradWeight, r.dWeight, scale);
    if (r.dBias && gradBias) accumulateHost(gradBias, r.dBias, scale);
    return gradInput;
  }

  /**
   * The Float forward with the parameters and statistics on the host (backend/host_params.ts):
   * weight, bias and the running statistics read in place, the batch statistics returned to
   * the host without a blocking read; with `mpelu`, also MPELU of the output from the same
   * pass (z). Null (nothing done) where no fused kernel runs.
   */
  private forwardOnHost(x4: Tensor, out: Tensor, saveMean: Tensor, saveStd: Tensor, useBatch: boolean, mpelu?: MpeluAfter): { z: tf.Tensor | null } | null {
    const { weight, bias, eps } = this;
    const w = weight ? hostFloat32(weight) : null;
    const b = bias ? hostFloat32(bias) : null;
    const x = x4.toTFNHWC();
    try {
      if (useBatch) {
        const r = batchNormTrainHost(x, w, b, eps, mpelu);
        if (!r) return null;
        out.setTF(r.y, 'NHWC');
        this.finishBatchStats(saveMean, saveStd, Float64Array.from(r.mean), Float64Array.from(r.invstd), Float64Array.from(r.varUnbiased), this.momentum);
        return { z: r.z };
      } else {
        const r = batchNormEvalHost(x, hostFloat32(this.running_mean), hostFloat32(this.running_var), w, b, eps, mpelu);
        if (!r) return null;
        out.setTF(r.y, 'NHWC');
        this.resetSaved(saveMean, saveStd, this.running_mean.nElement());
        return { z: r.z };
      }
    } finally {
      x.dispose();
    }
  }

  /** The Float backward with the parameters on the host, gradients added there; false (nothing done) where no fused kernel runs. */
  private backwardOnHost(x4: Tensor, dy4: Tensor, useBatch: boolean, gradInput: Tensor | null, gradWeight: Tensor | undefined, gradBias: Tensor | undefined, scale: number): boolean {
    const { weight } = this;
    const { mean, invstd } = this.backwardStats(useBatch);
    const x = x4.toTFNHWC();
    const dy = dy4.toTFNHWC();
    let r: ReturnType<typeof batchNormBackwardHost>;
    try {
      r = batchNormBackwardHost(x, dy, mean, invstd, weight ? hostFloat32(weight) : null, useBatch);
    } finally {
      x.dispose();
      dy.dispose();
    }
    if (!r) return false;
    if (gradInput) gradInput.setTF(r.dx, 'NHWC');
    else r.dx.dispose();
    if (gradWeight && r.dWeight) accumulateHost(gradWeight, r.dWeight, scale);
    if (gradBias && r.dBias) accumulateHost(gradBias, r.dBias, scale);
    return true;
  }

  /**
   * The mean and invstd a host backward uses: the batch's (save_mean / save_std) in training,
   * else the running ones, THNN's invstd = 1/sqrt(running_var + eps) in double, stored as real.
   */
  private backwardStats(useBatch: boolean): { mean: Float32Array; invstd: Float32Array } {
    if (useBatch) return { mean: hostFloat32(this.tensorField('save_mean')!), invstd: hostFloat32(this.tensorField('save_std')!) };
    const eps = this.eps;
    return { mean: hostFloat32(this.running_mean), invstd: Float32Array.from(hostValues(this.running_var), (v) => 1 / Math.sqrt(v + eps)) };
  }

  /** Stores save_mean / save_std and updates the running averages (unbiased variance). */
  private finishBatchStats(saveMean: Tensor, saveStd: Tensor, mean: Float64Array, invstd: Float64Array, unbiasedVar: Float64Array, momentum: number): void {
    const c = mean.length;
    setOutputHost(saveMean, [c], mean);
    setOutputHost(saveStd, [c], invstd);
    // THNN rounds the mean to the tensor's type before using it in the running average.
    const meanRounded = hostValues(saveMean);
    const rm = this.running_mean;
    const rv = this.running_var;
    const oldMean = hostValues(rm);
    const oldVar = hostValues(rv);
    assignHost(rm, meanRounded.map((m, f) => momentum * m + (1 - momentum) * oldMean[f]!));
    assignHost(rv, unbiasedVar.map((v, f) => momentum * v + (1 - momentum) * oldVar[f]!));
  }

  /** Outside training THNN only resizes save_mean / save_std. */
  private resetSaved(saveMean: Tensor, saveStd: Tensor, c: number): void {
    if (saveMean.nElement() !== c) setOutputHost(saveMean, [c], new Float64Array(c));
    if (saveStd.nElement() !== c) setOutputHost(saveStd, [c], new Float64Array(c));
  }

  private requiredTensor(name: string): Tensor {
    const t = this.tensorField(name);
    if (!t) throw new Error(`${this.className}: field '${name}' should be a tensor, found nil`);
    return t;
  }

  /** Checks the input (Torch's checkInputDim) and returns it batched (makeBatch). */
  private checkInput(input: Activity, where: string): Tensor {
    const x = expectTensor(input, where);
    const nDim = this.nDim;
    const iDim = x.dim();
    if (!(iDim === nDim || (iDim === nDim - 1 && !this.train))) {
      throw new RangeError(`${where}: only mini-batch supported (${nDim}D tensor), got ${iDim}D tensor instead`);
    }
    const featDim = iDim === nDim - 1 ? 1 : 2;
    const c = this.running_mean.nElement();
    if (x.size(featDim) !== c) throw new RangeError(`${where}: got ${x.size(featDim)}-feature tensor, expected ${c}`);
    const rm = this.running_mean;
    if (rm.elementType !== x.elementType) {
      throw new TypeError(`${where}: the input is a ${x.className()} but running_mean is a ${rm.className()} (convert the module with :float() or :double())`);
    }
    return iDim === nDim - 1 ? x.unsqueeze(1) : x;
  }

  private shapeOf(x4: Tensor): BNShape {
    const sz = x4.size();
    const c = sz[1]!;
    return { n: sz[0]!, c, s: x4.nElement() / (sz[0]! * c) };
  }
}

registerModule('nn.SpatialBatchNormalization', SpatialBatchNormalization);
