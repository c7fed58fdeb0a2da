// A fine-tune in a training worker: the worker's adapter over the run orchestrator (main/runs/run.ts), which plans,
// starts and resumes runs for the CLI too. It turns a FinetuneJob into the orchestrator's request, what a run says as
// it goes into RunEvents, the stop flag into the run's abort signal, and the errors a person can act on into
// HostErrors that say so.
import { DatasetError } from '../../data/errors.ts'
import { ClassLookupError } from '../../engine/classes.ts'
import { FinetunePlanError, type FinetuneTarget } from '../../engine/finetune/plan.ts'
import { distanceWarning } from '../../engine/finetune/targetDistance.ts'
import type { MonitorDecision } from '../../engine/train/monitor.ts'
import { TrainSettingsError, type TrainOptions, type TrainSettings } from '../../engine/train/settings.ts'
import type { BsaRunSettings } from '../../runs/bsa.ts'
import type { ExecutorRequest } from '../../runs/executorNames.ts'
import { RunError } from '../../runs/folder.ts'
import {
  planFinetuneRun, resumeRun, startFinetune, type FinetuneRequest, type ResolvedRunSettings, type RunListener, type RunOutcome as Outcome,
  type RunProgress as Progress, type RunStart,
} from '../../runs/run.ts'
import { HostError } from '../protocol/errors.ts'
import type { Job } from './job.ts'
import type {
  BsaSettings, FinetuneJob, LoopSettings, MetricsLine, PlannedRun, RunAlert, RunEvent, RunOutcome, RunProgress, RunSettings, RunStarted,
} from '../protocol/training.ts'

/** The studio keeps more checkpoints than the engine's default 2: the watchlist scrubs through them. */
export const STUDIO_KEEP_CHECKPOINTS = 10

/** A job that can also report run events, and ask whether it should stop (after a step, with a checkpoint). */
export interface RunJob extends Job {
  emit(event: RunEvent): void
  stopRequested(): boolean
}

export async function plan(job: FinetuneJob, j: Job): Promise<PlannedRun> {
  const planned = await userErrors(() => planFinetuneRun(requestOf(job), imagesListener(j)))
  const { plan, images, settings } = planned
  return {
    defaultMethod: plan.choice.method,
    reason: plan.choice.reason,
    method: plan.method,
    classes: images.classes.map((folder, i) => ({ folder, name: plan.folderClasses[i], modelClass: plan.modelClasses[i] })),
    newClasses: plan.newClasses,
    dataDir: images.dir,
    contentHash: images.contentHash,
    trainImages: images.train.count,
    heldOutImages: images.heldOut.count,
    steps: settings.bsa ? settings.bsa.steps : settings.loop.steps,
    ...settingsRecord(settings),
  }
}

export function start(request: { job: FinetuneJob; runDir: string }, j: RunJob, executor?: ExecutorRequest): Promise<RunOutcome> {
  return asRun(j, (listener) => startFinetune({ ...requestOf(request.job), runDir: request.runDir, ...(executor ? { executor } : {}) }, listener))
}

export function resume(request: { runDir: string; steps?: number }, j: RunJob): Promise<RunOutcome> {
  return asRun(j, (listener) => resumeRun(request.runDir, request.steps !== undefined ? { steps: request.steps } : {}, listener))
}

/** Runs `run` with a listener that reports it as RunEvents and stops it when the stop flag names this request. */
async function asRun(j: RunJob, run: (listener: RunListener) => Promise<Outcome>): Promise<RunOutcome> {
  const controller = new AbortController()
  const poll = (): void => {
    if (j.stopRequested()) controller.abort() // the loop finishes its step, checkpoints and returns
  }
  // between the listener's calls too (loading the model, adding class rows): a stop before training writes nothing
  const timer = setInterval(poll, 100)
  const warned = new Set<string>()
  let bestStep: number | null = null
  const listener: RunListener = {
    signal: controller.signal,
    onImages: (done, total) => {
      j.progress('reading images', done, total)
      poll()
    },
    onStarted: (start) => j.emit(startedEvent(start)),
    onProgress: (p) => {
      j.emit({ kind: 'progress', progress: progressRecord(p) })
      poll()
    },
    onMetrics: (line) => j.emit({ kind: 'metrics', line: line as MetricsLine }),
    onLog: (record, decision) => {
      const alert = monitorAlert(record.step, decision, warned, bestStep)
      if (alert) j.emit(alert)
    },
    onPreview: (step) => j.emit({ kind: 'preview', step }),
    onMemorisation: (step) => j.emit({ kind: 'memorisation', step }),
    onDistance: (d) => {
      if (d.far && d.step > 0) {
        j.emit({ kind: 'alert', step: d.step, level: 'warning', messages: [distanceWarning(d)], action: 'a warning only: the run goes on' })
      }
    },
    onCheckpoint: (step, best) => {
      if (best) bestStep = step
      j.emit({ kind: 'checkpoint', step, best })
    },
  }
  poll()
  try {
    const o = await userErrors(() => run(listener))
    return { status: o.status, step: o.step, bestStep: o.bestStep, reasons: o.reasons }
  } finally {
    clearInterval(timer)
  }
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

// ——— the orchestrator's terms and the worker's records ———

/** A FinetuneJob as the orchestrator's request (all but the run folder). */
function requestOf(job: FinetuneJob): Omit<FinetuneRequest, 'runDir'> {
  const { warmupSteps, classStepFactor, ...overrides } = job.overrides
  const options: TrainOptions = { ...defined(overrides), steps: job.steps, keepCheckpoints: overrides.keepCheckpoints ?? STUDIO_KEEP_CHECKPOINTS }
  return {
    modelDir: job.modelDir,
    dataDir: job.dataDir,
    target: targetOf(job.target),
    ...(job.method ? { method: job.method } : {}),
    options,
    ...(warmupSteps !== undefined ? { warmup: warmupSteps } : {}),
    ...(classStepFactor !== undefined ? { classStep: classStepFactor } : {}),
  }
}

function targetOf(t: FinetuneJob['target']): FinetuneTarget {
  if (t.kind === 'existing') return { kind: 'class', query: String(t.classIndex) }
  if (t.kind === 'new') return { kind: 'new', name: t.name }
  return { kind: 'folder' }
}

function startedEvent(start: RunStart): RunStarted {
  const settings: ResolvedRunSettings = 'bsa' in start.settings ? { bsa: start.settings.bsa } : { loop: start.settings.loop }
  return {
    kind: 'started',
    // a from-scratch run ('train') is the CLI's alone; were one resumed here, it trains as an adversarial run does
    method: start.method === 'train' ? 'adversarial' : start.method,
    dataHash: start.record.data.contentHash,
    step: start.step,
    steps: start.steps,
    ...(start.record.executor ? { computesOn: start.record.executor.label } : {}),
    ...settingsRecord(settings),
  }
}

function settingsRecord(settings: ResolvedRunSettings): RunSettings {
  if (settings.bsa) return { loop: null, bsa: bsaSettings(settings.bsa), json: JSON.stringify(settings.bsa) }
  return { loop: loopSettings(settings.loop), bsa: null, json: JSON.stringify(settings.loop) }
}

/** The loop's settings, flat, as the "advanced" fold shows them. */
export function loopSettings(s: TrainSettings): LoopSettings {
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

function bsaSettings(b: BsaRunSettings): BsaSettings {
  return { steps: b.steps, batchSize: b.batch, lr: b.lr, seed: b.seed }
}

function progressRecord(p: Progress): RunProgress {
  const losses: Record<string, number | null> = p.method === 'bsa'
    ? { total: finite(p.losses.total), l1: finite(p.losses.l1), multiScaleL1: finite(p.losses.multiScaleL1), latentPrior: finite(p.losses.latentPrior) }
    : { dLoss: finite(p.dLoss), dLossReal: finite(p.dLossReal), dLossFake: finite(p.dLossFake), gLoss: finite(p.gLoss) }
  const adversarial = p.method !== 'bsa' ? p : undefined
  return {
    step: p.step,
    steps: p.steps,
    losses,
    rt: adversarial && adversarial.rt !== null ? finite(adversarial.rt) : null,
    p: adversarial && adversarial.p !== null ? finite(adversarial.p) : null,
    imagesPerSecond: finite(p.imagesPerSecond) ?? 0,
    etaSeconds: finite(p.etaSeconds) ?? 0,
  }
}

// ——— helpers ———

/** A listener that reports reading images as the job's progress and stops when the job is cancelled. */
function imagesListener(j: Job): RunListener {
  const controller = new AbortController()
  return {
    signal: controller.signal,
    onImages: (done, total) => {
      j.progress('reading images', done, total)
      try {
        j.check()
      } catch {
        controller.abort()
      }
    },
  }
}

/** Errors the user can act on become HostErrors that say so; others pass as they are. */
async function userErrors<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f()
  } catch (e) {
    if (e instanceof DatasetError) throw new HostError(e.code === 'cancelled' ? 'cancelled' : 'failed', e.message)
    if (e instanceof RunError && e.code === 'cancelled') throw new HostError('cancelled', e.message)
    if (e instanceof FinetunePlanError || e instanceof TrainSettingsError || e instanceof ClassLookupError || e instanceof RunError) {
      throw new HostError('failed', e.message)
    }
    throw e
  }
}

function finite(x: number): number | null {
  return Number.isFinite(x) ? x : null
}

function defined<T extends object>(o: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]: Exclude<T[K], undefined> }
}
