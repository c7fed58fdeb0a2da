// What the ONNX tests share: the reference fixtures as engine models, their expected outputs in NHWC, and a
// comparison that names the worst element.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { toFloat32 } from '../../main/tensors/convert.ts'
import { importCheckpoint } from '../../main/disk/importCheckpoint.ts'
import { readSafetensors } from '../../main/checkpoints/safetensors'
import type { RawTensor } from '../../main/tensors/tensor.ts'
import { BigGANModel } from '../../main/engine/model'

export const fixtures = join(import.meta.dirname, '../fixtures')

/** A reference fixture folder imported as an engine model (in memory, no manifest). */
export async function fixtureModel(family: 'hf-biggan-deep' | 'biggan-pytorch'): Promise<BigGANModel> {
  const imported = await importCheckpoint(join(fixtures, family))
  return BigGANModel.fromTensors(imported.config, imported)
}

export function reference(family: string): Map<string, RawTensor> {
  return readSafetensors(new Uint8Array(readFileSync(join(fixtures, family, 'reference.safetensors')))).tensors
}

/** NCHW [b, c, h, w] → NHWC values */
export function nhwc(t: RawTensor): Float32Array {
  const [b, c, h, w] = t.shape
  const src = toFloat32(t)
  const out = new Float32Array(src.length)
  for (let n = 0; n < b; n++)
    for (let k = 0; k < c; k++)
      for (let i = 0; i < h * w; i++) out[(n * h * w + i) * c + k] = src[(n * c + k) * h * w + i]
  return out
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`)
  let m = 0
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i])
    if (!(d <= m)) m = d // NaN propagates
  }
  return m
}

/** Rows of class vectors: one-hot for a number, a mix for [class, weight] pairs. */
export function classVectors(numClasses: number, rows: (number | [number, number][])[]): Float32Array {
  const y = new Float32Array(rows.length * numClasses)
  rows.forEach((row, i) => {
    if (typeof row === 'number') y[i * numClasses + row] = 1
    else for (const [c, w] of row) y[i * numClasses + c] += w
  })
  return y
}

/** ‖ours − reference‖ / ‖reference‖ (a floor of 1e-12 under the reference's norm). */
export function relativeNormError(ours: Float32Array, reference: Float32Array): number {
  let diff = 0
  let norm = 0
  for (let i = 0; i < reference.length; i++) {
    diff += (ours[i] - reference[i]) ** 2
    norm += reference[i] ** 2
  }
  return Math.sqrt(diff) / Math.max(Math.sqrt(norm), 1e-12)
}

/** Prints a parity test's figures on a line that `npm run bench:train` collects into its report. */
export function reportParity(line: string): void {
  console.log(`parity: ${line}`)
}
