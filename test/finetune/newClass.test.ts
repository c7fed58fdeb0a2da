// Adding a class: the old classes keep their images bit for bit, the new one renders, D's spectral state matches its
// new matrix; the class-row scales; and the class evidence D's projection head gives a folder.
import { beforeAll, describe, expect, it } from 'vitest'
import { fromFloat32, toFloat32 } from '../../main/tensors/convert'
import { initBackend } from '../../main/backend/backend'
import { defaultConfig, type Arch } from '../../main/engine/config'
import { BigGANModel } from '../../main/engine/model'
import { forwardContext, ParamStore } from '../../main/engine/module'
import { BigGANDiscriminator } from '../../main/engine/networks/biggan'
import { Random } from '../../main/engine/sampling/random'
import { tf } from '../../main/engine/tf'
import { Adam } from '../../main/engine/train/optimiser'
import {
  addClass, classEvidence, newClassGradientScale, withScaledUpdates,
} from '../../main/engine/finetune/newClass'
import { spectralState } from '../../main/engine/finetune/powerIteration'
import { testModel } from './helpers'

beforeAll(async () => {
  await initBackend({ backend: 'wasm' })
})

const classes = 3

/** one-hot rows [count·numClasses] for `labels` */
function onehots(labels: number[], numClasses: number): Float32Array {
  const y = new Float32Array(labels.length * numClasses)
  labels.forEach((k, i) => (y[i * numClasses + k] = 1))
  return y
}

function modelWithEma(arch: Arch, seed: number): BigGANModel {
  return testModel(arch, classes, seed, { ema: true })
}

function sigmaOf(model: BigGANModel): number {
  return tf.tidy(() => {
    const w = model.params.get('D.embedding.weight')
    const u = model.params.get('D.embedding.u')
    const v = model.params.get('D.embedding.v')
    return tf.sum(tf.mul(u, tf.matMul(w, tf.reshape(v, [-1, 1])).reshape([-1]))).dataSync()[0]
  })
}

describe.each(['biggan', 'biggan-deep'] as const)('adding a class to a %s model', (arch) => {
  it('keeps every old class rendering the same images, from G and from the EMA, and the copied class renders as its source', async () => {
    const model = modelWithEma(arch, 1)
    const z = new Random(7).normals(classes * model.config.zDim)
    const oldY = onehots([0, 1, 2], classes)
    const before = tf.memory().numTensors
    const copy = addClass(model, { name: 'corgi', initFrom: 1 })
    const mean = addClass(model, { name: 'corgi', initFrom: 'mean' })
    expect(copy.config.numClasses).toBe(classes + 1)
    expect(copy.config.classNames).toEqual(['class 0', 'class 1', 'class 2', 'corgi'])
    const newY = onehots([0, 1, 2], classes + 1)
    for (const useEma of [true, false]) {
      const original = await model.generate(z, oldY, { useEma })
      expect(original.every(Number.isFinite)).toBe(true)
      expect(await copy.generate(z, newY, { useEma })).toEqual(original)
      expect(await mean.generate(z, newY, { useEma })).toEqual(original)
    }
    // the new class (index 3) copied from class 1 renders class 1's images; the mean row renders something else
    const zOne = z.subarray(0, model.config.zDim)
    const class1 = await model.generate(zOne, onehots([1], classes))
    expect(await copy.generate(zOne, onehots([3], classes + 1))).toEqual(class1)
    const fromMean = await mean.generate(zOne, onehots([3], classes + 1))
    expect(fromMean.every(Number.isFinite)).toBe(true)
    expect(fromMean).not.toEqual(class1)
    // the EMA row comes from the EMA's rows, not G's
    const emaRow = toFloat32(mean.tensors().ema!.get('G.sharedEmbedding.weight')!).slice(classes * 128)
    const emaRows = toFloat32(model.tensors().ema!.get('G.sharedEmbedding.weight')!)
    for (let j = 0; j < 128; j += 17) {
      expect(emaRow[j]).toBeCloseTo((emaRows[j] + emaRows[128 + j] + emaRows[256 + j]) / 3, 6)
    }
    copy.dispose()
    mean.dispose()
    expect(tf.memory().numTensors).toBe(before)
    model.dispose()
  })

  it("recomputes D's spectral state for the new matrix: the projection term scales by σ_old/σ_new, the rest is unchanged", async () => {
    const model = modelWithEma(arch, 2)
    const added = addClass(model, { name: 'new', initFrom: 0 })
    const r = model.config.resolution
    const x = new Random(3).normals(2 * r * r * 3).map((v) => Math.tanh(v))
    const logits = async (m: BigGANModel, y: Float32Array): Promise<Float32Array> => m.discriminate(x, y)
    const unconditionalOld = await logits(model, new Float32Array(2 * classes))
    const unconditionalNew = await logits(added, new Float32Array(2 * (classes + 1)))
    expect(unconditionalNew).toEqual(unconditionalOld)
    const ratio = sigmaOf(model) / sigmaOf(added)
    const projectionOld = await logits(model, onehots([2, 2], classes))
    const projectionNew = await logits(added, onehots([2, 2], classes + 1))
    for (let i = 0; i < 2; i++) {
      const expected = (projectionOld[i] - unconditionalOld[i]) * ratio
      expect(Math.abs(projectionNew[i] - unconditionalNew[i] - expected)).toBeLessThan(1e-4 * Math.max(1, Math.abs(expected)))
    }
    // u, v unit; σ = ‖W v‖ = the largest singular value (W Wᵀ u = σ² u at convergence on this small matrix)
    const w = added.params.get('D.embedding.weight')
    const [u, v] = ['u', 'v'].map((s) => added.params.get(`D.embedding.${s}`).dataSync())
    expect(Math.hypot(...u)).toBeCloseTo(1, 5)
    expect(Math.hypot(...v)).toBeCloseTo(1, 5)
    const sigma = added.params.get('D.embedding.sigma').dataSync()[0]
    expect(sigma).toBeCloseTo(sigmaOf(added), 4)
    const [rows, cols] = w.shape as [number, number]
    const top = spectralState(w.dataSync(), rows, cols, undefined, 500).sigma
    expect(sigma).toBeCloseTo(top, 3)
    model.dispose()
    added.dispose()
  })
})

describe('addClass refuses what it cannot do', () => {
  it('names the problem: a name that exists, a class that does not', () => {
    const model = BigGANModel.initialise(defaultConfig('biggan', 32, 8, classes), 1)
    expect(() => addClass(model, { name: 'Class 1', initFrom: 'mean' })).toThrow(/already exists as class 1/)
    expect(() => addClass(model, { name: 'x', initFrom: 3 })).toThrow(/class index 0–2/)
    expect(() => addClass(model, { name: ' ', initFrom: 0 })).toThrow(/needs a name/)
    model.dispose()
  })

  it('names an ImageNet-sized model’s classes by ImageNet', () => {
    const config = { ...defaultConfig('biggan', 32, 4, 1000), dChannels: 0 }
    const model = BigGANModel.initialise(config, 1)
    const added = addClass(model, { name: 'my dog', initFrom: 207 })
    expect(added.config.classNames![0]).toMatch(/^tench/)
    expect(added.config.classNames![1000]).toBe('my dog')
    model.dispose()
    added.dispose()
  })
})

describe('power iteration in float64', () => {
  it('finds σ, u and v of a known matrix', () => {
    // rows 3·e0 and 2·e1 (plus a small third row): σ = 3, u = e0, v = e0
    const w = [3, 0, 0, 0, 2, 0, 0, 0, 0.5]
    const { u, v, sigma } = spectralState(w, 3, 3, [0.3, 0.5, 0.1], 60)
    expect(sigma).toBeCloseTo(3, 8)
    expect(Math.abs(u[0])).toBeCloseTo(1, 8)
    expect(Math.abs(v[0])).toBeCloseTo(1, 8)
  })
})

describe('making the new class train faster', () => {
  it("gives ones everywhere and the factor on the new row, for G and D, and the factor on all of G's colour-making output layers", () => {
    const model = BigGANModel.initialise(defaultConfig('biggan', 32, 8, classes), 1)
    const before = tf.memory().numTensors
    const scales = newClassGradientScale(model, 2, 10)
    const output = ['G.outputBn.bias', 'G.outputBn.gain', 'G.toRgb.bias', 'G.toRgb.weight']
    expect([...scales.keys()].sort()).toEqual(['D.embedding.weight', 'G.sharedEmbedding.weight', ...output].sort())
    for (const [name, s] of scales) {
      expect(s.shape).toEqual(model.params.get(name).shape)
      if (output.includes(name)) {
        expect((s.dataSync() as Float32Array).every((x) => x === 10)).toBe(true)
        continue
      }
      const values = s.arraySync() as number[][]
      values.forEach((row, k) => expect(row.every((x) => x === (k === 2 ? 10 : 1))).toBe(true))
    }
    tf.dispose([...scales.values()])
    expect(tf.memory().numTensors).toBe(before)
    expect(() => newClassGradientScale(model, 3, 10)).toThrow(/does not exist/)
    model.dispose()
  })

  it('under Adam, scales the row’s step (withScaledUpdates), whereas scaling its gradient changes nothing', () => {
    const name = 'G.sharedEmbedding.weight'
    const start = tf.randomNormal([classes, 4], 0, 1, 'float32', 3)
    const stores = [0, 1, 2].map(() => {
      const s = new ParamStore()
      s.set(name, start, true)
      return s
    })
    const settings = { learningRate: 1e-2, beta1: 0, beta2: 0.999, epsilon: 1e-6 }
    const adams = stores.map((s) => new Adam(s, settings))
    const mask = tf.tidy(() => tf.mul(tf.ones([classes, 4]), tf.tensor2d([1, 1, 10], [classes, 1])))
    const scales = new Map([[name, mask]])
    for (let step = 0; step < 3; step++) {
      const g = tf.randomNormal([classes, 4], 0, 1e-2, 'float32', 10 + step)
      const scaledGrad = tf.mul(g, mask)
      adams[0].apply(new Map([[name, g]])) // plain
      adams[1].apply(new Map([[name, scaledGrad]])) // gradient × mask
      withScaledUpdates(stores[2], scales, () => adams[2].apply(new Map([[name, g]]))) // step × mask
      tf.dispose([g, scaledGrad])
    }
    const moved = stores.map((s) => tf.tidy(() => tf.sub(s.get(name), start).arraySync() as number[][]))
    for (let j = 0; j < 4; j++) {
      expect(moved[1][2][j]).toBeCloseTo(moved[0][2][j], 5) // Adam cancels the gradient's factor
      expect(moved[2][2][j]).toBeCloseTo(10 * moved[0][2][j], 5)
    }
    // the other rows take exactly the plain optimiser's values
    const rows = (s: ParamStore): number[][] => (s.get(name).arraySync() as number[][]).slice(0, 2)
    expect(rows(stores[2])).toEqual(rows(stores[0]))
    adams.forEach((a) => a.dispose())
    stores.forEach((s) => s.dispose())
    tf.dispose([start, mask])
  })
})

describe("D's projection evidence for a folder's class", () => {
  it.each(['biggan', 'biggan-deep'] as const)('%s: evidence for class k is D(x, onehot k) − D(x, 0), summed over images', async (arch) => {
    const model = testModel(arch, classes, 5)
    const r = model.config.resolution
    const count = 3
    const images = new Random(1).normals(count * r * r * 3).map((x) => Math.tanh(x))
    const evidence = await classEvidence(model, images, count, 2) // two batches: 2 + 1
    const zero = await model.discriminate(images, new Float32Array(count * classes))
    for (let k = 0; k < classes; k++) {
      const withK = await model.discriminate(images, onehots([k, k, k], classes))
      const expected = withK.reduce((s, x, i) => s + x - zero[i], 0)
      expect(Math.abs(evidence[k] - expected)).toBeLessThan(1e-4 * Math.max(1, Math.abs(expected)))
    }
    model.dispose()
  })
})
