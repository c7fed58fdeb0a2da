// The training steps traced to ONNX (main/onnx/training/graphs.ts) compute what the TensorFlow.js step computes
// (engine/train/step.ts): the hinge losses, every gradient, and every state update (spectral-norm u, v, σ and
// BatchNorm running statistics), for both families, with and without self-attention, at two resolutions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../main/backend/backend'
import { defaultConfig, type ModelConfig } from '../../main/engine/config'
import { BigGANModel } from '../../main/engine/model'
import { trainableRoles } from '../../main/engine/module'
import { Random } from '../../main/engine/sampling/random'
import { tf } from '../../main/engine/tf'
import { discriminatorStep, generatorStep, type TrainingBatch } from '../../main/engine/train/step'
import { loadOrt } from '../../main/onnx/runtime'
import { compileStep, parameterFeeds } from '../../main/onnx/training/compiled'
import { discriminatorStepGraph, generatorStepGraph, stepNames, type StepGraph } from '../../main/onnx/training/graphs'
import { relativeNormError, reportParity } from './helpers'

beforeAll(async () => {
  await initBackend()
})

/** Gives BatchNorm statistics, attention γ and biases values that matter (initialisation leaves 0, 1 and 0). */
function perturb(model: BigGANModel, seed: number): void {
  const rng = new Random(seed)
  for (const spec of [...model.G.specs(), ...model.D!.specs()]) {
    const n = spec.shape.reduce((a, b) => a * b, 1)
    const values =
      spec.role === 'bn-mean' || spec.role === 'bias' ? rng.normals(n).map((v) => 0.1 * v)
      : spec.role === 'bn-var' ? rng.normals(n).map((v) => 0.5 + Math.abs(v))
      : spec.role === 'gamma' ? new Float32Array(n).fill(0.7)
      : spec.role === 'gain' ? rng.normals(n).map((v) => 1 + 0.1 * v)
      : undefined
    if (values) tf.tidy(() => model.params.set(spec.name, tf.tensor(values, spec.shape), trainableRoles.has(spec.role)))
  }
}

interface Batch {
  z: Float32Array
  y: Float32Array
  x: Float32Array
  yReal: Float32Array
}

function batchFor(config: ModelConfig, fakes: number, reals: number, seed: number): Batch {
  const rng = new Random(seed)
  const oneHots = (n: number): Float32Array => {
    const y = new Float32Array(n * config.numClasses)
    for (let i = 0; i < n; i++) y[i * config.numClasses + Math.floor(rng.uniform() * config.numClasses)] = 1
    return y
  }
  const R = config.resolution
  return {
    z: rng.normals(fakes * config.zDim),
    y: oneHots(fakes),
    x: rng.normals(reals * R * R * 3).map((v) => Math.tanh(v)),
    yReal: oneHots(reals),
  }
}

function tfBatch(config: ModelConfig, b: Batch): TrainingBatch {
  const fakes = b.z.length / config.zDim
  const reals = b.yReal.length / config.numClasses
  const R = config.resolution
  return {
    z: tf.tensor2d(b.z, [fakes, config.zDim]),
    y: tf.tensor2d(b.y, [fakes, config.numClasses]),
    x: tf.tensor4d(b.x, [reals, R, R, 3]),
    yReal: tf.tensor2d(b.yReal, [reals, config.numClasses]),
  }
}

/** Runs a step graph on onnxruntime with the model's current parameters. */
async function runStep(step: StepGraph, model: BigGANModel, feeds: Record<string, [Float32Array, number[]]>): Promise<Record<string, Float32Array>> {
  const ort = loadOrt()
  const { session } = await compileStep(step.graph, { threads: 1, providers: [] })
  try {
    const inputs = parameterFeeds(step.params, model.params)
    for (const [name, [data, shape]] of Object.entries(feeds)) inputs[name] = new ort.Tensor('float32', data, shape)
    const out = await session.run(inputs)
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array]))
  } finally {
    await session.release()
  }
}

function norm(v: Float32Array): number {
  return Math.sqrt(v.reduce((n, x) => n + x * x, 0))
}

const cases: [string, ModelConfig][] = [
  ['BigGAN-32 with attention, hierarchical z', defaultConfig('biggan', 32, 8, 5, 16)],
  ['BigGAN-64 without attention', { ...defaultConfig('biggan', 64, 8, 5, 0) }],
  ['BigGAN-deep-32 with attention', defaultConfig('biggan-deep', 32, 8, 5, 16)],
  ['BigGAN-deep-64 without attention', { ...defaultConfig('biggan-deep', 64, 8, 5, 0) }],
]

describe('training steps traced to onnxruntime', () => {
  const models: BigGANModel[] = []
  afterAll(() => models.forEach((m) => m.dispose()))

  for (const [label, config] of cases) {
    it(`${label}: the D step and the G step match TensorFlow.js (losses, gradients, state updates)`, async () => {
      const fakes = 3
      const reals = 2
      const reference = BigGANModel.initialise(config, 7)
      perturb(reference, 8)
      const traced = BigGANModel.fromTensors(config, reference.tensors())
      models.push(reference, traced)
      // A batch whose pre-activations sit clear of ReLU's kink: where one lands within float noise of 0 (batch seed 9
      // does that in BigGAN-64's D), the two executors take different sides and G's whole gradient moves by ~1 %,
      // which is a property of the batch, not of either executor.
      const b = batchFor(config, fakes, reals, 10)
      const R = config.resolution
      const report: string[] = []

      // D step
      const dGraph = discriminatorStepGraph(traced.G, traced.D!, config, { fakes, reals })
      const dOut = await runStep(dGraph, traced, {
        [stepNames.z]: [b.z, [fakes, config.zDim]],
        [stepNames.y]: [b.y, [fakes, config.numClasses]],
        [stepNames.x]: [b.x, [reals, R, R, 3]],
        [stepNames.yReal]: [b.yReal, [reals, config.numClasses]],
      })
      const G = { net: reference.G, params: reference.params }
      const D = { net: reference.D!, params: reference.params }
      const batch = tfBatch(config, b)
      const d = discriminatorStep(G, D, batch)
      expect(Math.abs(dOut[stepNames.loss][0] - d.loss.dataSync()[0]), 'D loss').toBeLessThanOrEqual(1e-5)
      expect([...dGraph.trained].sort()).toEqual([...d.grads.keys()].sort())
      let worst = 0
      for (const name of dGraph.trained) worst = Math.max(worst, relativeNormError(dOut[stepNames.grad(name)], d.grads.get(name)!.dataSync() as Float32Array))
      report.push(`D grads ${worst.toExponential(2)}`)
      expect(worst, 'D gradients').toBeLessThanOrEqual(1e-3)
      let worstState = 0
      for (const name of dGraph.updated) {
        worstState = Math.max(worstState, relativeNormError(dOut[stepNames.update(name)], reference.params.get(name).dataSync() as Float32Array))
      }
      report.push(`D-step state ${worstState.toExponential(2)} (${dGraph.updated.length} tensors)`)
      expect(worstState, 'state after the D step').toBeLessThanOrEqual(1e-4)
      tf.dispose([d.loss, ...d.grads.values(), d.logits.real, d.logits.fake])

      // land the D step's state updates in the traced model, as the trainer will
      for (const name of dGraph.updated) {
        tf.tidy(() => traced.params.get(name).assign(tf.tensor(dOut[stepNames.update(name)], traced.params.get(name).shape)))
      }

      // G step
      const gGraph = generatorStepGraph(traced.G, traced.D!, config, { fakes })
      const gOut = await runStep(gGraph, traced, {
        [stepNames.z]: [b.z, [fakes, config.zDim]],
        [stepNames.y]: [b.y, [fakes, config.numClasses]],
      })
      const gs = generatorStep(G, D, batch)
      report.push(`G loss ${gOut[stepNames.loss][0]} vs ${gs.loss.dataSync()[0]}`)
      expect(Math.abs(gOut[stepNames.loss][0] - gs.loss.dataSync()[0]), 'G loss').toBeLessThanOrEqual(1e-5)
      expect([...gGraph.trained].sort()).toEqual([...gs.grads.keys()].sort())
      // Biases whose per-channel shift the next train-mode BatchNorm removes have a gradient of exactly 0 in exact
      // arithmetic; both sides hold float noise there (norms ~1e-7 where the weights' are ~10). Those are held to
      // noise level, the rest to a relative error.
      const scale = Math.max(...gGraph.trained.map((name) => norm(gs.grads.get(name)!.dataSync() as Float32Array)))
      worst = 0
      let worstName = ''
      let vanishing = 0
      for (const name of gGraph.trained) {
        const ours = gOut[stepNames.grad(name)]
        const theirs = gs.grads.get(name)!.dataSync() as Float32Array
        if (norm(theirs) < 1e-6 * scale) {
          expect(norm(ours), `${name}: a gradient that vanishes in exact arithmetic`).toBeLessThan(1e-6 * scale)
          vanishing++
          continue
        }
        const e = relativeNormError(ours, theirs)
        if (e > worst) [worst, worstName] = [e, name]
      }
      report.push(`G grads ${worst.toExponential(2)} (${worstName}; ${vanishing} vanishing)`)
      expect(worst, 'G gradients').toBeLessThanOrEqual(1e-3)
      worstState = 0
      for (const name of gGraph.updated) {
        worstState = Math.max(worstState, relativeNormError(gOut[stepNames.update(name)], reference.params.get(name).dataSync() as Float32Array))
      }
      report.push(`G-step state ${worstState.toExponential(2)}`)
      expect(worstState, 'state after the G step').toBeLessThanOrEqual(1e-4)
      tf.dispose([gs.loss, ...gs.grads.values(), batch.z, batch.y, batch.x, batch.yReal])
      reportParity(`compiled D and G steps vs TensorFlow.js's, ${label}: ${report.join(', ')}`)
    }, 120_000)
  }
})
