// The paper's D and G steps run by onnxruntime: the step graphs of graphs.ts, compiled once per run into two
// sessions, fed the model's weights as they stand before each step. The state updates they output (spectral-norm
// u, v, σ; BatchNorm running statistics) land in the model's ParamStore, and the gradients come back as tensors,
// so the session's optimiser, EMA and every fine-tuning method work unchanged (engine/train/step.ts, StepExecutor).
//
// Memory: onnxruntime holds the activations and the backward pass outside TensorFlow.js's heap (the wasm backend's
// is 4 GiB), so a paper-size model whose training step does not fit there trains here.
import type { InferenceSession, Tensor } from 'onnxruntime-node'
import type { ModelConfig } from '../../engine/config.ts'
import { augmentInputs, augmentInputShapes, type AugmentPolicy } from '../../engine/train/augment.ts'
import { countParameters, type ParamStore } from '../../engine/module.ts'
import type { Discriminator, Generator } from '../../engine/networks/index.ts'
import type {
  Augment, DiscriminatorLogits, DiscriminatorNetwork, GeneratorNetwork, Gradients, StepExecutor, Trainee, TrainingBatch,
} from '../../engine/train/step.ts'
import { tf } from '../../engine/tf.ts'
import { describeProvider, loadOrt, type ProviderInfo, type SessionOptions } from '../runtime.ts'
import { compileStep, gradientTensors, parameterFeeds } from './compiled.ts'
import { discriminatorStepGraph, generatorStepGraph, stepNames, type StepGraph } from './graphs.ts'

/** A compiled step: its graph's bookkeeping and the session that runs it. */
interface CompiledStep {
  step: StepGraph
  session: InferenceSession
}

/** Models below this many parameters train with onnxruntime's arena (see create). */
const ARENA_PARAMETERS = 20_000_000

export interface OnnxExecutorOptions {
  /** images per forward: fakes in both steps, reals in the D step */
  batchSize: number
  /** DiffAugment's policies, compiled into both steps (their draws are inputs, ADA's p among what drew them) */
  augment?: readonly AugmentPolicy[]
  /** D parameters FreezeD keeps fixed: no gradient is computed for them */
  frozen?: readonly string[]
  /** onnxruntime's CPU threads (default one per core) and providers */
  session?: SessionOptions
}

export class OnnxStepExecutor implements StepExecutor {
  readonly name = 'onnx'

  private constructor(
    private readonly d: CompiledStep,
    private readonly g: CompiledStep,
    readonly provider: ProviderInfo,
    private readonly resolution: number,
  ) {}

  get label(): string {
    return `onnxruntime (${describeProvider(this.provider)})`
  }

  /** Builds and compiles both steps for `G` and `D` at a fixed batch size. */
  static async create(G: Generator, D: Discriminator, config: ModelConfig, options: OnnxExecutorOptions): Promise<OnnxStepExecutor> {
    const b = options.batchSize
    // The arena keeps freed activations for the next op: a step allocates and frees the same blocks every time, and
    // the arena ran the default model's step ~6 % faster. It grows by doubling, though, so a paper-size step could
    // hold up to twice its peak: large models allocate op by op.
    const arena = countParameters([...G.specs(), ...D.specs()]) < ARENA_PARAMETERS
    const compile = (step: StepGraph): ReturnType<typeof compileStep> => compileStep(step.graph, { arena, ...options.session })
    const augment = options.augment ?? []
    const dStep = discriminatorStepGraph(G, D, config, { fakes: b, reals: b, augment, frozen: options.frozen ?? [] })
    const d = await compile(dStep)
    try {
      const gStep = generatorStepGraph(G, D, config, { fakes: b, augment })
      const g = await compile(gStep)
      return new OnnxStepExecutor({ step: dStep, session: d.session }, { step: gStep, session: g.session }, d.info, config.resolution)
    } catch (err) {
      await d.session.release()
      throw err
    }
  }

  async discriminatorStep(
    G: Trainee<GeneratorNetwork>, D: Trainee<DiscriminatorNetwork>, batch: TrainingBatch, augment?: Augment,
  ): Promise<Gradients & { logits: DiscriminatorLogits }> {
    const out = await run(this.d, G.params, {
      [stepNames.z]: batch.z,
      [stepNames.y]: batch.y,
      [stepNames.x]: batch.x,
      [stepNames.yReal]: batch.yReal,
    }, drawn(this.d.step, augment, batch.z.shape[0] + batch.x.shape[0], batch.x.shape[1], batch.x.shape[2]))
    const real = out[stepNames.realLogits]
    const fake = out[stepNames.fakeLogits]
    return {
      ...landed(this.d.step, G.params, out),
      logits: { real: tf.tensor1d(real.data as Float32Array), fake: tf.tensor1d(fake.data as Float32Array) },
    }
  }

  async generatorStep(
    G: Trainee<GeneratorNetwork>, _D: Trainee<DiscriminatorNetwork>, batch: Pick<TrainingBatch, 'z' | 'y'>, augment?: Augment,
  ): Promise<Gradients> {
    const R = this.resolution
    const out = await run(this.g, G.params, { [stepNames.z]: batch.z, [stepNames.y]: batch.y }, drawn(this.g.step, augment, batch.z.shape[0], R, R))
    return landed(this.g.step, G.params, out)
  }

  async dispose(): Promise<void> {
    await this.d.session.release()
    await this.g.session.release()
  }
}

/** The step's DiffAugment draws as its inputs: one draw from the run's augmentation stream, as the TensorFlow.js step
 *  takes it. The policies must be the ones compiled in. */
function drawn(step: StepGraph, augment: Augment | undefined, batch: number, height: number, width: number): Map<string, [Float32Array, number[]]> {
  const policies = augment?.policies ?? []
  if (policies.join() !== step.augment.join()) {
    throw new Error(`this compiled step augments with [${step.augment.join(', ')}], but the run asks for [${policies.join(', ')}]`)
  }
  const feeds = new Map<string, [Float32Array, number[]]>()
  if (!augment || policies.length === 0) return feeds
  const values = augmentInputs(augment.draw(batch, height, width), height, width)
  for (const [name, shape] of augmentInputShapes(policies, batch, height, width)) feeds.set(stepNames.augment(name), [values.get(name)!, shape])
  return feeds
}

/** Runs a compiled step on the batch, its augmentation draws and the weights as they stand; its outputs by name. */
async function run(
  compiled: CompiledStep, params: ParamStore, batch: Record<string, tf.Tensor>, extra: Map<string, [Float32Array, number[]]>,
): Promise<Record<string, Tensor>> {
  const ort = loadOrt()
  const feeds = parameterFeeds(compiled.step.params, params)
  for (const [name, t] of Object.entries(batch)) feeds[name] = new ort.Tensor('float32', t.dataSync() as Float32Array, t.shape)
  for (const [name, [data, shape]] of extra) feeds[name] = new ort.Tensor('float32', data, shape)
  return compiled.session.run(feeds)
}

/** Lands the step's state updates in `params` and hands back its loss and gradients as tensors. */
function landed(step: StepGraph, params: ParamStore, out: Record<string, Tensor>): Gradients {
  for (const name of step.updated) {
    const target = params.get(name)
    tf.tidy(() => target.assign(tf.tensor(out[stepNames.update(name)].data as Float32Array, target.shape)))
  }
  const grads = gradientTensors(step.trained, params, out, stepNames.grad)
  return { loss: tf.scalar((out[stepNames.loss].data as Float32Array)[0]), grads }
}
