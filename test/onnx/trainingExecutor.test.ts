// A training session whose steps run on onnxruntime (main/onnx/training/executor.ts) trains as one on TensorFlow.js
// does: after the same steps from the same weights, the weights, their state (spectral-norm vectors, BatchNorm
// statistics), both Adams' moments and the EMA of G agree — with FreezeD, the orthogonal regulariser and a new
// class's faster row in play, for BigGAN and BigGAN-deep at two resolutions, with and without attention — and two
// runs on onnxruntime agree bit for bit.
import { beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../main/backend/backend'
import { defaultConfig, type ModelConfig } from '../../main/engine/config'
import { BigGANModel } from '../../main/engine/model'
import { Random } from '../../main/engine/sampling/random'
import { tf } from '../../main/engine/tf'
import { TrainingSession } from '../../main/engine/train/session'
import { generatorStep } from '../../main/engine/train/step'
import { discriminatorBlocks, frozenDiscriminatorParameters, resolveTrainSettings, type TrainSettings } from '../../main/engine/train/settings'
import { trainableRoles } from '../../main/engine/module'
import { OnnxStepExecutor } from '../../main/onnx/training/executor'
import { toFloat32 } from '../../main/tensors/convert'
import type { TensorMap } from '../../main/tensors/tensor'
import { tinyData } from '../train/helpers'
import { relativeNormError, reportParity } from './helpers'

beforeAll(async () => {
  await initBackend()
})

interface Shape {
  label: string
  config: ModelConfig
  /** the weights' seed */
  seed: number
}

const shape = (label: string, arch: 'biggan' | 'biggan-deep', resolution: number, attention: number, seed: number): Shape => ({
  label, config: { ...defaultConfig(arch, resolution, 8, 2, attention), sharedDim: 16, classNames: ['c0', 'c1'] }, seed,
})
// Each shape's seed gives weights whose first steps keep every ReLU pre-activation (and the hinge's) clear of 0 by
// more than float noise. Where one sits within it the executors take different sides, and Adam's first step, which
// moves every weight by ±lr whatever its gradient's size, carries that into D's weights and from there into G's
// gradient: at seed 3 BigGAN-32's D.blocks.1.conv1.bias moment moves by 3e-4 relative; of seeds 5–12, both 64-px
// shapes agree to ~1e-6 at 9 and 11, while at the others one shape or another moves by 1e-4 to 2e-3 (the 64-px
// ones at 5 by ~2e-4) — a property of those weights, not of either executor: one G step alone, from the same
// weights, agrees to 2e-6.
const attended = shape('BigGAN-32 with attention', 'biggan', 32, 16, 5)
const shapes: Shape[] = [
  attended,
  shape('BigGAN-64 without attention', 'biggan', 64, 0, 9),
  shape('BigGAN-deep-32 with attention', 'biggan-deep', 32, 16, 5),
  shape('BigGAN-deep-64 without attention', 'biggan-deep', 64, 0, 9),
]

function settingsFor(model: BigGANModel, augmented: boolean): TrainSettings {
  const dBlocks = discriminatorBlocks(model.D!.specs().map((s) => s.name))
  return resolveTrainSettings(
    'train',
    {
      steps: 3, batchSize: 4, orthogonalRegularisation: 1e-4, emaStart: 1, freezeD: 1,
      ...(augmented ? { augmentPolicies: ['color', 'translation', 'cutout'], augmentP: 0.5 } : { augmentPolicies: [] }),
      classStepScale: { classes: [1], factor: 10 },
    },
    { trainImages: 12, dBlocks },
  )
}

async function trained(
  executor: 'tfjs' | 'onnx', steps: number, augmented = false, { config, seed }: Shape = attended,
): Promise<{ weights: TensorMap; ema: TensorMap; moments: TensorMap }> {
  const model = BigGANModel.initialise(config, seed)
  const settings = settingsFor(model, augmented)
  const session = TrainingSession.create(
    model, tinyData(2, config.resolution), settings, {},
    executor === 'onnx' ? await OnnxStepExecutor.create(model.G, model.D!, config, {
      batchSize: settings.batchSize, augment: settings.augment.policies, session: { threads: 1, providers: [] },
      // FreezeD's blocks get no gradient: the compiled D step's backward stops above them
      frozen: frozenDiscriminatorParameters(model.D!.specs().filter((p) => trainableRoles.has(p.role)).map((p) => p.name), settings.freezeD),
    }) : undefined,
  )
  try {
    for (let i = 0; i < steps; i++) {
      await session.discriminatorStep()
      await session.generatorStep()
    }
    const t = model.tensors()
    return { weights: new Map([...t.G, ...t.D!]), ema: t.ema!, moments: session.optimiserTensors() }
  } finally {
    await session.dispose()
    model.dispose()
  }
}

/** G's parameters whose gradient is 0 in exact arithmetic: biases whose per-channel shift the next train-mode
 *  BatchNorm removes. Both executors hold float noise there (~1e-7 of the weights' gradients), and Adam, which
 *  divides by the gradient's own size, turns that noise into steps of ±lr of either sign, so those parameters,
 *  their moments and their average are noise on both sides and are left out of the comparison. */
function vanishing({ config, seed }: Shape = attended): Set<string> {
  const model = BigGANModel.initialise(config, seed)
  try {
    const rng = new Random(4)
    const y = new Float32Array(4 * 2).map((_, i) => (i % 2 === 0 ? 1 : 0))
    const g = generatorStep({ net: model.G, params: model.params }, { net: model.D!, params: model.params }, {
      z: tf.tensor2d(rng.normals(4 * config.zDim), [4, config.zDim]), y: tf.tensor2d(y, [4, 2]),
    })
    const norms = new Map([...g.grads].map(([name, t]) => [name, tf.tidy(() => tf.norm(t).dataSync()[0])]))
    tf.dispose([g.loss, ...g.grads.values()])
    const scale = Math.max(...norms.values())
    return new Set([...norms].filter(([, n]) => n < 1e-6 * scale).map(([name]) => name))
  } finally {
    model.dispose()
  }
}

/** ‖ours − reference‖ / ‖reference‖ over every tensor at once (the skipped ones left out). */
function overallRelative(ours: TensorMap, reference: TensorMap, skip: ReadonlySet<string>): number {
  let diff = 0
  let norm = 0
  for (const [name, raw] of reference) {
    if (skip.has(name.replace(/\.[mv]$/, ''))) continue
    const r = toFloat32(raw)
    const o = toFloat32(ours.get(name)!)
    for (let i = 0; i < r.length; i++) {
      diff += (o[i] - r[i]) ** 2
      norm += r[i] ** 2
    }
  }
  return Math.sqrt(diff) / Math.sqrt(norm)
}

function worstRelative(ours: TensorMap, reference: TensorMap, skip: ReadonlySet<string>): { error: number; name: string } {
  expect([...ours.keys()].sort()).toEqual([...reference.keys()].sort())
  let worst = { error: 0, name: '' }
  for (const [name, raw] of reference) {
    if (skip.has(name.replace(/\.[mv]$/, ''))) continue
    const error = relativeNormError(toFloat32(ours.get(name)!), toFloat32(raw))
    if (error > worst.error) worst = { error, name }
  }
  return worst
}

type Trained = Awaited<ReturnType<typeof trained>>
type Worst = ReturnType<typeof worstRelative>

interface Agreement {
  weights: Worst
  ema: Worst
  /** tensor by tensor */
  moments: Worst
  /** over each network's whole set */
  momentsG: number
  momentsD: number
}

function agreement(ours: Trained, reference: Trained, skip: ReadonlySet<string>): Agreement {
  const overall = (net: string): number => {
    const only = (m: TensorMap): TensorMap => new Map([...m].filter(([name]) => name.startsWith(net)))
    return overallRelative(only(ours.moments), only(reference.moments), skip)
  }
  return {
    weights: worstRelative(ours.weights, reference.weights, skip),
    ema: worstRelative(ours.ema, reference.ema, skip),
    moments: worstRelative(ours.moments, reference.moments, skip),
    momentsG: overall('G.'),
    momentsD: overall('D.'),
  }
}

function describeAgreement(a: Agreement): string {
  const worst = (w: Worst): string => `${w.error.toExponential(2)} (${w.name})`
  return `weights ${worst(a.weights)}, EMA ${worst(a.ema)}, Adam moments G ${a.momentsG.toExponential(2)} / D ${a.momentsD.toExponential(2)} ` +
    `(tensor by tensor ${worst(a.moments)})`
}

/** Weights, their state and the EMA tensor by tensor to 1e-5; Adam's moments to 1e-5 over each whole set, and
 *  tensor by tensor to the 1e-3 a gradient is held to: the moments of attention's γ, a scalar whose gradient at
 *  γ = 0 is a sum of products that cancel to 0.4 % of its terms, move by up to 2e-4 where the batch's draws put a
 *  pre-activation near ReLU's kink. */
function expectAgreement(a: Agreement): void {
  expect(a.weights.error).toBeLessThanOrEqual(1e-5)
  expect(a.ema.error).toBeLessThanOrEqual(1e-5)
  expect(a.moments.error).toBeLessThanOrEqual(1e-3)
  expect(a.momentsG, 'G moments').toBeLessThanOrEqual(1e-5)
  expect(a.momentsD, 'D moments').toBeLessThanOrEqual(1e-5)
}

describe('a training session on onnxruntime', () => {
  for (const shaped of shapes) {
    const label = shaped.label
    it(`${label}: takes the steps a TensorFlow.js session takes (weights, state, Adam moments and the EMA agree)`, async () => {
      const skip = vanishing(shaped)
      expect(skip.size).toBeGreaterThan(0)
      const a = agreement(await trained('onnx', 1, false, shaped), await trained('tfjs', 1, false, shaped), skip)
      reportParity(`a session step on onnxruntime vs on TensorFlow.js, ${label} (FreezeD, orthogonal regulariser, faster class row; ${skip.size} vanishing biases left out): ${describeAgreement(a)}`)
      expectAgreement(a)
    }, 120_000)
  }

  it('with DiffAugment (colour, translation, cutout at p 0.5) in the compiled step: the same draws, the same step', async () => {
    const skip = vanishing()
    const a = agreement(await trained('onnx', 1, true), await trained('tfjs', 1, true), skip)
    reportParity(`a session step on onnxruntime vs on TensorFlow.js, BigGAN-32 with attention and DiffAugment at p 0.5: ${describeAgreement(a)}`)
    expectAgreement(a)
  })

  it('is deterministic: the same steps from the same weights give the same bytes', async () => {
    const a = await trained('onnx', 2)
    const b = await trained('onnx', 2)
    for (const [name, t] of a.weights) expect(Buffer.from(b.weights.get(name)!.data).equals(Buffer.from(t.data)), name).toBe(true)
    for (const [name, t] of a.moments) expect(Buffer.from(b.moments.get(name)!.data).equals(Buffer.from(t.data)), name).toBe(true)
  })
})
