import { beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../main/backend/backend'
import { conv2d } from '../../main/engine/ops/conv2d'
import { channelMoments, standardiseByBatch } from '../../main/engine/ops/moments'
import { avgPool2x2, maxPool2x2, upsampleNearest2x } from '../../main/engine/ops/resample'
import { stopGradient } from '../../main/engine/ops/stopGradient'
import { tf } from '../../main/engine/tf'

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0])
}

/** ∂/∂inputs of Σ f(inputs) ⊙ dy */
function gradsOf(f: (...xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[], seed = 11): tf.Tensor[] {
  return tf.tidy(() => {
    const dy = tf.randomNormal(f(...inputs).shape, 0, 1, 'float32', seed)
    return tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(f(...xs), dy)))(inputs)
  })
}

/** 2×2 block view [b, h/2, w/2, c, 4] of x, the plain reference for the pools and the upsampling */
function blocks2x2(x: tf.Tensor4D): tf.Tensor {
  const [b, h, w, c] = x.shape
  return tf.reshape(tf.transpose(tf.reshape(x, [b, h / 2, 2, w / 2, 2, c]), [0, 1, 3, 5, 2, 4]), [b, h / 2, w / 2, c, 4])
}

const upsampleReference = (x: tf.Tensor4D): tf.Tensor4D => {
  const [b, h, w, c] = x.shape
  return tf.reshape(tf.mul(tf.reshape(x, [b * h, 1, w, 1, c]), tf.ones([1, 2, 1, 2, 1])), [b, 2 * h, 2 * w, c])
}

describe('ops on the cpu backend: gradients match TensorFlow.js’s own', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'cpu' })
  })

  it.each([1, 3])('conv2d with a %i-wide kernel: value and both gradients equal tf.conv2d’s', (k) => {
    const x = tf.randomNormal([2, 6, 5, 3], 0, 1, 'float32', 1) as tf.Tensor4D
    const w = tf.randomNormal([k, k, 3, 4], 0, 1, 'float32', 2) as tf.Tensor4D
    const ours = gradsOf((a, b) => conv2d(a as tf.Tensor4D, b as tf.Tensor4D), [x, w])
    const theirs = gradsOf((a, b) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same'), [x, w])
    expect(maxAbsDiff(conv2d(x, w), tf.conv2d(x, w, 1, 'same'))).toBe(0)
    expect(maxAbsDiff(ours[0], theirs[0])).toBeLessThan(1e-5)
    expect(maxAbsDiff(ours[1], theirs[1])).toBeLessThan(1e-5)
    tf.dispose([x, w, ...ours, ...theirs])
  })

  it('conv2d refuses even kernels (no symmetric ‘same’ padding)', () => {
    const x = tf.zeros([1, 4, 4, 1]) as tf.Tensor4D
    const w = tf.zeros([2, 2, 1, 1]) as tf.Tensor4D
    expect(() => conv2d(x, w)).toThrow(/odd square kernels/)
    tf.dispose([x, w])
  })

  it('2×2 average and max pools: values and gradients equal tf.avgPool’s and tf.maxPool’s', () => {
    const x = tf.randomNormal([2, 8, 6, 3], 0, 1, 'float32', 3) as tf.Tensor4D
    for (const [ours, theirs] of [
      [avgPool2x2, (t: tf.Tensor4D) => tf.avgPool(t, 2, 2, 'valid')],
      [maxPool2x2, (t: tf.Tensor4D) => tf.maxPool(t, 2, 2, 'valid')],
    ] as const) {
      expect(maxAbsDiff(ours(x), theirs(x))).toBe(0)
      const [a] = gradsOf((t) => ours(t as tf.Tensor4D), [x])
      const [b] = gradsOf((t) => theirs(t as tf.Tensor4D), [x])
      expect(maxAbsDiff(a, b)).toBeLessThan(1e-6)
      tf.dispose([a, b])
    }
    x.dispose()
  })

  it('nearest ×2 upsampling: value equals tf’s; gradient is the 2×2 block sum (tf-cpu’s own is wrong here)', () => {
    const x = tf.randomNormal([2, 3, 4, 5], 0, 1, 'float32', 4) as tf.Tensor4D
    expect(maxAbsDiff(upsampleNearest2x(x), tf.image.resizeNearestNeighbor(x, [6, 8]))).toBe(0)
    const [ours] = gradsOf((t) => upsampleNearest2x(t as tf.Tensor4D), [x])
    const [reference] = gradsOf((t) => upsampleReference(t as tf.Tensor4D), [x])
    expect(maxAbsDiff(ours, reference)).toBeLessThan(1e-5)
    tf.dispose([x, ours, reference])
  })

  it('stopGradient passes values and blocks gradients', () => {
    const x = tf.tensor1d([1, 2, 3])
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(stopGradient(t), t)))(x)
    expect(Array.from(stopGradient(x).dataSync())).toEqual([1, 2, 3])
    expect(Array.from(g.dataSync())).toEqual([1, 2, 3]) // ∂(sg(x)·x)/∂x = sg(x)
    tf.dispose([x, g])
  })

  it('batch standardisation: value and analytic gradient equal differentiating through tf.moments', () => {
    const x = tf.add(tf.randomNormal([3, 4, 5, 6], 0, 2, 'float32', 5), 1) as tf.Tensor4D
    const eps = 1e-5
    const composite = (t: tf.Tensor4D): tf.Tensor4D => {
      const { mean, variance } = tf.moments(t, [0, 1, 2])
      return tf.div(tf.sub(t, mean), tf.sqrt(tf.add(variance, eps)))
    }
    expect(maxAbsDiff(standardiseByBatch(x, eps), composite(x))).toBeLessThan(1e-5)
    const [ours] = gradsOf((t) => standardiseByBatch(t as tf.Tensor4D, eps), [x])
    const [theirs] = gradsOf((t) => composite(t as tf.Tensor4D), [x])
    expect(maxAbsDiff(ours, theirs)).toBeLessThan(1e-5)
    tf.dispose([x, ours, theirs])
  })
})

describe('ops on the wasm backend', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm' })
  })

  it('max-pool and upsampling gradients are right (wasm’s MaxPoolGrad is not), conv trains without Conv2DBackpropFilter', () => {
    const x = tf.randomNormal([2, 8, 8, 4], 0, 1, 'float32', 6) as tf.Tensor4D
    const w = tf.randomNormal([3, 3, 4, 2], 0, 1, 'float32', 7) as tf.Tensor4D
    const [maxGrad] = gradsOf((t) => maxPool2x2(t as tf.Tensor4D), [x])
    // reference: ∂ of max over each block's 4 values, by the reduction's own gradient (ties have probability 0)
    const [maxRef] = gradsOf((t) => tf.max(blocks2x2(t as tf.Tensor4D), 4), [x])
    expect(maxAbsDiff(maxGrad, maxRef)).toBeLessThan(1e-6)
    const [upGrad] = gradsOf((t) => upsampleNearest2x(t as tf.Tensor4D), [x])
    const [upRef] = gradsOf((t) => upsampleReference(t as tf.Tensor4D), [x])
    expect(maxAbsDiff(upGrad, upRef)).toBeLessThan(1e-5)
    const [dx, dw] = gradsOf((a, b) => conv2d(a as tf.Tensor4D, b as tf.Tensor4D), [x, w])
    expect(dx.shape).toEqual(x.shape)
    expect(dw.shape).toEqual(w.shape)
    tf.dispose([x, w, maxGrad, maxRef, upGrad, upRef, dx, dw])
  })

  it('the max-pool gradient goes to the first maximum of a tied window, as in PyTorch', () => {
    const x = tf.tensor4d([1, 1, 0, 1], [1, 2, 2, 1])
    const g = tf.grad((t: tf.Tensor) => tf.sum(maxPool2x2(t as tf.Tensor4D)))(x)
    expect(Array.from(g.dataSync())).toEqual([1, 0, 0, 0])
    tf.dispose([x, g])
  })

  it('channel moments stay float32-accurate over 65k values per channel (wasm’s own reduction drifts ~1e-5)', () => {
    const x = tf.add(tf.randomNormal([4, 128, 128, 4], 0, 1, 'float32', 8), 3) as tf.Tensor4D
    const values = x.dataSync()
    const n = values.length / 4
    const mean = new Float64Array(4)
    const variance = new Float64Array(4)
    values.forEach((v, i) => (mean[i % 4] += v / n))
    values.forEach((v, i) => (variance[i % 4] += (v - mean[i % 4]) ** 2 / n))
    const moments = channelMoments(x)
    const m = moments.mean.dataSync()
    const v = moments.variance.dataSync()
    for (let c = 0; c < 4; c++) {
      expect(Math.abs(m[c] - mean[c])).toBeLessThan(1e-6)
      expect(Math.abs(v[c] - variance[c]) / variance[c]).toBeLessThan(1e-6)
    }
    tf.dispose([x, moments.mean, moments.variance])
  })

  it('ops leave no tensors behind', () => {
    const x = tf.randomNormal([2, 4, 4, 8], 0, 1, 'float32', 9) as tf.Tensor4D
    const w = tf.randomNormal([3, 3, 8, 8], 0, 1, 'float32', 10) as tf.Tensor4D
    const before = tf.memory().numTensors
    const grads = gradsOf(
      (a, b) => upsampleNearest2x(maxPool2x2(avgPool2x2(standardiseByBatch(conv2d(a as tf.Tensor4D, b as tf.Tensor4D), 1e-5)))),
      [x, w],
    )
    tf.dispose(grads)
    expect(tf.memory().numTensors).toBe(before)
    tf.dispose([x, w])
  })
})
