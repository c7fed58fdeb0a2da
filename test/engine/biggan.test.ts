import { beforeAll, describe, expect, it } from 'vitest'
import { bigganDiscriminatorTable, bigganGeneratorTable } from '../../main/engine/arch'
import { initBackend } from '../../main/backend/backend'
import type { ModelConfig } from '../../main/engine/config'
import { exportParameters, initialise, loadParameters, orthogonal } from '../../main/engine/init'
import { countParameters, forwardContext, ParamStore, applyUpdates } from '../../main/engine/module'
import { BigGANDiscriminator, BigGANGenerator } from '../../main/engine/networks/biggan'
import { Random } from '../../main/engine/sampling/random'
import { tf } from '../../main/engine/tf'

const imagenet = (resolution: number, zDim: number, gAttention: number): ModelConfig => ({
  arch: 'biggan', resolution, gChannels: 96, dChannels: 96, zDim, sharedDim: 128, numClasses: 1000, hierarchical: true,
  gAttention: [gAttention], dAttention: [64], bnEps: 1e-5, snEps: 1e-6, nStats: 1, toRgbChannels: 3,
  spectralNormInference: 'stored', statsMode: 'hf',
})

/** A BigGAN small enough to run in a test: 32 px, 16-channel blocks, 10 classes. */
const tiny: ModelConfig = {
  arch: 'biggan', resolution: 32, gChannels: 4, dChannels: 4, zDim: 20, sharedDim: 16, numClasses: 10, hierarchical: true,
  gAttention: [16], dAttention: [16], bnEps: 1e-5, snEps: 1e-6, nStats: 1, toRgbChannels: 3,
  spectralNormInference: 'stored', statsMode: 'hf',
}

describe('BigGAN architecture tables', () => {
  it('128 px: five ResBlocks up from 4×4, 16ch → 1ch, attention on the 64×64 block', () => {
    const { bottomWidth, rows } = bigganGeneratorTable(imagenet(128, 120, 64))
    expect(bottomWidth).toBe(4)
    expect(rows).toEqual([
      { inChannels: 1536, outChannels: 1536, resolution: 8, attention: false },
      { inChannels: 1536, outChannels: 768, resolution: 16, attention: false },
      { inChannels: 768, outChannels: 384, resolution: 32, attention: false },
      { inChannels: 384, outChannels: 192, resolution: 64, attention: true },
      { inChannels: 192, outChannels: 96, resolution: 128, attention: false },
    ])
    expect(bigganDiscriminatorTable(imagenet(128, 120, 64))).toEqual([
      { inChannels: 3, outChannels: 96, downsample: true, resolution: 64, attention: true },
      { inChannels: 96, outChannels: 192, downsample: true, resolution: 32, attention: false },
      { inChannels: 192, outChannels: 384, downsample: true, resolution: 16, attention: false },
      { inChannels: 384, outChannels: 768, downsample: true, resolution: 8, attention: false },
      { inChannels: 768, outChannels: 1536, downsample: true, resolution: 4, attention: false },
      { inChannels: 1536, outChannels: 1536, downsample: false, resolution: 4, attention: false },
    ])
  })

  it('refuses an attention resolution no block ends at, and an unknown resolution', () => {
    expect(() => bigganGeneratorTable({ ...tiny, gAttention: [64] })).toThrow(/cannot place self-attention at 64×64/)
    expect(() => bigganDiscriminatorTable({ ...tiny, resolution: 48 })).toThrow(/no discriminator table for 48×48/)
  })

  it.each([
    [128, 120, 64, 70_433_988, 87_982_370],
    [256, 140, 128, 82_097_604, 99_225_890],
  ])('%i px: G and D parameter counts from the tables alone', (resolution, zDim, attention, g, d) => {
    const config = imagenet(resolution, zDim, attention)
    const before = tf.memory().numTensors
    expect(countParameters(new BigGANGenerator(config).specs())).toBe(g)
    expect(countParameters(new BigGANDiscriminator(config).specs())).toBe(d)
    expect(tf.memory().numTensors).toBe(before)
  })

  it('names parameters after the structure, G. and D. first', () => {
    const names = new Set([...new BigGANGenerator(tiny).specs(), ...new BigGANDiscriminator(tiny).specs()].map((s) => s.name))
    for (const name of [
      'G.sharedEmbedding.weight', 'G.linear.weight', 'G.linear.u', 'G.blocks.0.conv1.weight', 'G.blocks.0.bn1.gain.weight',
      'G.blocks.0.bn1.mean', 'G.blocks.2.shortcut.bias', 'G.attention16.theta.weight', 'G.attention16.gamma',
      'G.outputBn.gain', 'G.outputBn.var', 'G.toRgb.weight', 'D.blocks.0.conv1.weight', 'D.blocks.0.shortcut.weight',
      'D.attention16.o.weight', 'D.linear.weight', 'D.embedding.weight', 'D.embedding.u',
    ]) {
      expect(names, name).toContain(name)
    }
    // the 32-px D's last two blocks keep width and size: no 1×1 shortcut conv
    expect(names).not.toContain('D.blocks.3.shortcut.weight')
  })
})

describe('initialisation', () => {
  it('orthogonal matrices: orthonormal rows when wide, orthonormal columns when tall', () => {
    for (const [rows, cols] of [[4, 9], [9, 4], [5, 5]]) {
      const m = orthogonal(new Random(1), rows, cols)
      const small = Math.min(rows, cols)
      for (let i = 0; i < small; i++) {
        for (let j = 0; j < small; j++) {
          let dot = 0
          for (let k = 0; k < Math.max(rows, cols); k++) {
            dot += rows <= cols ? m[i * cols + k] * m[j * cols + k] : m[k * cols + i] * m[k * cols + j]
          }
          expect(dot).toBeCloseTo(i === j ? 1 : 0, 5)
        }
      }
    }
  })

  it('allocates every declared parameter by role, deterministically in the seed', async () => {
    await initBackend({ backend: 'wasm' })
    const G = new BigGANGenerator(tiny)
    const a = new ParamStore()
    const b = new ParamStore()
    const before = tf.memory().numTensors
    initialise(G, a, 7)
    expect(tf.memory().numTensors).toBe(before + G.specs().length) // the variables, nothing else
    initialise(G, b, 7)
    expect(a.names()).toEqual(G.specs().map((s) => s.name))
    for (const name of a.names()) expect(Array.from(a.get(name).dataSync())).toEqual(Array.from(b.get(name).dataSync()))
    const values = (n: string): number[] => Array.from(a.get(n).dataSync())
    expect(values('G.blocks.0.bn1.var').every((v) => v === 1)).toBe(true)
    expect(values('G.blocks.0.bn1.mean').every((v) => v === 0)).toBe(true)
    expect(values('G.attention16.gamma')).toEqual([0])
    expect(values('G.outputBn.gain').every((v) => v === 1)).toBe(true)
    expect(Math.hypot(...values('G.linear.u'))).toBeCloseTo(1, 5)
    // a conv's filters (rows of W_mat [out, fanIn]) are orthonormal: W_matᵀ = reshape(HWIO, [fanIn, out])
    const gram = tf.tidy(() => {
      const wT = tf.reshape(a.get('G.blocks.1.conv1.weight'), [-1, 16])
      return tf.matMul(tf.transpose(wT), wT)
    })
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(gram, tf.eye(16)))).dataSync()[0])).toBeLessThan(1e-5)
    expect(a.get('G.linear.weight').trainable).toBe(true)
    expect(a.get('G.linear.u').trainable).toBe(false)
    gram.dispose()
    a.dispose()
    b.dispose()
  })
})

describe('BigGAN networks', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm' })
  })

  it('G makes [batch, R, R, 3] images in [−1, 1]; D gives one logit per image; calls leave no tensors', () => {
    const G = new BigGANGenerator(tiny)
    const D = new BigGANDiscriminator(tiny)
    const gParams = new ParamStore()
    const dParams = new ParamStore()
    initialise(G, gParams, 1)
    initialise(D, dParams, 2)
    gParams.get('G.attention16.gamma').assign(tf.tensor1d([0.5]))
    const z = tf.randomNormal([3, 20], 0, 1, 'float32', 3) as tf.Tensor2D
    const y = tf.tensor2d([[1, 0, 0, 0, 0, 0, 0, 0, 0, 0], [0, 0.5, 0.5, 0, 0, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0, 0, 1]])
    for (const mode of ['eval', 'train'] as const) {
      const before = tf.memory().numTensors
      const gCtx = forwardContext(gParams, mode)
      const dCtx = forwardContext(dParams, mode)
      const images = G.apply(gCtx, z, y)
      const logits = D.apply(dCtx, images, y)
      const features = D.features(dCtx, images)
      expect(images.shape).toEqual([3, 32, 32, 3])
      expect(logits.shape).toEqual([3])
      expect(features.shape).toEqual([3, 16])
      const pixels = images.dataSync()
      expect(pixels.every((p) => p >= -1 && p <= 1 && Number.isFinite(p))).toBe(true)
      tf.dispose([images, logits, features])
      // train mode records new u, v, σ (and BN running statistics), nothing else survives
      const recorded = gCtx.updates.size + dCtx.updates.size
      expect(tf.memory().numTensors).toBe(before + recorded)
      applyUpdates(gCtx)
      applyUpdates(dCtx)
      expect(tf.memory().numTensors).toBe(before)
    }
    tf.dispose([z, y])
    gParams.dispose()
    dParams.dispose()
  })

  it('exports and reloads its parameters exactly', () => {
    const D = new BigGANDiscriminator(tiny)
    const params = new ParamStore()
    initialise(D, params, 4)
    const tensors = exportParameters(D, params)
    const reloaded = new ParamStore()
    loadParameters(D, reloaded, tensors, 'memory')
    for (const name of params.names()) {
      expect(Array.from(reloaded.get(name).dataSync())).toEqual(Array.from(params.get(name).dataSync()))
    }
    tensors.delete('D.linear.u')
    expect(() => loadParameters(D, new ParamStore(), tensors, 'memory')).toThrow(/D\.linear\.u/)
    params.dispose()
    reloaded.dispose()
  })
})
