import { beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../main/backend/backend'
import { initialise } from '../../main/engine/init'
import { SelfAttention } from '../../main/engine/layers/attention'
import { BatchNorm, ConditionalBatchNorm, conditioning, type BatchNormSettings } from '../../main/engine/layers/batchNorm'
import { SNConv2d } from '../../main/engine/layers/conv'
import { SharedEmbedding, SNEmbedding } from '../../main/engine/layers/embedding'
import { SNLinear } from '../../main/engine/layers/linear'
import { spectrallyNormalised, type SpectralNormSettings } from '../../main/engine/layers/spectralNorm'
import { applyUpdates, forwardContext, ParamStore, type ForwardContext, type Module } from '../../main/engine/module'
import { tf } from '../../main/engine/tf'
import { statsRows } from '../../main/engine/sampling/truncation'

const sn: SpectralNormSettings = { eps: 1e-6, inference: 'stored' }
const bn: BatchNormSettings = { bnEps: 1e-5, nStats: 1, sn }

function specsOf(m: Module): [string, number[], string][] {
  return m.specs().map((s) => [s.name, s.shape, s.role])
}

function storeFor(m: Module, seed = 1): ParamStore {
  const store = new ParamStore()
  initialise(m, store, seed)
  return store
}

/** Largest singular value of a [rows, cols] matrix, by many power iterations in float64. */
function topSingularValue(w: Float32Array, rows: number, cols: number): number {
  let v = new Float64Array(cols).fill(1)
  let sigma = 0
  for (let it = 0; it < 500; it++) {
    const u = new Float64Array(rows)
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) u[r] += w[r * cols + c] * v[c]
    const next = new Float64Array(cols)
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) next[c] += w[r * cols + c] * u[r]
    const norm = Math.hypot(...next)
    sigma = Math.sqrt(norm)
    v = next.map((x) => x / norm)
  }
  return sigma
}

describe('layers declare their parameters (names, shapes, roles) without allocating', () => {
  it('spectrally normalised conv, linear and embedding: weight, u [out], v [fanIn], σ [1], bias', () => {
    expect(specsOf(new SNConv2d('c', 4, 8, 3, sn))).toEqual([
      ['c.weight', [3, 3, 4, 8], 'weight'], ['c.u', [8], 'sn-u'], ['c.v', [36], 'sn-v'], ['c.sigma', [1], 'sn-sigma'],
      ['c.bias', [8], 'bias'],
    ])
    expect(specsOf(new SNLinear('l', 5, 7, sn, false))).toEqual([
      ['l.weight', [5, 7], 'weight'], ['l.u', [7], 'sn-u'], ['l.v', [5], 'sn-v'], ['l.sigma', [1], 'sn-sigma'],
    ])
    // an embedding's rows are classes: W_mat = E, out = numClasses
    expect(specsOf(new SNEmbedding('e', 10, 6, sn))).toEqual([
      ['e.weight', [10, 6], 'embedding'], ['e.u', [10], 'sn-u'], ['e.v', [6], 'sn-v'], ['e.sigma', [1], 'sn-sigma'],
    ])
    expect(specsOf(new SharedEmbedding('s', 10, 6))).toEqual([['s.weight', [10, 6], 'embedding']])
  })

  it('BatchNorms: statistics rows [nStats, C]; conditional gain/bias as SN linears without bias', () => {
    expect(specsOf(new ConditionalBatchNorm('b', 4, 3, { ...bn, nStats: 51 }))).toEqual([
      ['b.mean', [51, 4], 'bn-mean'], ['b.var', [51, 4], 'bn-var'],
      ['b.gain.weight', [3, 4], 'weight'], ['b.gain.u', [4], 'sn-u'], ['b.gain.v', [3], 'sn-v'], ['b.gain.sigma', [1], 'sn-sigma'],
      ['b.bias.weight', [3, 4], 'weight'], ['b.bias.u', [4], 'sn-u'], ['b.bias.v', [3], 'sn-v'], ['b.bias.sigma', [1], 'sn-sigma'],
    ])
    expect(specsOf(new BatchNorm('o', 4, bn))).toEqual([
      ['o.mean', [1, 4], 'bn-mean'], ['o.var', [1, 4], 'bn-var'], ['o.gain', [4], 'gain'], ['o.bias', [4], 'bias'],
    ])
  })

  it('self-attention: θ, φ → C/8, g → C/2, o → C, 1×1 SN convs without bias, and γ', () => {
    const names = specsOf(new SelfAttention('a', 16, sn)).filter(([, , role]) => role === 'weight' || role === 'gamma')
    expect(names).toEqual([
      ['a.gamma', [1], 'gamma'],
      ['a.theta.weight', [1, 1, 16, 2], 'weight'], ['a.phi.weight', [1, 1, 16, 2], 'weight'],
      ['a.g.weight', [1, 1, 16, 8], 'weight'], ['a.o.weight', [1, 1, 8, 16], 'weight'],
    ])
    expect(new SelfAttention('a', 16, sn).specs().some((s) => s.role === 'bias')).toBe(false)
  })
})

describe('layer behaviour', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm' })
  })

  it('spectral norm: train-mode power steps converge to σ(W) and are recorded; eval never records', () => {
    const layer = new SNLinear('l', 6, 4, sn)
    const params = storeFor(layer)
    params.get('l.weight').assign(tf.randomNormal([6, 4], 0, 1, 'float32', 3))
    // W_mat = weightᵀ [4, 6]
    const wMat = tf.tidy(() => tf.transpose(params.get('l.weight')).dataSync() as Float32Array)
    const sigma = topSingularValue(wMat, 4, 6)
    for (let step = 0; step < 50; step++) {
      const ctx = forwardContext(params, 'train')
      tf.tidy(() => spectrallyNormalised(ctx, 'l', sn))
      expect([...ctx.updates.keys()].sort()).toEqual(['l.sigma', 'l.u', 'l.v'])
      applyUpdates(ctx)
    }
    expect(params.get('l.sigma').dataSync()[0]).toBeCloseTo(sigma, 4)
    for (const inference of ['stored', 'power-step'] as const) {
      const ctx = forwardContext(params, 'eval')
      const normalised = tf.tidy(() => spectrallyNormalised(ctx, 'l', { ...sn, inference }))
      expect(ctx.updates.size).toBe(0)
      // W / σ(W) has spectral norm 1
      const wn = tf.tidy(() => tf.transpose(normalised).dataSync() as Float32Array)
      expect(topSingularValue(wn, 4, 6)).toBeCloseTo(1, 4)
      normalised.dispose()
    }
    params.dispose()
  })

  it('BatchNorm in train mode: batch statistics, PyTorch running-statistics update (momentum 0.1, unbiased var)', () => {
    const layer = new BatchNorm('o', 3, bn)
    const params = storeFor(layer)
    const x = tf.randomNormal([2, 3, 4, 3], 1, 2, 'float32', 4) as tf.Tensor4D
    const ctx = forwardContext(params, 'train')
    const y = layer.apply(ctx, x)
    const { mean, variance } = tf.moments(y, [0, 1, 2])
    for (const m of mean.dataSync()) expect(m).toBeCloseTo(0, 5)
    for (const v of variance.dataSync()) expect(v).toBeCloseTo(1, 3) // gain 1, bias 0, ε small
    const batch = tf.moments(x, [0, 1, 2])
    const n = 2 * 3 * 4
    const expectedMean = tf.tidy(() => tf.mul(batch.mean, 0.1).dataSync())
    const expectedVar = tf.tidy(() => tf.add(0.9, tf.mul(batch.variance, (0.1 * n) / (n - 1))).dataSync())
    applyUpdates(ctx)
    const newMean = params.get('o.mean').dataSync()
    const newVar = params.get('o.var').dataSync()
    for (let c = 0; c < 3; c++) {
      expect(newMean[c]).toBeCloseTo(expectedMean[c], 5)
      expect(newVar[c]).toBeCloseTo(expectedVar[c], 5)
    }
    tf.dispose([x, y, mean, variance, batch.mean, batch.variance])
    params.dispose()
  })

  it('BatchNorm in eval mode blends the statistics rows the forward selected, and several rows are never updated', () => {
    const layer = new BatchNorm('o', 2, { ...bn, nStats: 3 })
    const params = storeFor(layer)
    params.get('o.mean').assign(tf.tensor2d([[0, 0], [2, 4], [10, 10]]))
    params.get('o.var').assign(tf.tensor2d([[1, 1], [3, 5], [9, 9]]))
    const x = tf.tensor4d([1, 2, 3, 4], [2, 1, 1, 2])
    // ψ = 0.25 with 3 rows (grid 0, 0.5, 1): half row 0, half row 1 → mean [1, 2], var [2, 3]
    const ctx: ForwardContext = { ...forwardContext(params, 'eval', 0.25), statsRows: statsRows(0.25, 3, 'lerp') }
    const y = layer.apply(ctx, x as tf.Tensor4D).dataSync()
    const expected = [(1 - 1) / Math.sqrt(2 + 1e-5), (2 - 2) / Math.sqrt(3 + 1e-5), (3 - 1) / Math.sqrt(2 + 1e-5), (4 - 2) / Math.sqrt(3 + 1e-5)]
    expected.forEach((e, i) => expect(y[i]).toBeCloseTo(e, 5))
    const train = forwardContext(params, 'train')
    tf.tidy(() => layer.apply(train, x as tf.Tensor4D))
    expect(train.updates.size).toBe(0)
    x.dispose()
    params.dispose()
  })

  it('conditional BatchNorm: x̂ ⊙ (1 + W_γ c) + W_β c, with spectrally normalised W_γ, W_β', () => {
    const layer = new ConditionalBatchNorm('b', 3, 2, bn)
    const params = storeFor(layer)
    const x = tf.randomNormal([2, 2, 2, 3], 0, 1, 'float32', 5) as tf.Tensor4D
    const c = tf.tensor2d([[1, -1], [0.5, 2]])
    const ctx = forwardContext(params, 'eval')
    const y = layer.apply(ctx, x, conditioning(ctx, c, [layer]).get(layer)!)
    const expected = tf.tidy(() => {
      const xHat = tf.div(x, tf.sqrt(tf.add(1, 1e-5))) // eval with mean 0, var 1
      const gain = tf.add(1, tf.matMul(c, spectrallyNormalised(ctx, 'b.gain', sn) as tf.Tensor2D))
      const bias = tf.matMul(c, spectrallyNormalised(ctx, 'b.bias', sn) as tf.Tensor2D)
      return tf.add(tf.mul(xHat, tf.reshape(gain, [2, 1, 1, 3])), tf.reshape(bias, [2, 1, 1, 3]))
    })
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(y, expected))).dataSync()[0])).toBeLessThan(1e-6)
    tf.dispose([x, c, y, expected])
    params.dispose()
  })

  it('self-attention with γ = 0 is the identity; embeddings are y · E for soft class vectors', () => {
    const attention = new SelfAttention('a', 8, sn)
    const params = storeFor(attention)
    const x = tf.randomNormal([2, 4, 4, 8], 0, 1, 'float32', 6) as tf.Tensor4D
    const y = attention.apply(forwardContext(params, 'eval'), x)
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(y, x))).dataSync()[0])).toBe(0)
    const shared = new SharedEmbedding('s', 3, 2)
    const embeddings = storeFor(shared)
    embeddings.get('s.weight').assign(tf.tensor2d([[1, 2], [3, 4], [5, 6]]))
    const mixed = shared.apply(forwardContext(embeddings, 'eval'), tf.tensor2d([[0, 1, 0], [0.5, 0, 0.5]]))
    expect(Array.from(mixed.dataSync())).toEqual([3, 4, 3, 4])
    tf.dispose([x, y, mixed])
    params.dispose()
    embeddings.dispose()
  })

  it('layer calls leave no tensors behind beyond their outputs and recorded updates', () => {
    const layers = {
      conv: new SNConv2d('c', 8, 8, 3, sn),
      bn: new ConditionalBatchNorm('b', 8, 4, bn),
      attention: new SelfAttention('a', 8, sn),
    }
    const stores = Object.values(layers).map((l) => storeFor(l))
    const x = tf.randomNormal([2, 4, 4, 8], 0, 1, 'float32', 7) as tf.Tensor4D
    const c = tf.randomNormal([2, 4], 0, 1, 'float32', 8) as tf.Tensor2D
    for (const mode of ['eval', 'train'] as const) {
      const before = tf.memory().numTensors
      const ctxs = stores.map((s) => forwardContext(s, mode))
      const outputs = [
        tf.tidy(() => layers.conv.apply(ctxs[0], x)),
        tf.tidy(() => layers.bn.apply(ctxs[1], x, conditioning(ctxs[1], c, [layers.bn]).get(layers.bn)!)),
        tf.tidy(() => layers.attention.apply(ctxs[2], x)),
      ]
      const recorded = ctxs.reduce((n, ctx) => n + ctx.updates.size, 0)
      expect(tf.memory().numTensors).toBe(before + outputs.length + recorded)
      ctxs.forEach(applyUpdates)
      tf.dispose(outputs)
      expect(tf.memory().numTensors).toBe(before)
    }
    tf.dispose([x, c])
    stores.forEach((s) => s.dispose())
  })
})
