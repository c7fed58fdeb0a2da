// Directions in z for the studio's sliders: 'random' (orthonormal, from a seed) or 'pca' (GANSpace, in
// engine/inspect/ganspace.ts). Rows [count, zDim], unit length, strongest first.
import { ganspace, orthonormalRows } from '../../engine/inspect/ganspace.ts'
import { Random } from '../../engine/sampling/random.ts'
import { HostError } from '../protocol/errors.ts'
import type { Job } from './job.ts'
import type { OpenModel } from './models.ts'

export interface Directions {
  directions: Float32Array
  /** explained-variance ratio per direction for 'pca'; zeros for 'random', which explain nothing in particular */
  explained: Float32Array
}

/** `count` orthonormal directions (at most zDim) by Gram–Schmidt on standard normal draws from `seed`. */
export function randomDirections(zDim: number, count: number, seed: number): Directions {
  const k = Math.min(count, zDim)
  const rng = new Random(seed)
  const rows = Float64Array.from({ length: k * zDim }, () => rng.normal())
  // normal draws are independent with probability 1; a dependent row (never seen) would come back as zeros
  orthonormalRows(rows, k, zDim)
  return { directions: Float32Array.from(rows), explained: new Float32Array(k) }
}

export async function directions(
  open: OpenModel,
  request: { kind: 'random' | 'pca'; count: number; seed: number; y?: Float32Array },
  job: Job,
): Promise<Directions> {
  const { zDim, numClasses } = open.model.config
  if (request.kind === 'random') return randomDirections(zDim, request.count, request.seed)
  if (request.y && request.y.length !== numClasses) {
    throw new HostError('bad-input', `the class vector has ${request.y.length} values; ${open.info.name} has ${numClasses} classes`)
  }
  const result = await ganspace(open.model, {
    components: request.count,
    seed: request.seed,
    ...(request.y ? { y: request.y } : {}),
    checkCancelled: () => job.check(),
    onProgress: (done, total, label) => job.progress(label, done, total),
  })
  return { directions: result.directions, explained: result.explained }
}
