// A folder of images → an ImageDataset ready for training: scan, read, hash, decode (or take from the cache),
// split off the held-out images, and lay the rest out as one [n, R, R, 3] array.
//
// Memory: every usable image ends up in one array of files × R × R × 3 bytes, allocated once up front; decoding
// writes straight into its slot, the held-out images are copied out, and the training images are compacted in
// place. Full-size pixels never exist (see decode.ts) and at most `concurrency` files are read at a time.

import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { DecodeCache } from './cache'
import { decodeImage } from './decode'
import { DatasetError } from './errors'
import { runPool } from './pool'
import { readImageBytes } from './read'
import { scanImageFolder, type ScannedFile } from './scan'
import { checkHeldOutOptions, chooseHeldOut, DEFAULT_HELD_OUT, heldOutCount, type HeldOutOptions } from './split'
import type { ImageSplit } from '../engine/images'
import type { ClassCount, ImageDataset, SkippedFile } from './types'

export interface LoadProgress {
  done: number
  total: number
  relPath: string
  outcome: 'cached' | 'decoded' | 'failed'
}

export interface LoadOptions {
  /** side of the square training images, the generator's resolution */
  resolution: number
  /** decides the held-out split */
  seed: number
  /** where decoded images are kept between runs; default <dir>/.biggan-cache (hidden, so never scanned) */
  cacheDir?: string
  heldOut?: Partial<HeldOutOptions>
  /** files read and decoded at once; default 3 */
  concurrency?: number
  onProgress?: (progress: LoadProgress) => void
  signal?: AbortSignal
}

const SUPPORTED = 'supported: JPEG, PNG, WebP (.jpg, .jpeg, .png, .webp)'

type Outcome =
  | { ok: true; hash: string; cached: boolean; cacheError: string | null }
  | { ok: false; reason: string }

export async function loadImageFolder(dir: string, options: LoadOptions): Promise<ImageDataset> {
  const heldOutOptions = { ...DEFAULT_HELD_OUT, ...options.heldOut }
  checkOptions(options, heldOutOptions)
  const R = options.resolution
  const S = R * R * 3
  const scan = await scanImageFolder(dir)
  if (scan.files.length === 0) {
    const first = scan.ignored[0]
    const other = first ? ` (${scan.ignored.length} other file(s) ignored); first: ${first.relPath}, ${first.reason}` : ''
    throw new DatasetError(`no images in ${scan.dir}: found no image files${other}; ${SUPPORTED}`, 'no-images')
  }

  const staging = allocate(scan.files.length, R)
  const cache = new DecodeCache(options.cacheDir ?? join(scan.dir, '.biggan-cache'), R)
  const outcomes: Outcome[] = new Array(scan.files.length)
  let done = 0
  await runPool(scan.files.length, options.concurrency ?? 3, async (i) => {
    if (options.signal?.aborted) return
    const file = scan.files[i]
    outcomes[i] = await loadOne(file, cache, R, staging.subarray(i * S, (i + 1) * S))
    const o = outcomes[i]
    options.onProgress?.({
      done: ++done,
      total: scan.files.length,
      relPath: file.relPath,
      outcome: !o.ok ? 'failed' : o.cached ? 'cached' : 'decoded',
    })
  })
  if (options.signal?.aborted) throw new DatasetError(`loading ${scan.dir} was cancelled`, 'cancelled')

  const warnings = [...scan.warnings]
  const failed: SkippedFile[] = []
  const usable: number[] = []
  let hits = 0
  let cacheError: string | null = null
  scan.files.forEach((f, i) => {
    const o = outcomes[i]
    if (!o.ok) failed.push({ relPath: f.relPath, reason: o.reason })
    else {
      usable.push(i)
      if (o.cached) hits++
      cacheError ??= o.cacheError
    }
  })
  if (cacheError) warnings.push(`decoded images could not be cached in ${cache.dir} (${cacheError}); the next load decodes again`)
  if (usable.length === 0) {
    const first = failed[0]
    throw new DatasetError(
      `no usable images in ${scan.dir}: ${failed.length} file(s) failed to decode ` +
        `(first: ${first.relPath}: ${first.reason}); ${SUPPORTED}`,
      'no-usable-images',
    )
  }

  const items = usable.map((i) => scan.files[i])
  const { count, warning } = heldOutCount(items.length, heldOutOptions)
  if (warning) warnings.push(warning)
  const chosen = chooseHeldOut(items, scan.classes.length, count, options.seed)
  const heldOutSlots = usable.filter((_, k) => chosen.has(k))
  const trainSlots = usable.filter((_, k) => !chosen.has(k))
  // Held-out first: compacting the training images overwrites slots.
  const heldOut = copyOut(staging, heldOutSlots, scan.files, R)
  const train = compact(staging, trainSlots, scan.files, R)

  const counts = countPerClass(scan.classes, train, heldOut, failed, scan.files)
  for (const c of counts) {
    if (c.train + c.heldOut === 0) {
      warnings.push(`class '${c.name}' has no usable image (${c.failed} failed); it keeps its index but cannot be learned`)
    }
  }
  const hashes = usable.map((i) => `${scan.files[i].relPath}\0${(outcomes[i] as { hash: string }).hash}\n`)
  return {
    dir: scan.dir,
    resolution: R,
    classes: scan.classes,
    train,
    heldOut,
    failed,
    counts,
    ignored: scan.ignored,
    contentHash: createHash('sha256').update(hashes.join('')).digest('hex'),
    warnings,
    cache: { dir: cache.dir, hits, decoded: usable.length - hits },
  }
}

function checkOptions(o: LoadOptions, h: HeldOutOptions): void {
  const bad = (message: string): never => {
    throw new DatasetError(`loadImageFolder: ${message}`, 'bad-option')
  }
  if (!Number.isInteger(o.resolution) || o.resolution < 1 || o.resolution > 4096) {
    bad(`resolution must be a whole number of pixels in [1, 4096], got ${o.resolution}`)
  }
  if (!Number.isFinite(o.seed)) bad(`seed must be a finite number, got ${o.seed}`)
  const c = o.concurrency ?? 3
  if (!Number.isInteger(c) || c < 1 || c > 64) bad(`concurrency must be a whole number in [1, 64], got ${c}`)
  const heldOutProblem = checkHeldOutOptions(h)
  if (heldOutProblem) bad(heldOutProblem)
}

function allocate(files: number, R: number): Uint8Array {
  const bytes = files * R * R * 3
  try {
    return new Uint8Array(bytes)
  } catch {
    throw new DatasetError(
      `${files} images at ${R}×${R} need ${(bytes / 2 ** 30).toFixed(1)} GiB in one array, more than can be ` +
        `allocated; use fewer images or a lower resolution`,
      'too-large',
    )
  }
}

async function loadOne(file: ScannedFile, cache: DecodeCache, R: number, slot: Uint8Array): Promise<Outcome> {
  const read = await readImageBytes(file.path)
  if (!read.ok) return read
  const hash = createHash('sha256').update(read.bytes).digest('hex')
  const cached = await cache.get(hash)
  if (cached) {
    slot.set(cached)
    return { ok: true, hash, cached: true, cacheError: null }
  }
  const decoded = await decodeImage(read.bytes, R)
  if (!decoded.ok) return decoded
  slot.set(decoded.pixels)
  let cacheError: string | null = null
  try {
    await cache.put(hash, decoded.pixels)
  } catch (e) {
    cacheError = (e as Error).message
  }
  return { ok: true, hash, cached: false, cacheError }
}

function copyOut(staging: Uint8Array, slots: number[], files: ScannedFile[], R: number): ImageSplit {
  const S = R * R * 3
  const pixels = new Uint8Array(slots.length * S)
  slots.forEach((slot, k) => pixels.set(staging.subarray(slot * S, (slot + 1) * S), k * S))
  return splitOf(pixels, slots, files, R)
}

function compact(staging: Uint8Array, slots: number[], files: ScannedFile[], R: number): ImageSplit {
  const S = R * R * 3
  // Slots ascend and each moves to a position at or before itself, so copyWithin never reads what it overwrote.
  slots.forEach((slot, k) => {
    if (slot !== k) staging.copyWithin(k * S, slot * S, (slot + 1) * S)
  })
  const used = slots.length * S
  // A view keeps the whole staging buffer alive; when most of it is unused (many failures), copy to release it.
  const pixels = used * 2 < staging.length ? staging.slice(0, used) : staging.subarray(0, used)
  return splitOf(pixels, slots, files, R)
}

function splitOf(pixels: Uint8Array, slots: number[], files: ScannedFile[], R: number): ImageSplit {
  return {
    resolution: R,
    count: slots.length,
    pixels,
    labels: Int32Array.from(slots, (s) => files[s].classIndex),
    relPaths: slots.map((s) => files[s].relPath),
  }
}

function countPerClass(
  classes: string[],
  train: ImageSplit,
  heldOut: ImageSplit,
  failed: SkippedFile[],
  files: ScannedFile[],
): ClassCount[] {
  const counts = classes.map((name) => ({ name, train: 0, heldOut: 0, failed: 0 }))
  for (const label of train.labels) counts[label].train++
  for (const label of heldOut.labels) counts[label].heldOut++
  const classOf = new Map(files.map((f) => [f.relPath, f.classIndex]))
  for (const f of failed) counts[classOf.get(f.relPath)!].failed++
  return counts
}
