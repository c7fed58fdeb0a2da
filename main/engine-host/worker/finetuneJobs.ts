// A fine-tune in a training worker: planning it against the images and the model's config (no weights), starting
// it into a run folder, and resuming one. The run folder is the one `biggan finetune` writes (RunFolder, trainRun,
// bsaRunFolder): the CLI opens and resumes it, and the studio reads the same files. What a run does as it goes
// reaches the studio as RunEvents.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type {
  FinetuneHyperparameters, FinetuneOverrides, FinetuneTarget as ContractTarget, MetricsRecord, TrainingProgress,
} from '../../../preload/contract.ts'
import { readManifest } from '../../disk/modelFolder.ts'
import type { ImageDataset } from '../../data/types.ts'
import { ClassLookupError } from '../../engine/classes.ts'
import type { ModelConfig } from '../../engine/config.ts'
import {
  bsaMetricsLine, bsaRunFolder, bsaRunSettings, openBsaRun, resumeBsaRun, type BsaRunHooks, type BsaRunOutcome, type BsaRunSettings,
} from '../../runs/bsa.ts'
import { finetuneOptions, FinetunePlanError, modelFacts, planFinetune, prepareFinetuneModel, type FinetunePlan, type FinetuneTarget, type ModelFacts } from '../../engine/finetune/plan.ts'
import { BigGANModel } from '../../engine/model.ts'
import { buildDiscriminator } from '../../engine/networks/index.ts'
import type { TrainLoopOptions, TrainingSink, TrainProgress } from '../../engine/train/loop.ts'
import { metricsLine, type MonitorDecision, type TrainingRecord } from '../../engine/train/monitor.ts'
import { RunError, RunFolder, runPaths, trainRun } from '../../runs/folder.ts'
import { TrainingSession, trainingData, type SessionState } from '../../engine/train/session.ts'
import { discriminatorBlocks, resolveTrainSettings, TrainSettingsError, type TrainOptions, type TrainSettings } from '../../engine/train/settings.ts'
import { HostError, type Job } from './job.ts'
import { loadFolder, metricsRecord } from './runFiles.ts'
import type { FinetuneSpec, PlannedFinetune, ResolvedSettings, RunAlert, RunEvent, RunOutcome } from '../protocol/training.ts'
import { loadCheckpoint, loadModel } from '../../disk/modelFolder.ts'

/** The studio keeps more checkpoints than the engine's default 2: the watchlist scrubs through them. */
export const STUDIO_KEEP_CHECKPOINTS = 10

/** A job that can also report run events, and ask whether it should stop (after a step, with a checkpoint). */
export interface RunJob extends Job {
  emit(event: RunEvent): void
  stopRequested(): boolean
}

// ——— planning ———

export async function plan(spec: FinetuneSpec, job: Job): Promise<PlannedFinetune> {
  const manifest = await readModel(spec.modelDir)
  const facts = factsOf(manifest.config, manifest.contents.discriminator)
  const dataset = await loadFolder(spec.dataDir, manifest.config.resolution, spec.overrides.seed ?? 0, job, 'reading images')
  const planned = userErrors(() => planFinetune(facts, folderOf(dataset), engineTarget(spec.target), spec.method))
  // addClass appends one row per new class, in order
  const added = planned.newClasses.map((_, i) => facts.config.numClasses + i)
  const dBlocks = planned.method === 'fresh-d' ? freshBlocks(facts.config) : facts.discriminatorBlocks
  const resolved = userErrors(() => resolveSettings(spec, planned, dataset.train.count, dBlocks, added))
  return {
    defaultMethod: planned.choice.method,
    reason: planned.choice.reason,
    method: planned.method,
    classes: dataset.classes.map((folder, i) => ({ folder, name: planned.folderClasses[i], modelClass: planned.modelClasses[i] })),
    newClasses: planned.newClasses,
    dataDir: dataset.dir,
    contentHash: dataset.contentHash,
    trainImages: dataset.train.count,
    heldOutImages: dataset.heldOut.count,
    steps: resolved.steps,
    ...resolved.settings,
  }
}

/** The run's settings: TrainSettings for the adversarial methods, BSA's for bsa, and the contract's view of them. */
function resolveSettings(
  spec: FinetuneSpec, planned: FinetunePlan, trainImages: number, dBlocks: number | undefined, added: number[],
): { settings: ResolvedSettings; steps: number; train?: TrainSettings; bsa?: BsaRunSettings } {
  const o = spec.overrides
  if (planned.method === 'bsa') {
    const bsa = bsaRunSettings({
      steps: spec.steps,
      ...defined({ lr: o.lrG, batchSize: o.batchSize, seed: o.seed, checkpointEvery: o.checkpointEvery }),
      keepCheckpoints: o.keepCheckpoints ?? STUDIO_KEEP_CHECKPOINTS,
    }, trainImages)
    return { settings: bsaResolved(bsa), steps: bsa.steps, bsa }
  }
  const { options, warmupSteps } = finetuneOptions(planned, trainOptions(spec.steps, o), {
    ...defined({ warmup: o.warmupSteps, classStep: o.classStepFactor }),
    added,
  })
  const train = resolveTrainSettings('finetune', options, { trainImages, dBlocks: dBlocks ?? 0 })
  return { settings: { hyperparameters: hyperparameters(train), bsa: null, json: JSON.stringify(train) }, steps: train.steps, train }
}

/** The studio's overrides as the engine's TrainOptions. */
function trainOptions(steps: number, o: FinetuneOverrides): TrainOptions {
  return defined({
    steps,
    batchSize: o.batchSize,
    accumulation: o.accumulation,
    dStepsPerGStep: o.dStepsPerGStep,
    lrG: o.lrG,
    lrD: o.lrD,
    orthogonalRegularisation: o.orthogonalRegularisation,
    emaDecay: o.emaDecay,
    emaStart: o.emaStart,
    augmentPolicies: o.augmentPolicies,
    augmentP: o.augmentP,
    adaTarget: o.adaTarget,
    freezeD: o.freezeD,
    mirror: o.mirror,
    checkpointEvery: o.checkpointEvery,
    keepCheckpoints: o.keepCheckpoints ?? STUDIO_KEEP_CHECKPOINTS,
    previewEvery: o.previewEvery,
    previewCount: o.previewCount,
    logEvery: o.logEvery,
    spectraEvery: o.spectraEvery,
    memorisationEvery: o.memorisationEvery,
    seed: o.seed,
  }) as TrainOptions
}

/** TrainSettings as the "advanced" fold shows them. */
export function hyperparameters(s: TrainSettings): FinetuneHyperparameters {
  return {
    steps: s.steps,
    warmupSteps: s.warmupSteps ?? 0,
    batchSize: s.batchSize,
    accumulation: s.accumulation,
    dStepsPerGStep: s.dStepsPerGStep,
    lrG: s.adam.G.learningRate,
    lrD: s.adam.D.learningRate,
    beta1: s.adam.G.beta1,
    beta2: s.adam.G.beta2,
    orthogonalRegularisation: s.orthogonalRegularisation,
    emaDecay: s.ema.decay,
    emaStart: s.ema.startStep,
    augmentPolicies: [...s.augment.policies],
    augmentAdaptive: s.augment.adaptive,
    augmentP: s.augment.p,
    adaTarget: s.augment.target,
    freezeD: s.freezeD,
    mirror: s.mirror,
    checkpointEvery: s.checkpointEvery,
    keepCheckpoints: s.keepCheckpoints,
    previewEvery: s.previewEvery,
    previewCount: s.previewCount,
    logEvery: s.logEvery,
    spectraEvery: s.spectraEvery,
    memorisationEvery: s.memorisation?.every ?? s.previewEvery,
    seed: s.seed,
    classStepFactor: s.classStepScale?.factor ?? null,
  }
}

// ——— a new run ———

export async function start(
  request: { spec: FinetuneSpec; runDir: string; parent: { dir: string; contentHash: string } },
  job: RunJob,
): Promise<RunOutcome> {
  const { spec, runDir, parent } = request
  const manifest = await readModel(spec.modelDir)
  const seed = spec.overrides.seed ?? 0
  const dataset = await loadFolder(spec.dataDir, manifest.config.resolution, seed, job, 'reading images')
  job.check()
  const loaded = await loadModel(spec.modelDir)
  let planned: FinetunePlan
  try {
    planned = userErrors(() => planFinetune(modelFacts(loaded), folderOf(dataset), engineTarget(spec.target), spec.method))
  } catch (e) {
    loaded.dispose()
    throw e
  }
  // prepareFinetuneModel owns the model from here: it returns the one to train, or disposes everything
  const prepared = await userErrorsAsync(() => prepareFinetuneModel(loaded, dataset, planned, { seed }))
  const { model, classMap, added } = prepared
  try {
    job.check()
    const dBlocks = model.D ? discriminatorBlocks(model.D.specs().map((s) => s.name)) : undefined
    const resolved = userErrors(() => resolveSettings(spec, planned, dataset.train.count, dBlocks, added))
    if (resolved.bsa) return await startBsa(runDir, model, dataset, classMap, resolved.bsa, resolved.settings, parent, job)
    const settings = resolved.train!
    // a pretrained D may start near-saturated: the D-collapse and r_t rules wait for the first tenth (as the CLI)
    const session = userErrors(() =>
      TrainingSession.create(model, trainingData(dataset, classMap), settings, { graceSteps: Math.round(settings.steps / 10) }),
    )
    try {
      const c = model.config
      const run = await userErrorsAsync(() =>
        RunFolder.create(runDir, {
          kind: 'finetune',
          method: planned.method,
          settings,
          data: { dir: dataset.dir, contentHash: dataset.contentHash, classes: dataset.classes, classMap, train: dataset.train.count, heldOut: dataset.heldOut.count },
          parent,
          model: { arch: c.arch, resolution: c.resolution, gChannels: c.gChannels, dChannels: c.dChannels, numClasses: c.numClasses },
        }),
      )
      job.emit({ kind: 'started', method: planned.method, dataHash: dataset.contentHash, step: 0, steps: settings.steps, ...resolved.settings })
      return await train(run, session, job)
    } finally {
      session.dispose()
    }
  } finally {
    model.dispose()
  }
}

async function startBsa(
  runDir: string, model: BigGANModel, dataset: ImageDataset, classMap: number[], bsa: BsaRunSettings, resolved: ResolvedSettings,
  parent: { dir: string; contentHash: string }, job: RunJob,
): Promise<RunOutcome> {
  job.emit({ kind: 'started', method: 'bsa', dataHash: dataset.contentHash, step: 0, steps: bsa.steps, ...resolved })
  return adaptBsa(job, bsa.batch, (hooks) => bsaRunFolder(runDir, model, dataset, classMap, bsa, parent, hooks))
}

/** A BSA run's settings as the contract shows them. */
function bsaResolved(bsa: BsaRunSettings): ResolvedSettings {
  return { hyperparameters: null, bsa: { steps: bsa.steps, batchSize: bsa.batch, lr: bsa.lr, seed: bsa.seed }, json: JSON.stringify(bsa) }
}

/** Adapts through `run` (bsaRunFolder or resumeBsaRun), reporting as it goes; a stop request ends it after the
 *  current step, with a checkpoint. */
async function adaptBsa(job: RunJob, batch: number, run: (hooks: BsaRunHooks) => Promise<BsaRunOutcome>): Promise<RunOutcome> {
  const controller = new AbortController()
  const clock = new StepClock(batch)
  if (job.stopRequested()) controller.abort()
  const outcome = await userErrorsAsync(() =>
    run({
      signal: controller.signal,
      onCheckpoint: (step) => job.emit({ kind: 'checkpoint', step, best: true }),
      onProgress: ({ step, steps, losses }) => {
        clock.tick()
        // the record as metrics.jsonl has it (bsaRunFolder writes it), read back the way runs:get reads the file
        job.emit({ kind: 'metrics', metrics: metricsRecord(bsaMetricsLine(step, losses)) })
        job.emit({
          kind: 'progress',
          progress: {
            step,
            steps,
            losses: { total: finite(losses.total), l1: finite(losses.l1), multiScaleL1: finite(losses.multiScaleL1), latentPrior: finite(losses.latentPrior) },
            rt: null,
            p: null,
            imagesPerSecond: clock.imagesPerSecond,
            etaSeconds: clock.eta(steps - step),
          },
        })
        if (job.stopRequested()) controller.abort()
      },
    }),
  )
  return { status: outcome.status, step: outcome.step, bestStep: outcome.step, reasons: [] }
}

/** Continues a BSA run from its newest checkpoint (bsaRun.ts resumeBsaRun), exactly. */
async function resumeBsa(request: { runDir: string; steps?: number }, job: RunJob): Promise<RunOutcome> {
  const run = await userErrorsAsync(() => openBsaRun(request.runDir))
  let dataset: ImageDataset
  try {
    const { info } = run
    dataset = await loadFolder(info.data.dir, info.model.resolution, info.bsa.seed, job, 'reading images')
    checkSameImages(dataset, info.data.contentHash)
    job.check()
  } catch (e) {
    await run.close()
    throw e
  }
  const { bsa } = run.info
  return adaptBsa(job, bsa.batch, (hooks) =>
    resumeBsaRun(run, dataset, request.steps !== undefined ? { steps: request.steps } : {}, {
      ...hooks,
      onResume: (step, steps) => {
        const settings = { ...bsa, steps }
        job.emit({ kind: 'started', method: 'bsa', dataHash: dataset.contentHash, step, steps, ...bsaResolved(settings) })
      },
    }))
}

function checkSameImages(dataset: ImageDataset, contentHash: string): void {
  if (dataset.contentHash !== contentHash) {
    throw new HostError(
      'failed',
      `the images in ${dataset.dir} are not the ones this run trained on (content hash ${dataset.contentHash.slice(0, 12)}…, ` +
        `the run has ${contentHash.slice(0, 12)}…): restore the folder, or start a new run`,
    )
  }
}

// ——— resuming ———

export async function resume(request: { runDir: string; steps?: number }, job: RunJob): Promise<RunOutcome> {
  const method = await readFile(join(request.runDir, runPaths.info), 'utf8').then((t) => (JSON.parse(t) as { method?: string }).method, () => undefined)
  if (method === 'bsa') return resumeBsa(request, job)
  const run = await userErrorsAsync(() => RunFolder.open(request.runDir))
  let handedOver = false
  try {
    const { info } = run
    const dataset = await loadFolder(info.data.dir, info.model.resolution, info.settings.seed, job, 'reading images')
    checkSameImages(dataset, info.data.contentHash)
    job.check()
    let loaded: Awaited<ReturnType<typeof loadCheckpoint>> | undefined
    const skipped: string[] = []
    for (const checkpoint of await run.checkpoints()) {
      try {
        loaded = await loadCheckpoint(checkpoint.dir)
        break
      } catch (e) {
        skipped.push(`${checkpoint.dir}: ${(e as Error).message}`)
      }
    }
    if (!loaded) {
      throw new HostError('failed', `${run.dir} has no checkpoint to resume from${skipped.length ? ` (${skipped.join('; ')})` : ''}; start the run again`)
    }
    const model = loaded.model
    try {
      const state = model.manifest!.state as unknown as SessionState
      if (request.steps !== undefined) {
        if (request.steps < state.step) throw new HostError('failed', `${request.steps} steps is below the ${state.step} steps this run has already trained`)
        state.settings = { ...state.settings, steps: request.steps }
        await run.update({ settings: state.settings })
      }
      if (state.step >= state.settings.steps) {
        throw new HostError('failed', `this run has already trained all ${state.settings.steps} steps: give more steps to train further`)
      }
      const session = userErrors(() => TrainingSession.restore(model, loaded.optimiser, trainingData(dataset, info.data.classMap), state))
      try {
        await run.truncateMetrics(state.step)
        const settings = state.settings
        job.emit({
          kind: 'started',
          method: info.method ?? 'adversarial',
          dataHash: dataset.contentHash,
          step: state.step,
          steps: settings.steps,
          hyperparameters: hyperparameters(settings),
          bsa: null,
          json: JSON.stringify(settings),
        })
        handedOver = true
        return await train(run, session, job)
      } finally {
        session.dispose()
      }
    } finally {
      model.dispose()
    }
  } finally {
    if (!handedOver) await run.close()
  }
}

// ——— training, with events ———

/** trainRun (which keeps run.json's status true and closes the folder), reporting as it goes. */
async function train(run: RunFolder, session: TrainingSession, job: RunJob): Promise<RunOutcome> {
  const controller = new AbortController()
  const warned = new Set<string>()
  const options: TrainLoopOptions & { observe: (sink: TrainingSink) => TrainingSink } = {
    signal: controller.signal,
    onProgress: (p) => {
      job.emit({ kind: 'progress', progress: progressOf(p) })
      if (job.stopRequested()) controller.abort() // the loop finishes this step, checkpoints and returns
    },
    onLog: (record, decision) => {
      job.emit({ kind: 'metrics', metrics: metricsFromLog(record, decision) })
      const alert = monitorAlert(record.step, decision, warned, session.bestStep)
      if (alert) job.emit(alert)
    },
    observe: (sink) => ({
      ...sink,
      preview: async (step, png) => {
        await sink.preview(step, png)
        job.emit({ kind: 'preview', step })
      },
      memorisation: async (step, result) => {
        await sink.memorisation?.(step, result)
        job.emit({ kind: 'memorisation', step })
      },
      checkpoint: async (step, write, o) => {
        await sink.checkpoint(step, write, o)
        job.emit({ kind: 'checkpoint', step, best: o.best })
      },
    }),
  }
  if (job.stopRequested()) controller.abort()
  const outcome = await trainRun(run, session, options)
  return { status: outcome.status, step: outcome.step, bestStep: outcome.bestStep, reasons: outcome.reasons }
}

/** What the monitor's decision on the record logged at `step` tells the studio: a stop, or the kinds of warning not
 *  raised before (numbers aside, as the CLI prints them; `warned` keeps the kinds raised so far); null: nothing new. */
export function monitorAlert(step: number, decision: MonitorDecision, warned: Set<string>, bestStep: number | null): RunAlert | null {
  if (decision.action === 'stop') {
    return {
      kind: 'alert',
      step,
      level: 'stop',
      messages: decision.reasons,
      action: `the collapse monitor stopped the run at step ${step}: a last checkpoint is written` +
        (bestStep !== null ? `, and best/ keeps step ${bestStep}, from before the collapse` : ''),
    }
  }
  const fresh = decision.warnings.filter((w) => {
    const key = w.replace(/[\d.]+/g, '#')
    const seen = warned.has(key)
    warned.add(key)
    return !seen
  })
  if (fresh.length === 0) return null
  return { kind: 'alert', step, level: 'warning', messages: fresh, action: 'a warning only: training goes on, and the monitor stops the run if it gets worse' }
}

function progressOf(p: TrainProgress): TrainingProgress {
  return {
    step: p.step,
    steps: p.steps,
    losses: { dLoss: finite(p.dLoss), dLossReal: finite(p.dLossReal), dLossFake: finite(p.dLossFake), gLoss: finite(p.gLoss) },
    rt: p.rt === null ? null : finite(p.rt),
    p: p.p === null ? null : finite(p.p),
    imagesPerSecond: finite(p.imagesPerSecond) ?? 0,
    etaSeconds: finite(p.etaSeconds) ?? 0,
  }
}

// ——— helpers ———

async function readModel(dir: string) {
  try {
    return await readManifest(dir)
  } catch (e) {
    throw new HostError('failed', `the model to fine-tune cannot be read: ${(e as Error).message}`)
  }
}

function factsOf(config: ModelConfig, hasDiscriminator: boolean): ModelFacts {
  const D = hasDiscriminator ? buildDiscriminator(config) : undefined
  return { config, hasDiscriminator: D !== undefined, ...(D ? { discriminatorBlocks: discriminatorBlocks(D.specs().map((s) => s.name)) } : {}) }
}

/** The blocks of the D a fresh-d run adds (withFreshDiscriminator: G's width). */
function freshBlocks(config: ModelConfig): number | undefined {
  const D = buildDiscriminator({ ...config, dChannels: config.gChannels })
  return D ? discriminatorBlocks(D.specs().map((s) => s.name)) : undefined
}

const folderOf = (dataset: ImageDataset) => ({ classes: dataset.classes, trainImages: dataset.train.count })

/** The contract's target as the planner's. */
function engineTarget(t: ContractTarget): FinetuneTarget {
  if (t.kind === 'existing') {
    if (t.classIndex === undefined) throw new HostError('bad-input', "an 'existing' target needs classIndex: the model class the folder trains")
    return { kind: 'class', query: String(t.classIndex) }
  }
  if (t.kind === 'new') {
    if (!t.name?.trim()) throw new HostError('bad-input', "a 'new' target needs the new class's name")
    return { kind: 'new', name: t.name.trim() }
  }
  return { kind: 'folder' }
}

/** Errors the user can act on become HostErrors that say so; others pass as they are. */
function userErrors<T>(f: () => T): T {
  try {
    return f()
  } catch (e) {
    throw asUserError(e)
  }
}

async function userErrorsAsync<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f()
  } catch (e) {
    throw asUserError(e)
  }
}

function asUserError(e: unknown): unknown {
  if (e instanceof FinetunePlanError || e instanceof TrainSettingsError || e instanceof ClassLookupError || e instanceof RunError) {
    return new HostError('failed', e.message)
  }
  return e
}

function finite(x: number): number | null {
  return Number.isFinite(x) ? x : null
}

function defined<T extends object>(o: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]: Exclude<T[K], undefined> }
}

/** A logged record and the monitor's decision as metrics.jsonl has them, in the contract's shape. */
function metricsFromLog(record: TrainingRecord, decision: MonitorDecision): MetricsRecord {
  return metricsRecord(metricsLine(record, decision))
}

/** Images per second and time left, smoothed over ~10 steps (BSA reports no timings of its own). */
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
