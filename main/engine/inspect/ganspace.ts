// GANSpace (Härkönen et al. 2020, §2): interpretable directions in z from the principal components of an early
// layer's activations. Sample N latents from the prior, take G's first-layer activations (the output of the first
// linear layer: its input is z's first chunk for BigGAN with hierarchical latents, z alone without them, and
// concat(z, shared embedding) for BigGAN-deep), find the top principal components by subspace iteration on their
// covariance (never forming the D×D matrix: C·V = Xcᵀ(Xc·V) / (N − 1)), then carry each component back to z by
// linear regression of the centred latents on the components' coordinates (least squares z ≈ coords·U), as the
// paper does. The directions come out unit length, strongest first, with their explained-variance ratios.
//
// Where the first layer sees only part of z (BigGAN's hierarchical chunks), the directions lie in that part: the
// regression runs on that part alone (the activations cannot depend on the rest, and finite samples would only add
// noise there). With a fixed class the layer is affine in z, so at most (the width of its z input) components carry
// variance; the rest are not returned.
import type { BigGANModel } from '../model'
import { forwardContext } from '../module'
import { BigGANGenerator } from '../networks/biggan'
import { BigGANDeepGenerator } from '../networks/bigganDeep'
import { Random } from '../sampling/random'
import { truncationPolicy } from '../sampling/truncation'
import { tf } from '../tf'

export interface GanspaceOptions {
  /** how many directions are wanted (fewer come back where the layer has fewer with variance) */
  components: number
  seed: number
  /** latents sampled (default 2000) */
  samples?: number
  /** latents per forward pass (default 50) */
  batch?: number
  /** the class vector every sample uses; default: the uniform mix of all classes */
  y?: Float32Array
  /** subspace iterations (default 20) */
  iterations?: number
  onProgress?: (done: number, total: number, label: string) => void
  /** called between batches and iterations; throws to stop the computation */
  checkCancelled?: () => void
}

export interface Ganspace {
  /** [count, zDim] unit rows, strongest first */
  directions: Float32Array
  /** each direction's share of the activations' total variance, descending */
  explained: Float32Array
  count: number
}

export async function ganspace(model: BigGANModel, options: GanspaceOptions): Promise<Ganspace> {
  const { config } = model
  const samples = options.samples ?? 2000
  const batch = options.batch ?? 50
  const iterations = options.iterations ?? 20
  const check = options.checkCancelled ?? (() => {})
  const progress = options.onProgress ?? (() => {})
  if (!(Number.isInteger(options.components) && options.components >= 1)) {
    throw new Error(`GANSpace needs a whole number of components ≥ 1, not ${options.components}`)
  }
  if (!(samples >= 2 && batch >= 1)) throw new Error('GANSpace needs at least 2 samples and a batch of at least 1')
  const y = options.y ?? new Float32Array(config.numClasses).fill(1 / config.numClasses)
  if (y.length !== config.numClasses) {
    throw new Error(`the class vector has ${y.length} values; this model has ${config.numClasses} classes`)
  }
  // z from the prior the model was trained with: untruncated (ψ = 1 for per-truncation statistics models)
  const z = truncationPolicy(config).sample(new Random(options.seed), samples, undefined)

  const xc = await centredActivations(model, z, y, batch, check, progress) // [N, D]
  try {
    const [n, d] = xc.shape
    const totalVariance = (await dataAndDispose(tf.tidy(() => tf.sum(tf.square(xc)))))[0] / (n - 1)
    const width = Math.min(options.components + 10, d, n - 1)
    // a random orthonormal start, rows [width, D]
    const rng = new Random(options.seed ^ 0x5bd1e995)
    let basis = Float64Array.from({ length: width * d }, () => rng.normal())
    orthonormalRows(basis, width, d)
    for (let it = 0; it < iterations; it++) {
      check()
      const next = tf.tidy(() => {
        const v = tf.tensor2d(Float32Array.from(basis), [width, d])
        const p = tf.matMul(xc, v, false, true) // [N, width]
        return tf.matMul(p, xc, true, false) // [width, D] = (Xcᵀ Xc Vᵀ)ᵀ
      })
      basis = Float64Array.from(await dataAndDispose(next))
      orthonormalRows(basis, width, d)
      progress(it + 1, iterations, 'principal components')
    }
    // Rayleigh–Ritz: eigenvectors of the covariance restricted to the subspace
    const coordsT = tf.tidy(() => tf.matMul(xc, tf.tensor2d(Float32Array.from(basis), [width, d]), false, true))
    const p = Float64Array.from(await dataAndDispose(coordsT)) // [N, width]
    const h = new Float64Array(width * width)
    for (let i = 0; i < n; i++) {
      for (let a = 0; a < width; a++) {
        const pa = p[i * width + a]
        for (let b = a; b < width; b++) h[a * width + b] += pa * p[i * width + b]
      }
    }
    for (let a = 0; a < width; a++) {
      for (let b = a; b < width; b++) {
        h[a * width + b] /= n - 1
        h[b * width + a] = h[a * width + b]
      }
    }
    const { values, vectors } = symmetricEigen(h, width)
    const order = [...values.keys()].sort((a, b) => values[b] - values[a])
    const floor = Math.max(values[order[0]], 0) * 1e-7
    const k = Math.min(options.components, order.filter((i) => values[i] > floor).length)
    // coordinates of every sample on the top k components: [N, k]
    const coords = new Float64Array(n * k)
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < k; c++) {
        const e = order[c]
        let s = 0
        for (let a = 0; a < width; a++) s += p[i * width + a] * vectors[a * width + e]
        coords[i * k + c] = s
      }
    }
    const explained = Float32Array.from({ length: k }, (_, c) => values[order[c]] / totalVariance)
    const directions = regressToLatents(coords, z, n, k, config.zDim, firstLayerReads(model))
    return { directions, explained, count: k }
  } finally {
    xc.dispose()
  }
}

/** The first linear layer's outputs for every latent, centred: [N, D]. The caller disposes it. */
async function centredActivations(
  model: BigGANModel,
  z: Float32Array,
  y: Float32Array,
  batch: number,
  check: () => void,
  progress: (done: number, total: number, label: string) => void,
): Promise<tf.Tensor2D> {
  const { config } = model
  const G = model.G
  const store = model.ema ?? model.params
  const n = z.length / config.zDim
  const parts: tf.Tensor2D[] = []
  try {
    for (let start = 0; start < n; start += batch) {
      check()
      const rows = Math.min(batch, n - start)
      parts.push(
        tf.tidy(() => {
          const ctx = forwardContext(store, 'eval')
          const zs = tf.tensor2d(z.subarray(start * config.zDim, (start + rows) * config.zDim), [rows, config.zDim])
          const ys = tf.tile(tf.tensor2d(y, [1, config.numClasses]), [rows, 1]) as tf.Tensor2D
          if (G instanceof BigGANDeepGenerator) {
            return G.linear.apply(ctx, tf.concat([zs, G.sharedEmbedding.apply(ctx, ys)], 1)) as tf.Tensor2D
          }
          if (G instanceof BigGANGenerator) {
            const first = G.chunks > 1 ? (tf.split(zs, G.chunks, 1)[0] as tf.Tensor2D) : zs
            return G.linear.apply(ctx, first) as tf.Tensor2D
          }
          throw new Error('GANSpace knows the first layer of BigGAN and BigGAN-deep generators only')
        }),
      )
      // a read per batch keeps the backend's queue short and lets a cancel land between batches
      await parts[parts.length - 1].data()
      progress(start + rows, n, 'first-layer activations')
    }
    return tf.tidy(() => {
      const x = tf.concat2d(parts, 0)
      return tf.sub(x, tf.mean(x, 0, true)) as tf.Tensor2D
    })
  } finally {
    for (const t of parts) t.dispose()
  }
}

/** How many leading values of z the first layer reads: the first chunk with hierarchical latents, else all of z. */
function firstLayerReads(model: BigGANModel): number {
  const G = model.G
  return G instanceof BigGANGenerator && G.chunks > 1 ? model.config.zDim / G.chunks : model.config.zDim
}

/** Least squares U [k, zDim] for (z − z̄) ≈ coords · U, rows normalised to unit length and signed so that each
 *  row's largest entry is positive. Only the first `reads` values of z are regressed: the activations cannot depend
 *  on the rest, whose sample coefficients would be pure noise; they stay 0. */
function regressToLatents(coords: Float64Array, z: Float32Array, n: number, k: number, zDim: number, reads: number): Float32Array {
  const mean = new Float64Array(zDim)
  for (let i = 0; i < n; i++) for (let j = 0; j < reads; j++) mean[j] += z[i * zDim + j]
  for (let j = 0; j < reads; j++) mean[j] /= n
  const gram = new Float64Array(k * k) // coordsᵀ coords
  const rhs = new Float64Array(k * zDim) // coordsᵀ (z − z̄)
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < k; a++) {
      const ca = coords[i * k + a]
      for (let b = 0; b < k; b++) gram[a * k + b] += ca * coords[i * k + b]
      for (let j = 0; j < reads; j++) rhs[a * zDim + j] += ca * (z[i * zDim + j] - mean[j])
    }
  }
  const u = choleskySolve(gram, rhs, k, zDim)
  const out = new Float32Array(k * zDim)
  for (let a = 0; a < k; a++) {
    let norm = 0
    let largest = 0
    for (let j = 0; j < zDim; j++) {
      const v = u[a * zDim + j]
      norm += v * v
      if (Math.abs(v) > Math.abs(largest)) largest = v
    }
    const scale = (largest < 0 ? -1 : 1) / Math.sqrt(norm)
    for (let j = 0; j < zDim; j++) out[a * zDim + j] = u[a * zDim + j] * scale
  }
  return out
}

/** Modified Gram–Schmidt, twice (enough for orthogonality to working precision), on `count` rows of length `dim`
 *  in place. A row that depends on the ones before it becomes zero; returns how many rows are independent. */
export function orthonormalRows(rows: Float64Array, count: number, dim: number): number {
  let independent = 0
  for (let i = 0; i < count; i++) {
    const ri = rows.subarray(i * dim, (i + 1) * dim)
    let before = 0
    for (let j = 0; j < dim; j++) before += ri[j] * ri[j]
    for (let pass = 0; pass < 2; pass++) {
      for (let p = 0; p < i; p++) {
        const rp = rows.subarray(p * dim, (p + 1) * dim)
        let dot = 0
        for (let j = 0; j < dim; j++) dot += ri[j] * rp[j]
        for (let j = 0; j < dim; j++) ri[j] -= dot * rp[j]
      }
    }
    let norm = 0
    for (let j = 0; j < dim; j++) norm += ri[j] * ri[j]
    if (!(norm > before * 1e-20) || norm === 0) {
      ri.fill(0)
      continue
    }
    const inv = 1 / Math.sqrt(norm)
    for (let j = 0; j < dim; j++) ri[j] *= inv
    independent++
  }
  return independent
}

/** Cyclic Jacobi eigen-decomposition of a symmetric m×m matrix (row-major). Eigenvectors are the columns of
 *  `vectors`. */
function symmetricEigen(matrix: Float64Array, m: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(matrix)
  const v = new Float64Array(m * m)
  for (let i = 0; i < m; i++) v[i * m + i] = 1
  let scale = 0
  for (let i = 0; i < m * m; i++) scale += a[i] * a[i]
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0
    for (let p = 0; p < m; p++) for (let q = p + 1; q < m; q++) off += a[p * m + q] * a[p * m + q]
    if (off <= scale * 1e-30 || off === 0) break
    for (let p = 0; p < m; p++) {
      for (let q = p + 1; q < m; q++) {
        const apq = a[p * m + q]
        if (apq === 0) continue
        const theta = (a[q * m + q] - a[p * m + p]) / (2 * apq)
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1))
        const c = 1 / Math.sqrt(t * t + 1)
        const s = t * c
        for (let k = 0; k < m; k++) {
          const akp = a[k * m + p]
          const akq = a[k * m + q]
          a[k * m + p] = c * akp - s * akq
          a[k * m + q] = s * akp + c * akq
        }
        for (let k = 0; k < m; k++) {
          const apk = a[p * m + k]
          const aqk = a[q * m + k]
          a[p * m + k] = c * apk - s * aqk
          a[q * m + k] = s * apk + c * aqk
        }
        for (let k = 0; k < m; k++) {
          const vkp = v[k * m + p]
          const vkq = v[k * m + q]
          v[k * m + p] = c * vkp - s * vkq
          v[k * m + q] = s * vkp + c * vkq
        }
      }
    }
  }
  return { values: Float64Array.from({ length: m }, (_, i) => a[i * m + i]), vectors: v }
}

/** X [k, cols] with A X = B for symmetric positive definite A [k, k]. */
function choleskySolve(a: Float64Array, b: Float64Array, k: number, cols: number): Float64Array {
  const l = new Float64Array(k * k)
  for (let i = 0; i < k; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * k + j]
      for (let p = 0; p < j; p++) s -= l[i * k + p] * l[j * k + p]
      if (i === j) {
        if (!(s > 0)) throw new Error('GANSpace: the components are degenerate (the regression has no unique solution)')
        l[i * k + i] = Math.sqrt(s)
      } else {
        l[i * k + j] = s / l[j * k + j]
      }
    }
  }
  const x = Float64Array.from(b)
  for (let c = 0; c < cols; c++) {
    for (let i = 0; i < k; i++) {
      let s = x[i * cols + c]
      for (let p = 0; p < i; p++) s -= l[i * k + p] * x[p * cols + c]
      x[i * cols + c] = s / l[i * k + i]
    }
    for (let i = k - 1; i >= 0; i--) {
      let s = x[i * cols + c]
      for (let p = i + 1; p < k; p++) s -= l[p * k + i] * x[p * cols + c]
      x[i * cols + c] = s / l[i * k + i]
    }
  }
  return x
}

async function dataAndDispose(t: tf.Tensor): Promise<Float32Array> {
  try {
    return (await t.data()) as Float32Array
  } finally {
    t.dispose()
  }
}
