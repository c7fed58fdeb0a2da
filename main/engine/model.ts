// A loaded model: its config, its networks, and the parameter stores that own their weights. The one object the
// CLI, the worker and the tests hold. Tensors never leave through this API: inputs and outputs are typed arrays,
// so every public call leaves tf.memory().numTensors as it found it.
import { CheckpointError } from '../tensors/errors'
import type { LazyTensor, RawTensor, TensorMap } from '../tensors/tensor'
import type { ModelConfig } from './config'
import { exportParameters, initialise, loadParameter, loadParameters } from './init'
import { groups, type ModelManifest } from './manifest'
import { countParameters, forwardContext, ParamStore, type Module, type ParamSpec } from './module'
import { buildDiscriminator, buildGenerator, type Discriminator, type Generator } from './networks'
import { settleSpectralNorms } from './layers/spectralNorm'
import type { TruncationPolicy } from './sampling/truncation'
import { tf } from './tf'

export interface GenerateOptions {
  /** ψ that selects per-truncation BatchNorm statistics (double); default 1. z is used exactly as given. */
  truncation?: number
  /** sample from the EMA of G where the model has one (default true) */
  useEma?: boolean
}

export interface ModelTensors {
  G: TensorMap
  D?: TensorMap
  /** EMA of G, by G's engine names */
  ema?: TensorMap
}

/** How many images one forward takes when a run renders or scores many (previews, copying checks): `at32` at 32 px,
 *  fewer as the images grow (activations grow with the pixels), at least 1. On the wasm backend a paper-size G at
 *  128 px already fills most of the 4 GiB heap with one image. */
export function boundedBatch(resolution: number, at32: number): number {
  return Math.max(1, Math.floor(at32 * (32 / resolution) ** 2))
}

export class BigGANModel {
  private constructor(
    readonly config: ModelConfig,
    readonly G: Generator,
    readonly D: Discriminator | undefined,
    /** G's and D's weights and state */
    readonly params: ParamStore,
    private emaStore: ParamStore | undefined,
    readonly manifest?: ModelManifest,
  ) {}

  /** What the model's truncation means and may be, how z is drawn under it, and which statistics rows it selects:
   *  every caller above the engine asks this rather than deciding from the config itself. */
  get truncation(): TruncationPolicy {
    return this.G.truncation
  }

  /** the EMA of G's weights (same names as G), where the model has one */
  get ema(): ParamStore | undefined {
    return this.emaStore
  }

  /** Gives the model an EMA of G, a copy of G's current weights, where it has none (training keeps one). */
  ensureEma(): ParamStore {
    if (!this.emaStore) {
      const ema = new ParamStore()
      for (const spec of this.G.specs()) ema.set(spec.name, this.params.get(spec.name), false)
      this.emaStore = ema
    }
    return this.emaStore
  }

  /** A model from engine tensors (an importer's output). Checks every tensor against the architecture (missing,
   *  unknown, shape, NaN/Inf); on an error nothing stays allocated. */
  static fromTensors(config: ModelConfig, tensors: ModelTensors, source?: string, manifest?: ModelManifest): BigGANModel {
    const G = buildGenerator(config)
    const D = tensors.D ? buildDiscriminator(config) : undefined
    if (tensors.D && !D) throw new CheckpointError('unknown-key', 'the config has no discriminator (dChannels 0) but the checkpoint has D tensors', source)
    const params = new ParamStore()
    let ema: ParamStore | undefined
    try {
      loadParameters(G, params, tensors.G, source)
      if (D && tensors.D) {
        loadParameters(D, params, tensors.D, source)
      }
      if (tensors.ema) {
        ema = new ParamStore()
        loadParameters(G, ema, tensors.ema, source)
      }
    } catch (err) {
      params.dispose()
      ema?.dispose()
      throw err
    }
    return new BigGANModel(config, G, D, params, ema, manifest)
  }

  /** A randomly initialised model (orthogonal init), deterministic in `seed`, with its spectral-norm vectors
   *  converged so that it samples sensibly before any training. */
  static initialise(config: ModelConfig, seed: number): BigGANModel {
    const G = buildGenerator(config)
    const D = buildDiscriminator(config)
    const params = new ParamStore()
    initialise(G, params, seed)
    if (D) initialise(D, params, seed + 1)
    settleSpectralNorms(G, params)
    if (D) settleSpectralNorms(D, params)
    return new BigGANModel(config, G, D, params, undefined)
  }

  /**
   * A model from a saved model's tensors as they stream in, one at a time, under their saved names (groups: G.…,
   * D.…, ema.G.…, opt.…), so loading never holds more than the tensor being read beside the weights already placed.
   * Every tensor is checked against the architecture; a stream that ends without one G, D or EMA needs is an error.
   * With `withOptimiser`, the optimiser tensors come back by name without the `opt.` prefix (e.g.
   * `G.linear.weight.m`); otherwise they are skipped. On any error nothing stays allocated.
   */
  static async fromSavedTensors(
    config: ModelConfig,
    tensors: AsyncIterable<{ name: string; tensor: RawTensor }>,
    options: { source?: string; withOptimiser?: boolean; manifest?: ModelManifest } = {},
  ): Promise<{ model: BigGANModel; optimiser: TensorMap }> {
    const { source, withOptimiser = false } = options
    const G = buildGenerator(config)
    const gSpecs = new Map(G.specs().map((s) => [s.name, s]))
    let D: Discriminator | undefined
    let dSpecs = new Map<string, ParamSpec>()
    const params = new ParamStore()
    let ema: ParamStore | undefined
    const optimiser: TensorMap = new Map()
    try {
      for await (const { name, tensor } of tensors) {
        if (name.startsWith(groups.optimiser)) {
          if (withOptimiser) optimiser.set(name.slice(groups.optimiser.length), tensor)
          continue
        }
        const isEma = name.startsWith(groups.ema)
        const engineName = isEma ? name.slice(groups.ema.length) : name
        if (!isEma && engineName.startsWith(groups.discriminator) && !D) {
          D = buildDiscriminator(config)
          if (!D) throw new CheckpointError('unknown-key', 'the config has no discriminator (dChannels 0) but the file has D tensors', source, name)
          dSpecs = new Map(D.specs().map((s) => [s.name, s]))
        }
        const spec = (isEma || !engineName.startsWith(groups.discriminator) ? gSpecs : dSpecs).get(engineName)
        if (!spec) throw new CheckpointError('unknown-key', 'the architecture in config.json has no parameter of this name', source, name)
        loadParameter(isEma ? (ema ??= new ParamStore()) : params, spec, tensor, source, name)
      }
      const requireAll = (net: Module, store: ParamStore, prefix = ''): void => {
        const missing = net.specs().find((s) => !store.has(s.name))
        if (missing) throw new CheckpointError('missing-key', `${net.name} needs it but the file lacks it`, source, prefix + missing.name)
      }
      requireAll(G, params)
      if (D) requireAll(D, params)
      if (ema) requireAll(G, ema, groups.ema)
    } catch (err) {
      params.dispose()
      ema?.dispose()
      throw err
    }
    return { model: new BigGANModel(config, G, D, params, ema, options.manifest), optimiser }
  }

  /** Every tensor under its saved name (G.…, D.…, ema.G.…), and a training checkpoint's optimiser tensors (named as
   *  fromSavedTensors returns them) under `opt.`: what a model folder's writer takes. */
  savedTensors(optimiser?: TensorMap): LazyTensor[] {
    return [
      ...lazy(exportParameters(this.G, this.params)),
      ...(this.D ? lazy(exportParameters(this.D, this.params)) : []),
      ...(this.ema ? lazy(exportParameters(this.G, this.ema), groups.ema) : []),
      ...(optimiser ? lazy(optimiser, groups.optimiser) : []),
    ]
  }

  get hasDiscriminator(): boolean {
    return this.D !== undefined
  }

  get hasEma(): boolean {
    return this.ema !== undefined
  }

  parameterCounts(): { G: number; D: number } {
    const D = this.D ?? buildDiscriminator(this.config)
    return { G: countParameters(this.G.specs()), D: D ? countParameters(D.specs()) : 0 }
  }

  /** Images [batch, R, R, 3] in [−1, 1], NHWC row-major, for z [batch·zDim] and y [batch·numClasses]. */
  async generate(z: Float32Array, y: Float32Array, options: GenerateOptions = {}): Promise<Float32Array> {
    const images = this.generateTensor(z, y, options)
    try {
      return (await images.data()) as Float32Array
    } finally {
      images.dispose()
    }
  }

  /** As generate, but the caller owns (and must dispose) the returned tensor. */
  generateTensor(z: Float32Array, y: Float32Array, options: GenerateOptions = {}): tf.Tensor4D {
    const batch = this.batchOf(z, this.config.zDim, 'z')
    this.checkBatch(y, batch, this.config.numClasses, 'y')
    const store = options.useEma !== false && this.ema ? this.ema : this.params
    return tf.tidy(() => {
      const ctx = forwardContext(store, 'eval', options.truncation ?? 1)
      return this.G.apply(ctx, tf.tensor2d(z, [batch, this.config.zDim]), tf.tensor2d(y, [batch, this.config.numClasses]))
    })
  }

  /** D's pooled features φ(x) [batch, C] for images x [batch, R, R, 3] in [−1, 1] (eval mode: no SN power step). */
  async discriminatorFeatures(x: Float32Array): Promise<Float32Array> {
    if (!this.D) throw new Error('this model has no discriminator (the released BigGAN-deep weights have none)')
    const D = this.D
    const r = this.config.resolution
    const batch = this.batchOf(x, r * r * 3, 'x')
    const features = tf.tidy(() => D.features(forwardContext(this.params, 'eval'), tf.tensor4d(x, [batch, r, r, 3])))
    try {
      return (await features.data()) as Float32Array
    } finally {
      features.dispose()
    }
  }

  /** D's logits [batch] for images x [batch·R·R·3] in [−1, 1] with class vectors y. */
  async discriminate(x: Float32Array, y: Float32Array): Promise<Float32Array> {
    if (!this.D) throw new Error('this model has no discriminator (the released BigGAN-deep weights have none)')
    const D = this.D
    const r = this.config.resolution
    const batch = this.batchOf(x, r * r * 3, 'x')
    this.checkBatch(y, batch, this.config.numClasses, 'y')
    const logits = tf.tidy(() =>
      D.apply(forwardContext(this.params, 'eval'), tf.tensor4d(x, [batch, r, r, 3]), tf.tensor2d(y, [batch, this.config.numClasses])),
    )
    try {
      return (await logits.data()) as Float32Array
    } finally {
      logits.dispose()
    }
  }

  /** Every tensor by engine name (G, D, ema.G), for export. */
  tensors(): ModelTensors {
    return {
      G: exportParameters(this.G, this.params),
      ...(this.D ? { D: exportParameters(this.D, this.params) } : {}),
      ...(this.ema ? { ema: exportParameters(this.G, this.ema) } : {}),
    }
  }

  dispose(): void {
    this.params.dispose()
    this.emaStore?.dispose()
  }

  private batchOf(values: Float32Array, width: number, what: string): number {
    if (values.length === 0 || values.length % width !== 0) {
      throw new Error(`${what} has ${values.length} values, not a whole number of rows of ${width}`)
    }
    return values.length / width
  }

  private checkBatch(values: Float32Array, batch: number, width: number, what: string): void {
    if (values.length !== batch * width) {
      throw new Error(`${what} has ${values.length} values; ${batch} rows of ${width} were expected`)
    }
  }
}

function lazy(tensors: TensorMap, prefix = ''): LazyTensor[] {
  return [...tensors].map(([name, t]) => ({ name: prefix + name, dtype: t.dtype, shape: t.shape, data: () => t.data }))
}
