// The favourites watchlist in a training worker: saved points rendered by a run's checkpoint, as images:render
// renders them (render.ts: the EMA generator, the model's truncation semantics), so the same point at the same
// checkpoint gives the same bytes. The two checkpoints last rendered stay loaded, for scrubbing back and forth and
// comparing two side by side; a folder whose weights changed (latest/ after a new checkpoint) is loaded afresh.
import { readManifest } from '../../disk/nativeFormat.ts'
import { BigGANModel } from '../../engine/model.ts'
import { rgbToRgba } from '../../images/raster.ts'
import type { Job } from './job.ts'
import { modelRecord, type OpenModel } from './models.ts'
import type { PackedPoints } from '../protocol/points.ts'
import { renderRgb } from './render.ts'
import type { TrainResultOf, WatchedPoint } from '../protocol/training.ts'
import { loadModel } from '../../disk/modelFolder.ts'

const KEEP = 2

export class CheckpointCache {
  /** least recently used first */
  private readonly open: { dir: string; hash: string; model: OpenModel }[] = []

  async get(dir: string): Promise<OpenModel> {
    const hash = (await readManifest(dir)).contentHash
    const at = this.open.findIndex((o) => o.dir === dir && o.hash === hash)
    if (at >= 0) {
      const [hit] = this.open.splice(at, 1)
      this.open.push(hit)
      return hit.model
    }
    const model = await loadModel(dir)
    const manifest = model.manifest!
    const entry = { dir, hash: manifest.contentHash, model: { model, manifest, dir, info: modelRecord(model, manifest, dir, { isDefault: false, isRandom: false }) } }
    this.open.push(entry)
    while (this.open.length > KEEP) this.open.shift()!.model.model.dispose()
    return entry.model
  }

  dispose(): void {
    for (const o of this.open.splice(0)) o.model.model.dispose()
  }
}

/** Why a point cannot be rendered by this model, or undefined where it can (its y padded with zeros). */
export function misfit(open: OpenModel, p: WatchedPoint): string | undefined {
  const { zDim, numClasses } = open.model.config
  if (p.z.length !== zDim) return `its z has ${p.z.length} values; this checkpoint takes ${zDim}`
  if (p.y.length > numClasses) return `it has ${p.y.length} classes; this checkpoint has ${numClasses}`
  const problem = open.model.truncation.problem(p.truncation)
  if (problem) return `its ${problem}`
  return undefined
}

export async function renderWatched(open: OpenModel, points: WatchedPoint[], job: Job): Promise<TrainResultOf<'watch'>> {
  const { zDim, numClasses, resolution } = open.model.config
  const skipped: { id: number; reason: string }[] = []
  const fit: WatchedPoint[] = []
  for (const p of points) {
    const why = misfit(open, p)
    if (why) skipped.push({ id: p.id, reason: why })
    else fit.push(p)
  }
  if (fit.length === 0) return { rendered: [], skipped, width: resolution, height: resolution, pixels: new Uint8Array(0) }
  const packed: PackedPoints = {
    count: fit.length,
    z: new Float32Array(fit.length * zDim),
    y: new Float32Array(fit.length * numClasses), // a class the favourite's model lacked stays 0
    truncation: Float64Array.from(fit, (p) => p.truncation),
  }
  fit.forEach((p, i) => {
    packed.z.set(p.z, i * zDim)
    packed.y.set(p.y, i * numClasses)
  })
  const rgb = await renderRgb(open, packed, job)
  return { rendered: fit.map((p) => p.id), skipped, width: resolution, height: resolution, pixels: rgbToRgba(rgb) }
}
