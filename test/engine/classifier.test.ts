import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../main/backend/backend'
import {
  ClassifierTrainer, ImageClassifier, argmaxRows, type ClassifierConfig,
} from '../../main/engine/inspect/classifier'
import { loadClassifier, saveClassifier } from '../../main/disk/classifierFolder'
import { Random } from '../../main/engine/sampling/random'
import { tf } from '../../main/engine/tf'

const R = 8
const plain: ClassifierConfig = { resolution: R, channels: [4, 8], featureDim: 6, classNames: ['left', 'right'] }
const normalised: ClassifierConfig = { ...plain, batchNorm: true }
const config = normalised

/** n images in [−1, 1] with noise; class 1 has a bright right half, class 0 a bright left half. */
function separable(n: number, seed: number): { images: Float32Array; labels: Int32Array } {
  const rng = new Random(seed)
  const images = new Float32Array(n * R * R * 3)
  const labels = Int32Array.from({ length: n }, (_, i) => i % 2)
  for (let i = 0; i < n; i++) {
    for (let y = 0; y < R; y++) {
      for (let x = 0; x < R; x++) {
        const bright = (x >= R / 2) === (labels[i] === 1)
        for (let c = 0; c < 3; c++) images[((i * R + y) * R + x) * 3 + c] = (bright ? 0.6 : -0.6) + 0.2 * rng.normal()
      }
    }
  }
  return { images, labels }
}

let dir: string

beforeAll(async () => {
  await initBackend()
  dir = await mkdtemp(join(tmpdir(), 'classifier-'))
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe.each([
  ['with BatchNorm', normalised],
  ['with conv biases', plain],
])('the image classifier %s', (_, config) => {
  /** tensors the classifier holds: per stage a kernel and BatchNorm's gain, bias, mean, var (or a bias); 4 dense */
  const held = config.channels.length * (config.batchNorm ? 5 : 2) + 4
  /** of which trained, each with two Adam moments */
  const trained = config.channels.length * (config.batchNorm ? 3 : 2) + 4

  it('learns a trivially separable task in a few Adam steps', async () => {
    const classifier = ImageClassifier.initialise(config, 1)
    const trainer = new ClassifierTrainer(classifier, { learningRate: 1e-2 })
    const { images, labels } = separable(32, 2)
    const losses: number[] = []
    for (let step = 0; step < 15; step++) losses.push(await trainer.step(images, labels))
    expect(losses[14]).toBeLessThan(losses[0] / 2)
    const test = separable(20, 3)
    expect([...(await classifier.predict(test.images))]).toEqual([...test.labels])
    trainer.dispose()
    classifier.dispose()
  })

  it('keeps the tensor count unchanged around predict, features, logits and (after the first) training steps', async () => {
    const classifier = ImageClassifier.initialise(config, 4)
    const trainer = new ClassifierTrainer(classifier)
    const { images, labels } = separable(6, 5)
    await trainer.step(images, labels) // allocates Adam's moments
    const before = tf.memory().numTensors
    await classifier.predict(images, 4)
    await classifier.features(images, 4)
    await classifier.logits(images)
    await classifier.embed(images, 5)
    await trainer.step(images, labels)
    expect(tf.memory().numTensors).toBe(before)
    trainer.dispose()
    classifier.dispose()
    expect(tf.memory().numTensors).toBe(before - held - 2 * trained)
  })

  it('gives features [n, featureDim] and logits [n, classes] that agree batch by batch and all at once', async () => {
    const classifier = ImageClassifier.initialise(config, 6)
    const { images } = separable(7, 7)
    const whole = await classifier.embed(images, 100)
    const batched = await classifier.embed(images, 3)
    expect(whole.features.length).toBe(7 * 6)
    expect(whole.logits.length).toBe(7 * 2)
    batched.features.forEach((v, i) => expect(v).toBeCloseTo(whole.features[i], 5))
    expect([...(await classifier.predict(images))]).toEqual([...argmaxRows(whole.logits, 2)])
    expect(() => classifier.countOf(new Float32Array(R * R * 3 + 1))).toThrow(/not a whole number of 8×8×3 images/)
    classifier.dispose()
  })

  it('saves and loads as a folder with a content hash, giving identical logits', async () => {
    const classifier = ImageClassifier.initialise(config, 8)
    const { images } = separable(5, 9)
    const manifest = await saveClassifier(classifier, join(dir, `${config.batchNorm ? 'bn' : 'plain'}-a`), { testAccuracy: 0.5 })
    expect(manifest.contentHash).toMatch(/^[0-9a-f]{64}$/)
    const loaded = await loadClassifier(join(dir, `${config.batchNorm ? 'bn' : 'plain'}-a`))
    expect(loaded.contentHash).toBe(manifest.contentHash)
    expect(loaded.config).toEqual(config)
    expect(await loaded.logits(images)).toEqual(await classifier.logits(images))
    // same weights, same hash; other weights, another
    expect((await saveClassifier(loaded, join(dir, `${config.batchNorm ? 'bn' : 'plain'}-b`))).contentHash).toBe(manifest.contentHash)
    const other = ImageClassifier.initialise(config, 9)
    expect((await saveClassifier(other, join(dir, `${config.batchNorm ? 'bn' : 'plain'}-c`))).contentHash).not.toBe(manifest.contentHash)
    const json = JSON.parse(await readFile(join(dir, `${config.batchNorm ? 'bn' : 'plain'}-a`, 'config.json'), 'utf8'))
    expect(json.training).toEqual({ testAccuracy: 0.5 })
    for (const c of [classifier, loaded, other]) c.dispose()
  })

  it('lists its tensors and is rebuilt from them in memory, identified by their content hash', async () => {
    const classifier = ImageClassifier.initialise(config, 14)
    const { images } = separable(4, 15)
    const tensors = await classifier.tensors()
    expect(tensors.size).toBe(held)
    const before = tf.memory().numTensors
    const rebuilt = ImageClassifier.fromTensors(config, tensors)
    expect(rebuilt.contentHash).toMatch(/^[0-9a-f]{64}$/)
    const again = ImageClassifier.fromTensors(config, tensors, { contentHash: rebuilt.contentHash })
    expect(again.contentHash).toBe(rebuilt.contentHash)
    again.dispose()
    expect(await rebuilt.logits(images)).toEqual(await classifier.logits(images))
    expect(() => ImageClassifier.fromTensors(config, tensors, { contentHash: '0'.repeat(64) })).toThrow(/content hash/)
    const extra = new Map([...tensors, ['head.extra', tensors.get('head.bias')!]])
    expect(() => ImageClassifier.fromTensors(config, extra, { source: 'memory' })).toThrow(/memory: tensor 'head.extra'/)
    const missing = new Map([...tensors].filter(([name]) => name !== 'head.bias'))
    expect(() => ImageClassifier.fromTensors(config, missing)).toThrow(/'head.bias'.*needs this tensor/)
    rebuilt.dispose()
    expect(tf.memory().numTensors).toBe(before) // refused tensors leave nothing behind
    classifier.dispose()
  })
})

describe('classifier folders', () => {
  it('keep BatchNorm running statistics that training moved, and load them back', async () => {
    const classifier = ImageClassifier.initialise(normalised, 12)
    const trainer = new ClassifierTrainer(classifier)
    const { images, labels } = separable(8, 13)
    await trainer.step(images, labels)
    const mean = await classifier.params.get('stage0.bn.mean').data()
    expect(Math.max(...mean.map(Math.abs))).toBeGreaterThan(0)
    await saveClassifier(classifier, join(dir, 'bn'))
    const loaded = await loadClassifier(join(dir, 'bn'))
    expect(await loaded.params.get('stage0.bn.mean').data()).toEqual(mean)
    expect(await loaded.params.get('stage1.bn.var').data()).toEqual(await classifier.params.get('stage1.bn.var').data())
    expect(await loaded.features(images)).toEqual(await classifier.features(images))
    trainer.dispose()
    classifier.dispose()
    loaded.dispose()
  })

  it('refuses a folder whose weights no longer match the hash', async () => {
    const classifier = ImageClassifier.initialise(config, 10)
    await saveClassifier(classifier, join(dir, 'd'))
    classifier.dispose()
    const path = join(dir, 'd', 'model.safetensors')
    const bytes = await readFile(path)
    bytes[bytes.length - 1] ^= 0xff
    await writeFile(path, bytes)
    const before = tf.memory().numTensors
    await expect(loadClassifier(join(dir, 'd'))).rejects.toThrow(/content hash/)
    expect(tf.memory().numTensors).toBe(before)
  })

  it('refuses a config whose architecture does not fit the weights', async () => {
    const classifier = ImageClassifier.initialise(config, 11)
    await saveClassifier(classifier, join(dir, 'e'))
    classifier.dispose()
    const path = join(dir, 'e', 'config.json')
    const json = JSON.parse(await readFile(path, 'utf8'))
    json.config.featureDim = 7
    await writeFile(path, JSON.stringify(json))
    await expect(loadClassifier(join(dir, 'e'))).rejects.toThrow(/features\.weight.*shape \[32,6\] but the config needs \[32,7\]/)
    await expect(loadClassifier(join(dir, 'nowhere'))).rejects.toThrow(/file not found/)
  })
})
