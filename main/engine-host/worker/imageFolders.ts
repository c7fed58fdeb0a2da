// Image folders as the fine-tune view shows them, read in a training worker: loading one through the loader (its
// decode cache included) with progress and cancel, a folder's report (counts, the files not used and why,
// thumbnails), and thumbnails of its images by relPath.
import { isAbsolute, normalize, sep } from 'node:path'
import sharp from 'sharp'
import { decodeImage } from '../../data/decode.ts'
import { DatasetError } from '../../data/errors.ts'
import { loadImageFolder } from '../../data/dataset.ts'
import { pathOfRelPath } from '../../data/names.ts'
import { readImageBytes } from '../../data/read.ts'
import type { HeldOutOptions } from '../../data/split.ts'
import type { ImageDataset } from '../../data/types.ts'
import type { ImageSplit } from '../../engine/images.ts'
import { encodePng } from '../../images/png.ts'
import { HostError } from '../protocol/errors.ts'
import type { Job } from './job.ts'
import type { FolderScan } from '../protocol/training.ts'

/** Thumbnails are at most this many pixels on a side. */
export const THUMBNAIL_PX = 64
/** Failed and ignored files listed in a report, each list at most: the counts say how many there are in all. */
const LISTED = 1000

/** Loads a folder through the loader (its decode cache included), reporting each file, stoppable between files.
 *  `heldOut`: the split training never sees (the loader's default; none for generator metrics, which use every image). */
export async function loadFolder(
  dir: string, resolution: number, seed: number, job: Job, label: string, heldOut?: Partial<HeldOutOptions>,
): Promise<ImageDataset> {
  const controller = new AbortController()
  try {
    return await loadImageFolder(dir, {
      resolution,
      seed,
      ...(heldOut ? { heldOut } : {}),
      signal: controller.signal,
      onProgress: ({ done, total }) => {
        job.progress(label, done, total)
        try {
          job.check()
        } catch {
          controller.abort()
        }
      },
    })
  } catch (e) {
    if (e instanceof DatasetError) throw new HostError(e.code === 'cancelled' ? 'cancelled' : 'failed', e.message)
    throw e
  }
}

/** What a folder holds, for the fine-tune view. */
export async function scanReport(dataset: ImageDataset, seed: number, thumbnailsPerClass: number): Promise<FolderScan> {
  const classes = await Promise.all(
    dataset.counts.map(async (c, label) => ({
      name: c.name,
      train: c.train,
      heldOut: c.heldOut,
      failed: c.failed,
      thumbnails: await Promise.all(imagesOf(dataset, label, thumbnailsPerClass).map((rgb) => thumbnailPng(rgb, dataset.resolution))),
    })),
  )
  return {
    path: dataset.dir,
    resolution: dataset.resolution,
    contentHash: dataset.contentHash,
    seed,
    classes,
    train: dataset.train.count,
    heldOut: dataset.heldOut.count,
    failed: dataset.failed.slice(0, LISTED).map((f) => ({ ...f })),
    failedCount: dataset.failed.length,
    ignoredFiles: dataset.ignored.slice(0, LISTED).map((f) => ({ ...f })),
    ignored: dataset.ignored.length,
    warnings: [...dataset.warnings],
    cache: { hits: dataset.cache.hits, decoded: dataset.cache.decoded },
  }
}

/** Up to n decoded images [R, R, 3] of a class: training images first, then held-out ones. */
function imagesOf(dataset: ImageDataset, label: number, n: number): Uint8Array[] {
  const out: Uint8Array[] = []
  const take = (split: ImageSplit): void => {
    const size = split.resolution * split.resolution * 3
    for (let i = 0; i < split.count && out.length < n; i++) {
      if (split.labels[i] === label) out.push(split.pixels.slice(i * size, (i + 1) * size))
    }
  }
  take(dataset.train)
  take(dataset.heldOut)
  return out
}

/** A PNG of an R×R RGB image, shrunk to at most THUMBNAIL_PX. */
async function thumbnailPng(rgb: Uint8Array, size: number): Promise<Uint8Array> {
  if (size <= THUMBNAIL_PX) return encodePng(rgb, size, size)
  const data = await sharp(rgb, { raw: { width: size, height: size, channels: 3 } })
    .resize(THUMBNAIL_PX, THUMBNAIL_PX, { kernel: 'lanczos3' })
    .raw()
    .toBuffer()
  return encodePng(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), THUMBNAIL_PX, THUMBNAIL_PX)
}

/** Thumbnails of a folder's images by relPath, decoded as training images are (centre crop, `size` px). A relPath
 *  that would leave the folder is refused, never read. */
export async function folderThumbnails(
  dataDir: string,
  relPaths: string[],
  size: number,
): Promise<{ thumbnails: { relPath: string; png: Uint8Array }[]; missing: { relPath: string; reason: string }[] }> {
  const thumbnails: { relPath: string; png: Uint8Array }[] = []
  const missing: { relPath: string; reason: string }[] = []
  for (const relPath of [...new Set(relPaths)]) {
    const inside = normalize(relPath)
    if (isAbsolute(relPath) || inside === '..' || inside.startsWith(`..${sep}`) || relPath.includes('\0')) {
      missing.push({ relPath, reason: 'not a path inside the image folder' })
      continue
    }
    const read = await readImageBytes(await pathOfRelPath(dataDir, inside))
    if (!read.ok) {
      missing.push({ relPath, reason: read.reason })
      continue
    }
    const decoded = await decodeImage(read.bytes, size)
    if (!decoded.ok) missing.push({ relPath, reason: decoded.reason })
    else thumbnails.push({ relPath, png: encodePng(decoded.pixels, size, size) })
  }
  return { thumbnails, missing }
}
