// Reading what the fine-tune view shows from disk, in a training worker: an image folder's report (counts, failures,
// thumbnails), a run folder's history (metrics.jsonl in the contract's shape, sampled; checkpoints, previews and
// memorisation checks by step), and thumbnails of a folder's images by relPath.
import { readdir, readFile } from 'node:fs/promises'
import { isAbsolute, join, normalize, sep } from 'node:path'
import sharp from 'sharp'
import type { DataScan, MetricsRecord } from '../../../preload/contract.ts'
import { readManifest } from '../../disk/modelFolder.ts'
import { decodeImage } from '../../data/decode.ts'
import { DatasetError } from '../../data/errors.ts'
import { loadImageFolder } from '../../data/dataset.ts'
import { readImageBytes } from '../../data/read.ts'
import type { HeldOutOptions } from '../../data/split.ts'
import type { ImageDataset } from '../../data/types.ts'
import type { ImageSplit } from '../../engine/images.ts'
import { runPaths } from '../../runs/folder.ts'
import { encodePng } from '../../images/png.ts'
import { HostError, type Job } from './job.ts'
import type { RunHistory } from '../protocol/training.ts'

/** Thumbnails are at most this many pixels on a side. */
export const THUMBNAIL_PX = 64
const FAILED_LISTED = 1000

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
export async function scanReport(dataset: ImageDataset, seed: number, thumbnailsPerClass: number): Promise<DataScan> {
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
    failed: dataset.failed.slice(0, FAILED_LISTED).map((f) => ({ ...f })),
    failedCount: dataset.failed.length,
    ignored: dataset.ignored,
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
    const read = await readImageBytes(join(dataDir, inside))
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

// ——— run folders ———

const stepOf = (name: string, suffix: string): number | undefined => {
  const m = new RegExp(`^step-(\\d{6,})${suffix.replace('.', '\\.')}$`).exec(name)
  return m ? Number(m[1]) : undefined
}

/** The steps of a run folder's files named step-NNNNNN<suffix> in `folder`, ascending. */
async function stepsIn(dir: string, suffix: string): Promise<number[]> {
  const names = await readdir(dir).catch(() => [] as string[])
  return names.map((n) => stepOf(n, suffix)).filter((s): s is number => s !== undefined).sort((a, b) => a - b)
}

/** The G step a native model folder was saved at (its training state's), where it says. */
async function savedStep(dir: string): Promise<number | undefined> {
  try {
    const step = (await readManifest(dir)).state?.step
    return typeof step === 'number' ? step : undefined
  } catch {
    return undefined
  }
}

/** The folder of a run's checkpoint at `step`: checkpoints/step-N, else best/ or latest/ where they hold it. */
export async function checkpointFolder(runDir: string, step: number, fallback: { bestStep: number | null; step: number }): Promise<string | undefined> {
  const exact = join(runDir, runPaths.checkpoints, `step-${String(step).padStart(6, '0')}`)
  if ((await stepsIn(join(runDir, runPaths.checkpoints), '')).includes(step)) return exact
  for (const [name, known] of [[runPaths.best, fallback.bestStep], [runPaths.latest, fallback.step]] as const) {
    const saved = (await savedStep(join(runDir, name))) ?? known
    if (saved === step && (await readManifest(join(runDir, name)).then(() => true, () => false))) return join(runDir, name)
  }
  return undefined
}

/** A run folder's history, for runs:get. `known` is what the library says of best and latest (BSA folders keep no
 *  training state in their models). */
export async function runHistory(runDir: string, maxPoints: number, known: { bestStep: number | null; step: number }): Promise<RunHistory> {
  const text = await readFile(join(runDir, runPaths.metrics), 'utf8').catch(() => '')
  const all: MetricsRecord[] = []
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue
    try {
      all.push(metricsRecord(JSON.parse(line) as Record<string, unknown>))
    } catch {
      // a line torn by a crash
    }
  }
  const exists = (name: string): Promise<boolean> => readManifest(join(runDir, name)).then(() => true, () => false)
  const bestStep = (await exists(runPaths.best)) ? ((await savedStep(join(runDir, runPaths.best))) ?? known.bestStep) : null
  const latestStep = (await exists(runPaths.latest)) ? ((await savedStep(join(runDir, runPaths.latest))) ?? known.step) : null
  const steps = new Set(await stepsIn(join(runDir, runPaths.checkpoints), ''))
  if (bestStep !== null) steps.add(bestStep)
  if (latestStep !== null) steps.add(latestStep)
  return {
    metrics: sampleRecords(all, maxPoints),
    metricsTotal: all.length,
    checkpoints: [...steps].sort((a, b) => a - b).map((step) => ({ step, best: step === bestStep, latest: step === latestStep })),
    previews: await stepsIn(join(runDir, runPaths.previews), '.png'),
    memorisation: await stepsIn(join(runDir, runPaths.memorisation), '.json'),
  }
}

/** At most `max` records in step order: those with spectra or a monitor alert first (at most half the budget, evenly
 *  spaced), the rest evenly spaced, the first and the last always kept. */
export function sampleRecords(records: MetricsRecord[], max: number): MetricsRecord[] {
  if (records.length <= max) return records
  const evenly = (indices: number[], n: number): number[] => {
    if (indices.length <= n) return indices
    return Array.from({ length: n }, (_, k) => indices[Math.round((k * (indices.length - 1)) / Math.max(1, n - 1))])
  }
  const all = records.map((_, i) => i)
  const special = all.filter((i) => records[i].spectra || records[i].action === 'stop' || (records[i].warnings?.length ?? 0) > 0)
  const kept = new Set(evenly(special, Math.floor(max / 2)))
  kept.add(0)
  kept.add(records.length - 1)
  for (const i of evenly(all.filter((i) => !kept.has(i)), max - kept.size)) kept.add(i)
  return [...kept].sort((a, b) => a - b).map((i) => records[i])
}

const finite = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null)

/** One metrics.jsonl line (monitor.ts metricsLine, or a BSA run's bsaMetricsLine) in the contract's shape: spectra as a
 *  list of layers. */
export function metricsRecord(line: Record<string, unknown>): MetricsRecord {
  if (typeof line.step !== 'number') throw new Error('a metrics line without a step')
  const record: MetricsRecord = {
    step: line.step,
    dLossReal: finite(line.dLossReal),
    dLossFake: finite(line.dLossFake),
    dLoss: finite(line.dLoss),
    gLoss: finite(line.gLoss),
  }
  for (const key of ['rt', 'augmentP', 'dGap', 'imagesPerSecond', 'fidProxy'] as const) {
    if (key in line) record[key] = finite(line[key])
  }
  const copy = line.copyFraction as { pixels?: unknown; features?: unknown } | undefined
  if (copy && typeof copy === 'object') {
    record.copyFraction = { pixels: finite(copy.pixels), ...('features' in copy ? { features: finite(copy.features) } : {}) }
  }
  const reconstruction = line.reconstruction as Record<string, unknown> | undefined
  if (reconstruction && typeof reconstruction === 'object') {
    record.reconstruction = {
      total: finite(reconstruction.total),
      l1: finite(reconstruction.l1),
      multiScaleL1: finite(reconstruction.multiScaleL1),
      latentPrior: finite(reconstruction.latentPrior),
    }
  }
  const spectra = line.spectra as Record<string, Record<string, { sigma?: unknown[]; frobenius?: unknown }>> | undefined
  if (spectra && typeof spectra === 'object') {
    record.spectra = []
    for (const net of ['G', 'D'] as const) {
      for (const [layer, s] of Object.entries(spectra[net] ?? {})) {
        record.spectra.push({ net, layer, sigma: (Array.isArray(s?.sigma) ? s.sigma : []).map(finite), frobenius: finite(s?.frobenius) })
      }
    }
  }
  if (line.action === 'continue' || line.action === 'stop') record.action = line.action
  const strings = (x: unknown): string[] => (Array.isArray(x) ? x.filter((v): v is string => typeof v === 'string') : [])
  if ('reasons' in line) record.reasons = strings(line.reasons)
  if ('warnings' in line) record.warnings = strings(line.warnings)
  if (typeof line.best === 'boolean') record.best = line.best
  return record
}
