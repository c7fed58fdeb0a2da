// Spectral-norm state (u, v, σ) for a weight matrix that was just edited outside training, e.g. a class row added to
// D's projection embedding. The stored u, v belong to the old matrix; a stale pair would make the 'stored' σ = uᵀWv
// (and the first training power step) describe a matrix that no longer exists. A few power iterations in float64,
// warm-started from the old v, give the pair a training step would converge to, in the layers' convention:
//   v = normalize(W_matᵀ u), u = normalize(W_mat v), σ = uᵀ W_mat v,  normalize(x) = x / max(‖x‖, eps).

export interface SpectralState {
  /** left singular vector estimate [rows] */
  u: Float64Array
  /** right singular vector estimate [cols] */
  v: Float64Array
  sigma: number
}

/**
 * Power iteration on W_mat [rows, cols] (row-major). Starts from `v0` (the stored v, when there is one; else a
 * constant vector), runs `iterations` rounds of u ← normalize(W v), v ← normalize(Wᵀ u), and ends as a training
 * step does: u = normalize(W v), σ = uᵀ W v. Ten rounds from a warm start change σ by far less than float32 noise
 * for a matrix whose estimate was already converged before one row was added.
 */
export function spectralState(
  w: ArrayLike<number>, rows: number, cols: number, v0?: ArrayLike<number>, iterations = 10, eps = 1e-12,
): SpectralState {
  if (w.length !== rows * cols) throw new Error(`power iteration: ${w.length} values for a [${rows}, ${cols}] matrix`)
  let v: Float64Array = v0 && v0.length === cols ? Float64Array.from(v0) : new Float64Array(cols).fill(1)
  if (norm(v) === 0) v.fill(1)
  v = normalize(v, eps)
  let u: Float64Array = normalize(times(w, rows, cols, v), eps)
  for (let i = 0; i < iterations; i++) {
    v = normalize(transposeTimes(w, rows, cols, u), eps)
    u = normalize(times(w, rows, cols, v), eps)
  }
  const wv = times(w, rows, cols, v)
  let sigma = 0
  for (let i = 0; i < rows; i++) sigma += u[i] * wv[i]
  return { u, v, sigma }
}

function times(w: ArrayLike<number>, rows: number, cols: number, x: Float64Array): Float64Array {
  const out = new Float64Array(rows)
  for (let i = 0; i < rows; i++) {
    let s = 0
    const o = i * cols
    for (let j = 0; j < cols; j++) s += w[o + j] * x[j]
    out[i] = s
  }
  return out
}

function transposeTimes(w: ArrayLike<number>, rows: number, cols: number, y: Float64Array): Float64Array {
  const out = new Float64Array(cols)
  for (let i = 0; i < rows; i++) {
    const yi = y[i]
    if (yi === 0) continue
    const o = i * cols
    for (let j = 0; j < cols; j++) out[j] += w[o + j] * yi
  }
  return out
}

function norm(x: Float64Array): number {
  let s = 0
  for (let i = 0; i < x.length; i++) s += x[i] * x[i]
  return Math.sqrt(s)
}

function normalize(x: Float64Array, eps: number): Float64Array {
  const n = Math.max(norm(x), eps)
  for (let i = 0; i < x.length; i++) x[i] /= n
  return x
}
