import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { bigganDeepDiscriminatorTable, bigganDeepGeneratorTable } from '../../main/engine/arch'
import { initBackend } from '../../main/backend/backend'
import { initialise } from '../../main/engine/init'
import type { ModelConfig } from '../../main/engine/config'
import { discardUpdates, forwardContext, ParamStore, trainableRoles, type Module } from '../../main/engine/module'
import { BigGANDeepDiscriminator, BigGANDeepGenerator } from '../../main/engine/networks/bigganDeep'
import { tf } from '../../main/engine/tf'

const deep128: ModelConfig = {
  arch: 'biggan-deep', resolution: 128, gChannels: 128, dChannels: 128, zDim: 128, sharedDim: 128, numClasses: 1000,
  hierarchical: false, gAttention: [64], dAttention: [64], bnEps: 1e-4, snEps: 1e-4, nStats: 51, toRgbChannels: 128,
  spectralNormInference: 'stored', statsMode: 'hf',
}

/** Orthogonal initialisation, with attention switched on (γ = 0.5 instead of 0) so that its convs get gradients. */
function randomParams(network: Module): ParamStore {
  const store = new ParamStore()
  initialise(network, store, 1)
  for (const { name, role } of network.specs()) {
    if (role === 'gamma') tf.tidy(() => store.set(name, tf.fill([1], 0.5), true))
  }
  return store
}

describe('BigGAN-deep architecture tables', () => {
  it("expand to pytorch-pretrained-BigGAN's 128-px layers list, attention before entry 8 at 64×64", () => {
    const { rows, bottomWidth, outChannels } = bigganDeepGeneratorTable(deep128)
    const hfLayers = [[false, 16, 16], [true, 16, 16], [false, 16, 16], [true, 16, 8], [false, 8, 8], [true, 8, 4],
      [false, 4, 4], [true, 4, 2], [false, 2, 2], [true, 2, 1]]
    expect(rows.map((r) => [r.upsample, r.inChannels / 128, r.outChannels / 128])).toEqual(hfLayers)
    expect(rows.flatMap((r, i) => (r.attention ? [[i, r.resolution, r.outChannels]] : []))).toEqual([[7, 64, 256]])
    expect(bottomWidth).toBe(4)
    expect(outChannels).toBe(128)
    expect(rows[rows.length - 1].resolution).toBe(128)
  })

  it('give D a stem, two blocks per stage (the first downsampling) and attention after the 64×64 stage', () => {
    const { stem, rows, outChannels } = bigganDeepDiscriminatorTable(deep128)
    expect(stem).toEqual({ inChannels: 3, outChannels: 128 })
    expect(rows.map((r) => [r.inChannels / 128, r.outChannels / 128, r.downsample, r.resolution])).toEqual([
      [1, 2, true, 64], [2, 2, false, 64], [2, 4, true, 32], [4, 4, false, 32], [4, 8, true, 16], [8, 8, false, 16],
      [8, 16, true, 8], [16, 16, false, 8], [16, 16, true, 4], [16, 16, false, 4],
    ])
    expect(rows.flatMap((r, i) => (r.attention ? [i] : []))).toEqual([1])
    expect(outChannels).toBe(2048)
  })

  it('refuse an attention resolution no stage ends at', () => {
    expect(() => bigganDeepGeneratorTable({ ...deep128, gAttention: [48] })).toThrow(/48×48/)
    expect(() => bigganDeepGeneratorTable({ ...deep128, resolution: 96 })).toThrow(/128, 256, 512/)
  })
})

describe('BigGAN-deep networks at a toy size', () => {
  const toy: ModelConfig = {
    ...deep128, resolution: 32, gChannels: 8, dChannels: 8, zDim: 16, sharedDim: 16, numClasses: 10,
    gAttention: [16], dAttention: [16], nStats: 1, toRgbChannels: 3, spectralNormInference: 'power-step',
  }
  const y = (classes: number[]) => tf.oneHot(classes, toy.numClasses).toFloat() as tf.Tensor2D
  let stores: ParamStore[] = []
  beforeAll(async () => {
    await initBackend({ backend: 'wasm' })
  })
  afterEach(() => {
    for (const s of stores) s.dispose()
    stores = []
  })

  it('D returns one logit per image and is affine in the class vector (projection)', () => {
    const D = new BigGANDeepDiscriminator(toy)
    const params = randomParams(D)
    stores.push(params)
    const before = tf.memory().numTensors
    tf.tidy(() => {
      const x = tf.randomUniform([3, 32, 32, 3], -1, 1, 'float32', 11) as tf.Tensor4D
      const ctx = forwardContext(params, 'eval')
      const a = D.apply(ctx, x, y([1, 4, 9]))
      const b = D.apply(ctx, x, y([2, 2, 0]))
      const mix = D.apply(ctx, x, tf.add(tf.mul(y([1, 4, 9]), 0.5), tf.mul(y([2, 2, 0]), 0.5)) as tf.Tensor2D)
      expect(a.shape).toEqual([3])
      const expected = tf.mul(tf.add(a, b), 0.5).arraySync() as number[]
      ;(mix.arraySync() as number[]).forEach((m, i) => expect(m).toBeCloseTo(expected[i], 3))
      expect(tf.any(tf.notEqual(a, b)).dataSync()[0]).toBe(1)
    })
    expect(tf.memory().numTensors).toBe(before)
  })

  it('G and D train: gradients reach every trainable parameter and nothing leaks', () => {
    const G = new BigGANDeepGenerator(toy)
    const D = new BigGANDeepDiscriminator(toy)
    const gParams = randomParams(G)
    const dParams = randomParams(D)
    stores.push(gParams, dParams)
    const before = tf.memory().numTensors
    const gCtx = forwardContext(gParams, 'train')
    const dCtx = forwardContext(dParams, 'train')
    const trainable = (m: Module, p: ParamStore) =>
      m.specs().filter((s) => trainableRoles.has(s.role)).map((s) => p.get(s.name))
    const { value, grads } = tf.variableGrads(() => {
      const z = tf.randomNormal([2, toy.zDim], 0, 1, 'float32', 5) as tf.Tensor2D
      const images = G.apply(gCtx, z, y([3, 8]))
      expect(images.shape).toEqual([2, 32, 32, 3])
      return tf.mean(D.apply(dCtx, images, y([3, 8]))) as tf.Scalar
    }, [...trainable(G, gParams), ...trainable(D, dParams)])
    expect(Number.isFinite(value.dataSync()[0])).toBe(true)
    const names = Object.keys(grads)
    expect(names.length).toBe(trainable(G, gParams).length + trainable(D, dParams).length)
    const silent = names.filter((n) => tf.tidy(() => tf.sum(tf.abs(grads[n])).dataSync()[0]) === 0)
    // D's projection embedding sees only the two sampled classes, so its gradient is sparse, never all zero
    expect(silent).toEqual([])
    expect(gCtx.updates.size).toBeGreaterThan(0) // u, v, σ of every SN layer and G's running BN statistics
    discardUpdates(gCtx)
    discardUpdates(dCtx)
    tf.dispose([value, ...Object.values(grads)])
    expect(tf.memory().numTensors).toBe(before)
  })
})
