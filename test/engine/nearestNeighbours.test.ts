import { describe, expect, it } from 'vitest'
import {
  memorisationCheck, nearestNeighbours, NeighbourSearch, percentile, type ImageChunks,
} from '../../main/engine/inspect/nearestNeighbours'
import { Random } from '../../main/engine/sampling/random'

function randomRows(rng: Random, n: number, dim: number): Float32Array {
  return Float32Array.from({ length: n * dim }, () => rng.normal())
}

/** Every distance, sorted, by brute force: [query][rank] → {index, distance}. */
function bruteForce(q: Float32Array, r: Float32Array, dim: number): { index: number; distance: number }[][] {
  const nq = q.length / dim
  const nr = r.length / dim
  return Array.from({ length: nq }, (_, i) =>
    Array.from({ length: nr }, (_, j) => {
      let s = 0
      for (let t = 0; t < dim; t++) s += (q[i * dim + t] - r[j * dim + t]) ** 2
      return { index: j, distance: Math.sqrt(s) }
    }).sort((a, b) => a.distance - b.distance),
  )
}

function chunksOf(images: Float32Array, imageSize: number): ImageChunks & { reads: number[] } {
  const reads: number[] = []
  return {
    count: images.length / imageSize,
    reads,
    read(start, n) {
      reads.push(n)
      return images.slice(start * imageSize, (start + n) * imageSize)
    },
  }
}

describe('nearest neighbours', () => {
  it('finds the same k nearest references, in order, as a brute-force search', () => {
    const rng = new Random(1)
    const dim = 150 // more than one 64-wide block, so early stopping is exercised
    const q = randomRows(rng, 7, dim)
    const r = randomRows(rng, 40, dim)
    const found = nearestNeighbours(q, r, dim, 4)
    const expected = bruteForce(q, r, dim)
    for (let i = 0; i < 7; i++) {
      for (let j = 0; j < 4; j++) {
        expect(found.indices[i * 4 + j]).toBe(expected[i][j].index)
        expect(found.distances[i * 4 + j]).toBeCloseTo(expected[i][j].distance, 4)
      }
    }
  })

  it('gives the same answer whether the references arrive at once or in chunks', () => {
    const rng = new Random(2)
    const q = randomRows(rng, 5, 8)
    const r = randomRows(rng, 33, 8)
    const whole = nearestNeighbours(q, r, 8, 3)
    const search = new NeighbourSearch(q, 8, 3)
    for (let start = 0; start < 33; start += 10) search.add(r.slice(start * 8, Math.min(start + 10, 33) * 8), start)
    expect(search.result()).toEqual(whole)
  })

  it('finds an exact copy at distance 0 and reports Infinity where fewer than k references exist', () => {
    const r = Float32Array.from([0, 0, 3, 4])
    const found = nearestNeighbours(Float32Array.from([3, 4]), r, 2, 3)
    expect([...found.indices]).toEqual([1, 0, -1])
    expect([...found.distances]).toEqual([0, 5, Infinity])
  })

  it('interpolates percentiles like numpy', () => {
    expect(percentile([4, 1, 3, 2], 50)).toBe(2.5)
    expect(percentile([10, 20, 30], 0)).toBe(10)
    expect(percentile([10, 20, 30], 100)).toBe(30)
    expect(percentile(Float32Array.from({ length: 101 }, (_, i) => 100 - i), 1)).toBe(1)
  })
})

describe('the memorisation check', () => {
  const imageSize = 12
  const rng = new Random(3)
  const training = randomRows(rng, 200, imageSize)
  const heldOut = randomRows(rng, 100, imageSize)
  /** the first 5 samples are training images 10…14 plus a little noise, the other 15 are new draws */
  const samples = new Float32Array(20 * imageSize)
  samples.set(randomRows(rng, 20, imageSize))
  for (let i = 0; i < 5; i++) {
    for (let t = 0; t < imageSize; t++) samples[i * imageSize + t] = training[(10 + i) * imageSize + t] + 0.01 * rng.normal()
  }

  it('flags near-copies of training images and points at the image they copy', async () => {
    const source = chunksOf(training, imageSize)
    const report = await memorisationCheck({ samples, training: source, heldOut, imageSize, k: 3, chunk: 64 })
    const { pixels } = report
    expect(source.reads).toEqual([64, 64, 64, 8])
    for (let i = 0; i < 5; i++) {
      expect(pixels.copies[i]).toBe(1)
      expect(pixels.neighbours.indices[i * 3]).toBe(10 + i)
    }
    expect(pixels.copies.slice(5).reduce((s, c) => s + c, 0)).toBeLessThanOrEqual(2)
    expect(pixels.threshold).toBeCloseTo(percentile(pixels.heldOutDistances, 1), 6)
    expect(pixels.medianSample).toBeLessThan(pixels.medianHeldOut * 1.5)
    expect(report.features).toBeUndefined()
  })

  it('repeats the search in a feature space the callback provides, chunk by chunk', async () => {
    const calls: number[] = []
    // features: the first two values of each image, doubled
    const features = async (images: Float32Array): Promise<Float32Array> => {
      const n = images.length / imageSize
      calls.push(n)
      return Float32Array.from({ length: n * 2 }, (_, i) => 2 * images[Math.floor(i / 2) * imageSize + (i % 2)])
    }
    const report = await memorisationCheck({
      samples, training: chunksOf(training, imageSize), heldOut, imageSize, k: 2, chunk: 100, features,
    })
    expect(calls).toEqual([20, 100, 100, 100])
    const f = report.features!
    expect(f.neighbours.k).toBe(2)
    for (let i = 0; i < 5; i++) expect(f.neighbours.indices[i * 2]).toBe(10 + i)
    expect(f.heldOutDistances.length).toBe(100)
  })

  it('says what is wrong with ragged inputs', async () => {
    await expect(
      memorisationCheck({ samples: new Float32Array(13), training: chunksOf(training, imageSize), heldOut, imageSize }),
    ).rejects.toThrow(/samples have 13 values/)
  })
})
