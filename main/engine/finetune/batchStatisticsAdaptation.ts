// Fine-tuning without a discriminator, in the spirit of batch statistics adaptation (BSA; Noguchi & Harada, ICCV'19,
// arXiv 1904.01774), the safe choice below ~100 images or without a D: it does not collapse, though it reconstructs
// and interpolates more than it invents. Supervised, not adversarial: each training
// image i gets its own latent z_i, and G learns to reconstruct image i from (z_i, its class). Trained: what produces
// the conditional BatchNorms' scales and shifts (the raw weights of every `<bn>.gain` / `<bn>.bias` SN-linear of G),
// the latents, and [ours] the class embedding and G's output layers (the output BatchNorm's gain and bias and the
// to-RGB conv): BSA's scales and shifts alone cannot move colour the model never drew (a grey Fashion-MNIST G kept
// drawing grey sandals for an orange folder), nor move the new class's row away from the class it was copied from.
// Everything else in G is frozen, and G runs in eval mode (as apple2373's PyTorch
// port of BSA does): BatchNorm normalises with the stored statistics (the per-truncation rows at
// ψ = 1 for the released BigGAN-deep weights) and spectral norm divides by σ = uᵀWv with the stored u, v, so the
// gradient reaches the raw projection weights through σ too, exactly as the forward that renders them.
//
// Loss = L1(G(z_i), x_i) + L1 at ½ and ¼ size (2×2 and 4×4 average pools) + λ · mean(z²).
// BSA adds a perceptual loss from an ImageNet VGG16 (port: 0.001 × per-layer L1). No pretrained VGG ships with the
// studio or can be fetched offline, and the feature nets it does have are the ones the evaluation measures with, so
// training against them would flatter the evaluation. The multi-scale L1 stands in: the pooled terms
// weigh layout and colour (low frequencies) more than the full-resolution L1 does, which is what makes the
// perceptual term forgiving of detail that a reconstruction cannot match. Expect softer images than BSA's.
// The latent term is the Gaussian prior's −log p(z) up to scale (‖z‖², averaged), keeping each z_i where G was
// trained; λ = 0.01 [ours]. BSA itself uses an earth-mover term towards N(0, I) (weight 0.1), which also keeps the
// latents spread out rather than pulled towards 0.
//
// Settings from the PyTorch port: lr 5e-4 for the gain/bias projections, 5e-2 (100×) for the latents, lr ×0.1 every
// 3 000 of 10 000 iterations (here: every 30% of the run), batch 25. Adam β (0.9, 0.999), ε 1e-8 are torch's defaults
// [ours: the port's own were not recorded]. Not trained here, unlike the port: G's first linear (1e-7); the class
// embedding and output layers train at the projections' rate. For a folder that is no existing class, add a class
// first (newClass.ts) and adapt that class.
import { fromFloat32, toFloat32 } from '../../tensors/convert'
import type { TensorMap } from '../../tensors/tensor'
import { ConditionalBatchNorm } from '../layers/batchNorm'
import { BigGANModel } from '../model'
import { forwardContext, ParamStore, type Module } from '../module'
import type { Ops } from '../forward'
import { tfjsOps } from '../ops/tfjs'
import { Random, type RandomState } from '../sampling/random'
import { truncatedNormal } from '../sampling/truncation'
import { tf } from '../tf'
import { Adam, type AdamSettings, type AdamState } from '../train/optimiser'
import { timeWarm } from '../train/stepTiming'
import { modelPixels, oneHot } from '../images'

export interface BsaImages {
  /** [count, R, R, 3] at G's resolution: float in [−1, 1], or the folder loader's uint8 */
  pixels: Float32Array | Uint8Array
  /** each image's class as a MODEL class index (map folder labels first) */
  labels: ArrayLike<number>
  count: number
}

export interface BsaSettings {
  /** length of the run; the learning-rate decay is scaled to it */
  steps: number
  /** Adam lr of the BN gain/bias projection weights (port: 5e-4) */
  lr: number
  /** images per step (port: 25); at most the image count */
  batch: number
  /** seeds the latents' initialisation and the batch draws */
  seed: number
  /** Adam lr of the latents; default 100 × lr (port: 5e-2) */
  latentLr?: number
  /** λ of the latent prior mean(z²); default 0.01 [ours] */
  latentWeight?: number
  /** also adapt the class embedding and the output layers (bsaTrainableNames); default true. Runs saved before
   *  this setting existed adapted the projections alone, and resume that way. */
  adaptOutput?: boolean
}

/** The PyTorch port's values: 10 000 iterations, batch 25, lr 5e-4. */
export const bsaDefaults = { steps: 10_000, lr: 5e-4, batch: 25, latentWeight: 0.01 } as const

export interface BsaLosses {
  total: number
  /** full-resolution L1 */
  l1: number
  /** L1 at ½ plus L1 at ¼ size */
  multiScaleL1: number
  /** mean(z²) of the batch's latents (before λ) */
  latentPrior: number
}

const latentsName = 'latents'

/**
 * The trainable parameters: every conditional BatchNorm's gain and bias projection weight in G; with `output`, also
 * the class embedding (only the rows of the folder's classes receive gradient) and the layers that make colour, the
 * output BatchNorm's gain and bias and the to-RGB conv. A G trained on grey images draws its three channels alike
 * through one to-RGB conv; the projections only rescale features before it, so without `output` no step can turn
 * grey into orange, and the class row stays where it was copied from.
 */
export function bsaTrainableNames(G: Module, output = true): string[] {
  const names: string[] = []
  const walk = (m: Module): void => {
    if (m instanceof ConditionalBatchNorm) names.push(`${m.gain.name}.weight`, `${m.bias.name}.weight`)
    m.children.forEach(walk)
  }
  walk(G)
  if (!output) return names
  const has = new Set(G.specs().map((spec) => spec.name))
  return [...names, ...outputParameters.filter((name) => has.has(name))]
}

/** The class embedding and G's colour-making output layers (both architectures name them alike). */
const outputParameters = ['G.sharedEmbedding.weight', 'G.outputBn.gain', 'G.outputBn.bias', 'G.toRgb.weight', 'G.toRgb.bias']

/** A NEW model to adapt: G holds the weights that render (the EMA where the model has one), D is copied unchanged,
 *  and there is no EMA (an unadapted one would go on rendering the old domain). `model` stays the caller's. */
export function bsaStartingModel(model: BigGANModel): BigGANModel {
  const tensors = model.tensors()
  return BigGANModel.fromTensors(model.config, { G: tensors.ema ?? tensors.G, ...(tensors.D ? { D: tensors.D } : {}) })
}

/** One adaptation in progress. It trains `model` in place (the caller owns the model) and owns the latents, the
 *  optimisers and the random stream; dispose() frees those. */
export class BsaState {
  step = 0
  /** names of the trained G parameters (bsaTrainableNames) */
  readonly trainable: string[]
  /** owns the latents [count, zDim] under the name 'latents' */
  readonly latentStore = new ParamStore()
  readonly pixels: Float32Array
  readonly labels: Int32Array
  readonly count: number
  readonly settings: Required<BsaSettings>
  rng: Random
  /** the optimisers' settings, owned here: the learning-rate schedule writes their learningRate before each step */
  readonly projectionSettings: AdamSettings
  readonly latentSettings: AdamSettings
  projectionAdam: Adam
  latentAdam: Adam

  constructor(readonly model: BigGANModel, images: BsaImages, settings: BsaSettings) {
    this.settings = checkSettings(settings)
    const { resolution, numClasses } = model.config
    this.count = images.count
    this.pixels = modelPixels(images.pixels, images.count, resolution, 'BSA images')
    if (images.labels.length !== images.count) {
      throw new Error(`BSA images: ${images.labels.length} labels for ${images.count} images`)
    }
    oneHot(images.labels, numClasses, 'BSA labels') // checks every label
    this.labels = Int32Array.from(images.labels)
    this.trainable = bsaTrainableNames(model.G, this.settings.adaptOutput)
    this.rng = new Random(this.settings.seed)
    const z = truncatedNormal(this.rng, this.count * model.config.zDim, 2) // ψ = 1: TN(−2, 2), the released convention
    tf.tidy(() => this.latentStore.set(latentsName, tf.tensor2d(z, [this.count, model.config.zDim]), true))
    const adam = (learningRate: number): AdamSettings => ({ learningRate, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 })
    this.projectionSettings = adam(this.settings.lr)
    this.latentSettings = adam(this.settings.latentLr)
    this.projectionAdam = new Adam(model.params, this.projectionSettings)
    this.latentAdam = new Adam(this.latentStore, this.latentSettings)
  }

  /** [count, zDim] */
  get latents(): tf.Variable {
    return this.latentStore.get(latentsName)
  }

  /** The port's step decay, scaled to the run: ×0.1 after every 30% of `steps`. */
  learningRateFactor(step = this.step): number {
    const interval = Math.max(1, Math.round(0.3 * this.settings.steps))
    return 0.1 ** Math.floor(step / interval)
  }

  /** `batch` distinct image indices drawn from the state's random stream. */
  drawBatch(): number[] {
    const order = Array.from({ length: this.count }, (_, i) => i)
    const size = Math.min(this.settings.batch, this.count)
    for (let i = 0; i < size; i++) {
      const j = i + this.rng.int(this.count - i)
      ;[order[i], order[j]] = [order[j], order[i]]
    }
    return order.slice(0, size)
  }

  setLearningRates(factor: number): void {
    this.projectionSettings.learningRate = this.settings.lr * factor
    this.latentSettings.learningRate = this.settings.latentLr * factor
  }

  dispose(): void {
    this.projectionAdam.dispose()
    this.latentAdam.dispose()
    this.latentStore.dispose()
  }
}

function checkSettings(s: BsaSettings): Required<BsaSettings> {
  const positive = (v: number, what: string): void => {
    if (!(Number.isFinite(v) && v > 0)) throw new Error(`BSA ${what} must be > 0, got ${v}`)
  }
  if (!(Number.isInteger(s.steps) && s.steps >= 0)) throw new Error(`BSA steps must be a whole number ≥ 0, got ${s.steps}`)
  if (!(Number.isInteger(s.batch) && s.batch >= 1)) throw new Error(`BSA batch must be a whole number ≥ 1, got ${s.batch}`)
  positive(s.lr, 'lr')
  const latentLr = s.latentLr ?? 100 * s.lr
  positive(latentLr, 'latentLr')
  const latentWeight = s.latentWeight ?? bsaDefaults.latentWeight
  if (!(Number.isFinite(latentWeight) && latentWeight >= 0)) throw new Error(`BSA latentWeight must be ≥ 0, got ${latentWeight}`)
  return { steps: s.steps, lr: s.lr, batch: s.batch, seed: s.seed, latentLr, latentWeight, adaptOutput: s.adaptOutput ?? true }
}

/** A new adaptation of `model` (trained in place: pass bsaStartingModel(yours)). */
export function createBsaState(model: BigGANModel, images: BsaImages, settings: BsaSettings): BsaState {
  return new BsaState(model, images, settings)
}

/**
 * One Adam step on the projections and the batch's latents; `batch` = image indices (default: drawn from the
 * state's stream). Returns the losses before the step. The tensor count is stable from the second step on (the
 * first creates Adam's moments).
 */
export function bsaStep(state: BsaState, batch?: readonly number[]): BsaLosses {
  const indices = batch ?? state.drawBatch()
  state.setLearningRates(state.learningRateFactor())
  const g = bsaGradients(state, indices)
  try {
    state.projectionAdam.apply(g.projections)
    state.latentAdam.apply(g.latents)
    state.step++
    return g.losses
  } finally {
    g.dispose()
  }
}

/** The TensorFlow.js step's losses and gradients for a batch (image indices): of the trained parameters, and of the
 *  latents [count, zDim] (the batch's rows). Nothing is updated; `dispose` frees the gradients. */
function bsaGradients(
  state: BsaState, indices: readonly number[],
): { losses: BsaLosses; projections: Map<string, tf.Tensor>; latents: Map<string, tf.Tensor>; dispose(): void } {
  const { model, count } = state
  const { resolution: r, numClasses } = model.config
  const { x: xData, y } = stepImages(state, indices)
  const select = new Float32Array(indices.length * count) // one-hot rows picking each image's latent
  indices.forEach((index, i) => (select[i * count + index] = 1))
  const b = indices.length
  const ctx = forwardContext(model.params, 'eval', 1)
  const variables = [...state.trainable.map((n) => model.params.get(n)), state.latents]
  let parts: tf.Scalar[] = []
  const { value, grads } = tf.variableGrads(
    () =>
      tf.tidy(() => {
        const x = tf.tensor4d(xData, [b, r, r, 3])
        // a product with one-hot rows rather than tf.gather, whose gradient (UnsortedSegmentSum) wasm lacks
        const z: tf.Tensor2D = tf.matMul(tf.tensor2d(select, [b, count]), state.latents as tf.Tensor2D) // [b, zDim]
        const fake = model.G.apply(ctx, z, tf.tensor2d(y, [b, numClasses])) // [b, R, R, 3]
        const loss = reconstructionLoss<tf.Tensor>(tfjsOps, fake, x, z, state.settings.latentWeight)
        parts = [loss.l1, loss.multiScaleL1, loss.latentPrior].map((t) => tf.keep(t) as tf.Scalar)
        return loss.total as tf.Scalar
      }),
    variables,
  )
  const byName = (names: string[], vars: tf.Variable[]): Map<string, tf.Tensor> => {
    const out = new Map<string, tf.Tensor>()
    names.forEach((name, i) => {
      const g = grads[vars[i].name]
      if (g) out.set(name, g)
    })
    return out
  }
  const [l1, multiScaleL1, latentPrior] = parts.map((t) => t.dataSync()[0])
  return {
    losses: { total: value.dataSync()[0], l1, multiScaleL1, latentPrior },
    projections: byName(state.trainable, variables.slice(0, state.trainable.length)),
    latents: byName([latentsName], [state.latents]),
    dispose: () => tf.dispose([value, ...Object.values(grads), ...parts]),
  }
}

/**
 * Milliseconds per BSA step's gradients (the part an executor computes; Adam runs the same after either) on
 * TensorFlow.js, or on `compiled`, for a run's 'auto' choice: the state's first batch of images, timed after a
 * warm-up (stepTiming.ts). Nothing in the state changes.
 */
export async function timeBsaGradients(state: BsaState, compiled?: BsaCompiledStep): Promise<number> {
  const indices = Array.from({ length: Math.min(state.settings.batch, state.count) }, (_, i) => i)
  return timeWarm(async () => {
    if (!compiled) return bsaGradients(state, indices).dispose()
    const { x, y, z } = compiledInputs(state, indices)
    const { grads } = await compiled.gradients(state.model.params, z, y, x)
    tf.dispose([...grads.values()])
  })
}

/** The images of a step's batch (image indices) and their one-hot classes; an index that names no image is refused. */
function stepImages(state: BsaState, indices: readonly number[]): { x: Float32Array; y: Float32Array } {
  const { resolution: r, numClasses } = state.model.config
  if (indices.length === 0) throw new Error('bsaStep: empty batch')
  const pixel = r * r * 3
  const x = new Float32Array(indices.length * pixel)
  indices.forEach((index, i) => {
    if (!(Number.isInteger(index) && index >= 0 && index < state.count)) throw new Error(`bsaStep: image ${index} of ${state.count} does not exist`)
    x.set(state.pixels.subarray(index * pixel, (index + 1) * pixel), i * pixel)
  })
  return { x, y: oneHot(indices.map((i) => state.labels[i]), numClasses) }
}

/** BSA's gradients from a compiled step (main/onnx/training): the loss and its parts, the gradient of every trained
 *  parameter, and of the batch's latents [batch, zDim], for G at its weights as they stand. */
export interface BsaCompiledStep {
  readonly label: string
  gradients(
    params: ParamStore, z: Float32Array, y: Float32Array, x: Float32Array,
  ): Promise<{ losses: BsaLosses; grads: Map<string, tf.Tensor>; dz: Float32Array }>
  dispose(): Promise<void>
}

/** bsaStep with the gradients from a compiled step: the same batch draw, learning rates and Adam updates. The
 *  batch's latent gradients land in their rows of the latents' gradient (zero elsewhere), as the TensorFlow.js
 *  step's one-hot product gives them. */
export async function compiledBsaStep(state: BsaState, compiled: BsaCompiledStep, batch?: readonly number[]): Promise<BsaLosses> {
  const indices = batch ?? state.drawBatch()
  const { model, count } = state
  const { zDim } = model.config
  const { x, y, z } = compiledInputs(state, indices)
  state.setLearningRates(state.learningRateFactor())
  const { losses, grads, dz } = await compiled.gradients(model.params, z, y, x)
  try {
    const latentGrad = new Float32Array(count * zDim)
    indices.forEach((index, i) => {
      for (let k = 0; k < zDim; k++) latentGrad[index * zDim + k] += dz[i * zDim + k]
    })
    state.projectionAdam.apply(grads)
    tf.tidy(() => state.latentAdam.apply(new Map([[latentsName, tf.tensor2d(latentGrad, [count, zDim])]])))
    state.step++
    return losses
  } finally {
    tf.dispose([...grads.values()])
  }
}

/** A compiled step's inputs for a batch (image indices): its images, one-hot classes and latents. */
function compiledInputs(state: BsaState, indices: readonly number[]): { x: Float32Array; y: Float32Array; z: Float32Array } {
  const { zDim } = state.model.config
  const latents = state.latents.dataSync() as Float32Array
  const z = new Float32Array(indices.length * zDim)
  indices.forEach((index, i) => z.set(latents.subarray(index * zDim, (index + 1) * zDim), i * zDim))
  return { ...stepImages(state, indices), z }
}

/** BSA's loss on any executor: L1(G(z), x) + L1 at ½ and ¼ size + λ · mean(z²), with its parts.
 *  fake, x: [batch, R, R, 3]; z: [batch, zDim]. */
export function reconstructionLoss<T>(
  ops: Ops<T>, fake: T, x: T, z: T, latentWeight: number,
): { total: T; l1: T; multiScaleL1: T; latentPrior: T } {
  const l1Between = (a: T, b: T): T => ops.mean(ops.abs(ops.sub(a, b)))
  const l1 = l1Between(fake, x)
  const fake2 = ops.avgPool2x2(fake)
  const x2 = ops.avgPool2x2(x)
  const multiScaleL1 = ops.add(l1Between(fake2, x2), l1Between(ops.avgPool2x2(fake2), ops.avgPool2x2(x2)))
  const latentPrior = ops.mean(ops.square(z))
  return { total: ops.add(ops.add(l1, multiScaleL1), ops.mul(latentPrior, latentWeight)), l1, multiScaleL1, latentPrior }
}

// ─────────────────────────────────────────── resumable state ───────────────────────────────────────────

/** A BSA run's state as JSON plus tensors, enough to continue it exactly: `weights.<name>` the adapted projection
 *  weights, `latents` [count, zDim], `adam.projections.<name>.m|v` and `adam.latents.latents.m|v` the optimisers'
 *  moments. It fits BigGANModel.save(dir, provenance, json, tensors) of the adapted model (the tensors then sit in
 *  the file's optimiser group) and BigGANModel.loadCheckpoint back. */
export interface BsaCheckpoint {
  json: {
    kind: 'bsa'
    version: 1
    step: number
    rng: RandomState
    settings: Required<BsaSettings>
    count: number
    adamSteps: { projections: number; latents: number }
  }
  tensors: TensorMap
}

export function saveBsaState(state: BsaState): BsaCheckpoint {
  const tensors: TensorMap = new Map()
  for (const name of state.trainable) {
    const t = state.model.params.get(name)
    tensors.set(`weights.${name}`, fromFloat32(t.shape, t.dataSync() as Float32Array))
  }
  tensors.set(latentsName, fromFloat32(state.latents.shape, state.latents.dataSync() as Float32Array))
  const projections = state.projectionAdam.state()
  const latents = state.latentAdam.state()
  for (const [name, raw] of projections.moments) tensors.set(`adam.projections.${name}`, raw)
  for (const [name, raw] of latents.moments) tensors.set(`adam.latents.${name}`, raw)
  return {
    json: {
      kind: 'bsa',
      version: 1,
      step: state.step,
      rng: state.rng.state(),
      settings: { ...state.settings },
      count: state.count,
      adamSteps: { projections: projections.steps, latents: latents.steps },
    },
    tensors,
  }
}

/** Continues a saved run on `model` and `images` (the same images, in the same order). `model` is either a fresh
 *  bsaStartingModel of the model the run started from, or the adapted model saved with the checkpoint. */
export function restoreBsaState(model: BigGANModel, images: BsaImages, checkpoint: BsaCheckpoint): BsaState {
  const { json, tensors } = checkpoint
  if (json.kind !== 'bsa' || json.version !== 1) throw new Error('not a BSA checkpoint (kind bsa, version 1)')
  if (json.count !== images.count) {
    throw new Error(`the BSA checkpoint has latents for ${json.count} images, but ${images.count} were given: resume with the same folder`)
  }
  const saved: BsaSettings = json.settings // a run saved before adaptOutput existed adapted the projections alone
  const state = new BsaState(model, images, { ...saved, adaptOutput: saved.adaptOutput ?? false })
  try {
    const assign = (target: tf.Variable, key: string): void => {
      const raw = tensors.get(key)
      if (!raw) throw new Error(`the BSA checkpoint lacks '${key}'`)
      if (raw.shape.length !== target.shape.length || raw.shape.some((d, i) => d !== target.shape[i])) {
        throw new Error(`the BSA checkpoint's '${key}' has shape [${raw.shape}], this model needs [${target.shape}]`)
      }
      const values = toFloat32(raw)
      tf.tidy(() => target.assign(tf.tensor(values, target.shape, 'float32')))
    }
    for (const name of state.trainable) assign(model.params.get(name), `weights.${name}`)
    assign(state.latents, latentsName)
    const adamState = (group: 'projections' | 'latents'): AdamState => {
      const prefix = `adam.${group}.`
      const moments: TensorMap = new Map()
      for (const [key, raw] of tensors) if (key.startsWith(prefix)) moments.set(key.slice(prefix.length), raw)
      return { steps: json.adamSteps[group], moments }
    }
    const projections = Adam.fromState(model.params, state.projectionSettings, adamState('projections'))
    state.projectionAdam.dispose()
    state.projectionAdam = projections
    const latents = Adam.fromState(state.latentStore, state.latentSettings, adamState('latents'))
    state.latentAdam.dispose()
    state.latentAdam = latents
    state.step = json.step
    state.rng = Random.fromState(json.rng)
    return state
  } catch (e) {
    state.dispose()
    throw e
  }
}

// ─────────────────────────────────────────────── the loop ───────────────────────────────────────────────

export interface BsaProgress {
  step: number
  steps: number
  losses: BsaLosses
}

export interface BsaRunOptions extends BsaSettings {
  /** stops after the current step; the result then holds the steps done so far */
  signal?: AbortSignal
  /** after every step; the state is there to read, not to modify */
  onProgress?: (progress: BsaProgress, state: BsaState) => void
  /** continue this run instead of starting one; its settings win over the ones given here */
  resume?: BsaCheckpoint
  /** awaited once the run's state exists, before its first step: returns the step compiled for the state's model
   *  (onnxruntime) where one computes the gradients, else undefined (TensorFlow.js). The run releases it. */
  beforeSteps?: (state: BsaState) => Promise<BsaCompiledStep | undefined>
  /** onCheckpoint runs after every `checkpointEvery`-th step (none between when absent) */
  checkpointEvery?: number
  /** awaited before the next step: after every `checkpointEvery`-th step, and once the run stops (completed or
   *  cancelled) at a step not written yet. The state is there to save (saveBsaState, state.model.save), not to modify. */
  onCheckpoint?: (state: BsaState) => Promise<void>
}

export interface BsaResult {
  /** the adapted model (new; the caller owns it): G with adapted BN projections, D as it was, no EMA */
  model: BigGANModel
  /** the learned latent of each image [count, zDim]: sample around these (the port adds noise to them) */
  latents: Float32Array
  /** steps done in total, and whether the signal stopped the run early */
  steps: number
  cancelled: boolean
  /** checkpoint of the last step, to resume a cancelled run */
  checkpoint: BsaCheckpoint
}

/** The whole adaptation: a new model adapted to `images`; `model` stays the caller's. */
export async function runBsa(model: BigGANModel, images: BsaImages, options: BsaRunOptions): Promise<BsaResult> {
  const adapted = bsaStartingModel(model)
  let state: BsaState | undefined
  let compiled: BsaCompiledStep | undefined
  try {
    state = options.resume ? restoreBsaState(adapted, images, options.resume) : createBsaState(adapted, images, options)
    compiled = await options.beforeSteps?.(state)
    const { steps } = state.settings
    const every = options.checkpointEvery
    let saved = options.resume ? state.step : -1 // the step of the last checkpoint: a resumed run starts from one
    let cancelled = false
    while (state.step < steps) {
      if (options.signal?.aborted) {
        cancelled = true
        break
      }
      const losses = compiled ? await compiledBsaStep(state, compiled) : bsaStep(state)
      options.onProgress?.({ step: state.step, steps, losses }, state)
      if (options.onCheckpoint && every && state.step % every === 0) {
        await options.onCheckpoint(state)
        saved = state.step
      }
      await new Promise((resolve) => setTimeout(resolve, 0)) // lets a worker's cancel message arrive
    }
    if (options.onCheckpoint && saved !== state.step) await options.onCheckpoint(state)
    const latents = Float32Array.from(state.latents.dataSync() as Float32Array)
    return { model: adapted, latents, steps: state.step, cancelled, checkpoint: saveBsaState(state) }
  } catch (e) {
    adapted.dispose()
    throw e
  } finally {
    await compiled?.dispose()
    state?.dispose()
  }
}
