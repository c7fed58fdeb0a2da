// A BSA fine-tune as a run folder, shared by `biggan finetune --method bsa` and the studio. BSA has no D and no
// training loop (batchStatisticsAdaptation.ts), but its folder keeps the training runs' protocol (RunFolder,
// engine/train/run.ts): run.json (with `bsa` settings instead of `settings`), metrics.jsonl (a line per step with its
// reconstruction losses: the run's charts when it is opened again), checkpoints/step-N/ every `checkpointEvery` steps
// and when the run stops (written beside, then renamed), and latest/ and best/ (the newest checkpoint: BSA has no
// monitor to prefer an older one). A checkpoint is the adapted model plus what continuing needs (manifest.state =
// the BsaCheckpoint json: step, random state, settings, Adam steps; the optimiser group = latents and Adam moments),
// so a cancelled or crashed run resumes from its newest checkpoint exactly as if it had never stopped.
import type { ImageDataset } from '../data/types.ts'
import { BigGANModel } from '../engine/model.ts'
import { RunError, RunFolder, type RunKind, type RunRecord } from './folder.ts'
import {
  bsaDefaults, runBsa, saveBsaState, type BsaCheckpoint, type BsaImages, type BsaLosses, type BsaProgress, type BsaState,
} from '../engine/finetune/batchStatisticsAdaptation.ts'
import { loadCheckpoint, saveModel } from '../disk/modelFolder.ts'

export interface BsaRunSettings {
  steps: number
  lr: number
  /** images per step, at most the training images */
  batch: number
  seed: number
  /** a checkpoint every N steps (and when the run stops) */
  checkpointEvery: number
  /** the newest K checkpoints are kept */
  keepCheckpoints: number
}

/** run.json of a BSA run. */
export interface BsaRunInfo extends RunRecord {
  method: 'bsa'
  bsa: BsaRunSettings
  model: RunRecord['model'] & { classNames?: string[] }
}

/** As the training runs' defaults (train/settings.ts). */
const checkpointDefaults = { checkpointEvery: 500, keepCheckpoints: 2 } as const

/** BSA's settings from the options a user gives (batch capped at the training images). */
export function bsaRunSettings(
  o: { steps: number; lr?: number; batchSize?: number; seed?: number; checkpointEvery?: number; keepCheckpoints?: number },
  trainImages: number,
): BsaRunSettings {
  const whole = (v: number, what: string): number => {
    if (!(Number.isInteger(v) && v >= 1)) throw new RunError(`BSA ${what} must be a whole number ≥ 1, got ${v}`)
    return v
  }
  return {
    steps: o.steps,
    lr: o.lr ?? bsaDefaults.lr,
    batch: Math.min(o.batchSize ?? bsaDefaults.batch, trainImages),
    seed: o.seed ?? 0,
    checkpointEvery: whole(o.checkpointEvery ?? checkpointDefaults.checkpointEvery, 'checkpointEvery'),
    keepCheckpoints: whole(o.keepCheckpoints ?? checkpointDefaults.keepCheckpoints, 'keepCheckpoints'),
  }
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

export interface BsaRunHooks {
  signal?: AbortSignal
  onProgress?: (progress: BsaProgress) => void
  /** once a checkpoint (and latest/, best/) is in place */
  onCheckpoint?: (step: number) => void
}

const bsaRun: RunKind<BsaRunInfo> = {
  check(info, path) {
    if (info.method !== 'bsa' || typeof info.bsa?.steps !== 'number') throw new RunError('run.json is not a BSA run (method bsa, with its settings)', path)
  },
  // run.json of a run written before BSA runs checkpointed says nothing of how many to keep
  keepCheckpoints: (info) => info.bsa.keepCheckpoints ?? checkpointDefaults.keepCheckpoints,
}

/** A BSA run folder, with whatever a crash interrupted undone (RunFolder.open for BSA runs). */
export function openBsaRun(dir: string): Promise<RunFolder<BsaRunInfo>> {
  return RunFolder.openOf(dir, bsaRun)
}

/**
 * Adapts `model` (which stays the caller's) to the folder's training images into the run folder `out` (which must
 * not exist or be empty). `classMap[label]` is each folder class's model class.
 */
export async function bsaRunFolder(
  out: string,
  model: BigGANModel,
  dataset: ImageDataset,
  classMap: number[],
  settings: BsaRunSettings,
  parent: { dir: string; contentHash: string },
  hooks: BsaRunHooks = {},
): Promise<BsaRunOutcome> {
  const { train } = dataset
  const c = model.config
  const run = await RunFolder.createOf<BsaRunInfo>(out, {
    kind: 'finetune', method: 'bsa', bsa: settings,
    data: { dir: dataset.dir, contentHash: dataset.contentHash, classes: dataset.classes, classMap, train: train.count, heldOut: dataset.heldOut.count },
    parent,
    model: { arch: c.arch, resolution: c.resolution, gChannels: c.gChannels, dChannels: c.dChannels, numClasses: c.numClasses, classNames: c.classNames },
  }, bsaRun)
  return adapt(run, model, imagesOf(dataset, classMap), settings, undefined, hooks)
}

/**
 * Continues an opened BSA run (openBsaRun) from its newest checkpoint that loads, on `dataset` (the images it was
 * started on: the caller checks the content hash). `steps`: a new total, at least the steps done. Closes the folder.
 */
export async function resumeBsaRun(
  run: RunFolder<BsaRunInfo>, dataset: ImageDataset, options: { steps?: number } = {}, hooks: BsaRunHooks & { onResume?: (step: number, steps: number) => void } = {},
): Promise<BsaRunOutcome> {
  let loaded: { model: BigGANModel; checkpoint: BsaCheckpoint } | undefined
  try {
    const skipped: string[] = []
    for (const { dir } of await run.checkpoints()) {
      try {
        const { model, optimiser } = await loadCheckpoint(dir)
        const json = model.manifest?.state as BsaCheckpoint['json'] | undefined
        if (json?.kind !== 'bsa') {
          model.dispose()
          throw new Error('it holds no BSA state')
        }
        loaded = { model, checkpoint: { json, tensors: optimiser } }
        break
      } catch (e) {
        skipped.push(`${dir}: ${(e as Error).message}`)
      }
    }
    if (!loaded) {
      throw new RunError(`no checkpoint to resume from${skipped.length ? ` (${skipped.join('; ')})` : ' (a BSA run of an older version keeps none)'}; start a new run`, run.dir)
    }
    const { json } = loaded.checkpoint
    const steps = options.steps ?? json.settings.steps
    if (steps < json.step) throw new RunError(`${steps} steps is below the ${json.step} steps this run has already adapted`)
    if (steps <= json.step) throw new RunError(`this run has already adapted all ${json.step} steps: give more steps to adapt further`)
    if (steps !== json.settings.steps) {
      json.settings = { ...json.settings, steps }
      await run.update({ bsa: { ...run.info.bsa, steps } })
    }
    await run.truncateMetrics(json.step)
    hooks.onResume?.(json.step, steps)
  } catch (e) {
    loaded?.model.dispose()
    await run.close()
    throw e
  }
  try {
    return await adapt(run, loaded.model, imagesOf(dataset, run.info.data.classMap), run.info.bsa, loaded.checkpoint, hooks)
  } finally {
    loaded.model.dispose()
  }
}

function imagesOf(dataset: ImageDataset, classMap: number[]): BsaImages {
  const { train } = dataset
  return { pixels: train.pixels, labels: Int32Array.from(train.labels, (l) => classMap[l]), count: train.count }
}

/** runBsa into the run folder: metrics a line per step, checkpoints as scheduled and at the end; closes the folder. */
async function adapt(
  run: RunFolder<BsaRunInfo>, model: BigGANModel, images: BsaImages, settings: BsaRunSettings, resume: BsaCheckpoint | undefined,
  hooks: BsaRunHooks,
): Promise<BsaRunOutcome> {
  const sink = run.sink()
  // a line per step, written in order while the next step runs; a failed write fails the run at its next checkpoint
  let logged: Promise<unknown> = Promise.resolve()
  try {
    await run.update({ status: 'running', reasons: [] })
    const checkpoint = async (state: BsaState): Promise<void> => {
      await logged
      const saved = saveBsaState(state)
      const provenance = { source: 'finetune' as const, notes: `bsa, step ${state.step} of ${state.settings.steps}`, ...sink.lineage }
      const json = saved.json as unknown as Record<string, unknown>
      await sink.checkpoint(state.step, (dir) => saveModel(state.model, dir, provenance, json, saved.tensors), { best: true })
      hooks.onCheckpoint?.(state.step)
    }
    const result = await runBsa(model, images, {
      ...settings,
      ...(resume ? { resume } : {}),
      ...(hooks.signal ? { signal: hooks.signal } : {}),
      checkpointEvery: settings.checkpointEvery,
      onCheckpoint: checkpoint,
      onProgress: (progress) => {
        const line = bsaMetricsLine(progress.step, progress.losses)
        logged = logged.then(() => sink.metrics(line))
        hooks.onProgress?.(progress)
      },
    })
    result.model.dispose()
    const status = result.cancelled ? 'cancelled' : 'completed'
    await run.update({ status, step: result.steps, bestStep: result.steps })
    return { status, step: result.steps }
  } catch (e) {
    await run.update({ status: 'failed', reasons: [(e as Error).message] }).catch(() => undefined)
    throw e
  } finally {
    await logged.catch(() => undefined)
    await run.close()
  }
}
