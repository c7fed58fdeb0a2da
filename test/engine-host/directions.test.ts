import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomDirections } from '../../main/engine-host/worker/directions'
import { initBackend } from '../../main/backend/backend'
import { defaultConfig } from '../../main/engine/config'
import { ganspace } from '../../main/engine/inspect/ganspace'
import { BigGANModel } from '../../main/engine/model'
import { tf } from '../../main/engine/tf'

function gram(rows: Float32Array, k: number, dim: number): number[][] {
  return Array.from({ length: k }, (_, a) =>
    Array.from({ length: k }, (_, b) => {
      let s = 0
      for (let j = 0; j < dim; j++) s += rows[a * dim + j] * rows[b * dim + j]
      return s
    }),
  )
}

function expectIdentity(g: number[][], tolerance: number): void {
  g.forEach((row, a) => row.forEach((v, b) => expect(Math.abs(v - (a === b ? 1 : 0))).toBeLessThan(tolerance)))
}

let biggan: BigGANModel
let deep: BigGANModel

beforeAll(async () => {
  await initBackend()
  biggan = BigGANModel.initialise(defaultConfig('biggan', 32, 4, 3, 0), 0)
  deep = BigGANModel.initialise(defaultConfig('biggan-deep', 32, 4, 3, 0), 0)
})

afterAll(() => {
  biggan?.dispose()
  deep?.dispose()
})

describe('random directions', () => {
  it('are orthonormal and the same for the same seed', () => {
    const a = randomDirections(80, 16, 7)
    expectIdentity(gram(a.directions, 16, 80), 1e-6)
    expect(randomDirections(80, 16, 7).directions).toEqual(a.directions)
    expect(randomDirections(80, 16, 8).directions).not.toEqual(a.directions)
    expect(a.explained).toEqual(new Float32Array(16))
  })

  it('stop at the dimension of z', () => {
    const d = randomDirections(4, 10, 1)
    expect(d.directions.length).toBe(16)
    expectIdentity(gram(d.directions, 4, 4), 1e-6)
  })
})

describe('GANSpace directions', () => {
  it('come out unit length, strongest first, with descending explained-variance ratios, leaving no tensors', async () => {
    const before = tf.memory().numTensors
    const result = await ganspace(biggan, { components: 6, seed: 3, samples: 400, batch: 50 })
    expect(tf.memory().numTensors).toBe(before)
    expect(result.count).toBe(6)
    expect(result.directions.length).toBe(6 * 80)
    for (let a = 0; a < 6; a++) {
      let norm = 0
      for (let j = 0; j < 80; j++) norm += result.directions[a * 80 + j] ** 2
      expect(Math.abs(Math.sqrt(norm) - 1)).toBeLessThan(1e-5)
    }
    const explained = Array.from(result.explained)
    expect(explained).toEqual([...explained].sort((x, y) => y - x))
    expect(explained[0]).toBeGreaterThan(0)
    expect(explained.reduce((s, v) => s + v, 0)).toBeLessThanOrEqual(1 + 1e-5)
  })

  it('finds every component of hierarchical BigGAN in the z chunk the first layer reads, and all of its variance', async () => {
    // the first linear reads z's first chunk (20 values): its activations have exactly 20 components
    const result = await ganspace(biggan, { components: 30, seed: 5, samples: 400, iterations: 30 })
    expect(result.count).toBe(20)
    const total = Array.from(result.explained).reduce((s, v) => s + v, 0)
    expect(Math.abs(total - 1)).toBeLessThan(1e-3)
    for (let a = 0; a < result.count; a++) {
      let outside = 0
      for (let j = 20; j < 80; j++) outside += result.directions[a * 80 + j] ** 2
      expect(outside).toBeLessThan(1e-6)
    }
  })

  it('works on BigGAN-deep, whose first layer reads z and the class embedding, for a given class', async () => {
    const y = Float32Array.of(0, 1, 0)
    const result = await ganspace(deep, { components: 4, seed: 1, samples: 300, y })
    expect(result.count).toBe(4)
    const explained = Array.from(result.explained)
    expect(explained).toEqual([...explained].sort((x, z) => z - x))
    const again = await ganspace(deep, { components: 4, seed: 1, samples: 300, y })
    expect(again.directions).toEqual(result.directions)
  })

  it('stops when asked between batches', async () => {
    let calls = 0
    const stop = (): void => {
      if (++calls > 2) throw new Error('stopped')
    }
    const before = tf.memory().numTensors
    await expect(ganspace(biggan, { components: 2, seed: 1, samples: 400, checkCancelled: stop })).rejects.toThrow('stopped')
    expect(tf.memory().numTensors).toBe(before)
  })
})
