import { beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../main/backend/backend'
import { defaultConfig } from '../../main/engine/config'
import { BigGANModel } from '../../main/engine/model'
import { forwardContext, discardUpdates } from '../../main/engine/module'
import { BigGANGenerator } from '../../main/engine/networks/biggan'
import { Random } from '../../main/engine/sampling/random'
import { sampleLatents } from '../../main/engine/sampling/truncation'
import { tf } from '../../main/engine/tf'
import { accumulateStandingStatistics } from '../../main/engine/train/standingStatistics'

beforeAll(async () => {
  await initBackend({ backend: 'wasm' })
})

describe('standing statistics', () => {
  it("replace G's BatchNorm rows by the batch moments of fresh forwards, moving nothing else", async () => {
    const model = BigGANModel.initialise(defaultConfig('biggan', 32, 4, 3), 4)
    const G = model.G as BigGANGenerator
    const { zDim } = model.config
    const before = new Map(model.params.names().map((n) => [n, model.params.get(n).dataSync().slice()]))
    const tensors = tf.memory().numTensors
    accumulateStandingStatistics(G, model.params, model.config, { accumulations: 1, batch: 6, seed: 11 })
    expect(tf.memory().numTensors).toBe(tensors)

    // the first BN sees the first linear's output: its moments are what one accumulation must store
    const z = sampleLatents(new Random(11), 6, zDim, { kind: 'none' })
    const ctx = forwardContext(model.params, 'train')
    const expected = tf.tidy(() => {
      const z0 = tf.split(tf.tensor2d(z, [6, zDim]), G.chunks, 1)[0] as tf.Tensor2D
      const h = tf.reshape(G.linear.apply(ctx, z0), [-1, G.rows[0].inChannels])
      const { mean, variance } = tf.moments(h, 0)
      const n = h.shape[0]
      return [mean.dataSync().slice(), tf.mul(variance, n / (n - 1)).dataSync().slice()]
    })
    discardUpdates(ctx)
    const mean = model.params.get('G.blocks.0.bn1.mean').dataSync()
    const variance = model.params.get('G.blocks.0.bn1.var').dataSync()
    expected[0].forEach((m, i) => expect(mean[i]).toBeCloseTo(m, 5))
    expected[1].forEach((v, i) => expect(variance[i]).toBeCloseTo(v, 4))

    for (const [name, values] of before) {
      const now = model.params.get(name).dataSync()
      if (/\.(mean|var)$/.test(name)) continue
      expect(now, name).toEqual(values) // weights, spectral-norm vectors, σ: untouched
    }
    model.dispose()
  })

  it('fills every per-truncation row of a model that has them', () => {
    const config = { ...defaultConfig('biggan-deep', 32, 8, 3), nStats: 3 }
    const model = BigGANModel.initialise(config, 2)
    accumulateStandingStatistics(model.G, model.params, config, { accumulations: 2, batch: 4 })
    const mean = model.params.get('G.outputBn.mean')
    const rows = tf.tidy(() => tf.split(mean, 3, 0).map((r) => r.dataSync().slice()))
    // initialised rows are all zero; every row now holds statistics, and different ψ give different ones
    rows.forEach((r) => expect(r.some((v) => v !== 0)).toBe(true))
    expect(rows[2]).not.toEqual(rows[1])
    model.dispose()
  })
})
