// Points as the contract carries them, checked against the open model and packed into fresh typed arrays for the
// engine worker (fresh, so that handing their buffers over detaches nothing the caller still holds).
import { StudioError, type Point } from '../../preload/contract/index.ts'
import type { ModelRecord } from '../engine-host/protocol/engine.ts'
import type { PackedPoint, PackedPoints } from '../engine-host/protocol/points.ts'

/** Throws StudioError('bad-input') where a point does not fit the model, saying which point and why. */
export function checkPoint(model: ModelRecord, point: Point, where = 'the point'): void {
  if (point.z.length !== model.zDim) {
    throw new StudioError(
      'bad-input',
      `${where} has a z of ${point.z.length} values, but ${model.name} takes ${model.zDim}: it belongs to another model. Open that model, or start from a new seed`,
    )
  }
  if (point.y.length !== model.numClasses) {
    throw new StudioError(
      'bad-input',
      `${where} has a class vector of ${point.y.length} values, but ${model.name} has ${model.numClasses} classes: it belongs to another model`,
    )
  }
  const problem = truncationProblem(model, point.truncation)
  if (problem) throw new StudioError('bad-input', `${where}: ${problem}`)
}

/** Why `t` cannot be the model's truncation, or undefined where it can. The bounds are the model's truncation policy,
 *  as its record carries them (main/engine/sampling/truncation.ts decides them). */
export function truncationProblem(model: ModelRecord, t: number): string | undefined {
  const { above, atMost } = model.truncation
  if (Number.isFinite(t) && t > above && t <= atMost) return undefined
  return model.semantics === 'released'
    ? `truncation ${t} is outside (${above}, ${atMost}]: ${model.name} selects BatchNorm statistics by truncation, and has them only there`
    : `truncation threshold ${t} is outside (${above}, ${atMost}], the thresholds ${model.name} takes`
}

export function packPoints(model: ModelRecord, points: readonly Point[]): PackedPoints {
  if (points.length === 0) throw new StudioError('bad-input', 'no points given: send at least one')
  const z = new Float32Array(points.length * model.zDim)
  const y = new Float32Array(points.length * model.numClasses)
  const truncation = new Float64Array(points.length)
  points.forEach((p, i) => {
    checkPoint(model, p, points.length === 1 ? 'the point' : `point ${i}`)
    z.set(p.z, i * model.zDim)
    y.set(p.y, i * model.numClasses)
    truncation[i] = p.truncation
  })
  return { count: points.length, z, y, truncation }
}

export function packPoint(model: ModelRecord, point: Point): PackedPoint {
  checkPoint(model, point)
  return {
    z: Float32Array.from(point.z),
    y: Float32Array.from(point.y),
    truncation: point.truncation,
    ...(point.seed !== undefined ? { seed: point.seed } : {}),
  }
}

/** The index of the class a point shows, or null for a blend of several. */
export function pointClass(y: Float32Array): number | null {
  let best = -1
  let nonzero = 0
  for (let i = 0; i < y.length; i++) {
    if (y[i] !== 0) nonzero++
    if (best < 0 || y[i] > y[best]) best = i
  }
  return nonzero === 1 ? best : null
}
