// Spectral normalisation (Miyato et al. 2018) as BigGAN uses it on every conv and linear of G and D: the weight is
// divided by an estimate of its largest singular value σ, kept by one power-iteration step per training forward.
//   W_mat = the weight as [out, fanIn];  normalize(x) = x / max(‖x‖, eps)  (PyTorch's F.normalize)
//   v' = normalize(W_matᵀ u);  u' = normalize(W_mat v');  σ = u'ᵀ W_mat v';  W_SN = W / σ
// u' and v' are constants for the gradient (BigGAN-PyTorch computes them under no_grad), so ∂σ/∂W = u' v'ᵀ.
import type { SpectralNormInference } from '../config'
import { Module, recordUpdate, type ForwardContext, type ParamRole, type ParamStore } from '../module'
import { stopGradient } from '../ops/stopGradient'
import { tf } from '../tf'

export interface SpectralNormSettings {
  eps: number
  inference: SpectralNormInference
}

/** Where a weight keeps its output axis. Convs (HWIO) and linears ([in, out]) keep it last, so W_mat flattens
 *  (kh, kw, in) into fanIn; an embedding [numClasses, dim] has one row per class, so its outputs are the classes. */
export type WeightLayout = 'outputs-last' | 'outputs-first'

/**
 * The weight `${layer}.weight` divided by σ, reading `${layer}.u` [out], `${layer}.v` [fanIn], `${layer}.sigma` [1].
 * train: one power step from the stored u; new u, v, σ recorded in ctx.updates.
 * eval 'stored': σ = uᵀ W_mat v with the stored vectors. eval 'power-step': one step from the stored u, not recorded
 * (BigGAN-PyTorch's G.eval() still runs it, without writing back).
 */
export function spectrallyNormalised(
  ctx: ForwardContext,
  layer: string,
  sn: SpectralNormSettings,
  layout: WeightLayout = 'outputs-last',
): tf.Tensor {
  const weight = ctx.params.get(`${layer}.weight`)
  const u = ctx.params.get(`${layer}.u`) as tf.Tensor1D
  const w = weightMatrix(weight, layout, u.shape[0])

  if (ctx.mode === 'eval' && sn.inference === 'stored') {
    const v = ctx.params.get(`${layer}.v`) as tf.Tensor1D
    return tf.div(weight, dot(u, w.times(v)))
  }
  const vNext = stopGradient(normalize(w.transposeTimes(u), sn.eps))
  const uNext = stopGradient(normalize(w.times(vNext), sn.eps))
  const sigma = dot(uNext, w.times(vNext))
  if (ctx.mode === 'train') {
    recordUpdate(ctx, `${layer}.u`, uNext)
    recordUpdate(ctx, `${layer}.v`, vNext)
    recordUpdate(ctx, `${layer}.sigma`, tf.reshape(stopGradient(sigma), [1]))
  }
  return tf.div(weight, sigma)
}

/** A layer whose weight is spectrally normalised: declares the weight and its power-iteration state together. */
export abstract class SpectrallyNormalisedLayer extends Module {
  /** rows of W_mat */
  readonly outputs: number
  /** columns of W_mat */
  readonly fanIn: number

  constructor(
    name: string,
    readonly sn: SpectralNormSettings,
    weightShape: number[],
    readonly layout: WeightLayout,
    weightRole: ParamRole = 'weight',
  ) {
    super(name)
    this.outputs = layout === 'outputs-last' ? weightShape[weightShape.length - 1] : weightShape[0]
    this.fanIn = weightShape.reduce((a, b) => a * b, 1) / this.outputs
    this.declare('weight', weightShape, weightRole)
    this.declare('u', [this.outputs], 'sn-u')
    this.declare('v', [this.fanIn], 'sn-v')
    this.declare('sigma', [1], 'sn-sigma')
  }

  /** W / σ(W) */
  protected normalisedWeight(ctx: ForwardContext): tf.Tensor {
    return spectrallyNormalised(ctx, this.name, this.sn, this.layout)
  }
}

/** Products with W_mat [out, fanIn] that never materialise the transpose of an outputs-last weight. */
interface WeightMatrix {
  /** W_mat x: [fanIn] → [out] */
  times(x: tf.Tensor1D): tf.Tensor1D
  /** W_matᵀ y: [out] → [fanIn] */
  transposeTimes(y: tf.Tensor1D): tf.Tensor1D
}

function weightMatrix(weight: tf.Tensor, layout: WeightLayout, out: number): WeightMatrix {
  if (layout === 'outputs-last') {
    const wT = tf.reshape(weight, [-1, out]) // W_matᵀ [fanIn, out]
    return {
      times: (x) => tf.reshape(tf.matMul(tf.reshape(x, [1, -1]), wT), [out]),
      transposeTimes: (y) => tf.reshape(tf.matMul(wT, tf.reshape(y, [out, 1])), [-1]),
    }
  }
  const w = tf.reshape(weight, [out, -1]) // W_mat [out, fanIn]
  return {
    times: (x) => tf.reshape(tf.matMul(w, tf.reshape(x, [-1, 1])), [out]),
    transposeTimes: (y) => tf.reshape(tf.matMul(tf.reshape(y, [1, out]), w), [-1]),
  }
}

function normalize(x: tf.Tensor1D, eps: number): tf.Tensor1D {
  return tf.div(x, tf.maximum(tf.norm(x), eps))
}

function dot(a: tf.Tensor1D, b: tf.Tensor1D): tf.Scalar {
  return tf.sum(tf.mul(a, b))
}

/**
 * Power iteration to convergence on every spectrally normalised layer under `root`, storing u, v, σ. Initialisation
 * draws u and v at random, and the 'stored' inference σ = uᵀ W v of random unit vectors is a tiny fraction of the
 * true σ: a freshly initialised generator would divide its weights by it and overflow within a few blocks. Training
 * converges the pair one step per forward; a model that is sampled before any training needs it done here.
 */
export function settleSpectralNorms(root: Module, params: ParamStore, iterations = 30): void {
  const layers: SpectrallyNormalisedLayer[] = []
  const visit = (m: Module): void => {
    if (m instanceof SpectrallyNormalisedLayer) layers.push(m)
    m.children.forEach(visit)
  }
  visit(root)
  for (const layer of layers) {
    const name = layer.name
    tf.tidy(() => {
      const w = weightMatrix(params.get(`${name}.weight`), layer.layout, layer.outputs)
      let u = params.get(`${name}.u`) as tf.Tensor1D
      let v = params.get(`${name}.v`) as tf.Tensor1D
      for (let i = 0; i < iterations; i++) {
        v = normalize(w.transposeTimes(u), layer.sn.eps)
        u = normalize(w.times(v), layer.sn.eps)
      }
      params.get(`${name}.u`).assign(u)
      params.get(`${name}.v`).assign(v)
      params.get(`${name}.sigma`).assign(tf.reshape(dot(u, w.times(v)), [1]))
    })
  }
}
