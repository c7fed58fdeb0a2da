// Test models whose spectral-norm vectors are converged. BigGANModel.initialise draws u and v at random, so a fresh
// model's 'stored' σ = uᵀWv is a random small number and its images and logits blow up (Inf, NaN) — useless for
// checking that something is unchanged. A trained model's vectors are converged; these helpers make a fresh one so.
import { fromFloat32, toFloat32 } from '../../main/tensors/convert'
import type { TensorMap } from '../../main/tensors/tensor'
import { defaultConfig, type Arch, type ModelConfig } from '../../main/engine/config'
import { spectralState } from '../../main/engine/finetune/powerIteration'
import { BigGANModel } from '../../main/engine/model'

/** Sets u, v, σ of every spectrally normalised weight in `tensors` to their converged values. */
export function convergeSpectralNorm(tensors: TensorMap): void {
  for (const name of [...tensors.keys()]) {
    if (!name.endsWith('.u')) continue
    const layer = name.slice(0, -2)
    const weight = tensors.get(`${layer}.weight`)!
    const out = tensors.get(name)!.shape[0]
    const values = toFloat32(weight)
    const fanIn = values.length / out
    // D.embedding keeps its outputs (classes) first; convs and linears keep them last
    const outputsFirst = layer === 'D.embedding'
    const wMat = outputsFirst ? values : transpose(values, fanIn, out)
    const { u, v, sigma } = spectralState(wMat, out, fanIn, undefined, 30)
    tensors.set(`${layer}.u`, fromFloat32([out], Float32Array.from(u)))
    tensors.set(`${layer}.v`, fromFloat32([fanIn], Float32Array.from(v)))
    tensors.set(`${layer}.sigma`, fromFloat32([1], Float32Array.of(sigma)))
  }
}

function transpose(x: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(x.length)
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = x[i * cols + j]
  return out
}

/** A small initialised model (32 px, ch 8) with converged spectral norms, and optionally an EMA of G scaled by 0.9
 *  (so that the EMA differs from G). */
export function testModel(arch: Arch, classes: number, seed: number, options: { ema?: boolean; config?: Partial<ModelConfig> } = {}): BigGANModel {
  const config = { ...defaultConfig(arch, 32, 8, classes), ...options.config }
  const base = BigGANModel.initialise(config, seed)
  const t = base.tensors()
  base.dispose()
  convergeSpectralNorm(t.G)
  if (t.D) convergeSpectralNorm(t.D)
  let ema: TensorMap | undefined
  if (options.ema) {
    ema = new Map()
    for (const [name, raw] of t.G) ema.set(name, fromFloat32(raw.shape, toFloat32(raw).map((x) => x * 0.9)))
    convergeSpectralNorm(ema)
  }
  return BigGANModel.fromTensors(config, { G: t.G, ...(t.D ? { D: t.D } : {}), ...(ema ? { ema } : {}) })
}

/** Names of the tensors that differ between two maps (by dtype, shape or bytes), plus names only one map has.
 *  Much faster than toEqual on megabytes of Uint8Array. */
export function differingTensors(a: TensorMap, b: TensorMap): string[] {
  const names = new Set([...a.keys(), ...b.keys()])
  return [...names].filter((name) => {
    const x = a.get(name)
    const y = b.get(name)
    if (!x || !y || x.dtype !== y.dtype || x.shape.join() !== y.shape.join()) return true
    return !Buffer.from(x.data.buffer, x.data.byteOffset, x.data.byteLength).equals(Buffer.from(y.data.buffer, y.data.byteOffset, y.data.byteLength))
  })
}
