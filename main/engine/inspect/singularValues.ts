// The top singular values of every spectrally normalised weight, as the paper monitors them (§4, Appendix F):
// σ0, σ1, σ2 of W_mat [out, fanIn] and its Frobenius norm. G's first layer's σ0 exploding is the collapse signal.
//
// Deflated power iteration, as BigGAN-PyTorch's SN with num_svs > 1 (layers.power_iteration): for i = 0..k−1
//   v_i ← normalize(gramSchmidt(W_matᵀ u_i, v_0..v_{i−1}));  u_i ← normalize(gramSchmidt(W_mat v_i, u_0..u_{i−1}))
//   σ_i = u_iᵀ W_mat v_i
// v_i depends on the old u_i and the new v_<i only, so each step is two matrix products over all k vectors at once
// ([k, out] · W_mat, then [k, fanIn] · W_matᵀ) followed by the cheap Gram–Schmidt on k short rows.
// The weights move slowly, so one step per call from the previous call's vectors keeps the estimates accurate
// (BigGAN-PyTorch runs one step per forward). σ0 starts from the spectral norm's own u where the network has one:
// it receives a power step on every training forward, so it is usually ahead of the tracker's (whichever of the two
// gives the longer W_matᵀ u is used; the stored v adds nothing, being normalize(W_matᵀ u) of the previous u).
import type { Module, ParamStore } from '../module'
import { Random } from '../sampling/random'
import { SpectrallyNormalisedLayer, type WeightLayout } from '../layers/spectralNorm'
import { tf } from '../tf'

/** The spectrum of one weight: its top singular values (largest first) and Frobenius norm. */
export interface LayerSpectrum {
  layer: string
  /** σ0 ≥ σ1 ≥ σ2 of W_mat (ordered once converged); a weight of rank below 3 (e.g. D's [ch, 1] output linear)
   *  reports zeros past its rank */
  sigma: number[]
  frobenius: number
}

export interface SpectralTrackerOptions {
  /** how many singular values to track (3 in the paper's plots, BigGAN-PyTorch's --num_G_SVs 3) */
  count?: number
  /** power steps per call once a layer has kept vectors (BigGAN-PyTorch: 1 per forward) */
  iterations?: number
  /** power steps on a layer's first call, from the stored SN u (or a random start) */
  firstIterations?: number
  /** the floor of F.normalize's divisor */
  eps?: number
  /** seeds the random starting vectors (with the layer name, so results do not depend on the order of layers) */
  seed?: number
}

const defaults: Required<SpectralTrackerOptions> = { count: 3, iterations: 1, firstIterations: 10, eps: 1e-12, seed: 0 }

/** W_mat's [rows = out, columns = fanIn] for a weight of this shape and layout. */
export function weightMatrixShape(shape: readonly number[], layout: WeightLayout): [number, number] {
  if (shape.length < 1) throw new Error(`singular values need a weight of rank ≥ 1, got shape [${shape.join(', ')}]`)
  const out = layout === 'outputs-last' ? shape[shape.length - 1] : shape[0]
  const size = shape.reduce((a, b) => a * b, 1)
  return [out, out === 0 ? 0 : size / out]
}

interface Kept {
  /** rows u_0..u_{k−1}: [k, out] */
  u: tf.Tensor2D
  /** rows v_0..v_{k−1}: [k, fanIn] */
  v: tf.Tensor2D
}

/**
 * Keeps, per layer, the k left and right singular vectors between calls and advances them by power steps on the
 * current weight. Owns those vectors (two tensors per layer); `dispose()` frees them.
 */
export class SpectralTracker {
  readonly options: Required<SpectralTrackerOptions>
  private readonly kept = new Map<string, Kept>()

  constructor(options: SpectralTrackerOptions = {}) {
    const given = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined))
    this.options = { ...defaults, ...given }
    const { count, iterations, firstIterations } = this.options
    for (const [name, value] of Object.entries({ count, iterations, firstIterations })) {
      if (!Number.isInteger(value) || value < 1) {
        throw new Error(`spectral tracker: option ${name} must be an integer ≥ 1, got ${value}`)
      }
    }
  }

  /** Layers that have kept vectors. */
  layers(): string[] {
    return [...this.kept.keys()]
  }

  /** Tensors the tracker holds (two per layer). */
  get tensorCount(): number {
    return this.kept.size * 2
  }

  /**
   * Advances the vectors of `layer` on `weight` and returns [σ0 … σ_{count−1}, ‖W‖_F] as a tensor the caller owns.
   * `snU` [out] is the layer's spectral-norm u, used as a candidate start for σ0.
   */
  step(layer: string, weight: tf.Tensor, layout: WeightLayout, snU?: tf.Tensor): tf.Tensor1D {
    const [out, fanIn] = weightMatrixShape(weight.shape, layout)
    const { count, eps } = this.options
    const k = Math.min(count, out, fanIn)
    if (snU && snU.size !== out) {
      const shape = weight.shape.join(', ')
      throw new Error(`spectral tracker: '${layer}' has a u of ${snU.size} values but its weight [${shape}] has ${out} outputs`)
    }
    let previous = this.kept.get(layer)
    if (previous && (previous.u.shape[0] !== k || previous.u.shape[1] !== out || previous.v.shape[1] !== fanIn)) {
      this.forget(layer) // the layer changed shape: start again
      previous = undefined
    }
    const iterations = previous ? this.options.iterations : this.options.firstIterations
    const seed = this.options.seed
    const result = tf.tidy(() => {
      const w = matrix(weight, layout, out)
      let u = previous ? previous.u : orthonormalRows(startingVectors(layer, seed, k, out), eps)
      let v = previous?.v
      let sigma: tf.Tensor1D = tf.zeros([k])
      for (let it = 0; it < iterations; it++) {
        // [k, fanIn]: row i is W_matᵀ u_i
        let vRaw = w.leftTimes(u)
        if (it === 0 && snU) vRaw = betterTopStart(w.leftTimes(orthonormalRows(tf.reshape(snU, [1, out]), eps)), vRaw)
        v = orthonormalRows(vRaw, eps)
        const uRaw = w.rightTimes(v) // [k, out]: row i is W_mat v_i
        u = orthonormalRows(uRaw, eps)
        sigma = tf.sum(tf.mul(u, uRaw), 1) // u_iᵀ W_mat v_i
      }
      const padded = k < count ? tf.concat([sigma, tf.zeros([count - k])]) : sigma
      return { u: u as tf.Tensor2D, v: v as tf.Tensor2D, values: tf.concat([padded, tf.reshape(tf.norm(weight), [1])]) }
    })
    if (previous) {
      previous.u.dispose()
      previous.v.dispose()
    }
    this.kept.set(layer, { u: result.u, v: result.v })
    return result.values as tf.Tensor1D
  }

  /** Advances `layer` and reads its spectrum back. */
  async measure(layer: string, weight: tf.Tensor, layout: WeightLayout, snU?: tf.Tensor): Promise<LayerSpectrum> {
    const values = this.step(layer, weight, layout, snU)
    try {
      return toSpectrum(layer, await values.data(), this.options.count)
    } finally {
      values.dispose()
    }
  }

  /** Drops the vectors of one layer. */
  forget(layer: string): void {
    const kept = this.kept.get(layer)
    if (!kept) return
    kept.u.dispose()
    kept.v.dispose()
    this.kept.delete(layer)
  }

  dispose(): void {
    for (const layer of [...this.kept.keys()]) this.forget(layer)
  }
}

/** The top `count` (default 3) singular values and Frobenius norm of one weight, from scratch: `iterations` (default
 *  100) power steps from a random start, or from `snU` for σ0. */
export async function singularValues(
  weight: tf.Tensor,
  layout: WeightLayout = 'outputs-last',
  options: { count?: number; iterations?: number; snU?: tf.Tensor } = {},
): Promise<LayerSpectrum> {
  const tracker = new SpectralTracker({ count: options.count, firstIterations: options.iterations ?? 100 })
  try {
    return await tracker.measure('weight', weight, layout, options.snU)
  } finally {
    tracker.dispose()
  }
}

/**
 * One tracker step on every spectrally normalised weight of `module` (the layers whose specs include an 'sn-u'),
 * in declaration order, read back together. The tracker keeps the vectors for the next call.
 */
export async function spectra(module: Module, params: ParamStore, tracker: SpectralTracker): Promise<LayerSpectrum[]> {
  const layers = snLayers(module)
  const values: tf.Tensor1D[] = []
  try {
    for (const { layer, layout } of layers) {
      values.push(tracker.step(layer, params.get(`${layer}.weight`), layout, params.get(`${layer}.u`)))
    }
    if (values.length > 0) values.push(tf.concat(values)) // one read-back for the whole network
    const all = values.length > 0 ? await values[values.length - 1].data() : new Float32Array(0)
    const width = tracker.options.count + 1
    return layers.map(({ layer }, i) => toSpectrum(layer, all.subarray(i * width, (i + 1) * width), tracker.options.count))
  } finally {
    for (const t of values) t.dispose()
  }
}

/** Every spectrally normalised layer of a network with its weight layout: the layers declaring an 'sn-u'. */
export function snLayers(module: Module): { layer: string; layout: WeightLayout }[] {
  const layouts = new Map<string, WeightLayout>()
  const walk = (m: Module): void => {
    if (m instanceof SpectrallyNormalisedLayer) layouts.set(m.name, m.layout)
    m.children.forEach(walk)
  }
  walk(module)
  const specs = module.specs()
  const byName = new Map(specs.map((s) => [s.name, s]))
  return specs
    .filter((s) => s.role === 'sn-u')
    .map((s) => {
      const layer = s.name.slice(0, -'.u'.length)
      const weight = byName.get(`${layer}.weight`)
      if (!s.name.endsWith('.u') || !weight) {
        throw new Error(`spectral norm state '${s.name}' has no weight '${layer}.weight' beside it in ${module.name}`)
      }
      // a layer class other than SpectrallyNormalisedLayer: embeddings keep outputs first, everything else last
      const layout = layouts.get(layer) ?? (weight.role === 'embedding' ? 'outputs-first' : 'outputs-last')
      return { layer, layout }
    })
}

function toSpectrum(layer: string, values: ArrayLike<number>, count: number): LayerSpectrum {
  return { layer, sigma: Array.from({ length: count }, (_, i) => values[i]), frobenius: values[count] }
}

/** Products of row stacks with W_mat [out, fanIn] that never materialise the transpose of an outputs-last weight. */
interface Matrix {
  /** rows of X W_mat: [k, out] → [k, fanIn] */
  leftTimes(x: tf.Tensor2D): tf.Tensor2D
  /** rows of X W_matᵀ: [k, fanIn] → [k, out] */
  rightTimes(x: tf.Tensor2D): tf.Tensor2D
}

function matrix(weight: tf.Tensor, layout: WeightLayout, out: number): Matrix {
  if (layout === 'outputs-last') {
    const wT: tf.Tensor2D = tf.reshape(weight, [-1, out]) // W_matᵀ [fanIn, out]
    return { leftTimes: (x) => tf.matMul(x, wT, false, true), rightTimes: (x) => tf.matMul(x, wT) }
  }
  const w: tf.Tensor2D = tf.reshape(weight, [out, -1]) // W_mat [out, fanIn]
  return { leftTimes: (x) => tf.matMul(x, w), rightTimes: (x) => tf.matMul(x, w, false, true) }
}

/** Normalised rows, each made orthogonal to the rows before it (modified Gram–Schmidt, as BigGAN-PyTorch). */
function orthonormalRows(x: tf.Tensor2D, eps: number): tf.Tensor2D {
  const rows = tf.unstack(x) as tf.Tensor1D[]
  const done: tf.Tensor1D[] = []
  for (let row of rows) {
    for (const y of done) row = tf.sub(row, tf.mul(tf.div(dot(row, y), tf.maximum(dot(y, y), eps)), y))
    done.push(tf.div(row, tf.maximum(tf.norm(row), eps)))
  }
  return tf.stack(done) as tf.Tensor2D
}

function dot(a: tf.Tensor1D, b: tf.Tensor1D): tf.Scalar {
  return tf.sum(tf.mul(a, b))
}

/** Replaces row 0 of `kept` ([k, fanIn], W_matᵀ u_i) by `candidate` ([1, fanIn]) when that is longer: for unit u,
 *  ‖W_matᵀ u‖ ≤ σ0, so the longer one starts closer to the top singular pair. Chosen on the device, no read-back. */
function betterTopStart(candidate: tf.Tensor2D, kept: tf.Tensor2D): tf.Tensor2D {
  const top = tf.slice(kept, [0, 0], [1, -1])
  const chosen = tf.where(tf.greater(tf.norm(candidate), tf.norm(top)), candidate, top)
  return kept.shape[0] === 1 ? chosen : tf.concat([chosen, tf.slice(kept, [1, 0], [-1, -1])])
}

/** Seeded random rows [k, n], not normalised: a fixed start per (seed, layer), whatever order layers are visited in. */
function startingVectors(layer: string, seed: number, k: number, n: number): tf.Tensor2D {
  let h = 0x811c9dc5 ^ seed // FNV-1a of the layer name
  for (let i = 0; i < layer.length; i++) h = Math.imul(h ^ layer.charCodeAt(i), 0x01000193)
  return tf.tensor2d(new Random(h >>> 0).normals(k * n), [k, n])
}
