// The geometry of z the views move through: interpolation, steps, per-chunk nudges and the walk.
import { describe, expect, it } from 'vitest'
import {
  chunkDirection,
  chunkRanges,
  directionAt,
  layerwiseDirection,
  lerp,
  norm,
  slerp,
  step,
  walkStep,
  type WalkState,
} from '../../renderer/lib/latent.ts'
import { Rng } from '../../renderer/lib/random.ts'

const f = (...v: number[]): Float32Array => Float32Array.from(v)

describe('interpolation between two latents', () => {
  it('slerp starts and ends at the two points', () => {
    const a = new Rng(1).normals(16)
    const b = new Rng(2).normals(16)
    expect(Array.from(slerp(a, b, 0))).toEqual(Array.from(a).map((x) => expect.closeTo(x, 5)))
    expect(Array.from(slerp(a, b, 1))).toEqual(Array.from(b).map((x) => expect.closeTo(x, 5)))
  })

  it('slerp keeps the norm between two draws of equal norm, where lerp sags', () => {
    const a = f(3, 0, 0)
    const b = f(0, 3, 0)
    expect(norm(slerp(a, b, 0.5))).toBeCloseTo(3, 5)
    expect(norm(lerp(a, b, 0.5))).toBeCloseTo(3 / Math.SQRT2, 5)
  })

  it('slerp of parallel vectors falls back to lerp instead of dividing by zero', () => {
    const out = slerp(f(1, 2), f(2, 4), 0.5)
    expect(Array.from(out)).toEqual([1.5, 3])
  })

  it('refuses vectors of different lengths', () => {
    expect(() => slerp(f(1), f(1, 2), 0.5)).toThrow(/1 and 2/)
  })
})

describe('steps along directions', () => {
  it('adds amount × direction and leaves the input alone', () => {
    const z = f(1, 1)
    expect(Array.from(step(z, f(1, 0), -0.5))).toEqual([0.5, 1])
    expect(Array.from(z)).toEqual([1, 1])
  })

  it('reads direction i out of count·zDim values', () => {
    const d = f(1, 0, 0, 0, 1, 0)
    expect(Array.from(directionAt(d, 1, 3))).toEqual([0, 1, 0])
    expect(() => directionAt(d, 2, 3)).toThrow(/no direction 3/)
  })
})

describe('hierarchical z chunks', () => {
  it('places each chunk after the previous one, labelled', () => {
    const r = chunkRanges([20, 20, 40], ['linear', 'block 1'], 80)
    expect(r.map((c) => [c.start, c.end, c.label])).toEqual([
      [0, 20, 'linear'],
      [20, 40, 'block 1'],
      [40, 80, 'chunk 3'],
    ])
  })

  it('says when the chunks do not add up to zDim', () => {
    expect(() => chunkRanges([20, 20], [], 80)).toThrow(/add up to 40, but z has 80/)
  })

  it('nudges only its own chunk, along a unit vector that a seed fixes', () => {
    const d = chunkDirection(10, 3, 6, 42)
    expect(norm(d)).toBeCloseTo(1, 5)
    expect(Array.from(d.slice(0, 3))).toEqual([0, 0, 0])
    expect(Array.from(d.slice(6))).toEqual([0, 0, 0, 0])
    expect(Array.from(chunkDirection(10, 3, 6, 42))).toEqual(Array.from(d))
    const z = new Rng(3).normals(10)
    const back = step(step(z, d, 0.7), d, -0.7)
    back.forEach((v, i) => expect(v).toBeCloseTo(z[i], 5))
  })
})

describe('random walk', () => {
  it('moves z but keeps its norm, and repeats for the same walk state', () => {
    const z = new Rng(9).normals(64)
    const start = { velocity: new Float32Array(0), seed: 5 }
    const a = walkStep(z, start, 0.3)
    const b = walkStep(z, start, 0.3)
    expect(Array.from(a.z)).toEqual(Array.from(b.z))
    expect(norm(a.z)).toBeCloseTo(norm(z), 3)
    expect(norm(a.walk.velocity)).toBeCloseTo(1, 5)
    let d = 0
    for (let i = 0; i < z.length; i++) d += (a.z[i] - z[i]) ** 2
    expect(Math.sqrt(d)).toBeGreaterThan(0.1)
  })

  it('turns smoothly: consecutive velocities point mostly the same way', () => {
    let z = new Rng(4).normals(128)
    let walk: WalkState = { velocity: new Float32Array(0), seed: 1 }
    const velocities: Float32Array[] = []
    for (let i = 0; i < 5; i++) {
      const next = walkStep(z, walk, 0.2)
      z = next.z
      walk = next.walk
      velocities.push(walk.velocity)
    }
    for (let i = 1; i < velocities.length; i++) {
      let cos = 0
      for (let k = 0; k < 128; k++) cos += velocities[i][k] * velocities[i - 1][k]
      expect(cos).toBeGreaterThan(0.8)
    }
  })
})

describe("a named direction applied to a range of G's blocks (layer-wise)", () => {
  const chunks = chunkRanges([2, 2, 2], ['linear', 'block 1', 'block 2'], 6)
  const d = f(1, 2, 3, 4, 5, 6)

  it('keeps the direction in the chosen chunks only, so a step leaves the z of the other blocks as it was', () => {
    expect(Array.from(layerwiseDirection(d, chunks, 1, 2))).toEqual([0, 0, 3, 4, 5, 6])
    expect(Array.from(layerwiseDirection(d, chunks, 0, 0))).toEqual([1, 2, 0, 0, 0, 0])
    expect(Array.from(layerwiseDirection(d, chunks, 0, 2))).toEqual([1, 2, 3, 4, 5, 6])
    const z = f(9, 9, 9, 9, 9, 9)
    expect(Array.from(step(z, layerwiseDirection(d, chunks, 2, 2), 0.5))).toEqual([9, 9, 9, 9, 11.5, 12])
  })

  it('refuses a range the model does not have, saying which it has', () => {
    expect(() => layerwiseDirection(d, chunks, 2, 1)).toThrow(/blocks 2–1 .* 3 z chunks \(0–2\)/)
    expect(() => layerwiseDirection(d, chunks, 0, 3)).toThrow(/0–2/)
  })
})
