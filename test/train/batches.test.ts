import { describe, expect, it } from 'vitest'
import { batches, type Batch } from '../../main/engine/train/batches'
import type { ImageSplit } from '../../main/engine/images'
import { Random } from '../../main/engine/sampling/random'

const R = 4

/** n images whose every byte encodes (image, y, x, channel), so each row can be traced back. */
function split(n: number): ImageSplit {
  const pixels = new Uint8Array(n * R * R * 3)
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 7 + Math.floor(i / 48) * 13) % 256
  return {
    resolution: R,
    count: n,
    pixels,
    labels: Int32Array.from({ length: n }, (_, i) => i % 3),
    relPaths: Array.from({ length: n }, (_, i) => `img${i}.png`),
  }
}

function take(stream: Iterator<Batch>, k: number): Batch[] {
  return Array.from({ length: k }, () => stream.next().value as Batch)
}

describe('training batches', () => {
  it('are the same for the same seed and differ for another', () => {
    const s = split(10)
    const a = take(batches(s, 4, new Random(1), { mirror: true }), 6)
    const b = take(batches(s, 4, new Random(1), { mirror: true }), 6)
    const c = take(batches(s, 4, new Random(2), { mirror: true }), 6)
    expect(b).toEqual(a)
    expect(c.map((x) => [...x.indices])).not.toEqual(a.map((x) => [...x.indices]))
  })

  it('show every image once per epoch, reshuffled each epoch, with full batches across epoch ends', () => {
    const n = 10
    const rows = take(batches(split(n), 4, new Random(5), { mirror: false }), 10).flatMap((b) => [...b.indices])
    const epochs = [rows.slice(0, n), rows.slice(n, 2 * n), rows.slice(2 * n, 3 * n)]
    for (const e of epochs) expect([...e].sort((a, b) => a - b)).toEqual([...Array(n).keys()])
    expect(epochs[1]).not.toEqual(epochs[0])
  })

  it('fill a batch larger than the folder', () => {
    const [b] = take(batches(split(3), 8, new Random(0), { mirror: false }), 1)
    expect(b.indices.length).toBe(8)
    expect(b.x.length).toBe(8 * R * R * 3)
  })

  it('scale pixels to [−1, 1] and carry labels', () => {
    const s = split(5)
    const [b] = take(batches(s, 5, new Random(3), { mirror: false }), 1)
    for (let row = 0; row < 5; row++) {
      const image = b.indices[row]
      expect(b.labels[row]).toBe(s.labels[image])
      for (let k = 0; k < R * R * 3; k++) {
        expect(b.x[row * R * R * 3 + k]).toBeCloseTo(s.pixels[image * R * R * 3 + k] / 127.5 - 1, 6)
      }
    }
    expect(b.mirrored.every((m) => m === 0)).toBe(true)
  })

  it('mirror rows left to right when asked', () => {
    const s = split(6)
    const all = take(batches(s, 6, new Random(9), { mirror: true }), 4)
    const flips = all.flatMap((b) => [...b.mirrored])
    expect(flips).toContain(1)
    expect(flips).toContain(0)
    for (const b of all) {
      for (let row = 0; row < 6; row++) {
        if (!b.mirrored[row]) continue
        const image = b.indices[row]
        for (let y = 0; y < R; y++) {
          for (let x = 0; x < R; x++) {
            for (let ch = 0; ch < 3; ch++) {
              const got = b.x[((row * R + y) * R + x) * 3 + ch]
              const want = s.pixels[((image * R + y) * R + (R - 1 - x)) * 3 + ch] / 127.5 - 1
              expect(got).toBeCloseTo(want, 6)
            }
          }
        }
      }
    }
  })

  it('resume exactly from a saved stream state and random state', () => {
    const s = split(7)
    const straight = take(batches(s, 3, new Random(11), { mirror: true }), 8)
    const rng = new Random(11)
    const first = batches(s, 3, rng, { mirror: true })
    take(first, 3)
    const saved = { stream: first.state(), rng: rng.state() }
    const resumed = batches(s, 3, Random.fromState(saved.rng), { mirror: true, resume: saved.stream })
    expect(take(resumed, 5)).toEqual(straight.slice(3))
  })

  it('refuse a saved state that does not fit the split', () => {
    const state = batches(split(7), 3, new Random(1), { mirror: false }).state()
    expect(() => batches(split(8), 3, new Random(1), { mirror: false, resume: state })).toThrow(/split of 8 images/)
  })

  it('refuse an empty split and a bad batch size', () => {
    expect(() => batches(split(0), 3, new Random(1), { mirror: false })).toThrow(/no images/)
    expect(() => batches(split(3), 0, new Random(1), { mirror: false })).toThrow(/batch size/)
  })
})
