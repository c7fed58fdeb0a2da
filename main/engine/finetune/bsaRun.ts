// A BSA fine-tune as a run folder, shared by `biggan finetune --method bsa` and the studio. BSA has no D and no run
// loop (batchStatisticsAdaptation.ts), so the folder is smaller than a training run's: run.json (with `bsa` settings
// instead of `settings`) while it runs, metrics.jsonl (a line per step with its reconstruction losses: the run's
// charts when it is opened again), then latest/ and best/ (the same adapted model) once it stops. A cancelled BSA
// run keeps what it adapted so far; it cannot be resumed yet.
import { mkdir, open, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ImageDataset } from '../../data/types'
import type { BigGANModel } from '../model'
import { RunError, runFormat, runPaths } from '../train/run'
import { bsaDefaults, runBsa, type BsaLosses, type BsaProgress } from './batchStatisticsAdaptation'

export interface BsaRunSettings {
  steps: number
  lr: number
  /** images per step, at most the training images */
  batch: number
  seed: number
}

/** BSA's settings from the options a user gives (batch capped at the training images). */
export function bsaRunSettings(o: { steps: number; lr?: number; batchSize?: number; seed?: number }, trainImages: number): BsaRunSettings {
  return { steps: o.steps, lr: o.lr ?? bsaDefaults.lr, batch: Math.min(o.batchSize ?? bsaDefaults.batch, trainImages), seed: o.seed ?? 0 }
}

/** One line of a BSA run's metrics.jsonl: the step and its reconstruction losses (non-finite ones null). */
export function bsaMetricsLine(step: number, losses: BsaLosses): { step: number; reconstruction: Record<keyof BsaLosses, number | null> } {
  const finite = (x: number): number | null => (Number.isFinite(x) ? x : null)
  return {
    step,
    reconstruction: { total: finite(losses.total), l1: finite(losses.l1), multiScaleL1: finite(losses.multiScaleL1), latentPrior: finite(losses.latentPrior) },
  }
}

export interface BsaRunOutcome {
  status: 'completed' | 'cancelled'
  step: number
}

/**
 * Adapts `model` (which stays the caller's) to the folder's training images into the run folder `out` (which must
 * not hold a run). `classMap[label]` is each folder class's model class.
 */
export async function bsaRunFolder(
  out: string,
  model: BigGANModel,
  dataset: ImageDataset,
  classMap: number[],
  settings: BsaRunSettings,
  parent: { dir: string; contentHash: string },
  hooks: { signal?: AbortSignal; onProgress?: (progress: BsaProgress) => void } = {},
): Promise<BsaRunOutcome> {
  const existing = await readFile(join(out, runPaths.info), 'utf8').then(() => true, () => false)
  if (existing) throw new RunError('this folder already holds a run: choose another folder', out)
  const { train } = dataset
  const labels = Int32Array.from(train.labels, (l) => classMap[l])
  const c = model.config
  const now = new Date().toISOString()
  const info = {
    format: runFormat, version: 1, kind: 'finetune', method: 'bsa', status: 'running', createdAt: now, updatedAt: now,
    bsa: settings,
    data: { dir: dataset.dir, contentHash: dataset.contentHash, classes: dataset.classes, classMap, train: train.count, heldOut: dataset.heldOut.count },
    parent,
    model: { arch: c.arch, resolution: c.resolution, gChannels: c.gChannels, dChannels: c.dChannels, numClasses: c.numClasses, classNames: c.classNames },
    step: 0, bestStep: null as number | null, reasons: [] as string[],
  }
  await mkdir(out, { recursive: true })
  const writeInfo = (patch: Partial<typeof info>): Promise<void> =>
    writeFile(join(out, runPaths.info), `${JSON.stringify(Object.assign(info, patch, { updatedAt: new Date().toISOString() }), null, 2)}\n`)
  await writeInfo({})
  const metrics = await open(join(out, runPaths.metrics), 'a')
  // a line per step, written in order while the next step runs; a failed write fails the run at its end
  let logged: Promise<unknown> = Promise.resolve()
  try {
    const result = await runBsa(model, { pixels: train.pixels, labels, count: train.count }, {
      ...settings,
      ...(hooks.signal ? { signal: hooks.signal } : {}),
      onProgress: (progress) => {
        const line = `${JSON.stringify(bsaMetricsLine(progress.step, progress.losses))}\n`
        logged = logged.then(() => metrics.write(line))
        hooks.onProgress?.(progress)
      },
    })
    try {
      await logged
      const notes = `bsa, ${result.steps} of ${settings.steps} steps`
      const lineage = { from: parent.dir, parent, data: { dir: dataset.dir, contentHash: dataset.contentHash }, run: { dir: out, method: 'bsa' } }
      for (const folder of [runPaths.latest, runPaths.best]) {
        await rm(join(out, folder), { recursive: true, force: true })
        await result.model.save(join(out, folder), { source: 'finetune', notes, ...lineage })
      }
    } finally {
      result.model.dispose()
    }
    const status = result.cancelled ? 'cancelled' : 'completed'
    await writeInfo({ status, step: result.steps, bestStep: result.steps })
    return { status, step: result.steps }
  } catch (e) {
    await writeInfo({ status: 'failed', reasons: [(e as Error).message] }).catch(() => undefined)
    throw e
  } finally {
    await logged.catch(() => undefined)
    await metrics.close()
  }
}
