// Float64 host kernels for nn.SpatialConvolution (Double tensors), NCHW, batched.
//
// Plain loops with Torch's definitions (SpatialConvolutionMM: zero padding, output
// (H + 2*padH - kH) / dH + 1 rounded down). Used for double-precision gradient checks
// and Double models; Float tensors run on tfjs.

/** A sliding window's size, step and zero padding (convolution and pooling alike). */
export interface ConvParams {
  kH: number;
  kW: number;
  dH: number;
  dW: number;
  padH: number;
  padW: number;
}

export interface ConvShape extends ConvParams {
  n: number;
  cIn: number;
  h: number;
  w: number;
  cOut: number;
  oH: number;
  oW: number;
}

/** Output height/width of a convolution as THNN computes them (integer division). */
export function convOutputSize(size: number, k: number, d: number, pad: number): number {
  return Math.floor((size + 2 * pad - k) / d) + 1;
}

/** y[n,o,oy,ox] = bias[o] + sum_{c,ky,kx} weight[o,c,ky,kx] * x[n,c,oy*dH-padH+ky,ox*dW-padW+kx]. */
export function convForward(x: Float64Array, weight: Float64Array, bias: Float64Array | null, s: ConvShape): Float64Array {
  const { n, cIn, h, w, cOut, kH, kW, dH, dW, padH, padW, oH, oW } = s;
  const y = new Float64Array(n * cOut * oH * oW);
  const plane = oH * oW;
  for (let b = 0; b < n; b++) {
    for (let o = 0; o < cOut; o++) {
      const yBase = (b * cOut + o) * plane;
      const b0 = bias ? bias[o]! : 0;
      for (let k = 0; k < plane; k++) y[yBase + k] = b0;
      for (let c = 0; c < cIn; c++) {
        const xBase = (b * cIn + c) * h * w;
        const wBase = (o * cIn + c) * kH * kW;
        for (let ky = 0; ky < kH; ky++) {
          for (let kx = 0; kx < kW; kx++) {
            const wv = weight[wBase + ky * kW + kx]!;
            for (let oy = 0; oy < oH; oy++) {
              const iy = oy * dH - padH + ky;
              if (iy < 0 || iy >= h) continue;
              const xRow = xBase + iy * w;
              const yRow = yBase + oy * oW;
              for (let ox = 0; ox < oW; ox++) {
                const ix = ox * dW - padW + kx;
                if (ix < 0 || ix >= w) continue;
                y[yRow + ox] += wv * x[xRow + ix]!;
              }
            }
          }
        }
      }
    }
  }
  return y;
}

/** dx = the transpose of the forward map applied to dy. */
export function convBackwardInput(dy: Float64Array, weight: Float64Array, s: ConvShape): Float64Array {
  const { n, cIn, h, w, cOut, kH, kW, dH, dW, padH, padW, oH, oW } = s;
  const dx = new Float64Array(n * cIn * h * w);
  for (let b = 0; b < n; b++) {
    for (let o = 0; o < cOut; o++) {
      const yBase = (b * cOut + o) * oH * oW;
      for (let c = 0; c < cIn; c++) {
        const xBase = (b * cIn + c) * h * w;
        const wBase = (o * cIn + c) * kH * kW;
        for (let ky = 0; ky < kH; ky++) {
          for (let kx = 0; kx < kW; kx++) {
            const wv = weight[wBase + ky * kW + kx]!;
            for (let oy = 0; oy < oH; oy++) {
              const iy = oy * dH - padH + ky;
              if (iy < 0 || iy >= h) continue;
              for (let ox = 0; ox < oW; ox++) {
                const ix = ox * dW - padW + kx;
                if (ix < 0 || ix >= w) continue;
                dx[xBase + iy * w + ix] += wv * dy[yBase + oy * oW + ox]!;
              }
            }
          }
        }
      }
    }
  }
  return dx;
}

/** The weight gradient [cOut, cIn, kH, kW] (unscaled, not accumulated). */
export function convGradWeight(x: Float64Array, dy: Float64Array, s: ConvShape): Float64Array {
  const { n, cIn, h, w, cOut, kH, kW, dH, dW, padH, padW, oH, oW } = s;
  const gw = new Float64Array(cOut * cIn * kH * kW);
  for (let b = 0; b < n; b++) {
    for (let o = 0; o < cOut; o++) {
      const yBase = (b * cOut + o) * oH * oW;
      for (let c = 0; c < cIn; c++) {
        const xBase = (b * cIn + c) * h * w;
        const wBase = (o * cIn + c) * kH * kW;
        for (let ky = 0; ky < kH; ky++) {
          for (let kx = 0; kx < kW; kx++) {
            let acc = 0;
            for (let oy = 0; oy < oH; oy++) {
              const iy = oy * dH - padH + ky;
              if (iy < 0 || iy >= h) continue;
              for (let ox = 0; ox < oW; ox++) {
                const ix = ox * dW - padW + kx;
                if (ix < 0 || ix >= w) continue;
                acc += x[xBase + iy * w + ix]! * dy[yBase + oy * oW + ox]!;
              }
            }
            gw[wBase + ky * kW + kx] += acc;
          }
        }
      }
    }
  }
  return gw;
}

/** The bias gradient [cOut]: dy summed over batch and space (unscaled). */
export function convGradBias(dy: Float64Array, s: ConvShape): Float64Array {
  const { n, cOut, oH, oW } = s;
  const gb = new Float64Array(cOut);
  const plane = oH * oW;
  for (let b = 0; b < n; b++) {
    for (let o = 0; o < cOut; o++) {
      const base = (b * cOut + o) * plane;
      let acc = 0;
      for (let k = 0; k < plane; k++) acc += dy[base + k]!;
      gb[o] += acc;
    }
  }
  return gb;
}
