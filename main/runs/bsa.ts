// A BSA fine-tune in a run folder. BSA has no D and no training loop (engine/finetune/batchStatisticsAdaptation.ts),
// but its folder keeps the training runs' protocol (folder.ts): run.json (with `bsa` settings instead of
// `settings`), metrics.jsonl (a line per step with its reconstruction losses: the run's charts when it is opened
// again), checkpoints/step-N/ every `checkpointEvery` steps and when the run stops (written beside, then renamed),
// and latest/ and best/ (the newest checkpoint: BSA has no monitor to prefer an older one). A checkpoint is the
// adapted model plus what continuing needs (manifest.state = the BsaCheckpoint json: step, random state, settings,
// Adam steps; the optimiser group = latents and Adam moments), so a cancelled or crashed run resumes from its newest
// checkpoint exactly as if it had never stopped. previews/ and memorisation/ hold the target classes' samples from
// fixed latents at the start and at every checkpoint, with their copying check and distance to the folder, as the
// loop's runs do: what the adapted class draws, while it trains. They draw no random numbers of the run's.
import { explainBackendFailure } from '../backend/memory.ts'
import { loadCheckpoint } from '../disk/modelFolder.ts'
import {
  bsaDefaults, runBsa, saveBsaState, type BsaCheckpoint, type BsaCompiledStep, type BsaImages, type BsaLosses, type BsaState,
} from '../engine/finetune/batchStatisticsAdaptation.ts'
import { targetDistance, type TargetDistance } from '../engine/finetune/targetDistance.ts'
import type { ImageFolder } from '../engine/images.ts'
import { boundedBatch, type BigGANModel } from '../engine/model.ts'
import { Random } from '../engine/sampling/random.ts'
import { defaultMemorisation, memorisationAt } from '../engine/train/memorisation.ts'
import { RANDOM_STREAMS } from '../engine/train/session.ts'
import { chooseBsaStep } from './executor.ts'
import { requestedExecutor, type ExecutorRequest } from './executorNames.ts'
import { RunError, RunFolder, type NewRun, type RunKind, type RunRecord } from './folder.ts'

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
  /** target-class samples in each checkpoint's preview (absent in runs from before BSA previewed: 16) */
  previewCount?: number
}

/** run.json of a BSA run. */
export interface BsaRunInfo extends RunRecord {
  method: 'bsa'
  bsa: BsaRunSettings
  model: RunRecord['model'] & { classNames?: string[] }
}

/** As the training runs' defaults (engine/train/settings.ts). */
const checkpointDefaults = { checkpointEvery: 500, keepCheckpoints: 2, previewCount: 16 } as const

/** BSA's settings from the options a user gives (batch capped at the training images). */
export function bsaRunSettings(
  o: { steps: number; lr?: number; batchSize?: number; seed?: number; checkpointEvery?: number; keepCheckpoints?: number; previewCount?: number },
  trainImages: number,
): BsaRunSettings {
  const whole = (v: number, what: string): number => {
    if (!(Number.isInteger(v) && v >= 1)) throw new RunError('invalid', `BSA ${what} must be a whole number ≥ 1, got ${v}`)
    return v
  }
  return {
    steps: o.steps,
    lr: o.lr ?? bsaDefaults.lr,
    batch: Math.min(o.batchSize ?? bsaDefaults.batch, trainImages),
    seed: o.seed ?? 0,
    checkpointEvery: whole(o.checkpointEvery ?? checkpointDefaults.checkpointEvery, 'checkpointEvery'),
    keepCheckpoints: whole(o.keepCheckpoints ?? checkpointDefaults.keepCheckpoints, 'keepCheckpoints'),
    previewCount: whole(o.previewCount ?? checkpointDefaults.previewCount, 'previewCount'),
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
  /** the last preview's distance to the folder, where the folder held images out to measure it by */
  distance?: TargetDistance
}

/** Where a BSA run stands after a step, with its pace (BSA's steps report no timings of their own). */
export interface BsaRunProgress {
  step: number
  steps: number
  losses: BsaLosses
  /** training images per second and the time left, smoothed over ~10 steps */
  imagesPerSecond: number
  etaSeconds: number
}

export interface BsaRunHooks {
  signal?: AbortSignal
  onProgress?: (progress: BsaRunProgress) => void
  /** each metrics line as metrics.jsonl has it, once handed to the folder */
  onMetrics?: (line: ReturnType<typeof bsaMetricsLine>) => void
  /** once a checkpoint (and latest/, best/) is in place */
  onCheckpoint?: (step: number) => void
  /** once the target classes' preview of a step is written (at the start and at every checkpoint) */
  onPreview?: (step: number) => void
  /** once that preview's copying check is written */
  onMemorisation?: (step: number) => void
  /** how close that preview came to the folder (targetDistance.ts) */
  onDistance?: (distance: TargetDistance) => void
  /** a line worth telling: what computes the steps, and why */
  onNote?: (line: string) => void
  /** the run begins its steps: run.json says what computes them (the untouched class's preview follows) */
  onBegin?: (info: BsaRunInfo) => void
  /** what computes a new run's steps (default: --executor's rule, main/runs/executor.ts); a resumed run keeps the
   *  executor its run.json records */
  executor?: ExecutorRequest
}

const bsaRun: RunKind<BsaRunInfo> = {
  check(info, path) {
    if (info.method !== 'bsa' || typeof info.bsa?.steps !== 'number') throw new RunError('not-a-run', 'run.json is not a BSA run (method bsa, with its settings)', path)
  },
  // run.json of a run written before BSA runs checkpointed says nothing of how many to keep
  keepCheckpoints: (info) => info.bsa.keepCheckpoints ?? checkpointDefaults.keepCheckpoints,
}

/** A new BSA run folder in `dir`, which must not exist or be empty. */
export function createBsaRun(dir: string, info: NewRun<BsaRunInfo>): Promise<RunFolder<BsaRunInfo>> {
  return RunFolder.createOf(dir, info, bsaRun)
}

/** A BSA run folder, with whatever a crash interrupted undone (RunFolder.open for BSA runs). */
export function openBsaRun(dir: string): Promise<RunFolder<BsaRunInfo>> {
  return RunFolder.openOf(dir, bsaRun)
}

/** The run.json of a new BSA run adapting `model` to `images`. */
export function bsaRunInfo(
  model: BigGANModel, images: ImageFolder & { contentHash: string }, classMap: number[], settings: BsaRunSettings,
  parent: { dir: string; contentHash: string },
): NewRun<BsaRunInfo> {
  const c = model.config
  return {
    kind: 'finetune', method: 'bsa', bsa: settings,
    data: { dir: images.dir, contentHash: images.contentHash, classes: images.classes, classMap, train: images.train.count, heldOut: images.heldOut.count },
    parent,
    model: { arch: c.arch, resolution: c.resolution, gChannels: c.gChannels, dChannels: c.dChannels, numClasses: c.numClasses, classNames: c.classNames },
  }
}

/**
 * Adapts `model` (which stays the caller's) to the folder's training images into the run folder `out` (which must
 * not exist or be empty). `classMap[label]` is each folder class's model class.
 */
export async function bsaRunFolder(
  out: string,
  model: BigGANModel,
  images: ImageFolder & { contentHash: string },
  classMap: number[],
  settings: BsaRunSettings,
  parent: { dir: string; contentHash: string },
  hooks: BsaRunHooks = {},
): Promise<BsaRunOutcome> {
  const run = await createBsaRun(out, bsaRunInfo(model, images, classMap, settings, parent))
  return adaptInto(run, model, images, settings, undefined, hooks)
}

/** A BSA run as its newest loadable checkpoint left it, ready to continue to `steps` (a new total, at least the
 *  steps done; absent: the run's own). Checkpoints that do not load are skipped, each with the reason. */
export interface BsaResumePoint {
  model: BigGANModel
  checkpoint: BsaCheckpoint
  steps: number
  skipped: string[]
}

/** Finds where an opened BSA run continues from; updates run.json for a new total and drops metrics lines logged
 *  after that checkpoint. The caller owns the model (and closes the folder on a throw). */
export async function bsaResumePoint(run: RunFolder<BsaRunInfo>, options: { steps?: number } = {}): Promise<BsaResumePoint> {
  let loaded: { model: BigGANModel; checkpoint: BsaCheckpoint } | undefined
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
    throw new RunError(
      'no-checkpoint',
      `no checkpoint to resume from${skipped.length ? ` (${skipped.join('; ')})` : ' (a BSA run of an older version keeps none)'}; start a new run`,
      run.dir,
    )
  }
  try {
    const { json } = loaded.checkpoint
    const steps = options.steps ?? json.settings.steps
    if (steps < json.step) throw new RunError('steps-below', `${steps} steps is below the ${json.step} steps this run has already adapted`)
    if (steps <= json.step) throw new RunError('complete', `this run has already adapted all ${json.step} steps: give more steps to adapt further`, run.dir)
    if (steps !== json.settings.steps) {
      json.settings = { ...json.settings, steps }
      await run.update({ bsa: { ...run.info.bsa, steps } })
    }
    await run.truncateMetrics(json.step)
    return { ...loaded, steps, skipped }
  } catch (e) {
    loaded.model.dispose()
    throw e
  }
}

/**
 * Continues an opened BSA run (openBsaRun) from its newest checkpoint that loads, on `images` (the images it was
 * started on: the caller checks the content hash). `steps`: a new total, at least the steps done. Closes the folder.
 */
export async function resumeBsaRun(
  run: RunFolder<BsaRunInfo>, images: ImageFolder, options: { steps?: number } = {}, hooks: BsaRunHooks & { onResume?: (step: number, steps: number) => void } = {},
): Promise<BsaRunOutcome> {
  let point: BsaResumePoint
  try {
    point = await bsaResumePoint(run, options)
    hooks.onResume?.(point.checkpoint.json.step, point.steps)
  } catch (e) {
    await run.close()
    throw e
  }
  return continueBsaRun(run, images, point, hooks)
}

/** Adapts from a resume point into its run folder; disposes the point's model and closes the folder. */
export async function continueBsaRun(run: RunFolder<BsaRunInfo>, images: ImageFolder, point: BsaResumePoint, hooks: BsaRunHooks = {}): Promise<BsaRunOutcome> {
  try {
    return await adaptInto(run, point.model, images, run.info.bsa, point.checkpoint, hooks)
  } finally {
    point.model.dispose()
  }
}

function imagesOf(images: ImageFolder, classMap: readonly number[]): BsaImages {
  const { train } = images
  return { pixels: train.pixels, labels: Int32Array.from(train.labels, (l) => classMap[l]), count: train.count }
}

/** runBsa into the run folder: metrics a line per step, checkpoints as scheduled and at the end; closes the folder. */
export async function adaptInto(
  run: RunFolder<BsaRunInfo>, model: BigGANModel, images: ImageFolder, settings: BsaRunSettings, resume: BsaCheckpoint | undefined,
  hooks: BsaRunHooks,
): Promise<BsaRunOutcome> {
  const sink = run.sink()
  const clock = new StepClock(settings.batch)
  // a line per step, written in order while the next step runs; a failed write fails the run at its next checkpoint
  let logged: Promise<unknown> = Promise.resolve()
  let distance: TargetDistance | undefined
  // the target classes' samples at a step, as the loop previews its runs: what the adapted class now draws
  const preview = async (step: number, adapted: BigGANModel): Promise<void> => {
    const samples = await targetPreview(adapted, run.info.data.classMap, settings)
    await sink.preview(step, { step, seed: settings.seed, resolution: adapted.config.resolution, ...samples })
    hooks.onPreview?.(step)
    const check = await memorisationAt(step, adapted, images, samples.images, samples.classes, defaultMemorisation(settings.checkpointEvery))
    if (!check) return
    await sink.memorisation!(step, check)
    hooks.onMemorisation?.(step)
    distance = targetDistance(check)
    hooks.onDistance?.(distance)
  }
  // what computes the steps: as run.json records it for a run that computed before (runs from before the choice
  // adapted on TensorFlow.js), else as asked
  const recorded = run.info.executor
  const request: ExecutorRequest = recorded
    ? { name: recorded.name, source: 'the run', ...(recorded.threads !== undefined ? { threads: recorded.threads } : {}) }
    : resume
      ? { name: 'tfjs', source: 'the run' }
      : (hooks.executor ?? requestedExecutor())
  const beforeSteps = async (state: BsaState): Promise<BsaCompiledStep | undefined> => {
    const { compiled, record } = await chooseBsaStep(state, request, (line) => hooks.onNote?.(line))
    try {
      hooks.onNote?.(recorded ? `steps computed by ${record.label}, as the run started` : `steps computed by ${record.label}: ${record.reason}`)
      await run.update({ executor: record })
      hooks.onBegin?.(run.info)
      if (!resume) await preview(0, model) // the untouched class: what the run starts from
    } catch (e) {
      await compiled?.dispose()
      throw e
    }
    return compiled
  }
  try {
    await run.update({ status: 'running', reasons: [] })
    const checkpoint = async (state: BsaState): Promise<void> => {
      await preview(state.step, state.model)
      await logged
      const saved = saveBsaState(state)
      await sink.checkpoint(state.step, {
        model: state.model,
        optimiser: saved.tensors,
        state: saved.json as unknown as Record<string, unknown>,
        source: 'finetune',
        notes: `bsa, step ${state.step} of ${state.settings.steps}`,
      }, { best: true })
      hooks.onCheckpoint?.(state.step)
    }
    const result = await runBsa(model, imagesOf(images, run.info.data.classMap), {
      ...settings,
      ...(resume ? { resume } : {}),
      ...(hooks.signal ? { signal: hooks.signal } : {}),
      beforeSteps,
      checkpointEvery: settings.checkpointEvery,
      onCheckpoint: checkpoint,
      onProgress: ({ step, steps, losses }) => {
        clock.tick()
        const line = bsaMetricsLine(step, losses)
        logged = logged.then(() => sink.metrics(line))
        hooks.onMetrics?.(line)
        hooks.onProgress?.({ step, steps, losses, imagesPerSecond: clock.imagesPerSecond, etaSeconds: clock.eta(steps - step) })
      },
    })
    result.model.dispose()
    const status = result.cancelled ? 'cancelled' : 'completed'
    await run.update({ status, step: result.steps, bestStep: result.steps })
    return { status, step: result.steps, ...(distance ? { distance } : {}) }
  } catch (caught) {
    const e = explainBackendFailure(caught)
    await run.update({ status: 'failed', reasons: [(e as Error).message] }).catch(() => undefined)
    throw e
  } finally {
    await logged.catch(() => undefined)
    await run.close()
  }
}

/** `previewCount` samples of the run's model classes in turn, from the run's fixed latents (z ~ N(0, I) from the
 *  seed's preview stream, as the training loop's previews), rendered by `model` in eval mode. */
async function targetPreview(
  model: BigGANModel, classMap: readonly number[], settings: BsaRunSettings,
): Promise<{ images: Float32Array; classes: number[] }> {
  const { zDim, numClasses, resolution } = model.config
  const n = settings.previewCount ?? checkpointDefaults.previewCount
  const targets = [...new Set(classMap)]
  const classes = Array.from({ length: n }, (_, i) => targets[i % targets.length])
  const z = new Random(settings.seed + RANDOM_STREAMS.preview).normals(n * zDim)
  const images = new Float32Array(n * resolution * resolution * 3)
  const batch = boundedBatch(resolution, 16)
  for (let i = 0; i < n; i += batch) {
    const k = Math.min(batch, n - i) // bounded batches keep memory flat
    const y = new Float32Array(k * numClasses)
    for (let j = 0; j < k; j++) y[j * numClasses + classes[i + j]] = 1
    images.set(await model.generate(z.subarray(i * zDim, (i + k) * zDim), y), i * resolution * resolution * 3)
  }
  return { images, classes }
}

/** Images per second and time left, smoothed over ~10 steps. */
class StepClock {
  private last = 0
  private stepMs = 0
  private ticks = 0
  constructor(private readonly imagesPerStep: number) {}

  tick(): void {
    const now = performance.now()
    if (this.last > 0) {
      const a = this.ticks++ === 0 ? 1 : 0.1
      this.stepMs += a * (now - this.last - this.stepMs)
    }
    this.last = now
  }

  get imagesPerSecond(): number {
    return this.stepMs > 0 ? (1000 * this.imagesPerStep) / this.stepMs : 0
  }

  eta(stepsLeft: number): number {
    return (stepsLeft * this.stepMs) / 1000
  }
}
