// nn.SpatialConvolution(nInputPlane, nOutputPlane, kW, kH, dW = 1, dH = 1, padW = 0, padH = padW)
//
// weight [nOutputPlane, nInputPlane, kH, kW], bias [nOutputPlane] (may be removed:
// noBias() or `bias = nil`, as fb.resnet.torch does). Input 3-d (C, H, W) or 4-d
// (N, C, H, W). Float tensors compute on tfjs with channels-last activations; Double
// tensors on the host in float64.

import { tf } from '../torch/tfjs_core.js';
import { Tensor, defaultTensorType } from '../torch/tensor.js';
import { Module, clearFields, type Activity } from './module.js';
import { registerModule } from './registry.js';
import { uniformFill } from '../init/index.js';
import { conv2dBackwardBias, conv2dBackwardFilter, conv2dBackwardInput, conv2dForward } from '../backend/layer_ops.js';
import { patchTfjsKernels } from '../backend/tfjs_patches.js';
import { accumulateHost, accumulateTF, engineOf, expectTensor, hostFloat32, hostFloat32ForWrite, hostValues, setOutputHost } from './tensor_helpers.js';
import { conv2dAccumulateFilterGradHost, conv2dBackwardInputHost, conv2dForwardHost, hostParamsActive, readInPlace, winogradInTraining, type HostFilter } from '../backend/host_params.js';
import { convBackwardInput, convForward, convGradBias, convGradWeight, convOutputSize, type ConvParams, type ConvShape } from './float64/conv.js';
import { asBatch4d, setOutputTFBatch } from './float64/batching.js';
import { takeAddend, type Addend } from './addend.js';
import { detachFilterGradients } from './backward_scope.js';

/**
 * nn.SpatialConvolution(nInputPlane, nOutputPlane, kW, kH, dW = 1, dH = 1, padW = 0, padH = padW): 2-d
 * convolution (cross-correlation, as Torch) of a batch N x nInputPlane x H x W (or one image
 * nInputPlane x H x W); output height floor((H + 2 padH - kH) / dH) + 1, width likewise. Weights and
 * bias drawn as Torch's reset(): uniform(-1/sqrt(kW kH nInputPlane), +).
 */
export class SpatialConvolution extends Module<Tensor, Tensor> {
  /**
   * @param nInputPlane input channels.
   * @param nOutputPlane output channels (filters).
   * @param kW kernel width, in pixels.
   * @param kH kernel height, in pixels.
   * @param dW horizontal stride (default 1).
   * @param dH vertical stride (default 1).
   * @param padW zero padding added left and right, in pixels (default 0).
   * @param padH zero padding added top and bottom (default padW, as Torch).
   */
  constructor(nInputPlane: number, nOutputPlane: number, kW: number, kH: number, dW = 1, dH = 1, padW = 0, padH?: number) {
    super('nn.SpatialConvolution');
    const f = this.fields;
    f.set('nInputPlane', nInputPlane);
    f.set('nOutputPlane', nOutputPlane);
    f.set('kW', kW);
    f.set('kH', kH);
    f.set('dW', dW);
    f.set('dH', dH);
    f.set('padW', padW);
    f.set('padH', padH ?? padW);
    const type = defaultTensorType();
    f.set('weight', Tensor.create(type, [nOutputPlane, nInputPlane, kH, kW]));
    f.set('bias', Tensor.create(type, [nOutputPlane]));
    f.set('gradWeight', Tensor.create(type, [nOutputPlane, nInputPlane, kH, kW]));
    f.set('gradBias', Tensor.create(type, [nOutputPlane]));
    this.reset();
  }

  // ---- fields ------------------------------------------------------------------

  /** Input channels. */
  get nInputPlane(): number { return this.numberField('nInputPlane'); }
  /** Output channels. */
  get nOutputPlane(): number { return this.numberField('nOutputPlane'); }
  /** Kernel width (pixels). */
  get kW(): number { return this.numberField('kW'); }
  /** Kernel height (pixels). */
  get kH(): number { return this.numberField('kH'); }
  /** Horizontal stride. */
  get dW(): number { return this.numberField('dW'); }
  /** Vertical stride. */
  get dH(): number { return this.numberField('dH'); }
  /** Zero padding left and right (pixels). */
  get padW(): number { return (this.fields.get('padW') as number | undefined) ?? 0; }
  /** Zero padding top and bottom (pixels). */
  get padH(): number { return (this.fields.get('padH') as number | undefined) ?? 0; }

  /** The filters, nOutputPlane x nInputPlane x kH x kW. */
  get weight(): Tensor { return this.requiredTensor('weight'); }
  set weight(t: Tensor) { this.fields.set('weight', t); }
  /** The gradient of weight (accumulated by backward). */
  get gradWeight(): Tensor { return this.requiredTensor('gradWeight'); }
  set gradWeight(t: Tensor) { this.fields.set('gradWeight', t); }
  /** undefined once the bias is removed. */
  get bias(): Tensor | undefined { return this.tensorField('bias'); }
  set bias(t: Tensor | undefined) { this.fields.set('bias', t); }
  /** The gradient of bias; undefined once the bias is removed. */
  get gradBias(): Tensor | undefined { return this.tensorField('gradBias'); }
  set gradBias(t: Tensor | undefined) { this.fields.set('gradBias', t); }

  /** Torch's reset(stdv): uniform(-stdv, stdv) on weight, then on bias; stdv defaults to 1/sqrt(kW*kH*nInputPlane). */
  reset(stdv?: number): this {
    const s = stdv !== undefined ? stdv * Math.sqrt(3) : 1 / Math.sqrt(this.kW * this.kH * this.nInputPlane);
    uniformFill(this.weight, -s, s);
    const bias = this.bias;
    if (bias) uniformFill(bias, -s, s);
    return this;
  }

  /** Removes the bias (bias = nil, gradBias = nil). */
  noBias(): this {
    this.fields.delete('bias');
    this.fields.delete('gradBias');
    return this;
  }

  // ---- forward / backward ----------------------------------------------------------

  override updateOutput(input: Activity): Tensor {
    const addend = takeAddend(this, 'output');
    const x = this.checkInput(input, 'updateOutput');
    const out = this.buffer('output', x);
    const { batched } = asBatch4d(x, `${this.className}:updateOutput`);
    const shape = this.shapeOf(x);
    const weight = this.weight4d();
    if (engineOf(x, `${this.className}:updateOutput`) === 'tf') {
      const bias = this.bias;
      const p = this.params();
      const y = tf.tidy(() => {
        const x4 = asBatch4d(x, '').x4.toTFNHWC();
        // the weight and bias read where they live (no filter tensor), where the kernel runs
        if (hostParamsActive()) {
          const filter = this.hostFilter(weight);
          const b = bias ? hostFloat32(bias) : null;
          const args = this.hostArgs(!this.train || winogradInTraining());
          const onHost = withAddend(addend, (a4) => conv2dForwardHost(x4, filter, b, args, a4));
          if (onHost) return onHost;
        }
        const b = bias ? (bias.toTF() as tf.Tensor1D) : null;
        return conv2dForward(x4, filterHWIO(weight), b, p.dH, p.dW, p.padH, p.padW);
      });
      setOutputTFBatch(out, y, batched);
    } else {
      const bias = this.bias;
      const y = convForward(hostValues(x), hostValues(weight), bias ? hostValues(bias) : null, shape);
      setOutputHost(out, batched ? [shape.n, shape.cOut, shape.oH, shape.oW] : [shape.cOut, shape.oH, shape.oW], y);
    }
    return out;
  }

  override updateGradInput(input: Activity, gradOutput: Activity): Tensor | undefined {
    // Torch's `if self.gradInput then`: with gradInput = nil the input gradient is not computed.
    if (this.gradInput === undefined) return undefined;
    const addend = takeAddend(this, 'gradInput');
    const x = this.checkInput(input, 'updateGradInput');
    const dy = this.checkGradOutput(x, gradOutput, 'updateGradInput');
    const gradInput = this.buffer('gradInput', x);
    const { batched } = asBatch4d(x, '');
    const shape = this.shapeOf(x);
    const weight = this.weight4d();
    if (engineOf(x, `${this.className}:updateGradInput`) === 'tf') {
      patchTfjsKernels();
      const p = this.params();
      const xShape = [shape.n, shape.h, shape.w, shape.cIn];
      const dx = tf.tidy(() => {
        const dy4 = asBatch4d(dy, '').x4.toTFNHWC();
        if (hostParamsActive()) {
          const filter = this.hostFilter(weight);
          const args = this.hostArgs(winogradInTraining());
          const onHost = withAddend(addend, (a4) => conv2dBackwardInputHost(dy4, filter, xShape, args, a4));
          if (onHost) return onHost;
        }
        return conv2dBackwardInput(dy4, filterHWIO(weight), xShape, [p.dH, p.dW], [p.padH, p.padW]);
      });
      setOutputTFBatch(gradInput, dx, batched);
    } else {
      const dx = convBackwardInput(hostValues(dy), hostValues(weight), shape);
      setOutputHost(gradInput, x.size(), dx);
    }
    return gradInput;
  }

  override accGradParameters(input: Activity, gradOutput: Activity, scale = 1): void {
    const x = this.checkInput(input, 'accGradParameters');
    const dy = this.checkGradOutput(x, gradOutput, 'accGradParameters');
    const shape = this.shapeOf(x);
    const gradWeight = this.gradWeight;
    const gradBias = this.gradBias;
    if (engineOf(x, `${this.className}:accGradParameters`) === 'tf') {
      patchTfjsKernels();
      if (hostParamsActive() && this.accGradOnHost(x, dy, gradWeight, gradBias, scale)) return;
      const p = this.params();
      const [gw, gb] = tf.tidy(() => {
        const x4 = asBatch4d(x, '').x4.toTFNHWC();
        const dy4 = asBatch4d(dy, '').x4.toTFNHWC();
        // [kH, kW, cIn, cOut] -> Torch's [cOut, cIn, kH, kW]
        const gw = tf.transpose(conv2dBackwardFilter(x4, dy4, [shape.kH, shape.kW, shape.cIn, shape.cOut], [p.dH, p.dW], [p.padH, p.padW]), [3, 2, 0, 1]);
        const gb = gradBias ? conv2dBackwardBias(dy4) : null;
        return gb ? [gw, gb] : [gw];
      }) as [tf.Tensor, tf.Tensor?];
      accumulateTF(gradWeight, gw, scale);
      if (gb && gradBias) accumulateTF(gradBias, gb, scale);
    } else {
      const xv = hostValues(x);
      const dyv = hostValues(dy);
      accumulateHost(gradWeight, convGradWeight(xv, dyv, shape), scale);
      if (gradBias) accumulateHost(gradBias, convGradBias(dyv, shape), scale);
    }
  }

  override clearState(): this {
    clearFields(this, ['finput', 'fgradInput', '_input', '_gradOutput']);
    return super.clearState();
  }

  override __tostring__(): string {
    const { padW, padH } = this;
    let s = `${this.className}(${this.nInputPlane} -> ${this.nOutputPlane}, ${this.kW}x${this.kH}`;
    if (this.dW !== 1 || this.dH !== 1 || padW !== 0 || padH !== 0) s += `, ${this.dW},${this.dH}`;
    if (padW !== 0 || padH !== 0) s += `, ${padW},${padH}`;
    return this.bias ? `${s})` : `${s}) without bias`;
  }

  // ---- internals ------------------------------------------------------------------

  private requiredTensor(name: string): Tensor {
    const t = this.tensorField(name);
    if (!t) throw new Error(`${this.className}: field '${name}' should be a tensor, found nil`);
    return t;
  }

  /** The weight as the tap kernels read it on the host (Torch's [cOut, cIn, kH, kW] order). */
  private hostFilter(weight: Tensor): HostFilter {
    return { values: hostFloat32(weight), co: this.nOutputPlane, ci: this.nInputPlane, kh: this.kH, kw: this.kW };
  }

  /** The kernels' geometry; `winograd`: may a 3x3 layer run as Winograd (evaluation forwards, or MPELU_WINOGRAD_TRAIN=1). */
  private hostArgs(winograd = false): { kh: number; kw: number; sh: number; sw: number; padH: number; padW: number; winograd: boolean } {
    return { kh: this.kH, kw: this.kW, sh: this.dH, sw: this.dW, padH: this.padH, padW: this.padW, winograd };
  }

  /**
   * gradWeight (and gradBias) += scale * the gradients, added where they live on the host:
   * the filter gradient by the SIMD kernel in Torch's order, the bias gradient (a tfjs sum
   * over dy) read in place. False (nothing done) where the kernel does not run.
   */
  private accGradOnHost(x: Tensor, dy: Tensor, gradWeight: Tensor, gradBias: Tensor | undefined, scale: number): boolean {
    const gw = hostFloat32ForWrite(gradWeight);
    if (!gw) return false;
    return tf.tidy(() => {
      const x4 = asBatch4d(x, '').x4.toTFNHWC();
      const dy4 = asBatch4d(dy, '').x4.toTFNHWC();
      // inside a container's backward the filter gradient may finish in the background (backward_scope.ts)
      if (!conv2dAccumulateFilterGradHost(x4, dy4, gw, scale, this.hostArgs(), detachFilterGradients())) return false;
      if (gradBias) accumulateHost(gradBias, readInPlace(conv2dBackwardBias(dy4)), scale);
      return true;
    });
  }

  private params(): ConvParams {
    return { kH: this.kH, kW: this.kW, dH: this.dH, dW: this.dW, padH: this.padH, padW: this.padW };
  }

  /** The weight as [nOut, nIn, kH, kW]: files from old nn versions hold it 2-d (nOut, nIn*kH*kW). */
  private weight4d(): Tensor {
    const w = this.weight;
    if (w.dim() === 2) {
      const w4 = w.view(this.nOutputPlane, this.nInputPlane, this.kH, this.kW);
      this.weight = w4;
      const gw = this.tensorField('gradWeight');
      if (gw && gw.dim() === 2) this.gradWeight = gw.view(this.nOutputPlane, this.nInputPlane, this.kH, this.kW);
      return w4;
    }
    return w;
  }

  private checkInput(input: Activity, op: string): Tensor {
    const where = `${this.className}:${op}`;
    const x = expectTensor(input, where);
    if (x.dim() !== 3 && x.dim() !== 4) throw new RangeError(`${where}: expected a 3D or 4D input tensor, got sizes [${x.size().join(', ')}]`);
    const groups = this.fields.get('groups');
    if (groups !== undefined && groups !== 1) throw new Error(`${where}: grouped convolution (groups = ${String(groups)}) is not implemented by mpelu`);
    const w = this.weight;
    if (w.elementType !== x.elementType) {
      throw new TypeError(`${where}: the input is a ${x.className()} but the weight is a ${w.className()} (convert the module with :float() or :double())`);
    }
    // Torch's backCompatibility: old files may hold `padding` instead of padW/padH.
    const padding = this.fields.get('padding');
    if (typeof padding === 'number') {
      this.fields.set('padW', padding);
      this.fields.set('padH', padding);
      this.fields.delete('padding');
    }
    // THNN keeps its unfold buffers in these fields; they exist after an nn forward (not a cudnn one).
    if (!this.className.startsWith('cudnn.')) {
      this.buffer('finput', x);
      this.buffer('fgradInput', x);
    }
    this.weight4d();
    return x;
  }

  private checkGradOutput(x: Tensor, gradOutput: Activity, op: string): Tensor {
    const where = `${this.className}:${op}`;
    const dy = expectTensor(gradOutput, where);
    const s = this.shapeOf(x);
    const expected = x.dim() === 4 ? [s.n, s.cOut, s.oH, s.oW] : [s.cOut, s.oH, s.oW];
    const got = dy.size();
    if (got.length !== expected.length || got.some((v, i) => v !== expected[i])) {
      throw new RangeError(`${where}: expected gradOutput of sizes [${expected.join(', ')}], got [${got.join(', ')}]`);
    }
    if (dy.elementType !== x.elementType) throw new TypeError(`${where}: gradOutput is a ${dy.className()}, the input a ${x.className()}`);
    return dy;
  }

  private shapeOf(x: Tensor): ConvShape {
    const batched = x.dim() === 4;
    const sz = x.size();
    const [n, c, h, w] = batched ? (sz as [number, number, number, number]) : [1, sz[0]!, sz[1]!, sz[2]!];
    const { kH, kW, dH, dW, padH, padW } = this.params();
    const nIn = this.nInputPlane;
    const where = `${this.className}`;
    if (c !== nIn) throw new RangeError(`${where}: expected input with ${nIn} planes (dim ${batched ? 2 : 1}), got ${c} (sizes [${sz.join(', ')}])`);
    const oH = convOutputSize(h, kH, dH, padH);
    const oW = convOutputSize(w, kW, dW, padW);
    if (oH < 1 || oW < 1) {
      throw new RangeError(`${where}: given input size (${c} x ${h} x ${w}), the calculated output size (${this.nOutputPlane} x ${oH} x ${oW}) is too small`);
    }
    return { n, cIn: c, h, w, cOut: this.nOutputPlane, kH, kW, dH, dW, padH, padW, oH, oW };
  }
}

registerModule('nn.SpatialConvolution', SpatialConvolution);

/** Torch's [cOut, cIn, kH, kW] weight as tfjs's [kH, kW, cIn, cOut] filter (a new tensor). */
function filterHWIO(weight: Tensor): tf.Tensor4D {
  return tf.tidy(() => tf.transpose(weight.toTF() as tf.Tensor4D, [2, 3, 1, 0]));
}

/**
 * run(the offered addend, channels last) when there is one (a Float 4-d tensor) and the kernel
 * takes it (then marked done); else run(null), the plain kernel.
 */
function withAddend(addend: Addend | undefined, run: (a4: tf.Tensor4D | null) => tf.Tensor4D | null): tf.Tensor4D | null {
  const t = addend?.tensor;
  const added = t && t.elementType === 'Float' && t.nDimension() === 4 ? run(t.toTFNHWC()) : null;
  if (added) addend!.done = true;
  return added ?? run(null);
}
