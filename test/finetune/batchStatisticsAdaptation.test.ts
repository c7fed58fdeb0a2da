// Batch statistics adaptation: only the conditional BatchNorms' gain/bias projections, the class embedding, G's
// output layers and the per-image latents move, the reconstruction loss falls, colour can move, a saved state
// continues exactly (a run saved before the output layers were adapted, as it was), and nothing leaks.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { fromFloat32, toFloat32 } from '../../main/tensors/convert'
import { initBackend } from '../../main/backend/backend'
import {
  bsaStartingModel, bsaStep, bsaTrainableNames, createBsaState, restoreBsaState, runBsa, saveBsaState, type BsaCheckpoint, type BsaImages,
} from '../../main/engine/finetune/batchStatisticsAdaptation'
import { addClass } from '../../main/engine/finetune/newClass'
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
  it.each(['biggan', 'biggan-deep'] as const)('%s: the gain and bias projection weights of every conditional BatchNorm, the class embedding and the output layers', (arch) => {
    const model = testModel(arch, classes, 1)
    const bns = new Set(model.G.specs().filter((s) => /\.bn\d\.mean$/.test(s.name)).map((s) => s.name.slice(0, -'.mean'.length)))
    expect(bns.size).toBeGreaterThan(0)
    const projections = [...bns].flatMap((bn) => [`${bn}.bias.weight`, `${bn}.gain.weight`]).sort()
    const output = ['G.outputBn.bias', 'G.outputBn.gain', 'G.sharedEmbedding.weight', 'G.toRgb.bias', 'G.toRgb.weight']
    expect(bsaTrainableNames(model.G).sort()).toEqual([...projections, ...output].sort())
    expect(bsaTrainableNames(model.G, false).sort()).toEqual(projections)
    model.dispose()
  })
})

describe('adapting a new class to a tinted folder', () => {
  /** A model that draws grey: G's to-RGB conv has one set of weights and one bias for all three channels, as a G
   *  trained on grey images ends up with; a fourth class is added for the folder, from class 1. */
  function greyModelWithNewClass(): BigGANModel {
    const base = testModel('biggan', classes, 21)
    const t = base.tensors()
    base.dispose()
    const w = toFloat32(t.G.get('G.toRgb.weight')!) // [3, 3, C, 3]
    for (let i = 0; i < w.length; i += 3) w[i + 1] = w[i + 2] = w[i]
    t.G.set('G.toRgb.weight', fromFloat32(t.G.get('G.toRgb.weight')!.shape, w))
    t.G.set('G.toRgb.bias', fromFloat32([3], new Float32Array(3)))
    const grey = BigGANModel.fromTensors(base.config, { G: t.G, D: t.D! })
    const withClass = addClass(grey, { name: 'orange thing', initFrom: 1 })
    grey.dispose()
    return withClass
  }

  /** Mean of R − B over the new class's samples at fixed latents: 0 for grey, > 0 for orange. */
  async function orangeness(model: BigGANModel): Promise<number> {
    const n = 8
    const y = new Float32Array(n * model.config.numClasses)
    for (let i = 0; i < n; i++) y[i * model.config.numClasses + classes] = 1
    const x = await model.generate(new Random(5).normals(n * model.config.zDim), y)
    let sum = 0
    for (let p = 0; p < x.length; p += 3) sum += x[p] - x[p + 2]
    return sum / (x.length / 3)
  }

  /** Orange images: a large orange (1, 0.55, 0.1) square on black, in [−1, 1]. */
  function orangeFolder(count: number): BsaImages {
    const pixels = new Float32Array(count * 32 * 32 * 3).fill(-1)
    for (let i = 0; i < count; i++) {
      for (let y = 4 + i; y < 26 + i; y++) {
        for (let x = 4; x < 28; x++) [1, 0.55, 0.1].forEach((c, k) => (pixels[((i * 32 + y) * 32 + x) * 3 + k] = 2 * c - 1))
      }
    }
    return { pixels, labels: new Array(count).fill(classes), count }
  }

  it('moves the new class\'s colour toward the folder\'s, which the BatchNorm projections alone cannot', async () => {
    const images = orangeFolder(4)
    let folder = 0
    for (let p = 0; p < images.pixels.length; p += 3) folder += images.pixels[p] - images.pixels[p + 2]
    folder /= images.pixels.length / 3
    const outcomes: Record<string, number> = {}
    for (const adaptOutput of [false, true]) {
      const model = greyModelWithNewClass()
      const before = await orangeness(model)
      expect(Math.abs(before)).toBeLessThan(1e-6)
      const result = await runBsa(model, images, { steps: 15, lr: 1e-3, batch: 4, seed: 2, adaptOutput })
      outcomes[String(adaptOutput)] = await orangeness(result.model)
      result.model.dispose()
      model.dispose()
    }
    // the folder is orange (R − B well above 0); grey stays grey without the output layers, and turns toward it with them
    expect(folder).toBeGreaterThan(0.5)
    expect(Math.abs(outcomes.false)).toBeLessThan(1e-5)
    expect(outcomes.true).toBeGreaterThan(0.1 * folder)
  })
})

describe('adapting a biggan model to 4 images', () => {
  it('lowers the reconstruction loss and changes nothing but what it adapts, with a stable tensor count per step', async () => {
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

  it('continues a state saved before the output layers were adapted with the projections alone', async () => {
    const model = testModel('biggan', classes, 3)
    const images = await targetsFor(model)
    const a = bsaStartingModel(model)
    const state = createBsaState(a, images, { steps: 10, lr: 1e-3, batch: 2, seed: 4, adaptOutput: false })
    bsaStep(state)
    const saved = saveBsaState(state)
    const { adaptOutput, ...older } = saved.json.settings
    expect(adaptOutput).toBe(false)
    const restored = restoreBsaState(a, images, { ...saved, json: { ...saved.json, settings: older as typeof saved.json.settings } })
    expect(restored.trainable).toEqual(bsaTrainableNames(a.G, false))
    for (const x of [state, restored, a, model]) x.dispose()
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
