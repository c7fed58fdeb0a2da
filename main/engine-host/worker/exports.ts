// Files made from rendered points, in the worker: a PNG of one point carrying its latent record (or a thumbnail
// without one), an animated GIF, or a zip of PNG frames, each optionally enlarged (its record says how). Frames are
// encoded as their batch arrives, so a long sequence never holds more than one batch of pixels.
import { engineVersion } from '../../engine/version.ts'
import { GifEncoder, gifDelays } from '../../images/gif.ts'
import { LATENT_FORMAT, LATENT_KEY, LATENT_VERSION, latentRecordText, type LatentRecord } from '../../images/latentRecord.ts'
import { encodePng } from '../../images/png.ts'
import { downscaleRgb } from '../../images/raster.ts'
import { upscaleRgb, type Upscale } from '../../images/upscale.ts'
import { writeZip } from '../../images/zipWrite.ts'
import type { Job } from './job.ts'
import type { OpenModel } from './models.ts'
import type { PackedPoint, PackedPoints } from '../protocol/points.ts'
import { checkPoints, planBatches, renderBatches, renderRgb } from './render.ts'

export function latentRecord(open: OpenModel, point: PackedPoint, upscale?: Upscale): LatentRecord {
  return {
    format: LATENT_FORMAT,
    version: LATENT_VERSION,
    modelHash: open.info.hash,
    modelName: open.info.name,
    engineVersion,
    semantics: open.info.semantics,
    z: Array.from(point.z),
    y: Array.from(point.y),
    truncation: point.truncation,
    ...(point.seed !== undefined ? { seed: point.seed } : {}),
    ...(upscale && upscale.factor > 1 ? { upscale: { factor: upscale.factor, filter: upscale.filter } } : {}),
  }
}

/** One rendered R×R RGB image as it is written: enlarged where asked. */
function enlarged(rgb: Uint8Array, r: number, upscale: Upscale | undefined): { rgb: Uint8Array; size: number } {
  if (!upscale || upscale.factor === 1) return { rgb, size: r }
  return { rgb: upscaleRgb(rgb, r, r, upscale).rgb, size: r * upscale.factor }
}

function pointAt(open: OpenModel, points: PackedPoints, i: number): PackedPoint {
  const { zDim, numClasses } = open.model.config
  return {
    z: points.z.subarray(i * zDim, (i + 1) * zDim),
    y: points.y.subarray(i * numClasses, (i + 1) * numClasses),
    truncation: points.truncation[i],
  }
}

function single(point: PackedPoint): PackedPoints {
  return { count: 1, z: point.z, y: point.y, truncation: Float64Array.of(point.truncation) }
}

/** 'export': the point at the model's resolution (times `upscale`) with its latent record; 'thumbnail': no record,
 *  shrunk by a power of two to at most maxSize px. */
export async function pointPng(
  open: OpenModel,
  point: PackedPoint,
  purpose: 'export' | 'thumbnail',
  maxSize: number,
  job: Job,
  upscale?: Upscale,
): Promise<Uint8Array> {
  const r = open.model.config.resolution
  const rgb = await renderRgb(open, single(point), job)
  if (purpose === 'export') {
    const out = enlarged(rgb, r, upscale)
    return encodePng(out.rgb, out.size, out.size, { [LATENT_KEY]: latentRecordText(latentRecord(open, point, upscale)) })
  }
  let factor = 1
  while (r / factor > maxSize && (r / factor) % 2 === 0) factor *= 2
  const small = downscaleRgb(rgb, r, factor)
  return encodePng(small.rgb, small.size, small.size)
}

export async function sequenceFile(
  open: OpenModel,
  points: PackedPoints,
  format: 'gif' | 'png-zip',
  fps: number,
  baseName: string,
  job: Job,
  upscale?: Upscale,
): Promise<Uint8Array> {
  checkPoints(open, points)
  const r = open.model.config.resolution
  const frame = r * r * 3
  const size = r * (upscale?.factor ?? 1)
  const delays = gifDelays(points.count, fps)
  const gif = format === 'gif' ? new GifEncoder(size, size, { loop: 0 }) : undefined
  const pngs: { name: string; data: Uint8Array }[] = []
  const digits = Math.max(4, String(points.count).length)
  let done = 0
  for await (const { indices, rgb } of renderBatches(open, points, planBatches(open, points, true), job)) {
    for (let row = 0; row < indices.length; row++) {
      job.check()
      const i = indices[row]
      const pixels = enlarged(rgb.subarray(row * frame, (row + 1) * frame), r, upscale).rgb
      if (gif) gif.addFrame(pixels, 3, delays[i])
      else {
        // each frame carries its point, so any frame dropped back into the studio reopens it
        const record = latentRecordText(latentRecord(open, pointAt(open, points, i), upscale))
        pngs.push({
          name: `${baseName}/${baseName}-${String(i + 1).padStart(digits, '0')}.png`,
          data: encodePng(pixels, size, size, { [LATENT_KEY]: record }),
        })
      }
      job.progress(`frame ${++done} of ${points.count}`, done, points.count)
    }
  }
  return gif ? gif.finish() : writeZip(pngs)
}
