// Spectral normalisation (Miyato et al. 2018) as BigGAN uses it on every conv and linear of G and D: the weight is
// divided by an estimate of its largest singular value σ, kept by one power-iteration step per training forward.
//   W_mat = the weight as [out, fanIn];  normalize(x) = x / max(‖x‖, eps)  (PyTorch's F.normalize)
//   v' = normalize(W_matᵀ u);  u' = normalize(W_mat v');  σ = u'ᵀ W_mat v';  W_SN = W / σ
// u' and v' are constants for the gradient (BigGAN-PyTorch computes them under no_grad), so ∂σ/∂W = u' v'ᵀ.
import type { SpectralNormInference } from '../config'
import type { Forward, Ops } from '../forward'
import { Module, type ParamRole, type ParamStore } from '../module'
import { tfjsOps } from '../ops/tfjs'
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
 * train: one power step from the stored u; new u, v, σ recorded.
 * eval 'stored': σ = uᵀ W_mat v with the stored vectors. eval 'power-step': one step from the stored u, not recorded
 * (BigGAN-PyTorch's G.eval() still runs it, without writing back).
 */
export function spectrallyNormalised<T>(f: Forward<T>, layer: string, sn: SpectralNormSettings, layout: WeightLayout = 'outputs-last'): T {
  const { ops } = f
  const weight = f.param(`${layer}.weight`)
  const u = f.param(`${layer}.u`)
  const w = weightMatrix(ops, weight, layout, ops.shape(u)[0])

  if (f.mode === 'eval' && sn.inference === 'stored') {
    const v = f.param(`${layer}.v`)
    return ops.div(weight, dot(ops, u, w.times(v)))
  }
  const vNext = ops.stopGradient(normalize(ops, w.transposeTimes(u), sn.eps))
  const uNext = ops.stopGradient(normalize(ops, w.times(vNext), sn.eps))
  const sigma = dot(ops, uNext, w.times(vNext))
  if (f.mode === 'train') {
    f.record(`${layer}.u`, uNext)
    f.record(`${layer}.v`, vNext)
    f.record(`${layer}.sigma`, ops.reshape(ops.stopGradient(sigma), [1]))
  }
  return ops.div(weight, sigma)
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
  normalisedWeight<T>(f: Forward<T>): T {
    return spectrallyNormalised(f, this.name, this.sn, this.layout)
  }
}

/** Products with W_mat [out, fanIn] that never materialise the transpose of an outputs-last weight. */
interface WeightMatrix<T> {
  /** W_mat x: [fanIn] → [out] */
  times(x: T): T
  /** W_matᵀ y: [out] → [fanIn] */
  transposeTimes(y: T): T
}

function weightMatrix<T>(ops: Ops<T>, weight: T, layout: WeightLayout, out: number): WeightMatrix<T> {
  if (layout === 'outputs-last') {
    const wT = ops.reshape(weight, [-1, out]) // W_matᵀ [fanIn, out]
    return {
      times: (x) => ops.reshape(ops.matMul(ops.reshape(x, [1, -1]), wT), [out]),
      transposeTimes: (y) => ops.reshape(ops.matMul(wT, ops.reshape(y, [out, 1])), [-1]),
    }
  }
  const w = ops.reshape(weight, [out, -1]) // W_mat [out, fanIn]
  return {
    times: (x) => ops.reshape(ops.matMul(w, ops.reshape(x, [-1, 1])), [out]),
    transposeTimes: (y) => ops.reshape(ops.matMul(ops.reshape(y, [1, out]), w), [-1]),
  }
}

function normalize<T>(ops: Ops<T>, x: T, eps: number): T {
  return ops.div(x, ops.maximum(ops.norm(x), eps))
}

function dot<T>(ops: Ops<T>, a: T, b: T): T {
  return ops.sum(ops.mul(a, b))
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
      const w = weightMatrix<tf.Tensor>(tfjsOps, params.get(`${name}.weight`), layer.layout, layer.outputs)
      let u: tf.Tensor = params.get(`${name}.u`)
      let v: tf.Tensor = params.get(`${name}.v`)
      for (let i = 0; i < iterations; i++) {
        v = normalize(tfjsOps, w.transposeTimes(u), layer.sn.eps)
        u = normalize(tfjsOps, w.times(v), layer.sn.eps)
      }
      params.get(`${name}.u`).assign(u)
      params.get(`${name}.v`).assign(v)
      params.get(`${name}.sigma`).assign(tf.reshape(dot(tfjsOps, u, w.times(v)), [1]))
    })
  }
}
