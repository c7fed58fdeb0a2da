// The BigGAN training loop (Brock et al. 2018, §3 and Appendix C; BigGAN-PyTorch's train.py): for each G step,
// `dStepsPerGStep` D steps on fresh reals and fakes, then one G step, then the EMA of G. Everything that happens
// to tensors lives in session.ts; what the loop produces (metrics, preview samples, checkpoints) goes to a sink,
// which keeps it: a run folder (runs/folder.ts) writes files, a test keeps it in memory. Cancelling (an AbortSignal) finishes the
// current step, writes a checkpoint and returns; the collapse monitor stops the run early, keeping the best.
// best/ is chosen among the scheduled checkpoints (a best record between checkpoints has no weights saved): the
// first, then each whose record the monitor calls best, so once a collapse signal rises it stays before it.
import type { TensorMap } from '../../tensors/tensor'
import { boundedBatch, type BigGANModel } from '../model'
import { memorisationAt, type MemorisationResult } from './memorisation'
import { metricsLine, type JsonValue, type MonitorDecision, type TrainingRecord } from './monitor'
import type { TrainingSession } from './session'
import { memorisationSettings } from './settings'

/** Where a run's products go. A run folder writes them to files; a test may keep them in memory. */
export interface TrainingSink {
  /** one line of metrics per logged step */
  metrics(line: { [key: string]: JsonValue }): Promise<void>
  /** the fixed preview latents rendered by the EMA generator */
  preview(step: number, samples: PreviewSamples): Promise<void>
  /** the copying check of those samples: each one's nearest training images */
  memorisation?(step: number, result: MemorisationResult): Promise<void>
  /** a checkpoint of the run as it stands; `best` also keeps it as the best so far */
  checkpoint(step: number, checkpoint: TrainingCheckpoint, options: { best: boolean }): Promise<void>
}

/** Preview samples [n, R, R, 3] in [−1, 1] (NHWC), one class each, from the run's fixed latents. */
export interface PreviewSamples {
  step: number
  seed: number
  resolution: number
  images: Float32Array
  classes: number[]
}

/** Everything a checkpoint holds: the model (G, D, EMA of G), the optimiser moments by `<parameter>.m|v`, and the
 *  JSON state an exact resume needs. `source` and `notes` say what wrote it ('train', 'step 500 of 2000'). */
export interface TrainingCheckpoint {
  model: BigGANModel
  optimiser: TensorMap
  state: Record<string, unknown>
  source: string
  notes: string
}

export interface TrainProgress {
  step: number
  steps: number
  dLoss: number
  dLossReal: number
  dLossFake: number
  gLoss: number
  /** ADA's r_t, once its first interval is complete */
  rt: number | null
  /** augmentation probability in use; null without augmentation */
  p: number | null
  /** real images through D per second, and the remaining time, both smoothed */
  imagesPerSecond: number
  etaSeconds: number
  /** wall time of one D optimiser step and of the G step (with EMA), smoothed */
  dStepMs: number
  gStepMs: number
}

export interface TrainLoopOptions {
  signal?: AbortSignal
  onProgress?: (progress: TrainProgress) => void
  /** each logged record with the monitor's decision (warnings, best, stop) */
  onLog?: (record: TrainingRecord, decision: MonitorDecision) => void
}

export interface TrainOutcome {
  status: 'completed' | 'stopped' | 'cancelled'
  step: number
  /** why the monitor stopped the run */
  reasons: string[]
  /** the step whose checkpoint best/ holds */
  bestStep: number | null
}

export async function train(session: TrainingSession, sink: TrainingSink, options: TrainLoopOptions = {}): Promise<TrainOutcome> {
  const s = session.settings
  const clock = new Clock(s.dStepsPerGStep * s.batchSize * s.accumulation)
  let saved = -1 // the step of the last checkpoint written
  const finish = async (status: TrainOutcome['status'], reasons: string[] = []): Promise<TrainOutcome> => {
    if (saved !== session.step) await checkpoint(session, sink, false)
    return { status, step: session.step, reasons, bestStep: session.bestStep }
  }
  if (session.step === 0) await preview(session, sink) // the untrained samples: a wrong config shows here
  while (session.step < s.steps) {
    if (options.signal?.aborted) return finish('cancelled')
    const started = performance.now()
    const d = []
    for (let i = 0; i < s.dStepsPerGStep; i++) d.push(await session.discriminatorStep())
    const between = performance.now()
    const g = await session.generatorStep() // + orthogonal regularisation, Adam, EMA; step + 1
    clock.tick(started, between, performance.now(), s.dStepsPerGStep)
    const step = session.step
    const losses = { dLossReal: mean(d.map((x) => x.dLossReal)), dLossFake: mean(d.map((x) => x.dLossFake)), gLoss: g.gLoss }
    options.onProgress?.(progress(session, losses, clock))

    const scheduled = step % s.checkpointEvery === 0 || step === s.steps
    // the preview first: the copying check of its samples goes into this step's record; every checkpoint has one, so
    // each checkpoint shows what its target classes draw
    const previewed = step % s.previewEvery === 0 || step === s.steps || scheduled ? await preview(session, sink) : undefined
    const memorisation = previewed && isDue(memorisationSettings(s).every, step, s.steps) ? await copyingCheck(session, sink, previewed) : undefined
    let best = false
    if (step % s.logEvery === 0 || scheduled) {
      const record = await measure(session, losses, clock, step % s.spectraEvery === 0)
      if (memorisation) {
        record.copyFraction = {
          pixels: memorisation.pixels.copyFraction,
          ...(memorisation.features ? { features: memorisation.features.copyFraction } : {}),
        }
      }
      const decision = session.monitor.observe(record)
      await sink.metrics(metricsLine(record, decision))
      options.onLog?.(record, decision)
      if (decision.action === 'stop') return finish('stopped', decision.reasons)
      best = decision.best
    }
    if (scheduled) {
      await checkpoint(session, sink, best || session.bestStep === null) // the first one is the best so far
      saved = step
    }
  }
  return { status: 'completed', step: session.step, reasons: [], bestStep: session.bestStep }
}

/** One monitor record: this step's losses, ADA's signals, and every `spectraEvery` steps σ spectra and D's gap. */
async function measure(
  session: TrainingSession, losses: { dLossReal: number; dLossFake: number; gLoss: number }, clock: Clock, full: boolean,
): Promise<TrainingRecord> {
  const record: TrainingRecord = { step: session.step, ...losses, imagesPerSecond: clock.imagesPerSecond }
  if (session.ada.rt !== null) record.rt = session.ada.rt
  if (session.settings.augment.policies.length > 0) record.augmentP = session.augmentP
  if (full) {
    record.spectra = await session.spectra()
    const gap = await session.heldOutGap()
    if (gap !== undefined) record.dGap = gap
  }
  return record
}

async function checkpoint(session: TrainingSession, sink: TrainingSink, best: boolean): Promise<void> {
  const { mode, steps } = session.settings
  const step = session.step
  if (best) session.bestStep = step // before the state is taken, so the checkpoint records itself as best
  const saved = { model: session.model, optimiser: session.optimiserTensors(), state: session.snapshot() as unknown as Record<string, unknown> }
  await sink.checkpoint(step, { ...saved, source: mode, notes: `step ${step} of ${steps}` }, { best })
}

/** Hands the preview samples to the sink; returns them for the copying check. */
async function preview(session: TrainingSession, sink: TrainingSink): Promise<{ images: Float32Array; classes: number[] }> {
  const { z, y, classes } = session.previewInputs()
  const { zDim, numClasses, resolution } = session.model.config
  const n = classes.length
  const images = new Float32Array(n * resolution * resolution * 3)
  const batch = boundedBatch(resolution, 16)
  for (let i = 0; i < n; i += batch) {
    const k = Math.min(batch, n - i) // bounded batches keep memory flat
    const part = await session.model.generate(z.subarray(i * zDim, (i + k) * zDim), y.subarray(i * numClasses, (i + k) * numClasses))
    images.set(part, i * resolution * resolution * 3)
  }
  await sink.preview(session.step, { step: session.step, seed: session.settings.seed, resolution, images, classes })
  return { images, classes }
}

const isDue = (every: number, step: number, last: number): boolean => every > 0 && (step % every === 0 || step === last)

async function copyingCheck(
  session: TrainingSession, sink: TrainingSink, samples: { images: Float32Array; classes: number[] },
): Promise<MemorisationResult | undefined> {
  const result = await memorisationAt(
    session.step, session.model, session.data, samples.images, samples.classes, memorisationSettings(session.settings),
  )
  if (result) await sink.memorisation?.(session.step, result)
  return result
}

function progress(session: TrainingSession, losses: { dLossReal: number; dLossFake: number; gLoss: number }, clock: Clock): TrainProgress {
  const { steps, augment } = session.settings
  return {
    step: session.step,
    steps,
    dLoss: losses.dLossReal + losses.dLossFake,
    ...losses,
    rt: session.ada.rt,
    p: augment.policies.length > 0 ? session.augmentP : null,
    imagesPerSecond: clock.imagesPerSecond,
    etaSeconds: ((steps - session.step) * clock.stepMs) / 1000,
    dStepMs: clock.dStepMs,
    gStepMs: clock.gStepMs,
  }
}

/** Step timings, smoothed (exponential average over ~10 steps) so that a slow first step fades out. */
class Clock {
  stepMs = 0
  dStepMs = 0
  gStepMs = 0
  private ticks = 0
  constructor(private readonly imagesPerStep: number) {}

  tick(start: number, between: number, end: number, dSteps: number): void {
    const a = this.ticks++ === 0 ? 1 : 0.1
    this.stepMs += a * (end - start - this.stepMs)
    this.dStepMs += a * ((between - start) / dSteps - this.dStepMs)
    this.gStepMs += a * (end - between - this.gStepMs)
  }

  get imagesPerSecond(): number {
    return this.stepMs > 0 ? (1000 * this.imagesPerStep) / this.stepMs : 0
  }
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length
}
