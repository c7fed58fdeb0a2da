// BSA's step run by onnxruntime: the graph of graphs.ts (bsaStepGraph), compiled once per run for its batch size,
// fed the trained parameters as they stand before each step; the loss, its parts and the gradients come back for the
// run's own Adam (engine/finetune/batchStatisticsAdaptation.ts, compiledBsaStep). G's other weights are folded into
// the graph, and the activations live outside TensorFlow.js's wasm heap, which a paper-size G's BSA step outgrows.
import type { InferenceSession } from 'onnxruntime-node'
import type { BsaCompiledStep, BsaLosses } from '../../engine/finetune/batchStatisticsAdaptation.ts'
import type { BigGANModel } from '../../engine/model.ts'
import type { ParamStore } from '../../engine/module.ts'
import { tf } from '../../engine/tf.ts'
import { describeProvider, loadOrt, type ProviderInfo, type SessionOptions } from '../runtime.ts'
import { compileStep, gradientTensors, parameterFeeds } from './compiled.ts'
import { bsaStepGraph, bsaStepNames } from './graphs.ts'

export class OnnxBsaStep implements BsaCompiledStep {
  private constructor(
    private readonly session: InferenceSession,
    private readonly trained: string[],
    private readonly shapes: { batch: number; zDim: number; numClasses: number; resolution: number },
    readonly provider: ProviderInfo,
  ) {}

  get label(): string {
    return `onnxruntime (${describeProvider(this.provider)})`
  }

  /** Compiles the step for `model`'s G as it stands (its untrained weights become constants). */
  static async create(
    model: BigGANModel, trained: readonly string[], batch: number, latentWeight: number, session?: SessionOptions,
  ): Promise<OnnxBsaStep> {
    const { config } = model
    const step = bsaStepGraph(model.G, config, model.params, trained, batch, latentWeight)
    const { session: compiled, info } = await compileStep(step.graph, session)
    return new OnnxBsaStep(compiled, step.trained, { batch, zDim: config.zDim, numClasses: config.numClasses, resolution: config.resolution }, info)
  }

  async gradients(
    params: ParamStore, z: Float32Array, y: Float32Array, x: Float32Array,
  ): Promise<{ losses: BsaLosses; grads: Map<string, tf.Tensor>; dz: Float32Array }> {
    const ort = loadOrt()
    const { batch, zDim, numClasses, resolution: R } = this.shapes
    const out = await this.session.run({
      ...parameterFeeds(this.trained, params),
      [bsaStepNames.z]: new ort.Tensor('float32', z, [batch, zDim]),
      [bsaStepNames.y]: new ort.Tensor('float32', y, [batch, numClasses]),
      [bsaStepNames.x]: new ort.Tensor('float32', x, [batch, R, R, 3]),
    })
    const scalar = (name: string): number => (out[name].data as Float32Array)[0]
    const grads = gradientTensors(this.trained, params, out, bsaStepNames.grad)
    return {
      losses: {
        total: scalar(bsaStepNames.loss),
        l1: scalar(bsaStepNames.l1),
        multiScaleL1: scalar(bsaStepNames.multiScaleL1),
        latentPrior: scalar(bsaStepNames.latentPrior),
      },
      grads,
      dz: out[bsaStepNames.grad(bsaStepNames.z)].data as Float32Array,
    }
  }

  async dispose(): Promise<void> {
    await this.session.release()
  }
}
