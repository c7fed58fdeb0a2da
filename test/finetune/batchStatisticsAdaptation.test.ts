// Batch statistics adaptation: only the conditional BatchNorms' gain/bias projections and the per-image latents
// move, the reconstruction loss falls, a saved state continues exactly, and nothing leaks.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { fromFloat32, toFloat32 } from '../../main/tensors/convert'
import { initBackend } from '../../main/backend/backend'
import {
  bsaStartingModel, bsaStep, bsaTrainableNames, createBsaState, restoreBsaState, runBsa, saveBsaState, type BsaCheckpoint, type BsaImages,
} from '../../main/engine/finetune/batchStatisticsAdaptation'
import { BigGANModel } from '../../main/engine/model'
import { Random } from '../../main/engine/sampling/random'
import { tf } from '../../main/engine/tf'
import { differingTensors, testModel } from './helpers'
import { loadCheckpoint, saveModel } from '../../main/disk/modelFolder'

beforeAll(async () => {
  await initBackend({ backend: 'wasm' })
})

const classes = 3
const count = 4

/** 4 targets the model itself renders once its BN projections are changed: reachable by adapting exactly those. */
async function targetsFor(model: BigGANModel): Promise<BsaImages> {
  const t = model.tensors()
  const G = t.ema ?? t.G
  for (const name of bsaTrainableNames(model.G)) {
    const raw = G.get(name)!
    const rng = new Random(name.length)
    G.set(name, fromFloat32(raw.shape, toFloat32(raw).map((x) => x + 0.05 * rng.normal())))
  }
  const other = BigGANModel.fromTensors(model.config, { G })
  const labels = [0, 1, 2, 1]
  const y = new Float32Array(count * classes)
  labels.forEach((k, i) => (y[i * classes + k] = 1))
  const pixels = await other.generate(new Random(11).normals(count * model.config.zDim), y)
  other.dispose()
  return { pixels, labels, count }
}

describe('what BSA trains', () => {
  it.each(['biggan', 'biggan-deep'] as const)('%s: the gain and bias projection weights of every conditional BatchNorm', (arch) => {
    const model = testModel(arch, classes, 1)
    const names = bsaTrainableNames(model.G)
    const bns = new Set(model.G.specs().filter((s) => /\.bn\d\.mean$/.test(s.name)).map((s) => s.name.slice(0, -'.mean'.length)))
    expect(bns.size).toBeGreaterThan(0)
    expect(names.sort()).toEqual([...bns].flatMap((bn) => [`${bn}.bias.weight`, `${bn}.gain.weight`]).sort())
    model.dispose()
  })
})

describe('adapting a biggan model to 4 images', () => {
  it('lowers the reconstruction loss and changes nothing but the projections, with a stable tensor count per step', async () => {
    const model = testModel('biggan', classes, 2, { ema: true })
    const images = await targetsFor(model)
    const adapted = bsaStartingModel(model)
    // the weights that render (the EMA) are the ones adapted, and the copy has no EMA
    expect(adapted.hasEma).toBe(false)
    expect(differingTensors(adapted.tensors().G, model.tensors().ema!)).toEqual([])
    const start = adapted.tensors()
    const state = createBsaState(adapted, images, { steps: 100, lr: 5e-3, batch: count, seed: 3 })
    const all = [0, 1, 2, 3]
    const first = bsaStep(state, all)
    const counted = tf.memory().numTensors
    let last = first
    for (let i = 0; i < 7; i++) {
      last = bsaStep(state, all)
      expect(tf.memory().numTensors).toBe(counted)
    }
    expect(Number.isFinite(first.total)).toBe(true)
    expect(last.l1).toBeLessThan(first.l1)
    expect(last.total).toBeLessThan(first.total)
    const after = adapted.tensors()
    const trainable = bsaTrainableNames(adapted.G)
    expect(differingTensors(after.G, start.G).sort()).toEqual([...trainable].sort())
    expect(differingTensors(after.D!, start.D!)).toEqual([])
    state.dispose()
    adapted.dispose()
    model.dispose()
  })

  it('continues a saved state exactly where it left off', async () => {
    const model = testModel('biggan', classes, 3)
    const images = await targetsFor(model)
    const settings = { steps: 10, lr: 1e-3, batch: 2, seed: 4 }
    const a = bsaStartingModel(model)
    const stateA = createBsaState(a, images, settings)
    for (let i = 0; i < 2; i++) bsaStep(stateA)
    const checkpoint = saveBsaState(stateA)
    const lossesA = [bsaStep(stateA), bsaStep(stateA)]
    const b = bsaStartingModel(model)
    const stateB = restoreBsaState(b, images, checkpoint)
    expect(stateB.step).toBe(2)
    const lossesB = [bsaStep(stateB), bsaStep(stateB)]
    expect(lossesB).toEqual(lossesA)
    expect(differingTensors(b.tensors().G, a.tensors().G)).toEqual([])
    expect(stateB.latents.dataSync()).toEqual(stateA.latents.dataSync())
    expect(() => restoreBsaState(b, { ...images, count: 3, labels: [0, 1, 2], pixels: images.pixels.slice(0, 3 * 32 * 32 * 3) }, checkpoint))
      .toThrow(/latents for 4 images/)
    for (const x of [stateA, stateB, a, b, model]) x.dispose()
  })

  it('saves with the adapted model as a training checkpoint folder and continues from it', async () => {
    const model = testModel('biggan', classes, 6)
    const images = await targetsFor(model)
    const a = bsaStartingModel(model)
    const stateA = createBsaState(a, images, { steps: 10, lr: 1e-3, batch: 2, seed: 8 })
    bsaStep(stateA)
    const checkpoint = saveBsaState(stateA)
    const dir = mkdtempSync(join(tmpdir(), 'bsa-'))
    try {
      await saveModel(a, dir, { source: 'test' }, checkpoint.json, checkpoint.tensors)
      const loaded = await loadCheckpoint(dir)
      const saved: BsaCheckpoint = { json: loaded.model.manifest!.state as BsaCheckpoint['json'], tensors: loaded.optimiser }
      const stateB = restoreBsaState(loaded.model, images, saved)
      expect(bsaStep(stateB)).toEqual(bsaStep(stateA))
      expect(differingTensors(loaded.model.tensors().G, a.tensors().G)).toEqual([])
      stateB.dispose()
      loaded.model.dispose()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
    for (const x of [stateA, a, model]) x.dispose()
  })
})

describe('runBsa', () => {
  it('returns a new adapted model and the latents, leaves the original alone, stops on its signal, and leaks nothing', async () => {
    const model = testModel('biggan-deep', classes, 5)
    const images = await targetsFor(model)
    const original = model.tensors()
    const before = tf.memory().numTensors
    const seen: number[] = []
    const result = await runBsa(model, images, {
      steps: 3, lr: 1e-3, batch: 2, seed: 1, onProgress: (p) => seen.push(p.step),
    })
    expect(seen).toEqual([1, 2, 3])
    expect(result.cancelled).toBe(false)
    expect(result.latents.length).toBe(count * model.config.zDim)
    expect(differingTensors(model.tensors().G, original.G)).toEqual([])
    expect(differingTensors(result.model.tensors().G, original.G).length).toBe(bsaTrainableNames(model.G).length)
    result.model.dispose()
    expect(tf.memory().numTensors).toBe(before)

    const controller = new AbortController()
    const stopped = await runBsa(model, images, {
      steps: 5, lr: 1e-3, batch: 2, seed: 1, signal: controller.signal,
      onProgress: (p) => p.step === 2 && controller.abort(),
    })
    expect(stopped.cancelled).toBe(true)
    expect(stopped.steps).toBe(2)
    expect(stopped.checkpoint.json.step).toBe(2)
    // the cancelled run resumes from its checkpoint
    const resumedAt: number[] = []
    const resumed = await runBsa(model, images, {
      ...stopped.checkpoint.json.settings, steps: 1000, resume: stopped.checkpoint, onProgress: (p) => resumedAt.push(p.step),
    })
    expect(resumedAt).toEqual([3, 4, 5]) // the checkpoint's settings win (5 steps): the same run, continued
    expect(resumed.steps).toBe(5)
    stopped.model.dispose()
    resumed.model.dispose()
    expect(tf.memory().numTensors).toBe(before)
    model.dispose()
  })
})
