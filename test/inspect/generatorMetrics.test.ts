// Generator metrics in an extractor's feature space: every number carries the extractor, its hash, the counts, k,
// the truncation and the classes; the diversity–fidelity curve is saved beside the model atomically.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../main/backend/backend'
import { discriminatorExtractor } from '../../main/engine/inspect/extractors'
import { diversityFidelityCurve, generateForMetrics, generatorMetrics, realFeatures } from '../../main/engine/inspect/generatorMetrics'
import { metricsFileName, saveMetrics } from '../../main/disk/metricsFiles'
import { tf } from '../../main/engine/tf'
import { testModel } from '../finetune/helpers'

let work: string
beforeAll(async () => {
  await initBackend({ backend: 'wasm' })
  work = await mkdtemp(join(tmpdir(), 'generator-metrics-'))
})
afterAll(async () => {
  await rm(work, { recursive: true, force: true })
})

describe('generator metrics', () => {
  it('measure fakes against reals with provenance on every number, and score a generator against its own samples as close', async () => {
    const model = testModel('biggan', 3, 1)
    const other = testModel('biggan', 3, 9)
    try {
      const extractor = discriminatorExtractor(model)
      const reals = await generateForMetrics(model, { n: 24, classes: [0, 1, 2], truncation: null, seed: 100 })
      const pixels = Uint8Array.from(reals, (v) => Math.round((v + 1) * 127.5))
      const real = await realFeatures(extractor, pixels, 24)
      const before = tf.memory().numTensors
      const own = await generatorMetrics(model, extractor, real, { n: 24, classes: [0, 1, 2], truncation: null, seed: 7 }, { kid: { subsets: 10 } })
      expect(tf.memory().numTensors).toBe(before)
      expect(own).toMatchObject({
        extractor: 'discriminator',
        extractorHash: extractor.hash,
        dims: extractor.dims,
        realCount: 24,
        fakeCount: 24,
        k: { precisionRecall: 3, densityCoverage: 5 },
        truncation: null,
        classes: [0, 1, 2],
      })
      expect(own.note).toMatch(/not comparable with published FID/)
      const foreign = await generatorMetrics(other, extractor, real, { n: 24, classes: [0, 1, 2], truncation: null, seed: 7 }, { kid: { subsets: 10 } })
      expect(own.fid).toBeLessThan(foreign.fid)
      for (const m of [own, foreign]) {
        for (const v of [m.precision, m.recall, m.coverage]) expect(v).toBeGreaterThanOrEqual(0)
        for (const v of [m.precision, m.recall, m.coverage]) expect(v).toBeLessThanOrEqual(1)
      }
    } finally {
      model.dispose()
      other.dispose()
    }
  })

  it('draw the fakes evenly over the classes, from the seed, on the 8-bit grid', async () => {
    const model = testModel('biggan', 3, 2)
    try {
      const a = await generateForMetrics(model, { n: 5, classes: [2, 0], truncation: 0.5, seed: 3, batch: 2 })
      const b = await generateForMetrics(model, { n: 5, classes: [2, 0], truncation: 0.5, seed: 3 })
      expect(a).toEqual(b)
      for (const v of a.subarray(0, 200)) expect(Math.abs((v + 1) * 127.5 - Math.round((v + 1) * 127.5))).toBeLessThan(1e-3)
    } finally {
      model.dispose()
    }
  })

  it('form a diversity–fidelity curve over truncations, saved in <model>/metrics/ atomically', async () => {
    const model = testModel('biggan', 3, 3)
    try {
      const extractor = discriminatorExtractor(model)
      const reals = await generateForMetrics(model, { n: 12, classes: [1], truncation: null, seed: 50 })
      const real = await realFeatures(extractor, reals, 12)
      const points: number[] = []
      const curve = await diversityFidelityCurve(model, extractor, real, {
        n: 12, classes: [1], seed: 0, truncations: [null, 1, 0.3], realSource: { source: 'generated' },
        comparison: { kid: { subsets: 5 } }, onPoint: (_, i) => points.push(i),
      })
      expect(points).toEqual([0, 1, 2])
      expect(curve.points.map((p) => p.truncation)).toEqual([null, 1, 0.3])
      expect(curve).toMatchObject({ extractor: 'discriminator', extractorHash: extractor.hash, fakeCount: 12, classes: [1], real: { count: 12 } })
      const dir = join(work, 'model')
      const file = metricsFileName(extractor, [1])
      expect(file).toBe(`diversity-fidelity_discriminator-${extractor.hash.slice(0, 8)}_class-1.json`)
      const path = await saveMetrics(dir, curve, file)
      expect(path).toBe(join(dir, 'metrics', file))
      expect(JSON.parse(await readFile(path, 'utf8'))).toEqual(JSON.parse(JSON.stringify(curve)))
      expect(await readdir(join(dir, 'metrics'))).toEqual([file]) // no temporary file left
    } finally {
      model.dispose()
    }
  })

  it('report the images generated over all truncations after each batch, and stop when the listener throws', async () => {
    const model = testModel('biggan', 3, 5)
    try {
      const extractor = discriminatorExtractor(model)
      const real = await realFeatures(extractor, await generateForMetrics(model, { n: 8, classes: [0], truncation: null, seed: 1 }), 8)
      const seen: [number, number][] = []
      const options = { n: 8, classes: [0], seed: 0, batch: 4, truncations: [null, 0.5], realSource: { source: 'generated' }, comparison: { kid: { subsets: 2 } } }
      await diversityFidelityCurve(model, extractor, real, { ...options, onProgress: (done, total) => seen.push([done, total]) })
      expect(seen).toEqual([[4, 16], [8, 16], [12, 16], [16, 16]])
      const before = tf.memory().numTensors
      const stopped = diversityFidelityCurve(model, extractor, real, {
        ...options,
        onProgress: (done) => {
          if (done === 12) throw new Error('cancelled')
        },
      })
      await expect(stopped).rejects.toThrow('cancelled')
      expect(tf.memory().numTensors).toBe(before)
    } finally {
      model.dispose()
    }
  })

  it("say when the reals are not at the extractor's resolution", async () => {
    const model = testModel('biggan', 3, 4)
    try {
      await expect(realFeatures(discriminatorExtractor(model), new Uint8Array(2 * 16 * 16 * 3), 2)).rejects.toThrow(/at the extractor's resolution \(32 px\)/)
    } finally {
      model.dispose()
    }
  })
})
