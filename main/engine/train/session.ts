// The state of one training run and its two kinds of step, so that loop.ts can read as the paper's algorithm.
// A session owns: the model (G, D, EMA of G), one Adam per network (keyed by parameter name), three seeded random
// streams (data order and flips; latents and classes of fakes; augmentation draws), the batch stream, ADA's
// controller and the collapse monitor. snapshot() captures all of it as JSON plus tensors, and restore() rebuilds
// it, so a resumed run continues bit for bit.
//
// Per optimiser step, `accumulation` micro-batches of `batchSize` each run the step.ts forward/backward; their
// gradients are averaged (BigGAN-PyTorch divides each micro-batch's loss by the count), then Adam steps once.
// Accumulation is not bitwise a larger batch: every training forward advances the spectral-norm vectors one power
// step and G's BatchNorm normalises by the micro-batch's own statistics (as BigGAN-PyTorch's per-GPU BN).
import type { TensorMap } from '../../tensors/tensor'
import { batches, type BatchStream, type BatchStreamState } from './batches'
import { modelPixels, oneHot, type ImageFolder, type ImageSplit } from '../images'
import { classNames, findClass } from '../classes'
import type { ModelConfig } from '../config'
import { newClassGradientScale, withScaledUpdates } from '../finetune/newClass'
import { spectra, SpectralTracker, type LayerSpectrum } from '../inspect/singularValues'
import type { BigGANModel } from '../model'
import { trainableRoles, type ParamStore } from '../module'
import { Random, type RandomState } from '../sampling/random'
import { tf } from '../tf'
import { AdaptiveAugmentation, type AdaptiveAugmentState } from './adaptiveAugment'
import { updateEmaGenerator } from './ema'
import { TrainingMonitor, type MonitorOverrides, type MonitorState } from './monitor'
import { Adam } from './optimiser'
import { orthogonalRegularisationGradients } from './orthogonalRegularisation'
import { checkTrainSettings, discriminatorBlocks, frozenDiscriminatorParameters, type TrainSettings } from './settings'
import { augmentation, tfjsStepExecutor, type Augment, type DiscriminatorNetwork, type GeneratorNetwork, type StepExecutor, type Trainee } from './step'

/** The images a run trains on, with labels already in the model's class indices. */
export interface TrainingData {
  train: ImageSplit
  /** never trained on: the held-out D gap */
  heldOut: ImageSplit
}

/** A loaded folder's splits with each folder class relabelled to the model class `classMap[label]`. */
export function trainingData(dataset: Pick<ImageFolder, 'train' | 'heldOut'>, classMap: readonly number[]): TrainingData {
  const relabel = (split: ImageSplit): ImageSplit => ({ ...split, labels: Int32Array.from(split.labels, (l) => classMap[l]) })
  return { train: relabel(dataset.train), heldOut: relabel(dataset.heldOut) }
}

/**
 * Which model class each folder class trains: by name (every folder class must be one of the model's class names,
 * case-insensitive), or, with `classQuery` (an index or a name, as `biggan sample --class`), the one class of a
 * one-class folder. Throws an error that says what to do.
 */
export function matchClasses(config: ModelConfig, folderClasses: readonly string[], classQuery?: string): number[] {
  if (classQuery !== undefined) {
    if (folderClasses.length !== 1) {
      throw new Error(
        `--class maps a one-class folder onto a model class, but this folder has ${folderClasses.length} classes ` +
          `(${folderClasses.join(', ')}); name its subfolders after the model's classes instead`,
      )
    }
    return [findClass(config, classQuery)]
  }
  const names = classNames(config).map((n) => n.toLowerCase())
  const map = folderClasses.map((c) => names.indexOf(c.toLowerCase()))
  const missing = folderClasses.filter((_, i) => map[i] < 0)
  if (missing.length > 0) {
    const shown = classNames(config).slice(0, 5).join('; ')
    throw new Error(
      `the folder's class${missing.length > 1 ? 'es' : ''} ${missing.map((m) => `'${m}'`).join(', ')} ` +
        `${missing.length > 1 ? 'are' : 'is'} not among the model's ${config.numClasses} class names (${shown}${config.numClasses > 5 ? '; …' : ''}). ` +
        'Name the subfolders after model classes, or give --class N|NAME to train a one-class folder as that class',
    )
  }
  return map
}

/** One optimiser step of D: losses averaged over its micro-batches; D's real logits for ADA. */
export interface DiscriminatorStepResult {
  dLossReal: number
  dLossFake: number
  realLogits: Float32Array
}

export interface GeneratorStepResult {
  gLoss: number
}

/** Everything besides tensors that an exact resume needs; stored as a checkpoint's manifest.state. */
export interface SessionState {
  kind: 'biggan-studio-training'
  version: 1
  /** G steps done */
  step: number
  settings: TrainSettings
  random: { data: RandomState; latents: RandomState; augment: RandomState }
  batches: BatchStreamState
  ada: AdaptiveAugmentState
  monitor: MonitorState
  optimiserSteps: { G: number; D: number }
  /** the step best/ holds, where one was kept */
  bestStep: number | null
}

export const RANDOM_STREAMS = { data: 0, latents: 1, augment: 2, preview: 3 } as const

export class TrainingSession {
  private readonly Gt: Trainee<GeneratorNetwork>
  private readonly Dt: Trainee<DiscriminatorNetwork>
  private readonly frozen: ReadonlySet<string>
  /** model classes that have training images: the classes fakes are drawn from */
  readonly classes: number[]
  private readonly ema: ParamStore
  /** per-element step scales of the class embeddings (new classes step faster), by parameter name */
  private readonly stepScales: Map<string, tf.Tensor>
  bestStep: number | null = null

  private constructor(
    readonly model: BigGANModel,
    readonly data: TrainingData,
    readonly settings: TrainSettings,
    public step: number,
    private readonly adamG: Adam,
    private readonly adamD: Adam,
    private readonly dataRng: Random,
    private readonly latentRng: Random,
    private readonly augmentRng: Random,
    private readonly stream: BatchStream,
    readonly ada: AdaptiveAugmentation,
    readonly monitor: TrainingMonitor,
    /** what computes each step's gradients; the session owns it */
    readonly executor: StepExecutor,
  ) {
    if (!model.D) throw new Error('training needs a discriminator: this model has none')
    this.Gt = { net: model.G, params: model.params }
    this.Dt = { net: model.D, params: model.params }
    this.ema = model.ensureEma()
    const dNames = model.D.specs().filter((s) => trainableRoles.has(s.role)).map((s) => s.name)
    this.frozen = new Set(frozenDiscriminatorParameters(dNames, settings.freezeD))
    const present = new Set(data.train.labels)
    this.classes = [...present].sort((a, b) => a - b)
    const scale = settings.classStepScale
    this.stepScales = scale ? newClassGradientScale(model, scale.classes, scale.factor) : new Map()
  }

  /** A new run at step 0. */
  static create(
    model: BigGANModel, data: TrainingData, settings: TrainSettings, monitor: MonitorOverrides = {}, executor: StepExecutor = tfjsStepExecutor(),
  ): TrainingSession {
    checkData(model, data, settings)
    const s = settings
    const dataRng = new Random(s.seed + RANDOM_STREAMS.data)
    const stream = batches(data.train, s.batchSize, dataRng, { mirror: s.mirror })
    const { target, interval, speedImages } = s.augment
    return new TrainingSession(
      model, data, s, 0,
      new Adam(model.params, s.adam.G), new Adam(model.params, s.adam.D),
      dataRng, new Random(s.seed + RANDOM_STREAMS.latents), new Random(s.seed + RANDOM_STREAMS.augment), stream,
      new AdaptiveAugmentation({ target, interval, speedImages }, s.augment.p),
      TrainingMonitor.create(monitor), executor,
    )
  }

  /** The run as a checkpoint left it: `model` and `optimiser` from BigGANModel.loadCheckpoint, `state` its manifest's. */
  static restore(
    model: BigGANModel, optimiser: TensorMap, data: TrainingData, state: SessionState, executor: StepExecutor = tfjsStepExecutor(),
  ): TrainingSession {
    if (state?.kind !== 'biggan-studio-training' || state.version !== 1) {
      throw new Error('this checkpoint holds no training state this build can resume (state.kind/version)')
    }
    checkData(model, data, state.settings)
    const s = state.settings
    const byNetwork = (prefix: string): TensorMap => new Map([...optimiser].filter(([name]) => name.startsWith(prefix)))
    const adamG = Adam.fromState(model.params, s.adam.G, { steps: state.optimiserSteps.G, moments: byNetwork('G.') })
    let adamD: Adam
    try {
      adamD = Adam.fromState(model.params, s.adam.D, { steps: state.optimiserSteps.D, moments: byNetwork('D.') })
    } catch (err) {
      adamG.dispose()
      throw err
    }
    const dataRng = Random.fromState(state.random.data)
    const stream = batches(data.train, s.batchSize, dataRng, { mirror: s.mirror, resume: state.batches })
    const session = new TrainingSession(
      model, data, s, state.step, adamG, adamD,
      dataRng, Random.fromState(state.random.latents), Random.fromState(state.random.augment), stream,
      AdaptiveAugmentation.fromState(state.ada), TrainingMonitor.fromState(state.monitor), executor,
    )
    session.bestStep = state.bestStep
    return session
  }

  /** p of the augmentation in use: ADA's, or the fixed one. */
  get augmentP(): number {
    return this.settings.augment.adaptive ? this.ada.p : this.settings.augment.p
  }

  /** One D optimiser step over `accumulation` micro-batches of fresh reals and fakes; ADA sees the real logits. */
  async discriminatorStep(): Promise<DiscriminatorStepResult> {
    const { accumulation: k, batchSize } = this.settings
    const realLogits = new Float32Array(k * batchSize)
    let fakeHinge = 0
    const grads = await meanGradients(k, async (i) => {
      const batch = this.nextBatch()
      try {
        const d = await this.executor.discriminatorStep(this.Gt, this.Dt, batch, this.augment())
        realLogits.set(d.logits.real.dataSync(), i * batchSize)
        for (const v of d.logits.fake.dataSync()) fakeHinge += Math.max(0, 1 + v)
        tf.dispose([d.loss, d.logits.real, d.logits.fake])
        return d.grads
      } finally {
        tf.dispose(Object.values(batch))
      }
    }, this.frozen)
    step(this.adamD, grads, this.model.params, this.stepScales)
    this.ada.observe(realLogits)
    let realHinge = 0
    for (const v of realLogits) realHinge += Math.max(0, 1 - v)
    return { dLossReal: realHinge / realLogits.length, dLossFake: fakeHinge / realLogits.length, realLogits }
  }

  /** One G optimiser step (fresh z and y per micro-batch), the orthogonal-regularisation gradient added after
   *  accumulation as BigGAN-PyTorch does, then the EMA update; during `warmupSteps` neither. Advances `step`. */
  async generatorStep(): Promise<GeneratorStepResult> {
    const { accumulation: k, orthogonalRegularisation: beta } = this.settings
    let gLoss = 0
    const grads = await meanGradients(k, async () => {
      const { z, y } = this.fakes()
      try {
        const g = await this.executor.generatorStep(this.Gt, this.Dt, { z, y }, this.augment())
        gLoss += g.loss.dataSync()[0]
        g.loss.dispose()
        return g.grads
      } finally {
        tf.dispose([z, y])
      }
    })
    if (this.step < (this.settings.warmupSteps ?? 0)) {
      // D's warm-up: G's loss is measured (and the latent stream advances as ever) but G and its EMA stay fixed
      tf.dispose([...grads.values()])
      this.step++
      return { gLoss: gLoss / k }
    }
    if (beta > 0) {
      // after accumulation, on the current weights, undivided: BigGAN-PyTorch's utils.ortho
      for (const [name, ortho] of orthogonalRegularisationGradients(this.model.G, this.model.params, beta)) {
        const g = grads.get(name)
        grads.set(name, g ? tf.add(g, ortho) : ortho.clone())
        tf.dispose(g ? [g, ortho] : [ortho])
      }
    }
    step(this.adamG, grads, this.model.params, this.stepScales)
    this.step++
    updateEmaGenerator(this.model.G, this.model.params, this.ema, this.step, this.settings.ema)
    return { gLoss: gLoss / k }
  }

  /** Top-3 singular values and Frobenius norm of every SN layer of G and D. A fresh tracker each time (10 power
   *  steps from the layer's SN u): the numbers then depend on the weights alone, so a resumed run logs the same. */
  async spectra(): Promise<{ G: LayerSpectrum[]; D: LayerSpectrum[] }> {
    const tracker = new SpectralTracker()
    try {
      return { G: await spectra(this.model.G, this.model.params, tracker), D: await spectra(this.model.D!, this.model.params, tracker) }
    } finally {
      tracker.dispose()
    }
  }

  /** D's mean logit on training reals minus on held-out reals (the first `gapImages` of each, not augmented, D in
   *  eval mode so nothing changes); undefined without held-out images. Rising: D memorises the training set. */
  async heldOutGap(): Promise<number | undefined> {
    if (this.data.heldOut.count === 0) return undefined
    const meanLogit = async (split: ImageSplit): Promise<number> => {
      const n = Math.min(split.count, this.settings.gapImages)
      const { x, y } = imagesOf(split, n, this.model.config.numClasses)
      const logits = await this.model.discriminate(x, y)
      return logits.reduce((a, b) => a + b, 0) / n
    }
    return (await meanLogit(this.data.train)) - (await meanLogit(this.data.heldOut))
  }

  /** The preview latents and classes: fixed by the seed, so every preview of a run shows the same points. */
  previewInputs(): { z: Float32Array; y: Float32Array; classes: number[] } {
    const n = this.settings.previewCount
    const { zDim, numClasses } = this.model.config
    const z = new Random(this.settings.seed + RANDOM_STREAMS.preview).normals(n * zDim)
    const classes = Array.from({ length: n }, (_, i) => this.classes[i % this.classes.length])
    const y = new Float32Array(n * numClasses)
    classes.forEach((c, i) => (y[i * numClasses + c] = 1))
    return { z, y, classes }
  }

  snapshot(): SessionState {
    return {
      kind: 'biggan-studio-training',
      version: 1,
      step: this.step,
      settings: this.settings,
      random: { data: this.dataRng.state(), latents: this.latentRng.state(), augment: this.augmentRng.state() },
      batches: this.stream.state(),
      ada: this.ada.state(),
      monitor: this.monitor.state(),
      optimiserSteps: { G: this.adamG.steps, D: this.adamD.steps },
      bestStep: this.bestStep,
    }
  }

  /** Both optimisers' moments, by `<parameter>.m|v`. */
  optimiserTensors(): TensorMap {
    return new Map([...this.adamG.state().moments, ...this.adamD.state().moments])
  }

  /** Frees the optimisers and the executor; the model stays the caller's. */
  async dispose(): Promise<void> {
    await this.executor.dispose()
    this.adamG.dispose()
    this.adamD.dispose()
    tf.dispose([...this.stepScales.values()])
  }

  private augment(): Augment | undefined {
    const { policies } = this.settings.augment
    if (policies.length === 0) return undefined
    return augmentation(policies, this.augmentP, this.augmentRng)
  }

  /** Reals from the batch stream, fakes' latents and classes from the latent stream. */
  private nextBatch(): { z: tf.Tensor2D; y: tf.Tensor2D; x: tf.Tensor4D; yReal: tf.Tensor2D } {
    const { batchSize: b } = this.settings
    const { resolution: r, numClasses } = this.model.config
    const real = this.stream.next().value
    const { z, y } = this.fakes()
    return { z, y, x: tf.tensor4d(real.x, [b, r, r, 3]), yReal: tf.tensor2d(oneHot(real.labels, numClasses), [b, numClasses]) }
  }

  /** z ~ N(0, I) and classes uniform over the trained classes, as BigGAN-PyTorch's prepare_z_y. */
  private fakes(): { z: tf.Tensor2D; y: tf.Tensor2D } {
    const { batchSize: b } = this.settings
    const { zDim, numClasses } = this.model.config
    const z = this.latentRng.normals(b * zDim)
    const labels = Array.from({ length: b }, () => this.classes[this.latentRng.int(this.classes.length)])
    return { z: tf.tensor2d(z, [b, zDim]), y: tf.tensor2d(oneHot(labels, numClasses), [b, numClasses]) }
  }

}

/**
 * Gradient accumulation: the mean over k micro-batches of the gradients `micro(i)` returns (the caller's to free,
 * taken over here), computed one micro-batch at a time so only the running sum is held. Names in `skip` (FreezeD's
 * frozen parameters) are dropped. For a loss that is a mean over images, the mean of k equal micro-batches'
 * gradients is the gradient over their union.
 */
export async function meanGradients(
  k: number, micro: (i: number) => Promise<Map<string, tf.Tensor>>, skip: ReadonlySet<string> = new Set(),
): Promise<Map<string, tf.Tensor>> {
  const sums = new Map<string, tf.Tensor>()
  try {
    for (let i = 0; i < k; i++) {
      for (const [name, g] of await micro(i)) {
        const sum = sums.get(name)
        if (skip.has(name)) g.dispose()
        else if (!sum) sums.set(name, g)
        else {
          sums.set(name, tf.add(sum, g))
          tf.dispose([sum, g])
        }
      }
    }
    if (k > 1) {
      for (const [name, g] of sums) {
        sums.set(name, tf.div(g, k))
        g.dispose()
      }
    }
    return sums
  } catch (err) {
    tf.dispose([...sums.values()])
    throw err
  }
}

/** One optimiser update (with the class rows' step scales, where a run has them), then the gradients are freed. */
function step(adam: Adam, grads: Map<string, tf.Tensor>, params: ParamStore, scales: ReadonlyMap<string, tf.Tensor>): void {
  try {
    const own = new Map([...scales].filter(([name]) => grads.has(name)))
    if (own.size > 0) withScaledUpdates(params, own, () => adam.apply(grads))
    else adam.apply(grads)
  } finally {
    tf.dispose([...grads.values()])
  }
}

/** The first n images of a split as floats in [−1, 1] with one-hot classes. */
function imagesOf(split: ImageSplit, n: number, numClasses: number): { x: Float32Array; y: Float32Array } {
  const size = split.resolution * split.resolution * 3
  return { x: modelPixels(split.pixels.subarray(0, n * size), n, split.resolution), y: oneHot(split.labels.subarray(0, n), numClasses) }
}

function checkData(model: BigGANModel, data: TrainingData, settings: TrainSettings): void {
  if (!model.D) {
    throw new Error('adversarial training needs a discriminator, and this model has none (dChannels 0)')
  }
  const dNames = model.D.specs().filter((s) => trainableRoles.has(s.role)).map((s) => s.name)
  checkTrainSettings(settings, { dBlocks: discriminatorBlocks(dNames) })
  const { resolution, numClasses } = model.config
  for (const [name, split] of [['training', data.train], ['held-out', data.heldOut]] as const) {
    if (split.count > 0 && split.resolution !== resolution) {
      throw new Error(`the ${name} images are ${split.resolution}×${split.resolution} but the model makes ${resolution}×${resolution}`)
    }
    const bad = split.labels.find((l) => !(l >= 0 && l < numClasses))
    if (bad !== undefined) throw new Error(`a ${name} image has class ${bad}, outside the model's 0…${numClasses - 1}`)
  }
  if (data.train.count === 0) throw new Error('no training images: the folder needs at least one usable image outside the held-out split')
}
