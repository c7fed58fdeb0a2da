// A small CNN classifier whose penultimate layer is the feature space for the studio's quality numbers on data
// that no public feature network knows: a task-trained extractor, labelled by the content hash of its weights and
// never comparable with an Inception FID. The bundled one is trained on Fashion-MNIST (scripts/train-classifier.ts).
//
//   x [b, R, R, 3] in [−1, 1]
//   per stage s:  conv 3×3 (channels[s]) → BatchNorm (or a bias) → relu → 2×2 average pool   R → R / 2^stages
//   flatten → dense (featureDim) + bias → relu = features [b, featureDim]                      (the metric's embedding)
//   dense (classes) + bias = logits [b, classes]
//
// BatchNorm is there for speed of training: on 2 wasm cores there is time for only a few epochs. Training
// normalises by the batch's statistics and keeps running averages (momentum 0.1, unbiased variance, as PyTorch);
// features and logits always use the running averages, so an image's features never depend on its batch.
// Raw tf ops with the engine's own conv (its gradients use only the forward Conv2D kernel, which wasm has) and
// parameters in a ParamStore. Public calls take and return typed arrays, so no tensor outlives a call.
// A classifier comes from a seed (initialise) or from its tensors by name (fromTensors), and lists them back
// (tensors); its folder on disk, config.json beside model.safetensors, is disk/classifierFolder.ts.
import { CheckpointError } from '../../tensors/errors'
import { fromFloat32, toFloat32 } from '../../tensors/convert'
import type { RawTensor, TensorMap } from '../../tensors/tensor'
import { contentHashOf } from '../contentHash'
import { applyUpdates, discardUpdates, forwardContext, recordUpdate, ParamStore, type ForwardContext } from '../module'
import { addChannelBias } from '../ops/biasAdd'
import { conv2d } from '../ops/conv2d'
import { channelMoments, standardiseByBatch } from '../ops/moments'
import { avgPool2x2 } from '../ops/resample'
import { Random } from '../sampling/random'
import { tf } from '../tf'
import { Adam, type AdamSettings } from '../train/optimiser'

export interface ClassifierConfig {
  /** input side R; images are [R, R, 3] in [−1, 1] */
  resolution: number
  /** output channels of each conv stage; each stage halves the resolution */
  channels: number[]
  /** BatchNorm after each conv instead of a bias (absent: false) */
  batchNorm?: boolean
  /** width of the penultimate layer, the feature space */
  featureDim: number
  /** one per output logit */
  classNames: string[]
}

/** The bundled extractor's architecture: ~0.16 M parameters, ~0.6 MB as float32. */
export function defaultClassifierConfig(classNames: readonly string[]): ClassifierConfig {
  return { resolution: 32, channels: [16, 32, 64], batchNorm: true, featureDim: 128, classNames: [...classNames] }
}

const bnMomentum = 0.1
const bnEpsilon = 1e-5

interface Spec {
  name: string
  shape: number[]
  /** 'weight': He-normal over fanIn; 'zeros' / 'ones': constant */
  init: 'weight' | 'zeros' | 'ones'
  fanIn: number
  /** false for BatchNorm's running statistics (state, changed by training forwards, not by the optimiser) */
  trainable: boolean
}

/** A config the classifier alone holds, so that changing the caller's lists later cannot change its architecture. */
function ownCopy(config: ClassifierConfig): ClassifierConfig {
  return { ...config, channels: [...config.channels], classNames: [...config.classNames] }
}

function specsOf(config: ClassifierConfig): Spec[] {
  checkClassifierConfig(config)
  const specs: Spec[] = []
  let cin = 3
  const weight = (name: string, shape: number[], fanIn: number): void => {
    specs.push({ name, shape, init: 'weight', fanIn, trainable: true })
  }
  const constant = (name: string, shape: number[], init: 'zeros' | 'ones', trainable = true): void => {
    specs.push({ name, shape, init, fanIn: 0, trainable })
  }
  config.channels.forEach((cout, s) => {
    weight(`stage${s}.conv.weight`, [3, 3, cin, cout], 9 * cin)
    if (config.batchNorm) {
      constant(`stage${s}.bn.gain`, [cout], 'ones')
      constant(`stage${s}.bn.bias`, [cout], 'zeros')
      constant(`stage${s}.bn.mean`, [cout], 'zeros', false)
      constant(`stage${s}.bn.var`, [cout], 'ones', false)
    } else {
      constant(`stage${s}.conv.bias`, [cout], 'zeros')
    }
    cin = cout
  })
  const side = config.resolution >> config.channels.length
  const flat = side * side * cin
  weight('features.weight', [flat, config.featureDim], flat)
  constant('features.bias', [config.featureDim], 'zeros')
  weight('head.weight', [config.featureDim, config.classNames.length], config.featureDim)
  constant('head.bias', [config.classNames.length], 'zeros')
  return specs
}

/** Throws an error that names the field, its value and the rule when `c` is no valid architecture; `file`: where it
 *  was read from, for the message. */
export function checkClassifierConfig(c: ClassifierConfig, file?: string): void {
  const where = file ? `${file}: ` : ''
  const positive = (n: unknown): boolean => typeof n === 'number' && Number.isInteger(n) && n > 0
  if (!positive(c.resolution)) throw new Error(`${where}classifier resolution must be a positive integer, got ${c.resolution}`)
  if (!Array.isArray(c.channels) || c.channels.length === 0 || !c.channels.every(positive)) {
    throw new Error(`${where}classifier channels must be a non-empty list of positive integers, got ${JSON.stringify(c.channels)}`)
  }
  if (c.resolution % 2 ** c.channels.length !== 0) {
    throw new Error(`${where}classifier resolution ${c.resolution} must be divisible by 2^${c.channels.length} (one halving per stage)`)
  }
  if (c.batchNorm !== undefined && typeof c.batchNorm !== 'boolean') {
    throw new Error(`${where}classifier batchNorm must be true or false, got ${JSON.stringify(c.batchNorm)}`)
  }
  if (!positive(c.featureDim)) throw new Error(`${where}classifier featureDim must be a positive integer, got ${c.featureDim}`)
  if (!Array.isArray(c.classNames) || c.classNames.length < 2 || !c.classNames.every((n) => typeof n === 'string')) {
    throw new Error(`${where}classifier classNames must list at least two class names`)
  }
}

export class ImageClassifier {
  private constructor(
    readonly config: ClassifierConfig,
    readonly params: ParamStore,
    /** the weights' content hash: known once built from tensors or saved (initialise leaves it unset) */
    public contentHash?: string,
  ) {}

  /** He-normal weights, zero biases, unit BatchNorm gains; deterministic in `seed`. */
  static initialise(config: ClassifierConfig, seed: number): ImageClassifier {
    const rng = new Random(seed)
    const params = new ParamStore()
    for (const s of specsOf(config)) {
      const n = s.shape.reduce((a, b) => a * b, 1)
      const values =
        s.init === 'weight' ? rng.normals(n).map((v) => v * Math.sqrt(2 / s.fanIn)) : new Float32Array(n).fill(s.init === 'ones' ? 1 : 0)
      tf.tidy(() => params.set(s.name, tf.tensor(values, s.shape, 'float32'), s.trainable))
    }
    return new ImageClassifier(ownCopy(config), params)
  }

  /**
   * A classifier from its tensors by name (as `tensors()` lists them), each checked against the architecture: none
   * unknown, none missing, every shape as the config says, every value finite. `contentHash`: the hash the weights
   * were saved under, refused when they no longer match it. `source` names where they came from in errors.
   */
  static fromTensors(
    config: ClassifierConfig, tensors: ReadonlyMap<string, RawTensor>, options: { source?: string; contentHash?: string } = {},
  ): ImageClassifier {
    const { source } = options
    const specs = specsOf(config)
    const known = new Set(specs.map((s) => s.name))
    const unknown = [...tensors.keys()].find((name) => !known.has(name))
    if (unknown !== undefined) throw new CheckpointError('unknown-key', 'the classifier architecture in config.json has no such tensor', source, unknown)
    for (const s of specs) {
      const t = tensors.get(s.name)
      if (!t) throw new CheckpointError('missing-key', 'the classifier needs this tensor', source, s.name)
      if (t.shape.join(',') !== s.shape.join(',')) {
        throw new CheckpointError('shape-mismatch', `shape [${t.shape}] but the config needs [${s.shape}]`, source, s.name)
      }
    }
    const contentHash = contentHashOf(tensors)
    if (options.contentHash !== undefined && contentHash !== options.contentHash) {
      throw new CheckpointError('bad-header', 'the weights do not match the content hash in config.json: the file was changed or damaged', source)
    }
    const params = new ParamStore()
    try {
      for (const s of specs) {
        const t = tensors.get(s.name)!
        const values = toFloat32(t)
        if (!values.every(Number.isFinite)) throw new CheckpointError('non-finite', 'NaN or Inf in a weight', source, s.name)
        tf.tidy(() => params.set(s.name, tf.tensor(values, t.shape, 'float32'), s.trainable))
      }
    } catch (err) {
      params.dispose()
      throw err
    }
    return new ImageClassifier(ownCopy(config), params, contentHash)
  }

  /** Its tensors by name as float32, in architecture order: what fromTensors takes back, and what the content
   *  hash is computed over. */
  async tensors(): Promise<TensorMap> {
    const tensors: TensorMap = new Map()
    for (const s of specsOf(this.config)) {
      const values = (await this.params.get(s.name).data()) as Float32Array
      tensors.set(s.name, fromFloat32(s.shape, values))
    }
    return tensors
  }

  get numClasses(): number {
    return this.config.classNames.length
  }

  /** Values per input image: R·R·3. */
  get imageSize(): number {
    return this.config.resolution * this.config.resolution * 3
  }

  /** Penultimate activations [batch, featureDim] of images [batch·R·R·3] (NHWC, [−1, 1]). */
  async features(images: Float32Array, batchSize = 256): Promise<Float32Array> {
    return (await this.run(images, batchSize, true)).features
  }

  /** Logits [batch, classes]. */
  async logits(images: Float32Array, batchSize = 256): Promise<Float32Array> {
    return (await this.run(images, batchSize, false)).logits
  }

  /** The most likely class of each image. */
  async predict(images: Float32Array, batchSize = 256): Promise<Int32Array> {
    return argmaxRows(await this.logits(images, batchSize), this.numClasses)
  }

  /** Features and logits in one pass, batch by batch (bounded memory for any number of images). */
  async embed(images: Float32Array, batchSize = 256): Promise<{ features: Float32Array; logits: Float32Array }> {
    const { features, logits } = await this.run(images, batchSize, true)
    return { features, logits }
  }

  /** As features/logits, on a tensor; the caller owns both results. In a 'train' context BatchNorm uses the
   *  batch's statistics and records new running averages in ctx.updates. */
  forward(x: tf.Tensor4D, ctx: ForwardContext = forwardContext(this.params, 'eval')): { features: tf.Tensor2D; logits: tf.Tensor2D } {
    return tf.tidy(() => {
      let h: tf.Tensor4D = x
      this.config.channels.forEach((_, s) => {
        const conv = conv2d(h, this.params.get(`stage${s}.conv.weight`) as tf.Tensor as tf.Tensor4D)
        const normalised = this.config.batchNorm
          ? this.batchNorm(conv, `stage${s}.bn`, ctx)
          : addChannelBias(conv, this.params.get(`stage${s}.conv.bias`) as tf.Tensor as tf.Tensor1D)
        h = avgPool2x2(tf.relu(normalised))
      })
      const flat = tf.reshape(h, [h.shape[0], -1]) as tf.Tensor2D
      const features = tf.relu(tf.add(tf.matMul(flat, this.params.get('features.weight') as tf.Tensor2D), this.params.get('features.bias'))) as tf.Tensor2D
      const logits = tf.add(tf.matMul(features, this.params.get('head.weight') as tf.Tensor2D), this.params.get('head.bias')) as tf.Tensor2D
      return { features, logits }
    })
  }

  dispose(): void {
    this.params.dispose()
  }

  /** gain · x̂ + bias, x̂ standardised by the batch ('train', recording the running averages) or by them ('eval'). */
  private batchNorm(x: tf.Tensor4D, name: string, ctx: ForwardContext): tf.Tensor4D {
    const gain = this.params.get(`${name}.gain`)
    const bias = this.params.get(`${name}.bias`) as tf.Tensor as tf.Tensor1D
    const mean = this.params.get(`${name}.mean`)
    const variance = this.params.get(`${name}.var`)
    let xHat: tf.Tensor4D
    if (ctx.mode === 'train') {
      xHat = standardiseByBatch(x, bnEpsilon)
      const [batch, h, w] = x.shape
      const n = batch * h * w
      const moments = channelMoments(x)
      recordUpdate(ctx, `${name}.mean`, tf.add(tf.mul(mean, 1 - bnMomentum), tf.mul(moments.mean, bnMomentum)))
      const unbiased = tf.mul(moments.variance, n / Math.max(n - 1, 1))
      recordUpdate(ctx, `${name}.var`, tf.add(tf.mul(variance, 1 - bnMomentum), tf.mul(unbiased, bnMomentum)))
    } else {
      xHat = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, bnEpsilon)))
    }
    return addChannelBias(tf.mul(xHat, gain), bias)
  }

  private async run(images: Float32Array, batchSize: number, wantFeatures: boolean): Promise<{ features: Float32Array; logits: Float32Array }> {
    const count = this.countOf(images)
    const R = this.config.resolution
    const features = new Float32Array(wantFeatures ? count * this.config.featureDim : 0)
    const logits = new Float32Array(count * this.numClasses)
    for (let start = 0; start < count; start += batchSize) {
      const n = Math.min(batchSize, count - start)
      const out = tf.tidy(() => this.forward(tf.tensor4d(images.subarray(start * this.imageSize, (start + n) * this.imageSize), [n, R, R, 3])))
      try {
        if (wantFeatures) features.set(await out.features.data(), start * this.config.featureDim)
        logits.set(await out.logits.data(), start * this.numClasses)
      } finally {
        out.features.dispose()
        out.logits.dispose()
      }
    }
    return { features, logits }
  }

  countOf(images: Float32Array): number {
    if (images.length % this.imageSize !== 0) {
      throw new Error(`images have ${images.length} values, not a whole number of ${this.config.resolution}×${this.config.resolution}×3 images`)
    }
    return images.length / this.imageSize
  }
}

/** Adam on softmax cross-entropy; owns its moments (dispose()). β1 = 0.9 as usual for classifiers, not BigGAN's 0. */
export class ClassifierTrainer {
  private readonly adam: Adam
  private readonly names: string[]

  constructor(
    readonly classifier: ImageClassifier,
    settings: Partial<AdamSettings> = {},
  ) {
    this.adam = new Adam(classifier.params, { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, ...settings })
    this.names = specsOf(classifier.config).filter((s) => s.trainable).map((s) => s.name)
  }

  get learningRate(): number {
    return this.adam.settings.learningRate
  }

  set learningRate(lr: number) {
    this.adam.settings.learningRate = lr
  }

  /** One step on a batch of images [n·R·R·3] with labels [n]; returns the mean loss before the step. */
  async step(images: Float32Array, labels: ArrayLike<number>): Promise<number> {
    const c = this.classifier
    const n = c.countOf(images)
    if (labels.length !== n) throw new Error(`${n} images but ${labels.length} labels`)
    const R = c.config.resolution
    const variables = this.names.map((name) => c.params.get(name))
    const ctx = forwardContext(c.params, 'train')
    let result: { value: tf.Scalar; grads: tf.NamedTensorMap } | undefined
    try {
      result = tf.variableGrads(() =>
        tf.tidy(() => {
          const x = tf.tensor4d(images, [n, R, R, 3])
          const y = tf.oneHot(tf.tensor1d(Int32Array.from(labels), 'int32'), c.numClasses) as tf.Tensor2D
          return crossEntropy(c.forward(x, ctx).logits, y)
        }), variables)
      const { grads } = result
      this.adam.apply(new Map(this.names.map((name, i) => [name, grads[variables[i].name]])))
      applyUpdates(ctx)
      return (await result.value.data())[0]
    } finally {
      discardUpdates(ctx)
      if (result) {
        result.value.dispose()
        tf.dispose(Object.values(result.grads))
      }
    }
  }

  dispose(): void {
    this.adam.dispose()
  }
}

/** mean over the batch of −Σ y log softmax(logits) */
function crossEntropy(logits: tf.Tensor2D, oneHot: tf.Tensor2D): tf.Scalar {
  return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), 1)))
}

/** Row-wise argmax of a [rows, width] matrix. */
export function argmaxRows(values: Float32Array, width: number): Int32Array {
  const rows = values.length / width
  const out = new Int32Array(rows)
  for (let r = 0; r < rows; r++) {
    let best = 0
    for (let j = 1; j < width; j++) if (values[r * width + j] > values[r * width + best]) best = j
    out[r] = best
  }
  return out
}
