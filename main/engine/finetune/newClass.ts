// A new class for a folder the model has never seen (how ajbrock answers "map an unlabelled folder onto a
// class-conditional G" in BigGAN-PyTorch's issues, with BSA's port): one more row in G's shared embedding and in D's
// projection embedding, started as a copy of the nearest existing class (nearestClass.ts) or as the mean of all rows
// (the BSA port's choice), and trained faster than the rest (×10: a new row starts far from where the folder needs
// it, the old ones should barely move). The original rows are copied bit for bit, so every old class keeps rendering
// exactly the same images (BSA: "add a new class without disturbing the original domain").
//
// D's embedding is spectrally normalised with W_mat = E [numClasses, C], so its σ belongs to the whole matrix: a new
// row changes σ, and with it D's projection term for every class by σ_old / σ_new. That is unavoidable (the first
// training power step would do it anyway); what must not happen is a stale u, v pair describing the old matrix. So
// u, v, σ are recomputed by power iteration in float64 on the new matrix, warm-started from the stored v
// (powerIteration.ts). G's shared embedding has no spectral norm (BigGAN-PyTorch: SN there "randomly cripples G").
import { fromFloat32, toFloat32 } from '../../tensors/convert'
import type { RawTensor, TensorMap } from '../../tensors/tensor'
import { classNames } from '../classes'
import { BigGANModel } from '../model'
import { forwardContext, type ParamStore } from '../module'
import { tf } from '../tf'
import { modelPixels } from '../images'
import { spectralState } from './powerIteration'

/** G's shared class embedding [numClasses, sharedDim] and D's projection embedding [numClasses, C]. */
export const sharedEmbeddingWeight = 'G.sharedEmbedding.weight'
export const projectionEmbedding = 'D.embedding'

export interface NewClassOptions {
  /** shown wherever class names are (must differ from every existing name) */
  name: string
  /** where the new rows start: a copy of this existing class's rows (nearestClass.ts chooses it), or the mean of all rows */
  initFrom: 'mean' | number
}

/**
 * A NEW model with numClasses + 1 classes; `model` is left untouched (the caller still owns and disposes it).
 * The new class is the last index. Rows added: G's shared embedding, the EMA's shared embedding (from the EMA's own
 * rows), D's projection embedding with its spectral-norm u, v, σ recomputed. config.classNames gains `name` (the
 * ImageNet names for a 1000-class model without names, "class i" otherwise).
 */
export function addClass(model: BigGANModel, options: NewClassOptions): BigGANModel {
  const { numClasses } = model.config
  const initFrom = options.initFrom
  if (initFrom !== 'mean' && !(Number.isInteger(initFrom) && initFrom >= 0 && initFrom < numClasses)) {
    throw new Error(`addClass: initFrom must be 'mean' or a class index 0–${numClasses - 1}, got ${initFrom}`)
  }
  const names = classNames(model.config)
  const name = options.name.trim()
  if (name === '') throw new Error('addClass: the new class needs a name (the folder name, for example)')
  const clash = names.findIndex((n) => n.trim().toLowerCase() === name.toLowerCase())
  if (clash >= 0) {
    throw new Error(`addClass: class '${name}' already exists as class ${clash}; fine-tune that class instead, or pick another name`)
  }

  const tensors = model.tensors()
  withRow(tensors.G, sharedEmbeddingWeight, initFrom)
  if (tensors.ema) withRow(tensors.ema, sharedEmbeddingWeight, initFrom)
  if (tensors.D) {
    withRow(tensors.D, `${projectionEmbedding}.weight`, initFrom)
    respectralise(tensors.D, projectionEmbedding, model.config.snEps)
  }
  const config = { ...model.config, numClasses: numClasses + 1, classNames: [...names, name] }
  return BigGANModel.fromTensors(config, tensors)
}

/** Replaces the [n, d] tensor `name` by [n + 1, d]: the old rows, then the new row. */
function withRow(tensors: TensorMap, name: string, initFrom: 'mean' | number): void {
  const raw = tensors.get(name)
  if (!raw || raw.shape.length !== 2) throw new Error(`addClass: the model has no 2-D tensor '${name}'`)
  const [n, d] = raw.shape
  const old = toFloat32(raw)
  const out = new Float32Array((n + 1) * d)
  out.set(old)
  if (initFrom === 'mean') {
    const mean = new Float64Array(d)
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += old[i * d + j]
    for (let j = 0; j < d; j++) out[n * d + j] = mean[j] / n
  } else {
    out.set(old.subarray(initFrom * d, (initFrom + 1) * d), n * d)
  }
  tensors.set(name, fromFloat32([n + 1, d], out))
}

/** u, v, σ of an outputs-first spectrally normalised layer, recomputed for its (edited) weight. */
function respectralise(tensors: TensorMap, layer: string, eps: number): void {
  const weight = tensors.get(`${layer}.weight`) as RawTensor
  const [rows, cols] = weight.shape
  const oldV = tensors.get(`${layer}.v`)
  const { u, v, sigma } = spectralState(toFloat32(weight), rows, cols, oldV ? toFloat32(oldV) : undefined, 10, eps)
  tensors.set(`${layer}.u`, fromFloat32([rows], Float32Array.from(u)))
  tensors.set(`${layer}.v`, fromFloat32([cols], Float32Array.from(v)))
  tensors.set(`${layer}.sigma`, fromFloat32([1], Float32Array.of(sigma)))
}

/**
 * Per-element scales for the class embeddings: ones everywhere, `factor` on row `classIndex`, by parameter name
 * (G's shared embedding, and D's projection embedding where the model has a D); and `factor` on all of G's output
 * layers (colourLayers). The caller owns the tensors.
 *
 * With plain SGD, multiply them into the gradients. With Adam (train/optimiser.ts, what every BigGAN recipe uses)
 * that is a no-op: Adam divides each element's step by the running RMS of its own gradient, so a constant factor
 * on a row's gradient cancels (up to ε). "×10 lr for the class row" under Adam means ×10 on the row's STEP:
 * wrap the optimiser call in withScaledUpdates(params, scales, () => adam.apply(grads)).
 */
export function newClassGradientScale(model: BigGANModel, classIndex: number | number[], factor: number): Map<string, tf.Tensor> {
  const { numClasses } = model.config
  const classes = Array.isArray(classIndex) ? classIndex : [classIndex]
  for (const c of classes) {
    if (!(Number.isInteger(c) && c >= 0 && c < numClasses)) {
      throw new Error(`newClassGradientScale: class ${c} does not exist (0–${numClasses - 1})`)
    }
  }
  if (!(Number.isFinite(factor) && factor > 0)) throw new Error(`newClassGradientScale: factor must be > 0, got ${factor}`)
  const rows = new Float32Array(numClasses).fill(1)
  for (const c of classes) rows[c] = factor
  const scale = (width: number): tf.Tensor =>
    tf.tidy(() => tf.mul(tf.ones([numClasses, width]), tf.tensor2d(rows, [numClasses, 1])))
  const scales = new Map<string, tf.Tensor>([[sharedEmbeddingWeight, scale(model.config.sharedDim)]])
  if (model.D) {
    const [, width] = model.params.get(`${projectionEmbedding}.weight`).shape as [number, number]
    scales.set(`${projectionEmbedding}.weight`, scale(width))
  }
  for (const name of colourLayers) {
    if (model.params.has(name)) scales.set(name, tf.fill(model.params.get(name).shape, factor))
  }
  return scales
}

/** G's output layers, which make the image's colours: they step as fast as the new rows. A G trained on grey
 *  images draws R = G = B through them, and at the fine-tune's G rate they barely move: the default model, fine-tuned
 *  150 steps on 135 orange sandals, drew 0 % orange ones. */
const colourLayers = ['G.outputBn.gain', 'G.outputBn.bias', 'G.toRgb.weight', 'G.toRgb.bias']

/**
 * Runs `update` (an optimiser step on `params`) and then scales each listed parameter's change element-wise:
 * p ← p + (s − 1)·(p − p_before). Elements with s = 1 keep exactly the optimiser's value. Parameters not in
 * `params` are skipped (so G's and D's scales can both be passed to either network's step).
 */
export function withScaledUpdates(params: ParamStore, scales: ReadonlyMap<string, tf.Tensor>, update: () => void): void {
  const before = new Map<string, tf.Tensor>()
  for (const name of scales.keys()) if (params.has(name)) before.set(name, tf.clone(params.get(name)))
  try {
    update()
    for (const [name, old] of before) {
      const p = params.get(name)
      const s = scales.get(name) as tf.Tensor
      tf.tidy(() => p.assign(tf.add(p, tf.mul(tf.sub(s, 1), tf.sub(p, old)))))
    }
  } finally {
    tf.dispose([...before.values()])
  }
}

/**
 * How strongly D's projection head ties the images to each class: for every class k, Σ over images of
 * ⟨E_SN[k], h(x)⟩, with h D's pooled features and E_SN its spectrally normalised class embedding. [numClasses]
 *
 * D(x, y) = w·h + b + ⟨y E_SN, h⟩ is linear in y, so ∂D/∂y_k = ⟨E_SN[k], h⟩ = D(x, onehot k) − D(x, 0): one
 * forward and a backward through the projection only (tfjs differentiates just the path from y) gives every class
 * at once, for both architectures, without reaching into D's features. `images`: [count, R, R, 3], float in [−1, 1]
 * or uint8; D in eval mode (stored spectral-norm vectors).
 */
export async function classEvidence(
  model: BigGANModel, images: Float32Array | Uint8Array, count: number, batch = 8,
): Promise<Float64Array> {
  const D = model.D
  if (!D) throw new Error('classEvidence needs a discriminator; this model is generator-only')
  const { resolution: r, numClasses } = model.config
  const x = modelPixels(images, count, r)
  const evidence = new Float64Array(numClasses)
  for (let start = 0; start < count; start += batch) {
    const b = Math.min(batch, count - start)
    const grads = tf.tidy(() => {
      const xs = tf.tensor4d(x.subarray(start * r * r * 3, (start + b) * r * r * 3), [b, r, r, 3])
      const ctx = forwardContext(model.params, 'eval')
      return tf.grad((y: tf.Tensor) => tf.sum(D.apply(ctx, xs, y as tf.Tensor2D)))(tf.zeros([b, numClasses]))
    })
    try {
      const values = await grads.data() // [b, numClasses]
      for (let i = 0; i < b; i++) for (let k = 0; k < numClasses; k++) evidence[k] += values[i * numClasses + k]
    } finally {
      grads.dispose()
    }
  }
  return evidence
}
