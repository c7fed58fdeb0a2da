// BSA's step compiled for onnxruntime (main/onnx/training/bsaExecutor.ts) adapts as the TensorFlow.js step does: from
// the same model, images and seed, the losses of each step, the adapted parameters, the latents and both Adams'
// moments agree after several steps, for BigGAN and BigGAN-deep.
import { beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../main/backend/backend'
import {
  bsaStartingModel, bsaStep, compiledBsaStep, createBsaState, saveBsaState, type BsaImages, type BsaLosses,
} from '../../main/engine/finetune/batchStatisticsAdaptation'
import type { BigGANModel } from '../../main/engine/model'
import { Random } from '../../main/engine/sampling/random'
import { OnnxBsaStep } from '../../main/onnx/training/bsaExecutor'
import { toFloat32 } from '../../main/tensors/convert'
import { testModel } from '../finetune/helpers'
import { relativeNormError, reportParity } from './helpers'

beforeAll(async () => {
  await initBackend()
})

const classes = 3
const count = 5
const settings = { steps: 3, lr: 5e-4, batch: 4, seed: 7 }

function images(model: BigGANModel): BsaImages {
  const R = model.config.resolution
  const pixels = new Random(3).normals(count * R * R * 3).map((v) => Math.tanh(v))
  return { pixels, labels: [0, 1, 2, 1, 0], count }
}

describe('BSA on onnxruntime', () => {
  it.each(['biggan', 'biggan-deep'] as const)('%s: the compiled step takes the steps the TensorFlow.js step takes', async (arch) => {
    const parent = testModel(arch, classes, 1)
    const reference = createBsaState(bsaStartingModel(parent), images(parent), settings)
    const ours = createBsaState(bsaStartingModel(parent), images(parent), settings)
    const compiled = await OnnxBsaStep.create(ours.model, ours.trainable, Math.min(settings.batch, count), ours.settings.latentWeight, {
      threads: 1, providers: [],
    })
    try {
      const lossesOf = (l: BsaLosses): number[] => [l.total, l.l1, l.multiScaleL1, l.latentPrior]
      for (let step = 0; step < 3; step++) {
        const expected = lossesOf(bsaStep(reference))
        const got = lossesOf(await compiledBsaStep(ours, compiled))
        got.forEach((v, i) => expect(Math.abs(v - expected[i]), `step ${step} loss part ${i}`).toBeLessThanOrEqual(1e-5))
      }
      const a = saveBsaState(reference)
      const b = saveBsaState(ours)
      expect(b.json).toEqual(a.json)
      let worst = 0
      let worstName = ''
      for (const [name, raw] of a.tensors) {
        const e = relativeNormError(toFloat32(b.tensors.get(name)!), toFloat32(raw))
        if (e > worst) [worst, worstName] = [e, name]
      }
      reportParity(`BSA's compiled step vs TensorFlow.js's, ${arch}: after 3 steps, worst relative difference ${worst.toExponential(2)} (${worstName})`)
      expect(worst).toBeLessThanOrEqual(1e-4)
    } finally {
      await compiled.dispose()
      for (const s of [reference, ours]) {
        s.model.dispose()
        s.dispose()
      }
      parent.dispose()
    }
  })
})
