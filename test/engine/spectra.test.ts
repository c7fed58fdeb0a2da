// The paper's spectral monitoring: deflated power iteration finds the top three singular values of any weight layout
// (checked against an exact float64 SVD), stays accurate with one step per call on slowly moving weights, reads every
// spectrally normalised layer of a network, and holds no tensors beyond the two per layer its tracker owns.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../main/backend/backend'
import { defaultConfig } from '../../main/engine/config'
import { SpectralTracker, singularValues, snLayers, spectra, weightMatrixShape } from '../../main/engine/inspect/singularValues'
import { SNConv2d } from '../../main/engine/layers/conv'
import { SNEmbedding } from '../../main/engine/layers/embedding'
import { SNLinear } from '../../main/engine/layers/linear'
import type { WeightLayout } from '../../main/engine/layers/spectralNorm'
import { BigGANModel } from '../../main/engine/model'
import { Module, ParamStore } from '../../main/engine/module'
import { Random } from '../../main/engine/sampling/random'
import { tf } from '../../main/engine/tf'

beforeAll(async () => {
  await initBackend({ backend: 'wasm' })
})

/** W_mat [out, fanIn] in float64, row-major, from a weight's values in its own layout. */
function weightMatrix(values: Float32Array, shape: number[], layout: WeightLayout): { m: Float64Array; rows: number; cols: number } {
  const [rows, cols] = weightMatrixShape(shape, layout)
  const m = new Float64Array(rows * cols)
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) m[r * cols + c] = layout === 'outputs-last' ? values[c * rows + r] : values[r * cols + c]
  }
  return { m, rows, cols }
}

/** Eigenvalues of a symmetric matrix by cyclic Jacobi rotations, float64, descending. */
function symmetricEigenvalues(a: Float64Array, n: number): number[] {
  const s = Float64Array.from(a)
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += s[p * n + q] ** 2
    if (off < 1e-26) break
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = s[p * n + q]
        if (Math.abs(apq) < 1e-300) continue
        const theta = (s[q * n + q] - s[p * n + p]) / (2 * apq)
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1))
        const c = 1 / Math.sqrt(t * t + 1)
        const sn = t * c
        for (let k = 0; k < n; k++) {
          // columns p, q
          const kp = s[k * n + p]
          const kq = s[k * n + q]
          s[k * n + p] = c * kp - sn * kq
          s[k * n + q] = sn * kp + c * kq
        }
        for (let k = 0; k < n; k++) {
          // rows p, q
          const pk = s[p * n + k]
          const qk = s[q * n + k]
          s[p * n + k] = c * pk - sn * qk
          s[q * n + k] = sn * pk + c * qk
        }
      }
    }
  }
  return Array.from({ length: n }, (_, i) => s[i * n + i]).sort((x, y) => y - x)
}

/** The exact singular values of W_mat, largest first: square roots of the eigenvalues of its smaller Gram matrix. */
function exactSingularValues(values: Float32Array, shape: number[], layout: WeightLayout): number[] {
  const { m, rows, cols } = weightMatrix(values, shape, layout)
  const n = Math.min(rows, cols)
  const gram = new Float64Array(n * n)
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0
      if (rows <= cols) for (let c = 0; c < cols; c++) sum += m[i * cols + c] * m[j * cols + c] // W Wᵀ
      else for (let r = 0; r < rows; r++) sum += m[r * cols + i] * m[r * cols + j] // Wᵀ W
      gram[i * n + j] = sum
    }
  }
  return symmetricEigenvalues(gram, n).map((l) => Math.sqrt(Math.max(l, 0)))
}

function frobenius(values: Float32Array): number {
  let sum = 0
  for (const x of values) sum += x * x
  return Math.sqrt(sum)
}

function expectClose(actual: number[], expected: number[], relative: number, scale: number): void {
  actual.forEach((a, i) => {
    expect(Math.abs(a - expected[i]), `σ${i}: ${a} vs ${expected[i]}`).toBeLessThanOrEqual(relative * Math.max(expected[i], 1e-6 * scale))
  })
}

const cases: { name: string; shape: number[]; layout: WeightLayout }[] = [
  { name: 'a linear [in, out]', shape: [24, 40], layout: 'outputs-last' },
  { name: 'a tall linear', shape: [64, 12], layout: 'outputs-last' },
  { name: 'a 3×3 conv HWIO', shape: [3, 3, 6, 16], layout: 'outputs-last' },
  { name: 'a 1×1 conv HWIO', shape: [1, 1, 20, 8], layout: 'outputs-last' },
  { name: 'an embedding [classes, dim]', shape: [10, 32], layout: 'outputs-first' },
]

describe('singular values by deflated power iteration', () => {
  it.each(cases)('match an exact SVD of $name to 1e-3 after enough one-step calls', async ({ shape, layout }) => {
    const size = shape.reduce((a, b) => a * b, 1)
    const values = new Random(size).normals(size)
    const exact = exactSingularValues(values, shape, layout)
    const weight = tf.tensor(values, shape)
    const tracker = new SpectralTracker()
    let measured = await tracker.measure('w', weight, layout)
    for (let call = 0; call < 400; call++) measured = await tracker.measure('w', weight, layout)
    expectClose(measured.sigma, exact.slice(0, 3), 1e-3, exact[0])
    expect(measured.frobenius).toBeCloseTo(frobenius(values), 3)
    tracker.dispose()
    weight.dispose()
  })

  it('reports zeros past the rank of a one-output weight', async () => {
    const values = new Random(3).normals(32)
    const weight = tf.tensor(values, [32, 1])
    const result = await singularValues(weight, 'outputs-last')
    expect(result.sigma[0]).toBeCloseTo(frobenius(values), 4)
    expect(result.sigma.slice(1)).toEqual([0, 0])
    weight.dispose()
  })

  it('reads σ0 at once when warm-started from a converged spectral-norm u', async () => {
    const shape = [3, 3, 8, 12]
    const values = new Random(7).normals(864)
    const exact = exactSingularValues(values, shape, 'outputs-last')
    const weight = tf.tensor(values, shape)
    const u = tf.tensor1d(Float32Array.from(topLeftVector(values, shape, 'outputs-last')))
    const warm = new SpectralTracker({ firstIterations: 1 })
    const fromU = await warm.measure('w', weight, 'outputs-last', u)
    expect(Math.abs(fromU.sigma[0] - exact[0]) / exact[0]).toBeLessThan(1e-4)
    const cold = new SpectralTracker({ firstIterations: 1 })
    const fromRandom = await cold.measure('w', weight, 'outputs-last')
    expect(Math.abs(fromRandom.sigma[0] - exact[0]) / exact[0]).toBeGreaterThan(1e-3)
    // a worse u than the tracker's own vectors is ignored: the longer W_matᵀ u wins
    for (let call = 0; call < 300; call++) await cold.measure('w', weight, 'outputs-last')
    const poor = tf.tensor1d(new Random(8).normals(12))
    const kept = await cold.measure('w', weight, 'outputs-last', poor)
    expect(Math.abs(kept.sigma[0] - exact[0]) / exact[0]).toBeLessThan(1e-4)
    for (const t of [warm, cold]) t.dispose()
    for (const t of [u, poor, weight]) t.dispose()
  })

  it('tracks the top three of a slowly moving weight with one step per call', async () => {
    const shape = [16, 24]
    const rng = new Random(11)
    const values = rng.normals(384)
    const tracker = new SpectralTracker({ iterations: 1, firstIterations: 200 })
    for (let call = 0; call < 150; call++) {
      const drift = rng.normals(384)
      for (let i = 0; i < values.length; i++) values[i] += 0.002 * drift[i]
      const weight = tf.tensor(values, shape)
      const measured = await tracker.measure('w', weight, 'outputs-last')
      weight.dispose()
      if (call >= 50) expectClose(measured.sigma, exactSingularValues(values, shape, 'outputs-last').slice(0, 3), 1e-3, 1)
    }
    tracker.dispose()
  })
})

/** The top left singular vector of W_mat [out], by 2000 float64 power steps on W Wᵀ. */
function topLeftVector(values: Float32Array, shape: number[], layout: WeightLayout): Float64Array {
  const { m, rows, cols } = weightMatrix(values, shape, layout)
  let u = new Float64Array(rows).fill(1)
  for (let it = 0; it < 2000; it++) {
    const v = new Float64Array(cols)
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) v[c] += m[r * cols + c] * u[r]
    const next = new Float64Array(rows)
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) next[r] += m[r * cols + c] * v[c]
    const norm = Math.hypot(...next)
    u = next.map((x) => x / norm)
  }
  return u
}

class ThreeLayers extends Module {
  readonly linear = this.add(new SNLinear('net.linear', 12, 20, { eps: 1e-8, inference: 'stored' }))
  readonly conv = this.add(new SNConv2d('net.conv', 4, 6, 3, { eps: 1e-8, inference: 'stored' }))
  readonly embed = this.add(new SNEmbedding('net.embed', 7, 9, { eps: 1e-8, inference: 'stored' }))
  constructor() {
    super('net')
  }
}

describe('spectra of a network', () => {
  let net: ThreeLayers
  let params: ParamStore
  beforeAll(() => {
    net = new ThreeLayers()
    params = new ParamStore()
    const rng = new Random(21)
    for (const spec of net.specs()) {
      const size = spec.shape.reduce((a, b) => a * b, 1)
      params.set(spec.name, tf.tensor(rng.normals(size), spec.shape), false)
    }
  })
  afterAll(() => params.dispose())

  it('finds every spectrally normalised layer with its layout', () => {
    expect(snLayers(net)).toEqual([
      { layer: 'net.linear', layout: 'outputs-last' },
      { layer: 'net.conv', layout: 'outputs-last' },
      { layer: 'net.embed', layout: 'outputs-first' },
    ])
  })

  it('converges on each layer to its exact top three and Frobenius norm', async () => {
    const tracker = new SpectralTracker()
    let result = await spectra(net, params, tracker)
    for (let call = 0; call < 300; call++) result = await spectra(net, params, tracker)
    expect(result.map((r) => r.layer)).toEqual(['net.linear', 'net.conv', 'net.embed'])
    for (const { layer, layout } of snLayers(net)) {
      const weight = params.get(`${layer}.weight`)
      const values = weight.dataSync() as Float32Array
      const exact = exactSingularValues(values, weight.shape, layout)
      const got = result.find((r) => r.layer === layer)!
      expectClose(got.sigma, exact.slice(0, 3), 1e-3, exact[0])
      expect(got.frobenius).toBeCloseTo(frobenius(values), 3)
    }
    tracker.dispose()
  })

  it('leaves no tensors but the two per layer its tracker owns, and frees them on dispose', async () => {
    const before = tf.memory().numTensors
    const tracker = new SpectralTracker()
    for (let call = 0; call < 3; call++) await spectra(net, params, tracker)
    expect(tracker.tensorCount).toBe(6)
    expect(tf.memory().numTensors).toBe(before + tracker.tensorCount)
    tracker.dispose()
    expect(tf.memory().numTensors).toBe(before)
    const weight = params.get('net.conv.weight')
    const once = tf.memory().numTensors
    await singularValues(weight, 'outputs-last')
    expect(tf.memory().numTensors).toBe(once)
  })

  it('covers every SN layer of a BigGAN generator and discriminator', async () => {
    const model = BigGANModel.initialise(defaultConfig('biggan', 32, 8, 5), 1)
    const tracker = new SpectralTracker()
    const before = tf.memory().numTensors
    const G = await spectra(model.G, model.params, tracker)
    const D = await spectra(model.D!, model.params, tracker)
    const expected = (m: Module): string[] => m.specs().filter((s) => s.role === 'sn-u').map((s) => s.name.slice(0, -2))
    expect(G.map((r) => r.layer)).toEqual(expected(model.G))
    expect(D.map((r) => r.layer)).toEqual(expected(model.D!))
    for (const r of [...G, ...D]) {
      expect(r.sigma).toHaveLength(3)
      expect(r.sigma.every(Number.isFinite)).toBe(true)
      expect(r.sigma[0]).toBeGreaterThanOrEqual(r.sigma[1] * 0.999)
      expect(r.frobenius).toBeGreaterThanOrEqual(r.sigma[0] * 0.999)
    }
    expect(tf.memory().numTensors).toBe(before + tracker.tensorCount)
    tracker.dispose()
    model.dispose()
  })
})
