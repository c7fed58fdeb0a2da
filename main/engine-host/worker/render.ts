// Points to pixels in the worker: batches of points through G (its EMA where the model has one) on the runtime the
// worker chose for the model (previews.ts: onnxruntime where it is faster), by the rule the
// engine's CLI uses (pixels = ⌊(x + 1)/2 · 256⌋ clipped). Under 'released' semantics a point's truncation selects
// G's BatchNorm statistics, so only points with the same truncation share a batch; under 'paper' semantics the
// truncation only shaped z and every batch runs at ψ = 1. A point's pixels do not depend on its batch: eval-mode G
// treats each row on its own, so the same point gives the same bytes wherever it is rendered.
import { toPixels } from '../../engine/pixels.ts'
import { HostError } from '../protocol/errors.ts'
import type { Job } from './job.ts'
import type { OpenModel } from './models.ts'
import type { PackedPoints } from '../protocol/points.ts'

/** Images per forward pass: bounded so that activations stay well under a gigabyte at every resolution. */
export function batchSize(resolution: number): number {
  return Math.max(1, Math.min(32, Math.floor((16 * 128 * 128) / resolution ** 2)))
}

/** Checks packed points against the model: whole rows, and truncations the model's semantics allow. */
export function checkPoints(open: OpenModel, points: PackedPoints): void {
  const { zDim, numClasses } = open.model.config
  const { count } = points
  if (!(count >= 1) || points.z.length !== count * zDim || points.y.length !== count * numClasses || points.truncation.length !== count) {
    throw new HostError(
      'bad-input',
      `the points do not fit ${open.info.name}: it takes z of ${zDim} and y of ${numClasses} values per point`,
    )
  }
  const policy = open.model.truncation
  for (let i = 0; i < count; i++) {
    const problem = policy.problem(points.truncation[i])
    if (problem) throw new HostError('bad-input', `point ${i} of ${open.info.name}: ${problem}`)
  }
}

/** Which points go through G together. In order: consecutive runs (a sequence encodes frames as they come);
 *  otherwise all points of one truncation together. */
export function planBatches(open: OpenModel, points: PackedPoints, inOrder: boolean): number[][] {
  const size = batchSize(open.model.config.resolution)
  const released = open.model.truncation.semantics === 'released'
  const key = (i: number): number => (released ? points.truncation[i] : 1)
  const batches: number[][] = []
  if (inOrder) {
    let current: number[] = []
    for (let i = 0; i < points.count; i++) {
      if (current.length === size || (current.length > 0 && key(current[0]) !== key(i))) {
        batches.push(current)
        current = []
      }
      current.push(i)
    }
    if (current.length > 0) batches.push(current)
    return batches
  }
  const groups = new Map<number, number[]>()
  for (let i = 0; i < points.count; i++) {
    const group = groups.get(key(i)) ?? []
    group.push(i)
    groups.set(key(i), group)
  }
  for (const group of groups.values()) {
    for (let s = 0; s < group.length; s += size) batches.push(group.slice(s, s + size))
  }
  return batches
}

/** Renders batch after batch, yielding each batch's point indices and RGB pixels [indices.length, R, R, 3]. */
export async function* renderBatches(
  open: OpenModel,
  points: PackedPoints,
  batches: number[][],
  job: Job,
): AsyncGenerator<{ indices: number[]; rgb: Uint8Array }> {
  const { model } = open
  // the runtime the worker chose for this model (previews.ts), else the engine itself
  const generate = open.previews ? open.previews.generate : model.generate.bind(model)
  const { zDim, numClasses } = model.config
  for (const indices of batches) {
    job.check()
    const z = new Float32Array(indices.length * zDim)
    const y = new Float32Array(indices.length * numClasses)
    indices.forEach((p, row) => {
      z.set(points.z.subarray(p * zDim, (p + 1) * zDim), row * zDim)
      y.set(points.y.subarray(p * numClasses, (p + 1) * numClasses), row * numClasses)
    })
    const t = points.truncation[indices[0]]
    const psi = model.truncation.statisticsPsi(t)
    const images = await generate(z, y, { truncation: psi })
    yield { indices, rgb: toPixels(images) }
  }
}

/** All points' RGB pixels in their order: [count, R, R, 3]. */
export async function renderRgb(open: OpenModel, points: PackedPoints, job: Job, onBatch?: (done: number) => void): Promise<Uint8Array> {
  checkPoints(open, points)
  const r = open.model.config.resolution
  const frame = r * r * 3
  const out = new Uint8Array(points.count * frame)
  let done = 0
  for await (const { indices, rgb } of renderBatches(open, points, planBatches(open, points, false), job)) {
    indices.forEach((p, row) => out.set(rgb.subarray(row * frame, (row + 1) * frame), p * frame))
    done += indices.length
    onBatch?.(done)
  }
  return out
}
