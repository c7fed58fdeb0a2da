// How a network's parameters come to exist in a ParamStore: initialised from a seed (a model trained here) or
// loaded from an importer's tensors (a checkpoint), and how they leave again as tensors (to save or export).
//
// Initialisation by role (BigGAN-PyTorch's init_weights with G_init = D_init = 'ortho'):
//   weight, embedding  orthogonal (Saxe et al. 2014) with the rows = the filters of W_mat [out, fanIn]: a conv
//                      HWIO or linear [in, out] keeps its outputs last, an embedding [numClasses, dim] first
//   bias, bn-mean      0          gain, bn-var, sn-sigma   1          gamma (attention)   0
//   sn-u, sn-v         random unit vectors (the first power steps align them)
import { CheckpointError } from '../tensors/errors.ts'
import { fromFloat32, toFloat32 } from '../tensors/convert.ts'
import type { RawTensor, TensorMap } from '../tensors/tensor.ts'
import { trainableRoles, type Module, type ParamSpec, type ParamStore } from './module'
import { Random } from './sampling/random'
import { tf } from './tf'

/** Allocates every parameter `module` declares, each with its role's initialisation. Deterministic in `seed`. */
export function initialise(module: Module, store: ParamStore, seed: number): void {
  const rng = new Random(seed)
  for (const spec of module.specs()) {
    const values = initialValues(spec, rng)
    tf.tidy(() => store.set(spec.name, tf.tensor(values, spec.shape, 'float32'), trainableRoles.has(spec.role)))
  }
}

function initialValues(spec: ParamSpec, rng: Random): Float32Array {
  const n = spec.shape.reduce((a, b) => a * b, 1)
  switch (spec.role) {
    case 'weight':
    case 'embedding': {
      const outputsFirst = spec.role === 'embedding'
      const out = outputsFirst ? spec.shape[0] : spec.shape[spec.shape.length - 1]
      const wMat = orthogonal(rng, out, n / out) // [out, fanIn], row-major
      return outputsFirst ? wMat : transpose(wMat, out, n / out) // outputs last: [fanIn, out] = the HWIO order
    }
    case 'bias':
    case 'bn-mean':
    case 'gamma':
      return new Float32Array(n)
    case 'gain':
    case 'bn-var':
    case 'sn-sigma':
      return new Float32Array(n).fill(1)
    case 'sn-u':
    case 'sn-v': {
      const x = rng.normals(n)
      const length = norm(x)
      return x.map((xi) => xi / length)
    }
  }
}

/**
 * A random [rows, cols] matrix (row-major) with orthonormal rows if rows ≤ cols, else orthonormal columns, drawn as
 * torch.nn.init.orthogonal_ draws it: Q of the QR decomposition of a Gaussian matrix, column signs fixed by diag(R),
 * which makes Q Haar-distributed. Without the O(m·n²) QR in JavaScript (minutes for a 1536 × 13824 conv):
 * Householder QR of a Gaussian [m, n] matrix applies reflections H_k whose vectors are independent Gaussians of
 * dimension m − k (Stewart 1980, by rotational invariance), so those are drawn directly, and
 * Q = H_0 ⋯ H_{n−1} = I − V T Vᵀ (LAPACK's compact WY form) is formed with two tfjs matrix products.
 */
export function orthogonal(rng: Random, rows: number, cols: number): Float32Array {
  const m = Math.max(rows, cols)
  const n = Math.min(rows, cols)
  const v = new Float32Array(m * n) // V [m, n] row-major: column k is the k-th Householder vector, 0 above row k
  const tau = new Float64Array(n) // H_k = I − τ_k v_k v_kᵀ
  const sign = new Float64Array(n) // sign(R[k, k])
  for (let k = 0; k < n; k++) {
    const x = Float64Array.from(rng.normals(m - k))
    const length = norm(x)
    const s = x[0] >= 0 ? 1 : -1
    x[0] += s * length // H_k maps x to R[k, k]·e₁ = −s‖x‖·e₁
    tau[k] = 2 / (norm(x) ** 2)
    sign[k] = -s
    for (let i = 0; i < x.length; i++) v[(k + i) * n + k] = x[i]
  }
  const V = tf.tensor2d(v, [m, n])
  try {
    const vTv = tf.tidy(() => tf.matMul(tf.transpose(V), V))
    const gram = vTv.dataSync() // VᵀV [n, n], symmetric
    vTv.dispose()
    // T upper triangular [n, n]: T[k, k] = τ_k, T[0:k, k] = −τ_k · T[0:k, 0:k] · (VᵀV)[0:k, k]  (dlarft)
    const t = new Float64Array(n * n)
    for (let k = 0; k < n; k++) {
      t[k * n + k] = tau[k]
      for (let j = 0; j < k; j++) {
        let sum = 0
        for (let l = j; l < k; l++) sum += t[j * n + l] * gram[k * n + l]
        t[j * n + k] = -tau[k] * sum
      }
    }
    // Q[:, 0:n] = I[:, 0:n] − V · T · V[0:n, :]ᵀ, column k times sign(R[k, k])
    const q = tf.tidy(() => {
      const vTop = tf.slice(V, [0, 0], [n, n])
      const vtv = tf.matMul(tf.tensor2d(Float32Array.from(t), [n, n]), tf.transpose(vTop))
      const signed = tf.mul(tf.sub(tf.eye(m, n), tf.matMul(V, vtv)), tf.tensor1d(Float32Array.from(sign)))
      return rows >= cols ? signed : tf.transpose(signed)
    })
    const out = q.dataSync() as Float32Array
    q.dispose()
    return out
  } finally {
    V.dispose()
  }
}

function norm(x: ArrayLike<number>): number {
  let sum = 0
  for (let i = 0; i < x.length; i++) sum += x[i] * x[i]
  return Math.sqrt(sum)
}

function transpose(x: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(x.length)
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = x[i * cols + j]
  return out
}

/**
 * Loads the tensors an importer produced (engine names and layouts) into `store`, exactly the parameters `module`
 * declares: a missing, extra or misshapen tensor is an error that names it. `source` names the checkpoint.
 */
export function loadParameters(module: Module, store: ParamStore, tensors: TensorMap, source?: string): void {
  const specs = module.specs()
  const declared = new Set(specs.map((s) => s.name))
  for (const name of tensors.keys()) {
    if (name.startsWith(`${module.name}.`) && !declared.has(name)) {
      throw new CheckpointError('unknown-key', `${module.name} has no parameter of this name`, source, name)
    }
  }
  for (const spec of specs) {
    const raw = tensors.get(spec.name)
    if (!raw) throw new CheckpointError('missing-key', `${module.name} needs it but the checkpoint lacks it`, source, spec.name)
    loadParameter(store, spec, raw, source)
  }
}

/** One tensor into `store` as the parameter `spec` declares, after checking its shape and that every value is
 *  finite (a NaN or Inf in a weight can only render noise). */
export function loadParameter(store: ParamStore, spec: ParamSpec, raw: RawTensor, source?: string, fileName = spec.name): void {
  if (raw.shape.length !== spec.shape.length || raw.shape.some((d, i) => d !== spec.shape[i])) {
    throw new CheckpointError('shape-mismatch', `shape [${raw.shape}] where the architecture needs [${spec.shape}]`, source, fileName)
  }
  const values = toFloat32(raw)
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw new CheckpointError(
        'non-finite', `${Number.isNaN(values[i]) ? 'NaN' : 'Inf'} at element ${i}; the checkpoint is damaged or the run diverged`, source, fileName,
      )
    }
  }
  tf.tidy(() => store.set(spec.name, tf.tensor(values, spec.shape, 'float32'), trainableRoles.has(spec.role)))
}

/** Every parameter `module` declares, read back from `store` as float32 tensors by engine name. */
export function exportParameters(module: Module, store: ParamStore): TensorMap {
  const out: TensorMap = new Map()
  for (const spec of module.specs()) {
    out.set(spec.name, fromFloat32(spec.shape, store.get(spec.name).dataSync() as Float32Array))
  }
  return out
}
