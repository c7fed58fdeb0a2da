// D's class evidence per image: every class at once from φ(x) and the spectrally normalised embedding, equal to the
// two routes it must agree with (the per-image gradient of classEvidence, and D(x, onehot k) − D(x, 0)).
import { beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../main/backend/backend'
import { classEvidence } from '../../main/engine/finetune/newClass'
import { classRank, imageEvidence, topClasses, topEvidence } from '../../main/engine/inspect/evidence'
import { Random } from '../../main/engine/sampling/random'
import { tf } from '../../main/engine/tf'
import { testModel } from '../finetune/helpers'

beforeAll(async () => {
  await initBackend({ backend: 'wasm' })
})

const classes = 4

function images(count: number, r: number, seed: number): Float32Array {
  const rng = new Random(seed)
  return Float32Array.from({ length: count * r * r * 3 }, () => Math.tanh(rng.normal()))
}

function closeTo(a: ArrayLike<number>, b: ArrayLike<number>, tolerance: number): void {
  expect(a.length).toBe(b.length)
  const scale = Math.max(1, ...Array.from(b, Math.abs))
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(tolerance * scale)
}

describe.each(['biggan', 'biggan-deep'] as const)('class evidence of a %s model', (arch) => {
  it('equals the per-image gradient of classEvidence and D(x, onehot k) − D(x, 0), for every class, with no tensor left behind', async () => {
    const model = testModel(arch, classes, 3)
    try {
      const r = model.config.resolution
      const count = 3
      const x = images(count, r, 5)
      const before = tf.memory().numTensors
      const evidence = await imageEvidence(model, x, count, 2) // batches of 2: the last batch is partial
      expect(tf.memory().numTensors).toBe(before)
      expect(evidence.length).toBe(count * classes)
      const size = r * r * 3
      const zero = new Float32Array(classes)
      for (let i = 0; i < count; i++) {
        const image = x.subarray(i * size, (i + 1) * size)
        const row = evidence.subarray(i * classes, (i + 1) * classes)
        closeTo(row, await classEvidence(model, image, 1), 1e-4)
        const base = (await model.discriminate(image, zero))[0]
        const differences = new Float32Array(classes)
        for (let k = 0; k < classes; k++) {
          const y = new Float32Array(classes)
          y[k] = 1
          differences[k] = (await model.discriminate(image, y))[0] - base
        }
        closeTo(row, differences, 1e-4)
      }
    } finally {
      model.dispose()
    }
  })
})

describe('top-k class evidence', () => {
  it('orders classes by score, highest first, ties to the lower index', () => {
    const top = topClasses([0.5, 2, -1, 2], ['a', 'b', 'c', 'd'], 3)
    expect(top.map((t) => t.class)).toEqual([1, 3, 0])
    expect(top[0]).toEqual({ class: 1, name: 'b', score: 2 })
  })

  it("ranks a class where topClasses would list it, so a class outside the top k still says where it stands", () => {
    const scores = [0.5, 2, -1, 2]
    const order = topClasses(scores, ['a', 'b', 'c', 'd'], 4).map((t) => t.class)
    for (let c = 0; c < 4; c++) expect(classRank(scores, c)).toBe(order.indexOf(c) + 1)
    expect(classRank(scores, 2)).toBe(4)
  })

  it('gives each image its k strongest classes by D evidence, and takes uint8 pixels', async () => {
    const model = testModel('biggan', classes, 4)
    try {
      const r = model.config.resolution
      const pixels = Uint8Array.from(images(2, r, 9), (v) => Math.round((v + 1) * 127.5))
      const evidence = await imageEvidence(model, pixels, 2)
      const top = await topEvidence(model, pixels, 2, 2)
      expect(top).toHaveLength(2)
      for (let i = 0; i < 2; i++) {
        const row = Array.from(evidence.subarray(i * classes, (i + 1) * classes))
        expect(top[i]).toHaveLength(2)
        expect(top[i][0].score).toBe(Math.max(...row))
        expect(top[i][0].score).toBeGreaterThanOrEqual(top[i][1].score)
      }
    } finally {
      model.dispose()
    }
  })

  it('says what to do instead when the model has no discriminator', async () => {
    const model = testModel('biggan', classes, 5, { config: { dChannels: 0 } })
    try {
      await expect(imageEvidence(model, new Float32Array(32 * 32 * 3), 1)).rejects.toThrow(/generator-only.*use a classifier/)
    } finally {
      model.dispose()
    }
  })
})
