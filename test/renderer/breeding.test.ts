// Children of a point (mutating z, classes or both) and interpolation paths between two points.
import { describe, expect, it } from 'vitest'
import type { Point } from '../../preload/contract/index.ts'
import { oneHot } from '../../renderer/lib/classes.ts'
import { fractions, interpolatePoints, pingPong, pointBetween } from '../../renderer/lib/interpolate.ts'
import { norm } from '../../renderer/lib/latent.ts'
import { makeChildren, mutateClasses } from '../../renderer/lib/mutate.ts'
import { Rng } from '../../renderer/lib/random.ts'

const parent: Point = { z: new Rng(1).normals(32), y: oneHot(10, 3), truncation: 0.8, seed: 77 }

describe('children of a point', () => {
  it('makes the same children for the same seed, different ones for another', () => {
    const a = makeChildren(parent, 9, 0.5, 'both', 123)
    const b = makeChildren(parent, 9, 0.5, 'both', 123)
    const c = makeChildren(parent, 9, 0.5, 'both', 124)
    expect(a).toHaveLength(9)
    expect(a.map((p) => Array.from(p.z))).toEqual(b.map((p) => Array.from(p.z)))
    expect(Array.from(a[0].z)).not.toEqual(Array.from(c[0].z))
  })

  it("'z' keeps the classes, 'classes' keeps z (and its seed), and the parent is untouched", () => {
    const before = Array.from(parent.z)
    for (const child of makeChildren(parent, 4, 0.8, 'z', 5)) {
      expect(Array.from(child.y)).toEqual(Array.from(parent.y))
      expect(child.seed).toBeUndefined()
      expect(norm(child.z)).toBeCloseTo(norm(parent.z), 3)
    }
    for (const child of makeChildren(parent, 4, 0.8, 'classes', 5)) {
      expect(Array.from(child.z)).toEqual(before)
      expect(child.seed).toBe(77)
      expect(child.y.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5)
    }
    expect(Array.from(parent.z)).toEqual(before)
  })

  it('stronger mutation moves z further on average', () => {
    const distance = (strength: number): number =>
      makeChildren(parent, 20, strength, 'z', 9).reduce((s, c) => {
        let d = 0
        for (let i = 0; i < c.z.length; i++) d += (c.z[i] - parent.z[i]) ** 2
        return s + Math.sqrt(d)
      }, 0)
    expect(distance(1)).toBeGreaterThan(distance(0.1) * 3)
  })

  it('class mutation keeps a normalised mix of at most four classes', () => {
    const rng = new Rng(3)
    let y = oneHot(1000, 207)
    for (let i = 0; i < 30; i++) {
      y = mutateClasses(y, 1, rng)
      expect(y.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 4)
      expect(Array.from(y).filter((v) => v > 0).length).toBeLessThanOrEqual(4)
    }
  })
})

describe('interpolation paths', () => {
  const a: Point = { z: Float32Array.from([2, 0]), y: oneHot(3, 0), truncation: 0.4, seed: 1 }
  const b: Point = { z: Float32Array.from([0, 2]), y: oneHot(3, 2), truncation: 1, seed: 2 }

  it('spaces frames evenly with both ends included', () => {
    expect(fractions(5)).toEqual([0, 0.25, 0.5, 0.75, 1])
    expect(() => fractions(1)).toThrow(/at least 2 frames/)
  })

  it('slerps z, lerps class and truncation, and keeps the seeds only at the ends', () => {
    const path = interpolatePoints(a, b, 3)
    expect(path[0].seed).toBe(1)
    expect(path[2].seed).toBe(2)
    expect(path[1].seed).toBeUndefined()
    expect(norm(path[1].z)).toBeCloseTo(2, 5)
    expect(Array.from(path[1].y)).toEqual([0.5, 0, 0.5])
    expect(path[1].truncation).toBeCloseTo(0.7, 6)
    expect(Array.from(path[2].z)).toEqual([0, 2])
  })

  it('refuses points of two different models', () => {
    expect(() => pointBetween(a, { ...b, y: oneHot(4, 0) }, 0.5)).toThrow(/different models/)
  })

  it('loops back and forth without repeating the ends', () => {
    expect(pingPong(4)).toEqual([0, 1, 2, 3, 2, 1])
    expect(pingPong(2)).toEqual([0, 1])
  })
})
