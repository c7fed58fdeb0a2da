// Which class a new class starts from: the class whose own samples the folder's images lie nearest in D's features
// (on the bundled model, whose D is trained: a random D's features tell no class from another), a colour folder
// compared in grey on a model that draws grey, the projection evidence narrowing a model's classes to the candidates
// sampled, and the mean of all rows where there is no D.
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { loadModel } from '../../main/disk/modelFolder'
import { fromFloat32, toFloat32 } from '../../main/tensors/convert'
import { initBackend } from '../../main/backend/backend'
import { defaultConfig } from '../../main/engine/config'
import { BigGANModel } from '../../main/engine/model'
import { forwardContext } from '../../main/engine/module'
import type { BigGANDiscriminator } from '../../main/engine/networks/biggan'
import { Random } from '../../main/engine/sampling/random'
import { sampleLatents } from '../../main/engine/sampling/truncation'
import { tf } from '../../main/engine/tf'
import { classEvidence } from '../../main/engine/finetune/newClass'
import { drawsGrey, greyValue, meanChroma, nearestClass, nearestClassWork } from '../../main/engine/finetune/nearestClass'
import { spectralState } from '../../main/engine/finetune/powerIteration'
import { testModel } from './helpers'

beforeAll(async () => {
  await initBackend({ backend: 'wasm' })
})

function onehots(labels: number[], numClasses: number): Float32Array {
  const y = new Float32Array(labels.length * numClasses)
  labels.forEach((k, i) => (y[i * numClasses + k] = 1))
  return y
}

/** `count` of the model's samples of class k, drawn with a seed of their own (not nearestClass's). */
function samplesOf(model: BigGANModel, k: number, count: number, seed: number): Promise<Float32Array> {
  const z = sampleLatents(new Random(seed), count, model.config.zDim, { kind: 'paper', threshold: 2 })
  return model.generate(z, onehots(Array(count).fill(k), model.config.numClasses))
}

/** The same model drawing grey: G's last conv gives every output channel the first one's weights and bias. */
function greyVersion(model: BigGANModel): BigGANModel {
  const t = model.tensors()
  for (const G of [t.G, ...(t.ema ? [t.ema] : [])]) {
    const w = G.get('G.toRgb.weight')!
    const values = toFloat32(w) // HWIO: the output channel is the last axis
    for (let i = 0; i < values.length; i += 3) values[i + 1] = values[i + 2] = values[i]
    G.set('G.toRgb.weight', fromFloat32(w.shape, values))
    const b = toFloat32(G.get('G.toRgb.bias')!)
    G.set('G.toRgb.bias', fromFloat32([3], Float32Array.of(b[0], b[0], b[0])))
  }
  return BigGANModel.fromTensors(model.config, t)
}

/** Images tinted as a colour the model never drew: each channel of [0, 1] scaled (orange). */
function tinted(x: Float32Array): Float32Array {
  const tint = [1, 0.55, 0.1]
  return x.map((v, i) => ((v + 1) / 2) * tint[i % 3] * 2 - 1)
}

describe('the nearest class of a folder', () => {
  it("finds the class of the bundled model's own samples, tinted a colour it never drew or not", async () => {
    const model = await loadModel(join(import.meta.dirname, '../../resources/default-model'))
    try {
      expect(await drawsGrey(model)).toBe(true)
      const names = model.config.classNames!
      const before = tf.memory().numTensors
      // items of distinct shapes (the upper-body garments, Pullover, Shirt and Coat, are nearest one another)
      for (const name of ['Bag', 'Sandal', 'Sneaker', 'Trouser']) {
        const k = names.indexOf(name)
        const own = await samplesOf(model, k, 6, 100 + k)
        for (const folder of [own, tinted(own)]) {
          const nearest = await nearestClass(model, folder, 6)
          expect(nearest.grey).toBe(true)
          expect(names[nearest.initFrom as number], JSON.stringify(nearest.scores)).toBe(name)
          expect(nearest.scores.map((s) => s.k).sort((a, b) => a - b)).toEqual([...names.keys()])
        }
      }
      expect(tf.memory().numTensors).toBe(before)
    } finally {
      model.dispose()
    }
  }, 120_000)

  it('on a model that draws grey, a colour folder is compared in grey: G made grey is told from G in colour', async () => {
    const colour = testModel('biggan', 4, 4)
    const grey = greyVersion(colour)
    expect(await drawsGrey(colour)).toBe(false)
    expect(await drawsGrey(grey)).toBe(true)
    expect((await nearestClass(grey, tinted(await samplesOf(grey, 1, 4, 7)), 4)).grey).toBe(true)
    expect((await nearestClass(colour, await samplesOf(colour, 1, 4, 7), 4)).grey).toBe(false)
    colour.dispose()
    grey.dispose()
  })

  it("takes a pixel's value (its brightest channel) as its grey: a tinted grey image gets its grey back", () => {
    const grey = greyValue(Float32Array.of(1, 0, -1, 0.5, 0.5, 0.5, -0.2, -0.6, -0.9))
    expect([...grey]).toEqual([1, 1, 1, 0.5, 0.5, 0.5, -0.2, -0.2, -0.2].map(Math.fround))
    expect(meanChroma(grey)).toBe(0)
    const picture = Float32Array.from({ length: 12 }, (_, i) => Math.fround(Math.floor(i / 3) / 2 - 0.75))
    expect([...greyValue(tinted(picture))].map((v) => v.toFixed(5))).toEqual([...picture].map((v) => v.toFixed(5)))
  })

  it("with one candidate, is the class with the most projection evidence: the row pointing along the images' D features", async () => {
    const model = testModel('biggan', 5, 4)
    const r = model.config.resolution
    const count = 4
    const images = await model.generate(new Random(9).normals(count * model.config.zDim), onehots([0, 1, 2, 3], 5))
    const evidence = await classEvidence(model, images, count)
    const planted = (evidence.indexOf(Math.max(...evidence)) + 2) % 5
    // Σ h over the images, straight from D's features
    const D = model.D as BigGANDiscriminator
    const features = tf.tidy(() =>
      tf.sum(D.features(forwardContext(model.params, 'eval'), tf.tensor4d(images, [count, r, r, 3])), 0).dataSync(),
    )
    const t = model.tensors()
    const raw = t.D!.get('D.embedding.weight')!
    const [rows, cols] = raw.shape
    const w = toFloat32(raw)
    const length = Math.hypot(...features)
    for (let j = 0; j < cols; j++) w[planted * cols + j] = (3 * features[j]) / length // 3× an orthogonal row's norm
    const { u, v, sigma } = spectralState(w, rows, cols)
    t.D!.set('D.embedding.weight', fromFloat32([rows, cols], w))
    t.D!.set('D.embedding.u', fromFloat32([rows], Float32Array.from(u)))
    t.D!.set('D.embedding.v', fromFloat32([cols], Float32Array.from(v)))
    t.D!.set('D.embedding.sigma', fromFloat32([1], Float32Array.of(sigma)))
    const plantedModel = BigGANModel.fromTensors(model.config, t)
    const before = tf.memory().numTensors
    expect((await nearestClass(plantedModel, images, count, { candidates: 1 })).initFrom).toBe(planted)
    expect(tf.memory().numTensors).toBe(before)
    model.dispose()
    plantedModel.dispose()
  })

  it('samples every class of a small model, and fewer classes and samples at 128 px', () => {
    expect(nearestClassWork(defaultConfig('biggan', 32, 16, 10))).toEqual({ candidates: 10, samplesPerClass: 16 })
    expect(nearestClassWork(defaultConfig('biggan', 64, 16, 40))).toEqual({ candidates: 16, samplesPerClass: 16 })
    expect(nearestClassWork(defaultConfig('biggan-deep', 128, 128, 1000))).toEqual({ candidates: 8, samplesPerClass: 8 })
    expect(nearestClassWork(defaultConfig('biggan', 32, 16, 10), { candidates: 0, samplesPerClass: 4 })).toEqual({ candidates: 1, samplesPerClass: 4 })
  })

  it('falls back to the mean of all rows for a generator-only model', async () => {
    const model = BigGANModel.initialise({ ...defaultConfig('biggan-deep', 32, 8, 3), dChannels: 0 }, 1)
    expect((await nearestClass(model, new Uint8Array(32 * 32 * 3), 1)).initFrom).toBe('mean')
    model.dispose()
  })
})
