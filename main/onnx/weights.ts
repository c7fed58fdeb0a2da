// The weights an exported graph holds: spectral norm folded in (W / σ, σ computed exactly as the engine's eval
// forward computes it: from the stored u, v in 'stored' mode, after the one power step in 'power-step' mode), and
// the engine's NHWC layouts turned into ONNX's NCHW ones.
import type { SNConv2d } from '../engine/layers/conv.ts'
import { spectrallyNormalised, type SpectrallyNormalisedLayer } from '../engine/layers/spectralNorm.ts'
import { forwardContext, type ParamStore } from '../engine/module.ts'
import { tf } from '../engine/tf.ts'

/** Reads a network's parameters out of its ParamStore as float32 arrays (tfjs tensors stay inside). */
export class Weights {
  constructor(private readonly store: ParamStore) {}

  /** A parameter as stored, e.g. a BatchNorm's statistics rows [nStats, C] or a bias [C]. */
  param(name: string): Float32Array {
    return this.store.get(name).dataSync() as Float32Array
  }

  /** W / σ in the engine's layout (conv HWIO, linear [in, out], embedding [numClasses, dim]). The same tfjs
   *  function the engine's forward calls, on the same backend, so the folded weights are the ones it multiplies. */
  normalised(layer: SpectrallyNormalisedLayer): Float32Array {
    // the tensor, not its values, leaves the tidy: tidy walks a returned typed array element by element
    const folded = tf.tidy(() => spectrallyNormalised(forwardContext(this.store, 'eval'), layer.name, layer.sn, layer.layout))
    try {
      return folded.dataSync() as Float32Array
    } finally {
      folded.dispose()
    }
  }

  /** A conv's W / σ as ONNX wants it, OIHW [out, in, k, k]; `outputs` keeps only the first channels (BigGAN-deep's
   *  128-channel to-RGB conv, of which G keeps 3). */
  convKernel(conv: SNConv2d, outputs = conv.outChannels): Float32Array {
    return hwioToOihw(this.normalised(conv), conv.kernel, conv.inChannels, conv.outChannels, outputs)
  }
}

/** HWIO [k, k, in, out] → OIHW [keep, in, k, k], keeping output channels 0..keep−1. */
export function hwioToOihw(w: Float32Array, k: number, inChannels: number, outChannels: number, keep = outChannels): Float32Array {
  const out = new Float32Array(keep * inChannels * k * k)
  for (let y = 0; y < k; y++) {
    for (let x = 0; x < k; x++) {
      for (let i = 0; i < inChannels; i++) {
        const src = ((y * k + x) * inChannels + i) * outChannels
        for (let o = 0; o < keep; o++) out[((o * inChannels + i) * k + y) * k + x] = w[src + o]
      }
    }
  }
  return out
}

/** The columns of a linear [in, hw·C] whose outputs are NHWC-flattened ((h·w_ + w)·C + c) reordered to NCHW
 *  (c·hw + h·w_ + w), so that a reshape to [batch, C, h, w] needs no transpose. */
export function nhwcColumnsToNchw(w: Float32Array, inFeatures: number, positions: number, channels: number): Float32Array {
  const width = positions * channels
  const out = new Float32Array(w.length)
  for (let r = 0; r < inFeatures; r++) {
    for (let p = 0; p < positions; p++) {
      for (let c = 0; c < channels; c++) out[r * width + c * positions + p] = w[r * width + p * channels + c]
    }
  }
  return out
}

/** The same permutation for a vector [hw·C] (the linear's bias). */
export function nhwcToNchwVector(b: Float32Array, positions: number, channels: number): Float32Array {
  return nhwcColumnsToNchw(b, 1, positions, channels)
}

/** Columns [a | b | …] of matrices [rows, colsᵢ] side by side: [rows, Σ colsᵢ]. */
export function concatColumns(rows: number, parts: { data: Float32Array; cols: number }[]): Float32Array {
  const width = parts.reduce((n, p) => n + p.cols, 0)
  const out = new Float32Array(rows * width)
  let offset = 0
  for (const { data, cols } of parts) {
    for (let r = 0; r < rows; r++) out.set(data.subarray(r * cols, (r + 1) * cols), r * width + offset)
    offset += cols
  }
  return out
}
