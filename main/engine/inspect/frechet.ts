// Distances between two sets of image features, the numbers the studio reports for sample quality. Each is computed
// as its authors define it (below), and compares only at equal sample counts in one feature space. Pure JavaScript
// in float64: the features come in as typed arrays [n, dim] row-major,
// from whichever extractor the caller names (report its hash next to every number).
//
// Fréchet distance (Heusel et al. 2017, "FID" when the features are Inception pool3's) between the Gaussians fitted
// to the two sets:  ‖μ1 − μ2‖² + tr Σ1 + tr Σ2 − 2 tr (Σ1 Σ2)^{1/2}.
// Σ1 Σ2 is not symmetric, but it is similar to the symmetric positive semi-definite S Σ2 S with S = Σ1^{1/2}, so
// tr (Σ1 Σ2)^{1/2} = Σ √λi(S Σ2 S). Both square roots come from symmetric eigen-decompositions, where eigenvalues
// that rounding pushes a little below zero (rank-deficient covariances: fewer samples than dimensions) are
// clamped to 0 instead of producing the complex parts scipy's sqrtm reports. Covariances are unbiased (n − 1), as
// numpy.cov in pytorch-fid. FD is biased by sample size: compare numbers only at equal sizes.
//
// KID (Bińkowski et al. 2018): the unbiased estimate of MMD² with the cubic polynomial kernel
// k(x, y) = (xᵀy / dim + 1)³, averaged over random subsets of m rows from each set, as StyleGAN2-ADA computes it
// (100 subsets of m = min(n1, n2, 1000)). Unbiased, so it can be slightly negative for matching distributions.
import { Random } from '../sampling/random'

type Features = Float32Array | Float64Array

export interface GaussianStatistics {
  dim: number
  count: number
  /** [dim] */
  mean: Float64Array
  /** [dim, dim] row-major, unbiased */
  covariance: Float64Array
}

/** Mean and unbiased covariance of features [count, dim]. */
export function featureStatistics(features: Features, dim: number): GaussianStatistics {
  const count = rowsOf(features, dim, 'features')
  if (count < 2) throw new Error(`a covariance needs at least 2 feature rows, got ${count}`)
  const mean = new Float64Array(dim)
  for (let i = 0; i < count; i++) for (let j = 0; j < dim; j++) mean[j] += features[i * dim + j]
  for (let j = 0; j < dim; j++) mean[j] /= count
  const covariance = new Float64Array(dim * dim)
  const centred = new Float64Array(dim)
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < dim; j++) centred[j] = features[i * dim + j] - mean[j]
    for (let a = 0; a < dim; a++) {
      const ca = centred[a]
      if (ca === 0) continue
      const row = a * dim
      for (let b = a; b < dim; b++) covariance[row + b] += ca * centred[b]
    }
  }
  for (let a = 0; a < dim; a++) {
    for (let b = a; b < dim; b++) {
      const v = covariance[a * dim + b] / (count - 1)
      covariance[a * dim + b] = v
      covariance[b * dim + a] = v
    }
  }
  return { dim, count, mean, covariance }
}

/** The Fréchet distance between two Gaussians; 0 for identical statistics, never negative. */
export function frechetDistance(a: GaussianStatistics, b: GaussianStatistics): number {
  if (a.dim !== b.dim) throw new Error(`the feature sets have different dimensions: ${a.dim} and ${b.dim}`)
  const n = a.dim
  let meanTerm = 0
  for (let i = 0; i < n; i++) meanTerm += (a.mean[i] - b.mean[i]) ** 2
  let traces = 0
  for (let i = 0; i < n; i++) traces += a.covariance[i * n + i] + b.covariance[i * n + i]
  const s = symmetricSqrt(a.covariance, n)
  const m = multiply(multiply(s, b.covariance, n), s, n)
  symmetrise(m, n)
  const { values } = symmetricEigen(m, n)
  let traceSqrt = 0
  for (const v of values) traceSqrt += Math.sqrt(Math.max(v, 0))
  return Math.max(meanTerm + traces - 2 * traceSqrt, 0)
}

/** The two parts of the Fréchet distance that say why it is large: the squared distance between the means (the
 *  sets sit in different places), and the spread ratio tr Σa / tr Σb (below 1: set a varies less than set b, the
 *  signature of a generator that covers too few modes; BigGAN §4's truncation trades exactly this for fidelity). */
export function frechetParts(a: GaussianStatistics, b: GaussianStatistics): { meanTerm: number; spreadRatio: number } {
  if (a.dim !== b.dim) throw new Error(`the feature sets have different dimensions: ${a.dim} and ${b.dim}`)
  const n = a.dim
  let meanTerm = 0
  let traceA = 0
  let traceB = 0
  for (let i = 0; i < n; i++) {
    meanTerm += (a.mean[i] - b.mean[i]) ** 2
    traceA += a.covariance[i * n + i]
    traceB += b.covariance[i * n + i]
  }
  return { meanTerm, spreadRatio: traceB > 0 ? traceA / traceB : Number.NaN }
}

/** The Fréchet distance between two feature sets [n1, dim] and [n2, dim]. */
export function frechetDistanceOf(a: Features, b: Features, dim: number): number {
  return frechetDistance(featureStatistics(a, dim), featureStatistics(b, dim))
}

/** A⁽¹ᐟ²⁾ of a symmetric positive semi-definite [n, n] matrix; negative eigenvalues (rounding) count as 0. */
export function symmetricSqrt(matrix: Float64Array, n: number): Float64Array {
  const { values, vectors } = symmetricEigen(matrix, n)
  const out = new Float64Array(n * n)
  for (let k = 0; k < n; k++) {
    const root = Math.sqrt(Math.max(values[k], 0))
    if (root === 0) continue
    for (let i = 0; i < n; i++) {
      const vik = vectors[i * n + k] * root
      if (vik === 0) continue
      for (let j = 0; j < n; j++) out[i * n + j] += vik * vectors[j * n + k]
    }
  }
  return out
}

/**
 * Eigenvalues (ascending) and eigenvectors (the columns of `vectors`, [n, n] row-major) of a symmetric matrix:
 * Householder reduction to tridiagonal form, then the implicit QL algorithm (EISPACK tred2/tql2, as JAMA ports
 * them). O(n³) once, where cyclic Jacobi costs O(n³) per sweep: a 2048-d Inception covariance stays seconds.
 */
export function symmetricEigen(matrix: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  if (matrix.length !== n * n) throw new Error(`a ${n}×${n} matrix needs ${n * n} values, got ${matrix.length}`)
  for (let i = 0; i < matrix.length; i++) {
    if (!Number.isFinite(matrix[i])) throw new Error(`the matrix has a non-finite entry (${matrix[i]}) at row ${Math.floor(i / n)}, column ${i % n}`)
  }
  const V = Array.from({ length: n }, (_, i) => Float64Array.from(matrix.subarray(i * n, (i + 1) * n)))
  const d = new Float64Array(n)
  const e = new Float64Array(n)
  if (n > 0) {
    tridiagonalise(V, d, e, n)
    diagonalise(V, d, e, n)
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => d[i] - d[j])
  const values = Float64Array.from(order, (i) => d[i])
  const vectors = new Float64Array(n * n)
  for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) vectors[i * n + k] = V[i][order[k]]
  return { values, vectors }
}

/** tred2: V ← the orthogonal reduction, d ← diagonal, e ← sub-diagonal (e[0] = 0). */
function tridiagonalise(V: Float64Array[], d: Float64Array, e: Float64Array, n: number): void {
  for (let j = 0; j < n; j++) d[j] = V[n - 1][j]
  for (let i = n - 1; i > 0; i--) {
    let scale = 0
    let h = 0
    for (let k = 0; k < i; k++) scale += Math.abs(d[k])
    if (scale === 0) {
      e[i] = d[i - 1]
      for (let j = 0; j < i; j++) {
        d[j] = V[i - 1][j]
        V[i][j] = 0
        V[j][i] = 0
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] /= scale
        h += d[k] * d[k]
      }
      let f = d[i - 1]
      let g = Math.sqrt(h)
      if (f > 0) g = -g
      e[i] = scale * g
      h -= f * g
      d[i - 1] = f - g
      for (let j = 0; j < i; j++) e[j] = 0
      for (let j = 0; j < i; j++) {
        f = d[j]
        V[j][i] = f
        g = e[j] + V[j][j] * f
        for (let k = j + 1; k <= i - 1; k++) {
          g += V[k][j] * d[k]
          e[k] += V[k][j] * f
        }
        e[j] = g
      }
      f = 0
      for (let j = 0; j < i; j++) {
        e[j] /= h
        f += e[j] * d[j]
      }
      const hh = f / (h + h)
      for (let j = 0; j < i; j++) e[j] -= hh * d[j]
      for (let j = 0; j < i; j++) {
        f = d[j]
        g = e[j]
        for (let k = j; k <= i - 1; k++) V[k][j] -= f * e[k] + g * d[k]
        d[j] = V[i - 1][j]
        V[i][j] = 0
      }
    }
    d[i] = h
  }
  for (let i = 0; i < n - 1; i++) {
    V[n - 1][i] = V[i][i]
    V[i][i] = 1
    const h = d[i + 1]
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = V[k][i + 1] / h
      for (let j = 0; j <= i; j++) {
        let g = 0
        for (let k = 0; k <= i; k++) g += V[k][i + 1] * V[k][j]
        for (let k = 0; k <= i; k++) V[k][j] -= g * d[k]
      }
    }
    for (let k = 0; k <= i; k++) V[k][i + 1] = 0
  }
  for (let j = 0; j < n; j++) {
    d[j] = V[n - 1][j]
    V[n - 1][j] = 0
  }
  V[n - 1][n - 1] = 1
  e[0] = 0
}

/** tql2: the symmetric tridiagonal (d, e) → eigenvalues in d, accumulating the rotations into V. */
function diagonalise(V: Float64Array[], d: Float64Array, e: Float64Array, n: number): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i]
  e[n - 1] = 0
  let f = 0
  let tst1 = 0
  const eps = 2 ** -52
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]))
    let m = l
    while (m < n && Math.abs(e[m]) > eps * tst1) m++
    if (m > l) {
      let iterations = 0
      do {
        if (++iterations > 100) throw new Error('the symmetric eigen-decomposition did not converge in 100 QL iterations')
        let g = d[l]
        let p = (d[l + 1] - g) / (2 * e[l])
        let r = Math.hypot(p, 1)
        if (p < 0) r = -r
        d[l] = e[l] / (p + r)
        d[l + 1] = e[l] * (p + r)
        const dl1 = d[l + 1]
        let h = g - d[l]
        for (let i = l + 2; i < n; i++) d[i] -= h
        f += h
        p = d[m]
        let c = 1
        let c2 = c
        let c3 = c
        const el1 = e[l + 1]
        let s = 0
        let s2 = 0
        for (let i = m - 1; i >= l; i--) {
          c3 = c2
          c2 = c
          s2 = s
          g = c * e[i]
          h = c * p
          r = Math.hypot(p, e[i])
          e[i + 1] = s * r
          s = e[i] / r
          c = p / r
          p = c * d[i] - s * g
          d[i + 1] = h + s * (c * g + s * d[i])
          for (let k = 0; k < n; k++) {
            const row = V[k]
            h = row[i + 1]
            row[i + 1] = s * row[i] + c * h
            row[i] = c * row[i] - s * h
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1
        e[l] = s * p
        d[l] = c * p
      } while (Math.abs(e[l]) > eps * tst1)
    }
    d[l] += f
    e[l] = 0
  }
}

function multiply(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n)
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const aik = a[i * n + k]
      if (aik === 0) continue
      const bRow = k * n
      const oRow = i * n
      for (let j = 0; j < n; j++) out[oRow + j] += aik * b[bRow + j]
    }
  }
  return out
}

function symmetrise(m: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const v = (m[i * n + j] + m[j * n + i]) / 2
      m[i * n + j] = v
      m[j * n + i] = v
    }
  }
}

export interface KidOptions {
  /** random subsets to average over (default 100) */
  subsets?: number
  /** rows per subset, capped at the smaller set (default 1000) */
  subsetSize?: number
  /** seeds the subset draws (default 0) */
  seed?: number
  /** the largest kernel block (entries) kept in memory as float32 instead of recomputed per subset (default 2^24) */
  maxCachedEntries?: number
}

export interface KidResult {
  /** mean over subsets of the unbiased MMD² estimate (report ×10³) */
  mean: number
  /** standard deviation over subsets (0 with one subset: no spread to report) */
  std: number
  /** subsets drawn: 1 when a subset is the whole of both sets */
  subsets: number
  subsetSize: number
}

/** KID between features a [n1, dim] and b [n2, dim]. */
export function kernelInceptionDistance(a: Features, b: Features, dim: number, options: KidOptions = {}): KidResult {
  const na = rowsOf(a, dim, 'the first feature set')
  const nb = rowsOf(b, dim, 'the second feature set')
  const subsets = options.subsets ?? 100
  const m = Math.min(na, nb, options.subsetSize ?? 1000)
  if (m < 2) throw new Error(`KID needs at least 2 rows in each set, got ${na} and ${nb}`)
  if (!Number.isInteger(subsets) || subsets < 1) throw new Error(`subsets must be a positive integer, got ${subsets}`)
  // A subset as large as both sets is both whole sets in some order, so every draw gives the same estimate and a
  // spread over them says nothing: one estimate, reported as one subset (the studio and CLI then show no ± part).
  const draws = m === na && m === nb ? 1 : subsets
  const budget = options.maxCachedEntries ?? 2 ** 24
  // A block is kept when it fits the budget and computing it once costs less than the entries all subsets need.
  const keep = (rows: number, cols: number): boolean => rows * cols <= budget && rows * cols <= draws * m * m
  const fa = Float64Array.from(a)
  const fb = Float64Array.from(b)
  const kaa = new KernelBlock(fa, fa, dim, keep(na, na))
  const kbb = new KernelBlock(fb, fb, dim, keep(nb, nb))
  const kab = new KernelBlock(fa, fb, dim, keep(na, nb))
  const rng = new Random(options.seed ?? 0)
  const estimates = new Float64Array(draws)
  for (let s = 0; s < draws; s++) {
    const ia = sampleWithoutReplacement(na, m, rng)
    const ib = sampleWithoutReplacement(nb, m, rng)
    const within = kaa.sum(ia, ia, true) + kbb.sum(ib, ib, true)
    const across = kab.sum(ia, ib, false)
    estimates[s] = (2 * within) / (m * (m - 1)) - (2 * across) / (m * m)
  }
  const mean = estimates.reduce((x, y) => x + y, 0) / draws
  const variance = draws > 1 ? estimates.reduce((x, y) => x + (y - mean) ** 2, 0) / (draws - 1) : 0
  return { mean, std: Math.sqrt(variance), subsets: draws, subsetSize: m }
}

/** k(x_i, y_j) = (x_i·y_j / dim + 1)³ between the rows of x and y: a float32 table computed once, or computed
 *  per subset from the subset's rows gathered side by side. */
class KernelBlock {
  private readonly table: Float32Array | null = null
  private readonly ny: number

  constructor(
    private readonly x: Float64Array,
    private readonly y: Float64Array,
    private readonly dim: number,
    cache: boolean,
  ) {
    this.ny = y.length / dim
    if (cache) {
      const rows = Int32Array.from({ length: x.length / dim }, (_, i) => i)
      const cols = Int32Array.from({ length: this.ny }, (_, j) => j)
      const table = new Float32Array(rows.length * cols.length)
      const symmetric = x === y
      for (let i = 0; i < rows.length; i++) {
        for (let j = symmetric ? i : 0; j < cols.length; j++) {
          const k = kernel(x, i * dim, y, j * dim, dim)
          table[i * this.ny + j] = k
          if (symmetric) table[j * this.ny + i] = k
        }
      }
      this.table = table
    }
  }

  /** Σ k(x_rows[i], y_cols[j]) over all i, j, or over i < j only (`upper`, for a block of a set with itself). */
  sum(rows: Int32Array, cols: Int32Array, upper: boolean): number {
    let total = 0
    const table = this.table
    if (table) {
      const ny = this.ny
      for (let i = 0; i < rows.length; i++) {
        const base = rows[i] * ny
        for (let j = upper ? i + 1 : 0; j < cols.length; j++) total += table[base + cols[j]]
      }
      return total
    }
    const { dim } = this
    const x = gather(this.x, rows, dim)
    const y = gather(this.y, cols, dim)
    for (let i = 0; i < rows.length; i++) {
      for (let j = upper ? i + 1 : 0; j < cols.length; j++) total += kernel(x, i * dim, y, j * dim, dim)
    }
    return total
  }
}

/** (x·y / dim + 1)³ for the rows starting at xi and yj; the dot product four terms at a time. */
function kernel(x: Float64Array, xi: number, y: Float64Array, yj: number, dim: number): number {
  let d0 = 0
  let d1 = 0
  let d2 = 0
  let d3 = 0
  let t = 0
  for (; t + 3 < dim; t += 4) {
    d0 += x[xi + t] * y[yj + t]
    d1 += x[xi + t + 1] * y[yj + t + 1]
    d2 += x[xi + t + 2] * y[yj + t + 2]
    d3 += x[xi + t + 3] * y[yj + t + 3]
  }
  for (; t < dim; t++) d0 += x[xi + t] * y[yj + t]
  const v = (d0 + d1 + (d2 + d3)) / dim + 1
  return v * v * v
}

/** The chosen rows side by side: [rows.length, dim]. */
function gather(values: Float64Array, rows: Int32Array, dim: number): Float64Array {
  const out = new Float64Array(rows.length * dim)
  for (let i = 0; i < rows.length; i++) out.set(values.subarray(rows[i] * dim, (rows[i] + 1) * dim), i * dim)
  return out
}

/** m distinct indices in [0, n), by a partial Fisher–Yates shuffle. */
function sampleWithoutReplacement(n: number, m: number, rng: Random): Int32Array {
  const pool = Int32Array.from({ length: n }, (_, i) => i)
  for (let i = 0; i < m; i++) {
    const j = i + rng.int(n - i)
    const t = pool[i]
    pool[i] = pool[j]
    pool[j] = t
  }
  return pool.slice(0, m)
}

function rowsOf(features: Features, dim: number, what: string): number {
  if (!Number.isInteger(dim) || dim < 1) throw new Error(`feature dimension must be a positive integer, got ${dim}`)
  if (features.length % dim !== 0) throw new Error(`${what} has ${features.length} values, not a whole number of rows of ${dim}`)
  return features.length / dim
}
