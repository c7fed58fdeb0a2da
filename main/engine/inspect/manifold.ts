// Fidelity and diversity as k-nearest-neighbour manifolds in a feature space, next to FID and KID (frechet.ts).
//
// Precision / recall (Kynkäänniemi et al. 2019, k = 3). Each real feature x_i gets a ball of radius r_k(x_i), the
// distance to its k-th nearest other real; their union estimates the real manifold. Precision is the share of fakes
// inside some real ball (fidelity); recall, symmetrically, the share of reals inside some fake ball (diversity).
// Membership is ‖y − x_i‖ ≤ r_k(x_i), as in the paper.
//
// Density / coverage (Naeem et al. 2020, k = 5), more robust to real outliers, whose large balls inflate precision:
//   density  = 1/(kM) Σ_j Σ_i 1[‖y_j − x_i‖ < r_k(x_i)]   (how many real balls hold each fake, over k; ≈ 1 when
//              the fakes are distributed as the reals, above 1 when they crowd into dense regions)
//   coverage = 1/N Σ_i 1[min_j ‖x_i − y_j‖ < r_k(x_i)]   (share of real balls holding at least one fake)
// strict '<' as in the authors' prdc package. The k-th neighbour excludes the point itself (the package's k + 1-th
// smallest distance of the full matrix, self included).
//
// Pure JavaScript in float64 distances over float32 features: one pass over all real × fake pairs, O(N·M·dim), and
// the k-NN radii within each set (nearestNeighbours.ts).
import { nearestNeighbours } from './nearestNeighbours'

export interface ManifoldOptions {
  /** neighbours for precision / recall (default 3, Kynkäänniemi et al.) */
  kPrecisionRecall?: number
  /** neighbours for density / coverage (default 5, Naeem et al.) */
  kDensityCoverage?: number
}

export interface ManifoldMetrics {
  precision: number
  recall: number
  density: number
  coverage: number
  kPrecisionRecall: number
  kDensityCoverage: number
  realCount: number
  fakeCount: number
}

/** Distance from each row of `features` [n, dim] to its k-th nearest other row. */
export function kthNeighbourRadii(features: Float32Array, dim: number, k: number): Float64Array {
  const n = features.length / dim
  if (n <= k) throw new Error(`a k-NN radius with k = ${k} needs more than ${k} feature rows, got ${n}`)
  const nn = nearestNeighbours(features, features, dim, k + 1) // itself first, at distance 0
  return Float64Array.from({ length: n }, (_, i) => nn.distances[i * (k + 1) + k])
}

/** Precision, recall, density and coverage of fakes [M, dim] against reals [N, dim]. */
export function manifoldMetrics(real: Float32Array, fake: Float32Array, dim: number, options: ManifoldOptions = {}): ManifoldMetrics {
  const kPR = options.kPrecisionRecall ?? 3
  const kDC = options.kDensityCoverage ?? 5
  for (const [name, k] of [['kPrecisionRecall', kPR], ['kDensityCoverage', kDC]] as const) {
    if (!(Number.isInteger(k) && k >= 1)) throw new Error(`${name} must be a whole number ≥ 1, got ${k}`)
  }
  if (!(Number.isInteger(dim) && dim >= 1)) throw new Error(`feature dimension must be a positive integer, got ${dim}`)
  if (real.length % dim !== 0 || fake.length % dim !== 0) throw new Error(`feature sets are not whole rows of ${dim}`)
  const N = real.length / dim
  const M = fake.length / dim
  if (N <= Math.max(kPR, kDC)) {
    throw new Error(`precision/recall/density/coverage need more than ${Math.max(kPR, kDC)} real images for their k-NN radii, got ${N}`)
  }
  if (M <= kPR) throw new Error(`recall needs more than ${kPR} generated images for their k-NN radii, got ${M}`)
  const square = (r: Float64Array): Float64Array => r.map((v) => v * v)
  const realPR = square(kthNeighbourRadii(real, dim, kPR))
  const realDC = kPR === kDC ? realPR : square(kthNeighbourRadii(real, dim, kDC))
  const fakePR = square(kthNeighbourRadii(fake, dim, kPR))

  let precise = 0 // fakes inside some real ball
  let densityCount = 0
  const recalled = new Uint8Array(N) // reals inside some fake ball
  const covered = new Uint8Array(N) // reals whose ball holds a fake
  for (let j = 0; j < M; j++) {
    const fo = j * dim
    let inside = false
    for (let i = 0; i < N; i++) {
      const ro = i * dim
      let d = 0
      for (let t = 0; t < dim; t++) {
        const diff = fake[fo + t] - real[ro + t]
        d += diff * diff
      }
      if (d <= realPR[i]) inside = true
      if (d < realDC[i]) {
        densityCount++
        covered[i] = 1
      }
      if (d <= fakePR[j]) recalled[i] = 1
    }
    if (inside) precise++
  }
  const sum = (a: Uint8Array): number => a.reduce((s, v) => s + v, 0)
  return {
    precision: precise / M,
    recall: sum(recalled) / N,
    density: densityCount / (kDC * M),
    coverage: sum(covered) / N,
    kPrecisionRecall: kPR,
    kDensityCoverage: kDC,
    realCount: N,
    fakeCount: M,
  }
}
