import { describe, expect, it } from 'vitest'
import {
  featureStatistics, frechetDistance, frechetDistanceOf, frechetParts, kernelInceptionDistance, symmetricEigen, symmetricSqrt,
  type GaussianStatistics,
} from '../../main/engine/inspect/frechet'
import { Random } from '../../main/engine/sampling/random'

function gaussianRows(rng: Random, n: number, dim: number, mean = 0, scale = 1): Float64Array {
  return Float64Array.from({ length: n * dim }, () => mean + scale * rng.normal())
}

/** A random orthogonal [n, n] matrix (Gram–Schmidt on Gaussian columns), row-major. */
function randomRotation(rng: Random, n: number): Float64Array {
  const cols: Float64Array[] = []
  for (let k = 0; k < n; k++) {
    const v = Float64Array.from({ length: n }, () => rng.normal())
    for (const u of cols) {
      const dot = v.reduce((s, x, i) => s + x * u[i], 0)
      for (let i = 0; i < n; i++) v[i] -= dot * u[i]
    }
    const norm = Math.hypot(...v)
    cols.push(v.map((x) => x / norm))
  }
  const q = new Float64Array(n * n)
  for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) q[i * n + k] = cols[k][i]
  return q
}

/** Q diag(values) Qᵀ */
function withEigenvalues(q: Float64Array, values: number[]): Float64Array {
  const n = values.length
  const out = new Float64Array(n * n)
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0
      for (let k = 0; k < n; k++) s += q[i * n + k] * values[k] * q[j * n + k]
      out[i * n + j] = s
    }
  }
  return out
}

function stats(mean: number[], covariance: Float64Array): GaussianStatistics {
  return { dim: mean.length, count: 1000, mean: Float64Array.from(mean), covariance }
}

function diagonal(values: number[]): Float64Array {
  const n = values.length
  const out = new Float64Array(n * n)
  values.forEach((v, i) => (out[i * n + i] = v))
  return out
}

describe('symmetric eigen-decomposition', () => {
  it.each([1, 2, 5, 40])('reconstructs a random symmetric matrix of side %i from orthonormal eigenvectors', (n) => {
    const rng = new Random(n)
    const a = new Float64Array(n * n)
    for (let i = 0; i < n; i++) {
      for (let j = i; j < n; j++) {
        const v = rng.normal()
        a[i * n + j] = v
        a[j * n + i] = v
      }
    }
    const { values, vectors } = symmetricEigen(a, n)
    for (let k = 1; k < n; k++) expect(values[k]).toBeGreaterThanOrEqual(values[k - 1])
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let rebuilt = 0
        let gram = 0
        for (let k = 0; k < n; k++) {
          rebuilt += vectors[i * n + k] * values[k] * vectors[j * n + k]
          gram += vectors[k * n + i] * vectors[k * n + j]
        }
        expect(rebuilt).toBeCloseTo(a[i * n + j], 10)
        expect(gram).toBeCloseTo(i === j ? 1 : 0, 10)
      }
    }
  })

  it('finds known eigenvalues, repeated ones included', () => {
    const q = randomRotation(new Random(3), 6)
    const { values } = symmetricEigen(withEigenvalues(q, [5, 1, 1, 0, 2, 3]), 6)
    ;[0, 1, 1, 2, 3, 5].forEach((v, i) => expect(values[i]).toBeCloseTo(v, 10))
  })

  it('takes the square root of a positive semi-definite matrix, treating tiny negative eigenvalues as zero', () => {
    const q = randomRotation(new Random(4), 5)
    const s = symmetricSqrt(withEigenvalues(q, [4, 9, 0.25, -1e-14, 0]), 5)
    const expected = withEigenvalues(q, [2, 3, 0.5, 0, 0])
    // √ amplifies rounding near a zero eigenvalue (√1e-16 = 1e-8), so 7 digits, not 10
    s.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 7))
  })

  it('refuses a matrix with NaN, naming where', () => {
    expect(() => symmetricEigen(Float64Array.from([1, NaN, NaN, 1]), 2)).toThrow(/row 0, column 1/)
  })
})

describe('Fréchet distance', () => {
  it('is zero between a feature set and itself', () => {
    const x = gaussianRows(new Random(1), 300, 8)
    expect(frechetDistanceOf(x, x, 8)).toBeLessThan(1e-9)
  })

  it('is the squared mean shift between a set and its translate', () => {
    const dim = 6
    const x = gaussianRows(new Random(2), 400, dim)
    const shift = [0.5, -1, 2, 0, 0.25, 3]
    const y = x.map((v, i) => v + shift[i % dim])
    const expected = shift.reduce((s, d) => s + d * d, 0)
    expect(frechetDistanceOf(x, y, dim)).toBeCloseTo(expected, 8)
  })

  it('is ‖Δμ‖² + Σ(σ1 − σ2)² for diagonal covariances', () => {
    const a = stats([0, 1, 2], diagonal([1, 4, 9]))
    const b = stats([1, 1, 0], diagonal([4, 1, 0.25]))
    // (1 + 0 + 4) + ((1 − 2)² + (2 − 1)² + (3 − 0.5)²)
    expect(frechetDistance(a, b)).toBeCloseTo(5 + 1 + 1 + 6.25, 10)
  })

  it('gives the same as for the diagonal case when both covariances share rotated eigenvectors', () => {
    const q = randomRotation(new Random(5), 4)
    const a = stats([0, 0, 0, 0], withEigenvalues(q, [1, 4, 9, 16]))
    const b = stats([0, 0, 0, 0], withEigenvalues(q, [16, 9, 4, 1]))
    // (1 − 4)² + (2 − 3)² + (3 − 2)² + (4 − 1)²
    expect(frechetDistance(a, b)).toBeCloseTo(20, 9)
  })

  it('matches the 2×2 closed form tr (Σ1Σ2)^½ = √(tr Σ1Σ2 + 2√(det Σ1 det Σ2)) for non-commuting covariances', () => {
    const s1 = [2, 0.7, 0.7, 1]
    const s2 = [1, -0.4, -0.4, 3]
    const product = [s1[0] * s2[0] + s1[1] * s2[2], 0, 0, s1[2] * s2[1] + s1[3] * s2[3]]
    const det = (m: number[]): number => m[0] * m[3] - m[1] * m[2]
    const traceSqrt = Math.sqrt(product[0] + product[3] + 2 * Math.sqrt(det(s1) * det(s2)))
    const expected = 0.5 ** 2 + 2 ** 2 + (s1[0] + s1[3]) + (s2[0] + s2[3]) - 2 * traceSqrt
    const d = frechetDistance(stats([0, 0], Float64Array.from(s1)), stats([0.5, 2], Float64Array.from(s2)))
    expect(d).toBeCloseTo(expected, 10)
  })

  it('is symmetric in its two arguments and stays finite and non-negative with fewer samples than dimensions', () => {
    const rng = new Random(6)
    const x = gaussianRows(rng, 10, 32)
    const y = gaussianRows(rng, 12, 32, 0.3, 1.5)
    const xy = frechetDistanceOf(x, y, 32)
    expect(Number.isFinite(xy)).toBe(true)
    expect(xy).toBeGreaterThan(0)
    expect(frechetDistanceOf(y, x, 32)).toBeCloseTo(xy, 6)
  })

  it('takes float32 features and uses the unbiased covariance', () => {
    const s = featureStatistics(Float32Array.from([1, 10, 3, 14]), 2)
    expect([...s.mean]).toEqual([2, 12])
    expect([...s.covariance]).toEqual([2, 4, 4, 8])
  })

  it('refuses feature sets of different widths or ragged rows', () => {
    const a = featureStatistics(new Float64Array(6), 2)
    const b = featureStatistics(new Float64Array(6), 3)
    expect(() => frechetDistance(a, b)).toThrow(/different dimensions/)
    expect(() => featureStatistics(new Float64Array(7), 2)).toThrow(/whole number of rows/)
  })
})

describe('kernel inception distance', () => {
  /** The unbiased MMD² with k(x, y) = (x·y/d + 1)³ over all rows, written out directly. */
  function mmd2(a: Float64Array, b: Float64Array, d: number): number {
    const n = a.length / d
    const k = (x: Float64Array, i: number, y: Float64Array, j: number): number => {
      let dot = 0
      for (let t = 0; t < d; t++) dot += x[i * d + t] * y[j * d + t]
      return (dot / d + 1) ** 3
    }
    let xx = 0
    let yy = 0
    let xy = 0
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        if (i !== j) {
          xx += k(a, i, a, j)
          yy += k(b, i, b, j)
        }
        xy += k(a, i, b, j)
      }
    }
    return xx / (n * (n - 1)) + yy / (n * (n - 1)) - (2 * xy) / (n * n)
  }

  it('equals the unbiased MMD² with the cubic kernel when the subset is the whole set', () => {
    const rng = new Random(7)
    const a = gaussianRows(rng, 30, 5)
    const b = gaussianRows(rng, 30, 5, 0.5)
    const expected = mmd2(a, b, 5)
    for (const maxCachedEntries of [0, 2 ** 24]) {
      const kid = kernelInceptionDistance(a, b, 5, { subsets: 3, subsetSize: 30, maxCachedEntries })
      expect(kid.subsetSize).toBe(30)
      expect(kid.mean).toBeCloseTo(expected, 4)
      expect(kid.std).toBeLessThan(1e-4)
    }
  })

  it('reports one subset and no spread when a subset would be the whole of both sets, and a spread over proper subsets', () => {
    const rng = new Random(11)
    const a = gaussianRows(rng, 40, 4)
    const b = gaussianRows(rng, 40, 4, 0.3)
    const whole = kernelInceptionDistance(a, b, 4, { subsets: 100 })
    expect(whole).toMatchObject({ subsets: 1, subsetSize: 40, std: 0 })
    expect(whole.mean).toBeCloseTo(mmd2(a, b, 4), 6)
    const proper = kernelInceptionDistance(a, b, 4, { subsets: 50, subsetSize: 20 })
    expect(proper).toMatchObject({ subsets: 50, subsetSize: 20 })
    expect(proper.std).toBeGreaterThan(0)
  })

  it('is near zero for two samples of one distribution and grows with the shift between them', () => {
    const rng = new Random(8)
    const a = gaussianRows(rng, 400, 4)
    const b = gaussianRows(rng, 400, 4)
    const near = kernelInceptionDistance(a, b, 4, { subsets: 10, subsetSize: 200 })
    const shifted = kernelInceptionDistance(a, b.map((v) => v + 0.5), 4, { subsets: 10, subsetSize: 200 })
    const further = kernelInceptionDistance(a, b.map((v) => v + 1), 4, { subsets: 10, subsetSize: 200 })
    expect(Math.abs(near.mean)).toBeLessThan(3 * near.std + 1e-3)
    expect(shifted.mean).toBeGreaterThan(10 * Math.abs(near.mean))
    expect(further.mean).toBeGreaterThan(shifted.mean)
  })

  it('draws the same subsets for the same seed', () => {
    const rng = new Random(9)
    const a = gaussianRows(rng, 50, 3)
    const b = gaussianRows(rng, 60, 3, 0.2)
    const one = kernelInceptionDistance(a, b, 3, { subsets: 5, subsetSize: 20, seed: 4 })
    expect(kernelInceptionDistance(a, b, 3, { subsets: 5, subsetSize: 20, seed: 4 })).toEqual(one)
    expect(kernelInceptionDistance(a, b, 3, { subsets: 5, subsetSize: 20, seed: 5 }).mean).not.toBe(one.mean)
  })
})

describe('the parts of the Fréchet distance', () => {
  it('give the squared mean distance and the spread ratio, which together bound what FD can be', () => {
    const dim = 3
    const a: GaussianStatistics = { dim, count: 10, mean: Float64Array.from([1, 2, 3]), covariance: withEigenvalues(randomRotation(new Random(1), dim), [1, 2, 3]) }
    const b: GaussianStatistics = { dim, count: 10, mean: Float64Array.from([1, 0, 3]), covariance: withEigenvalues(randomRotation(new Random(2), dim), [2, 4, 6]) }
    const { meanTerm, spreadRatio } = frechetParts(a, b)
    expect(meanTerm).toBeCloseTo(4, 12)
    expect(spreadRatio).toBeCloseTo(6 / 12, 12)
    // FD = meanTerm + tr Σa + tr Σb − 2 tr (Σa Σb)^½ ≥ meanTerm + (√tr Σa − √tr Σb)²
    expect(frechetDistance(a, b)).toBeGreaterThanOrEqual(meanTerm + (Math.sqrt(6) - Math.sqrt(12)) ** 2 - 1e-9)
    expect(frechetParts(a, a)).toEqual({ meanTerm: 0, spreadRatio: 1 })
    expect(() => frechetParts(a, { ...b, dim: 2 })).toThrow('different dimensions')
  })

  it('see a set half as varied as another as a spread ratio of one half', () => {
    const rng = new Random(4)
    const wide = featureStatistics(gaussianRows(rng, 4000, 8, 0, 1), 8)
    const narrow = featureStatistics(gaussianRows(rng, 4000, 8, 0, Math.SQRT1_2), 8)
    expect(frechetParts(narrow, wide).spreadRatio).toBeCloseTo(0.5, 1)
    expect(frechetParts(narrow, wide).meanTerm).toBeLessThan(0.02)
  })
})
