// Precision/recall (k = 3) and density/coverage (k = 5) on synthetic Gaussians whose answers are known, and the
// Fréchet distance of a set with itself.
import { describe, expect, it } from 'vitest'
import { frechetDistanceOf } from '../../main/engine/inspect/frechet'
import { compareFeatures } from '../../main/engine/inspect/generatorMetrics'
import { kthNeighbourRadii, manifoldMetrics } from '../../main/engine/inspect/manifold'
import { Random } from '../../main/engine/sampling/random'

const dim = 4

/** n Gaussian rows [n, dim] with the given mean (per row, chosen by `centre(i)`). */
function gaussians(n: number, seed: number, centre: (i: number) => number = () => 0): Float32Array {
  const rng = new Random(seed)
  const out = new Float32Array(n * dim)
  for (let i = 0; i < n; i++) for (let d = 0; d < dim; d++) out[i * dim + d] = centre(i) + rng.normal()
  return out
}

describe('precision, recall, density and coverage', () => {
  it('are all 1 (density about 1) when the generated set is the real set', () => {
    const real = gaussians(400, 1)
    const m = manifoldMetrics(real, real, dim)
    expect(m.precision).toBe(1)
    expect(m.recall).toBe(1)
    expect(m.coverage).toBe(1)
    expect(m.density).toBeGreaterThan(0.8)
    expect(m.density).toBeLessThan(1.25)
    expect([m.kPrecisionRecall, m.kDensityCoverage, m.realCount, m.fakeCount]).toEqual([3, 5, 400, 400])
  })

  it('are high for a fresh sample of the same distribution', () => {
    const m = manifoldMetrics(gaussians(500, 2), gaussians(500, 3), dim)
    expect(m.precision).toBeGreaterThan(0.75)
    expect(m.recall).toBeGreaterThan(0.75)
    expect(m.coverage).toBeGreaterThan(0.75)
    expect(m.density).toBeGreaterThan(0.7)
    expect(m.density).toBeLessThan(1.3)
  })

  it('are all 0 for a generated set far from every real', () => {
    const m = manifoldMetrics(gaussians(200, 4), gaussians(200, 5, () => 100), dim)
    expect([m.precision, m.recall, m.density, m.coverage]).toEqual([0, 0, 0, 0])
  })

  it('keep precision and lose recall and coverage when the generator covers one of two modes', () => {
    const real = gaussians(400, 6, (i) => (i % 2 === 0 ? 0 : 20))
    const fake = gaussians(400, 7) // the first mode only
    const m = manifoldMetrics(real, fake, dim)
    expect(m.precision).toBeGreaterThan(0.9)
    expect(m.recall).toBeGreaterThan(0.35)
    expect(m.recall).toBeLessThan(0.55)
    expect(m.coverage).toBeGreaterThan(0.35)
    expect(m.coverage).toBeLessThan(0.55)
  })

  it("uses each point's k-th nearest other point as its radius", () => {
    const points = Float32Array.from([0, 0, 1, 0, 3, 0, 7, 0]) // on a line, dim 2
    expect(Array.from(kthNeighbourRadii(points, 2, 1))).toEqual([1, 1, 2, 4])
    expect(Array.from(kthNeighbourRadii(points, 2, 2))).toEqual([3, 2, 3, 6])
    expect(() => kthNeighbourRadii(points, 2, 4)).toThrow(/more than 4 feature rows/)
  })

  it('say how many images they need', () => {
    expect(() => manifoldMetrics(gaussians(5, 1), gaussians(50, 2), dim)).toThrow(/more than 5 real images/)
    expect(() => manifoldMetrics(gaussians(50, 1), gaussians(3, 2), dim)).toThrow(/more than 3 generated images/)
  })
})

describe('the Fréchet distance and KID', () => {
  it('Fréchet distance of a set with itself is about 0', () => {
    const a = gaussians(300, 8)
    expect(frechetDistanceOf(a, a, dim)).toBeLessThan(1e-6)
    const m = compareFeatures(a, a, dim, { kid: { subsets: 5 } })
    expect(m.fid).toBeLessThan(1e-6)
    expect(m.precision).toBe(1)
  })

  it('KID is near 0 for two samples of one distribution and far from it for shifted ones', () => {
    const same = compareFeatures(gaussians(300, 9), gaussians(300, 10), dim, { kid: { subsets: 20 } })
    const shifted = compareFeatures(gaussians(300, 9), gaussians(300, 10, () => 1), dim, { kid: { subsets: 20 } })
    expect(Math.abs(same.kid.mean)).toBeLessThan(shifted.kid.mean / 20)
    expect(same.fid).toBeLessThan(shifted.fid / 10)
  })
})
