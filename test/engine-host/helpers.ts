// What the engine-host tests share: a tiny native model folder written from this thread, and points for it.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Point } from '../../preload/contract/index.ts'
import { initBackend } from '../../main/backend/backend'
import { defaultConfig } from '../../main/engine/config'
import { BigGANModel } from '../../main/engine/model'
import { Random } from '../../main/engine/sampling/random'
import type { PackedPoints } from '../../main/engine-host/protocol/points'
import { saveModel } from '../../main/disk/modelFolder'

/** BigGAN 32×32, ch 4, 3 classes, no attention: z of 80 in four chunks. */
export const tinyConfig = () => defaultConfig('biggan', 32, 4, 3, 0)

export async function tempDir(prefix: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `biggan-${prefix}-`))
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) }
}

/** A tiny randomly initialised model saved as a native folder under `parent`; the model stays open here too. */
export async function tinyModelFolder(parent: string, name = 'tiny'): Promise<{ dir: string; model: BigGANModel }> {
  await initBackend()
  const model = BigGANModel.initialise(tinyConfig(), 0)
  const dir = join(parent, name)
  await saveModel(model, dir, { source: 'init', notes: 'engine-host test model' })
  return { dir, model }
}

/** `count` points of the tiny model: z from `seed`, classes in turn, truncation 1. */
export function tinyPoints(count: number, seed: number, zDim = 80, numClasses = 3): Point[] {
  const rng = new Random(seed)
  return Array.from({ length: count }, (_, i) => {
    const y = new Float32Array(numClasses)
    y[i % numClasses] = 1
    return { z: rng.normals(zDim), y, truncation: 1, seed: seed + i }
  })
}

export function pack(points: Point[]): PackedPoints {
  const zDim = points[0].z.length
  const k = points[0].y.length
  const z = new Float32Array(points.length * zDim)
  const y = new Float32Array(points.length * k)
  points.forEach((p, i) => {
    z.set(p.z, i * zDim)
    y.set(p.y, i * k)
  })
  return { count: points.length, z, y, truncation: Float64Array.from(points, (p) => p.truncation) }
}
