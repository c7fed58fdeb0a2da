// Saliency maps: |∂score/∂x| (max over channels) of a class's D evidence or classifier logit, [R, R] in [0, 1], with
// no tensor left behind, and the gradient it normalises agreeing with finite differences.
import { beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../main/backend/backend'
import { ImageClassifier, type ClassifierConfig } from '../../main/engine/inspect/classifier'
import { imageEvidence } from '../../main/engine/inspect/evidence'
import { classifierExtractor, discriminatorExtractor } from '../../main/engine/inspect/extractors'
import { openExtractor } from '../../main/disk/extractors'
import { loadClassifier } from '../../main/disk/classifierFolder'
import { bundledClassifierDir } from '../../main/disk/resources'
import { generatedSaliency, saliency } from '../../main/engine/inspect/saliency'
import { Random } from '../../main/engine/sampling/random'
import { tf } from '../../main/engine/tf'
import { testModel } from '../finetune/helpers'

beforeAll(async () => {
  await initBackend({ backend: 'wasm' })
})

function expectNormalised(map: Float32Array, r: number): void {
  expect(map.length).toBe(r * r)
  let max = 0
  for (const v of map) {
    expect(v).toBeGreaterThanOrEqual(0)
    expect(v).toBeLessThanOrEqual(1)
    max = Math.max(max, v)
  }
  expect(max).toBe(1)
}

describe('saliency', () => {
  it("of D's evidence for a class on a generated image: an [R, R] map in [0, 1], the class's evidence as score, no tensor left", async () => {
    const model = testModel('biggan', 3, 1)
    try {
      await generatedSaliency(model, { cls: 0, seed: 1, truncation: null }, 2) // warm-up: first calls build kernels
      const before = tf.memory().numTensors
      const s = await generatedSaliency(model, { cls: 0, seed: 4, truncation: 0.7 }, 2)
      expect(tf.memory().numTensors).toBe(before)
      expectNormalised(s.map, 32)
      expect(s.class).toBe(2)
      expect(s.extractor).toBe('discriminator')
      expect(s.maxGradient).toBeGreaterThan(0)
      const evidence = await imageEvidence(model, s.image, 1)
      expect(s.score).toBeCloseTo(evidence[2], 3)
    } finally {
      model.dispose()
    }
  })

  it('normalises the gradient that finite differences measure at its largest pixel', async () => {
    const model = testModel('biggan', 3, 2)
    try {
      const judge = discriminatorExtractor(model)
      const rng = new Random(3)
      const image = Float32Array.from({ length: 32 * 32 * 3 }, () => 0.5 * Math.tanh(rng.normal()))
      const s = await saliency(judge, image, 1)
      let peak = 0
      for (let p = 1; p < s.map.length; p++) if (s.map[p] > s.map[peak]) peak = p
      const eps = 1e-2
      let largest = 0
      for (let c = 0; c < 3; c++) {
        const plus = image.slice()
        const minus = image.slice()
        plus[peak * 3 + c] += eps
        minus[peak * 3 + c] -= eps
        const e = await imageEvidence(model, Float32Array.from([...plus, ...minus]), 2)
        largest = Math.max(largest, Math.abs(e[1] - e[3 + 1]) / (2 * eps))
      }
      expect(Math.abs(largest - s.maxGradient)).toBeLessThan(0.05 * s.maxGradient)
    } finally {
      model.dispose()
    }
  })

  it("of a classifier's logit: the bundled Fashion-MNIST classifier", async () => {
    const extractor = await openExtractor('fashion-mnist')
    const classifier = await loadClassifier(bundledClassifierDir())
    try {
      const rng = new Random(5)
      const image = Float32Array.from({ length: 32 * 32 * 3 }, () => Math.tanh(rng.normal()))
      await saliency(extractor, image, 3)
      const before = tf.memory().numTensors
      const s = await saliency(extractor, image, 3)
      expect(tf.memory().numTensors).toBe(before)
      expectNormalised(s.map, 32)
      expect(s.score).toBeCloseTo((await classifier.logits(image))[3], 4)
    } finally {
      extractor.dispose()
      classifier.dispose()
    }
  })

  it('says what is wrong with a class out of range or a wrong image size', async () => {
    const config: ClassifierConfig = { resolution: 8, channels: [4], featureDim: 4, classNames: ['a', 'b'] }
    const classifier = ImageClassifier.initialise(config, 1)
    classifier.contentHash = 'f'.repeat(64)
    const judge = classifierExtractor(classifier, 'tiny')
    try {
      await expect(saliency(judge, new Float32Array(8 * 8 * 3), 2)).rejects.toThrow(/class 2 does not exist for tiny \(0–1\)/)
      await expect(saliency(judge, new Float32Array(16 * 16 * 3), 0)).rejects.toThrow(/one image/)
      await expect(saliency(judge, new Float32Array(10), 0)).rejects.toThrow(/takes 8×8 RGB images/)
    } finally {
      judge.dispose()
    }
  })
})
