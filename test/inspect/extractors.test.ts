// Named feature extractors: the bundled Fashion-MNIST classifier, the model's D, and a TensorFlow.js model folder read
// from disk (no network) — each with its hash, its features and its class scores, and no tensor left behind.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../main/backend/backend'
import { argmaxRows } from '../../main/engine/inspect/classifier'
import { loadClassifier, readClassifierManifest } from '../../main/disk/classifierFolder'
import { imageEvidence } from '../../main/engine/inspect/evidence'
import { defaultExtractorSpec, openExtractor } from '../../main/disk/extractors'
import { bundledClassifierDir } from '../../main/disk/resources'
import { saliency } from '../../main/engine/inspect/saliency'
import { Random } from '../../main/engine/sampling/random'
import { tf } from '../../main/engine/tf'
import { testModel } from '../finetune/helpers'
import { loadModel, saveModel } from '../../main/disk/modelFolder'

const fashionNames = ['Ankle boot', 'Bag', 'Coat', 'Dress', 'Pullover', 'Sandal', 'Shirt', 'Sneaker', 'T-shirt-top', 'Trouser']

let work: string
beforeAll(async () => {
  await initBackend({ backend: 'wasm' })
  work = await mkdtemp(join(tmpdir(), 'extractors-'))
})
afterAll(async () => {
  await rm(work, { recursive: true, force: true })
})

function images(count: number, r: number, seed: number): Float32Array {
  const rng = new Random(seed)
  return Float32Array.from({ length: count * r * r * 3 }, () => Math.tanh(rng.normal()))
}

/** Saves a layers model as model.json + one weight shard, as model.save('file://…') would. */
async function saveLayersModel(model: tf.LayersModel, dir: string): Promise<void> {
  const { mkdir } = await import('node:fs/promises')
  await mkdir(dir, { recursive: true })
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const data = artifacts.weightData!
      const bytes = Array.isArray(data) ? Buffer.concat(data.map((b) => Buffer.from(b))) : Buffer.from(data)
      await writeFile(join(dir, 'weights.bin'), bytes)
      const json = {
        format: 'layers-model',
        generatedBy: 'test',
        convertedBy: null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
      }
      await writeFile(join(dir, 'model.json'), JSON.stringify(json))
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }
    }),
  )
}

function tinyClassifier(channels: number): tf.LayersModel {
  const model = tf.sequential()
  model.add(tf.layers.conv2d({ inputShape: [8, 8, channels], filters: 4, kernelSize: 3, activation: 'relu', kernelInitializer: tf.initializers.glorotNormal({ seed: 1 }) }))
  model.add(tf.layers.flatten())
  model.add(tf.layers.dense({ units: 5, activation: 'relu', kernelInitializer: tf.initializers.glorotNormal({ seed: 2 }) }))
  model.add(tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: tf.initializers.glorotNormal({ seed: 3 }) }))
  return model
}

function closeTo(a: ArrayLike<number>, b: ArrayLike<number>, tolerance = 1e-5): void {
  expect(a.length).toBe(b.length)
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(tolerance)
}

describe('the bundled Fashion-MNIST classifier as an extractor', () => {
  it('has its content hash, 128-d features and softmax class scores whose argmax is its prediction', async () => {
    const extractor = await openExtractor('fashion-mnist')
    const classifier = await loadClassifier(bundledClassifierDir())
    try {
      const manifest = await readClassifierManifest(bundledClassifierDir())
      expect(extractor.name).toBe('fashion-mnist-classifier')
      expect(extractor.hash).toBe(manifest.contentHash)
      expect([extractor.dims, extractor.resolution, extractor.classes?.count]).toEqual([128, 32, 10])
      const x = images(3, 32, 1)
      const before = tf.memory().numTensors
      const features = await extractor.features(x)
      const scores = await extractor.classify!(x)
      expect(tf.memory().numTensors).toBe(before)
      closeTo(features, await classifier.features(x))
      for (let i = 0; i < 3; i++) expect(scores.subarray(i * 10, (i + 1) * 10).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5)
      expect(Array.from(argmaxRows(scores, 10))).toEqual(Array.from(await classifier.predict(x)))
    } finally {
      extractor.dispose()
      classifier.dispose()
    }
  })

  it('is the default judge for a 32 px model with the Fashion-MNIST class names; D otherwise; none without D', async () => {
    const fashion = testModel('biggan', 10, 1, { config: { classNames: fashionNames } })
    const other = testModel('biggan', 3, 2)
    const noD = testModel('biggan', 3, 3, { config: { dChannels: 0 } })
    try {
      expect(await defaultExtractorSpec(fashion)).toBe('fashion-mnist')
      expect(await defaultExtractorSpec(other)).toBe('d')
      expect(await defaultExtractorSpec(noD)).toBeUndefined()
    } finally {
      fashion.dispose()
      other.dispose()
      noD.dispose()
    }
  })
})

describe("the model's discriminator as an extractor", () => {
  it("gives D's pooled features and its class evidence, hashed by the model's content hash once saved", async () => {
    const model = testModel('biggan', 3, 4)
    const dir = join(work, 'model')
    await saveModel(model, dir, { source: 'init' })
    model.dispose()
    const { BigGANModel } = await import('../../main/engine/model')
    const saved = await loadModel(dir)
    const extractor = await openExtractor('d', { model: saved })
    try {
      expect(extractor.name).toBe('discriminator')
      expect(extractor.hash).toBe(saved.manifest!.contentHash)
      expect(extractor.scoreKind).toBe('evidence')
      const x = images(2, 32, 5)
      const before = tf.memory().numTensors
      const features = await extractor.features(x)
      expect(tf.memory().numTensors).toBe(before)
      expect(features.length).toBe(2 * extractor.dims)
      closeTo(features, await saved.discriminatorFeatures(x), 1e-4)
      closeTo(await extractor.classify!(x), await imageEvidence(saved, x, 2), 1e-4)
    } finally {
      extractor.dispose()
      saved.dispose()
    }
  })

  it('refuses a generator-only model with what to use instead', async () => {
    const model = testModel('biggan', 3, 6, { config: { dChannels: 0 } })
    try {
      await expect(openExtractor('d', { model })).rejects.toThrow(/generator-only/)
    } finally {
      model.dispose()
    }
  })
})

describe('a TensorFlow.js model folder as an extractor', () => {
  it("reads model.json and its weights from disk: features of the layer before the last, the softmax as class scores, a hash of its files", async () => {
    const net = tinyClassifier(3)
    const dir = join(work, 'tfjs')
    await saveLayersModel(net, dir)
    const extractor = await openExtractor(dir)
    try {
      expect(extractor.name).toBe(`tfjs:${dir}`)
      expect(extractor.hash).toMatch(/^[0-9a-f]{64}$/)
      expect([extractor.dims, extractor.resolution, extractor.classes?.count]).toEqual([5, 8, 3])
      const x = images(4, 8, 7)
      const before = tf.memory().numTensors
      const features = await extractor.features(x)
      const scores = await extractor.classify!(x)
      expect(tf.memory().numTensors).toBe(before)
      const expected = tf.tidy(() => {
        const input = tf.tensor4d(x, [4, 8, 8, 3])
        const penultimate = tf.model({ inputs: net.inputs, outputs: net.layers[2].output as tf.SymbolicTensor })
        return [(penultimate.predict(input) as tf.Tensor).dataSync(), (net.predict(input) as tf.Tensor).dataSync()]
      })
      closeTo(features, expected[0])
      closeTo(scores, expected[1])
    } finally {
      extractor.dispose()
    }
    // extractor.json changes the input range and names the classes, and the hash with them
    await writeFile(join(dir, 'extractor.json'), JSON.stringify({ inputRange: [0, 1], classNames: ['a', 'b', 'c'] }))
    const ranged = await openExtractor(dir)
    try {
      expect(ranged.classes?.names).toEqual(['a', 'b', 'c'])
      const x = images(2, 8, 8)
      const expected = tf.tidy(() => (net.predict(tf.tensor4d(x.map((v) => (v + 1) / 2), [2, 8, 8, 3])) as tf.Tensor).dataSync())
      closeTo(await ranged.classify!(x), expected)
      // saliency differentiates its log-probability through the layers (Conv2DBackpropInput on wasm)
      const s = await saliency(ranged, x.subarray(0, 8 * 8 * 3), 1)
      expect(s.map.length).toBe(64)
      expect(Math.max(...s.map)).toBe(1)
      expect(s.score).toBeCloseTo(Math.log(expected[1]), 4)
      const first = await openExtractor(dir)
      expect(first.hash).toBe(ranged.hash)
      first.dispose()
    } finally {
      ranged.dispose()
      net.dispose()
    }
  })

  it('feeds a single-channel model the mean of the three channels', async () => {
    const net = tinyClassifier(1)
    const dir = join(work, 'grey')
    await saveLayersModel(net, dir)
    const extractor = await openExtractor(dir)
    try {
      const x = images(2, 8, 9)
      const grey = new Float32Array(2 * 64)
      for (let i = 0; i < grey.length; i++) grey[i] = (x[3 * i] + x[3 * i + 1] + x[3 * i + 2]) / 3
      const expected = tf.tidy(() => (net.predict(tf.tensor4d(grey, [2, 8, 8, 1])) as tf.Tensor).dataSync())
      closeTo(await extractor.classify!(x), expected)
    } finally {
      extractor.dispose()
      net.dispose()
    }
  })

  it('explains a folder it cannot use: no model.json, a model that does not take images, a weight path outside the folder', async () => {
    await expect(openExtractor(join(work, 'nothing-here'))).rejects.toThrow(/is not an extractor/)
    const dense = tf.sequential()
    dense.add(tf.layers.dense({ inputShape: [10], units: 2 }))
    const dir = join(work, 'dense')
    await saveLayersModel(dense, dir)
    dense.dispose()
    await expect(openExtractor(dir)).rejects.toThrow(/takes input \[batch,10\].*\[batch, R, R, 3\]/)
    const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'))
    json.weightsManifest[0].paths = ['../../etc/passwd']
    await writeFile(join(dir, 'model.json'), JSON.stringify(json))
    await expect(openExtractor(dir)).rejects.toThrow(/outside its folder/)
  })
})
