import { beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../main/backend/backend'
import type { ModelConfig } from '../../main/engine/config'
import { initialise } from '../../main/engine/init'
import { ParamStore, trainableRoles } from '../../main/engine/module'
import { BigGANDiscriminator, BigGANGenerator } from '../../main/engine/networks/biggan'
import { updateEmaGenerator } from '../../main/engine/train/ema'
import { discriminatorHingeLoss, generatorHingeLoss } from '../../main/engine/train/hingeLoss'
import { Adam } from '../../main/engine/train/optimiser'
import {
  orthogonallyRegularised, orthogonalRegularisationGradient, orthogonalRegularisationGradients, orthogonalRegularisationLoss,
} from '../../main/engine/train/orthogonalRegularisation'
import { trainingStep, type TrainingBatch } from '../../main/engine/train/step'
import { tf } from '../../main/engine/tf'

/** A BigGAN small enough to train in a test: 32 px, 16-channel blocks, 10 classes. */
const tiny: ModelConfig = {
  arch: 'biggan', resolution: 32, gChannels: 4, dChannels: 4, zDim: 20, sharedDim: 16, numClasses: 10, hierarchical: true,
  gAttention: [16], dAttention: [16], bnEps: 1e-5, snEps: 1e-6, nStats: 1, toRgbChannels: 3,
  spectralNormInference: 'stored', statsMode: 'hf',
}

const values = (t: tf.Tensor): number[] => Array.from(t.dataSync())

beforeAll(async () => {
  await initBackend({ backend: 'wasm' })
})

describe('hinge loss', () => {
  it('L_D = mean relu(1 − D(x)) + mean relu(1 + D(G(z))); L_G = −mean D(G(z))', () => {
    const real = tf.tensor1d([2, 0.5, -1])
    const fake = tf.tensor1d([-2, 0, 1])
    const dLoss = discriminatorHingeLoss(real, fake)
    const gLoss = generatorHingeLoss(fake)
    expect(dLoss.dataSync()[0]).toBeCloseTo((0 + 0.5 + 2) / 3 + (0 + 1 + 2) / 3, 6)
    expect(gLoss.dataSync()[0]).toBeCloseTo(-(-2 + 0 + 1) / 3, 6)
    tf.dispose([real, fake, dLoss, gLoss])
  })
})

describe('orthogonal regularisation (off-diagonal, BigGAN-PyTorch’s scale)', () => {
  it('its gradient 2β((W Wᵀ) ⊙ (1 − I))W is the gradient of its loss (β/2)‖(W Wᵀ) ⊙ (1 − I)‖²', () => {
    const w = tf.randomNormal([3, 3, 4, 5], 0, 1, 'float32', 1) // HWIO: W_mat [5, 36]
    const beta = 1e-2
    const direct = orthogonalRegularisationGradient(w, beta)
    const viaLoss = tf.grad((t: tf.Tensor) => {
      const wT = tf.reshape(t, [-1, 5])
      const gram = tf.matMul(tf.transpose(wT), wT)
      return tf.mul(tf.sum(tf.square(tf.sub(gram, tf.mul(gram, tf.eye(5))))), beta / 2)
    })(w)
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(direct, viaLoss))).dataSync()[0])).toBeLessThan(1e-4)
    // orthonormal filters are not penalised
    const q = tf.eye(4)
    expect(values(orthogonalRegularisationGradient(q, beta)).every((v) => v === 0)).toBe(true)
    tf.dispose([w, direct, viaLoss, q])
  })

  it('acts on every G weight with ≥ 2 dims (convs, linears, BN projections, attention), not the shared embedding', () => {
    const G = new BigGANGenerator(tiny)
    const names = orthogonallyRegularised(G).map((s) => s.name)
    expect(names).toContain('G.linear.weight')
    expect(names).toContain('G.blocks.0.bn1.gain.weight')
    expect(names).toContain('G.attention16.theta.weight')
    expect(names).toContain('G.toRgb.weight')
    expect(names).not.toContain('G.sharedEmbedding.weight')
    expect(names.some((n) => n.endsWith('.bias') || n.endsWith('.gain') || n.endsWith('.gamma'))).toBe(false)
    const params = new ParamStore()
    initialise(G, params, 1)
    const before = tf.memory().numTensors
    const grads = orthogonalRegularisationGradients(G, params)
    const loss = orthogonalRegularisationLoss(G, params)
    expect(grads.size).toBe(names.length)
    expect(loss.dataSync()[0]).toBeGreaterThanOrEqual(0)
    tf.dispose([loss, ...grads.values()])
    expect(tf.memory().numTensors).toBe(before)
    params.dispose()
  })
})

describe('EMA of G', () => {
  it('copies G before the start step, then averages with the decay; u and v stay unit vectors', () => {
    const G = new BigGANGenerator(tiny)
    const params = new ParamStore()
    const ema = new ParamStore()
    initialise(G, params, 1)
    updateEmaGenerator(G, params, ema, 0, { decay: 0.9, startStep: 1 })
    expect(values(ema.get('G.linear.bias'))).toEqual(values(params.get('G.linear.bias')))
    params.get('G.linear.bias').assign(tf.fill(params.get('G.linear.bias').shape, 1))
    params.get('G.linear.u').assign(tf.fill(params.get('G.linear.u').shape, 1))
    updateEmaGenerator(G, params, ema, 1, { decay: 0.9, startStep: 1 })
    for (const v of values(ema.get('G.linear.bias'))) expect(v).toBeCloseTo(0.1, 6)
    expect(Math.hypot(...values(ema.get('G.linear.u')))).toBeCloseTo(1, 5)
    params.dispose()
    ema.dispose()
  })
})

describe('Adam with PyTorch’s update', () => {
  it('one step: p − lr·m̂ / (√v̂ + ε), with bias corrections', () => {
    const params = new ParamStore()
    params.set('p', tf.tensor1d([1, -2]), true)
    const adam = new Adam(params, { learningRate: 0.1, beta1: 0, beta2: 0.999, epsilon: 1e-6 })
    const grad = tf.tensor1d([0.5, -4])
    adam.apply(new Map([['p', grad]]))
    // step 1: m = g, v = 0.001 g², v̂ = g² → p − 0.1·g/(|g| + 1e-6)
    const p = values(params.get('p'))
    expect(p[0]).toBeCloseTo(1 - 0.1 * 0.5 / (0.5 + 1e-6), 6)
    expect(p[1]).toBeCloseTo(-2 + 0.1 * 4 / (4 + 1e-6), 6)
    adam.dispose()
    grad.dispose()
    params.dispose()
  })
})

describe('one BigGAN training step', () => {
  it('gives losses and a gradient for every trainable parameter, and a steady tensor count step after step', () => {
    const G = new BigGANGenerator(tiny)
    const D = new BigGANDiscriminator(tiny)
    const gParams = new ParamStore()
    const dParams = new ParamStore()
    initialise(G, gParams, 1)
    initialise(D, dParams, 2)
    const gAdam = new Adam(gParams, { learningRate: 1e-4, beta1: 0, beta2: 0.999, epsilon: 1e-6 })
    const dAdam = new Adam(dParams, { learningRate: 4e-4, beta1: 0, beta2: 0.999, epsilon: 1e-6 })
    const classes = tf.tensor1d([0, 3, 9, 3], 'int32')
    const batch: TrainingBatch = {
      z: tf.randomNormal([4, 20], 0, 1, 'float32', 3) as tf.Tensor2D,
      y: tf.cast(tf.oneHot(classes, 10), 'float32') as tf.Tensor2D,
      x: tf.randomUniform([4, 32, 32, 3], -1, 1, 'float32', 4) as tf.Tensor4D,
      yReal: tf.cast(tf.oneHot(classes, 10), 'float32') as tf.Tensor2D,
    }
    const trainable = (m: typeof G | typeof D): string[] => m.specs().filter((s) => trainableRoles.has(s.role)).map((s) => s.name)
    const counts: number[] = []
    let dBetween = 0
    for (let step = 0; step < 3; step++) {
      const result = trainingStep({ net: G, params: gParams }, { net: D, params: dParams }, batch, {
        orthogonalRegularisation: 1e-4,
        afterDiscriminatorStep: (dGrads) => {
          dBetween = dGrads.size
          dAdam.apply(dGrads)
        },
      })
      expect(Number.isFinite(result.dLoss.dataSync()[0])).toBe(true)
      expect(Number.isFinite(result.gLoss.dataSync()[0])).toBe(true)
      expect([...result.dGrads.keys()].sort()).toEqual(trainable(D).sort())
      expect([...result.gGrads.keys()].sort()).toEqual(trainable(G).sort())
      expect(dBetween).toBe(result.dGrads.size)
      gAdam.apply(result.gGrads)
      result.dispose()
      counts.push(tf.memory().numTensors)
    }
    // the first step creates the Adam moments; after that nothing accumulates
    expect(counts[2]).toBe(counts[1])
    tf.dispose([classes, batch.z, batch.y, batch.x, batch.yReal])
    gAdam.dispose()
    dAdam.dispose()
    gParams.dispose()
    dParams.dispose()
  })
})
