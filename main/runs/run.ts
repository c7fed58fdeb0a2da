// Starting, resuming and planning runs, for every method, in one place: `biggan train`, `biggan finetune` and the
// studio's training worker are thin adapters over these functions (a progress bar; run events). A run is
//   train         a new model initialised from the paper's recipe, trained on a folder by the training loop
//   adversarial   a model with a D fine-tuned on a folder of classes it knows (FreezeD, DiffAugment + ADA, EMA)
//   new-class     the same after adding a class row per folder class the model lacks
//   fresh-d       a generator-only model: a new D warmed up against the frozen G, then joint training
//   bsa           no D at all: batch-statistics adaptation (bsa.ts)
// What each does and says as it goes reaches the caller through a RunListener; errors the person can act on are
// RunError (this folder), FinetunePlanError, TrainSettingsError and ClassLookupError (the engine's), DatasetError
// (the image folder's), each saying what to do, so each adapter words them in its own terms.
import { explainBackendFailure } from '../backend/memory.ts'
import { writeFile } from 'node:fs/promises'
import { loadImageFolder } from '../data/dataset.ts'
import type { ImageDataset } from '../data/types.ts'
import { loadCheckpoint, loadModel } from '../disk/modelFolder.ts'
import { readManifest } from '../disk/nativeFormat.ts'
import { defaultConfig, type Arch, type ModelConfig } from '../engine/config.ts'
import type { FinetuneMethod } from '../engine/finetune/chooseMethod.ts'
import { distanceWarning, targetDistance, type TargetDistance } from '../engine/finetune/targetDistance.ts'
import {
  finetuneOptions, modelFacts, planFinetune, prepareFinetuneModel, type FinetunePlan, type FinetuneTarget, type ModelFacts,
} from '../engine/finetune/plan.ts'
import { BigGANModel } from '../engine/model.ts'
import { buildDiscriminator } from '../engine/networks/index.ts'
import { train, type TrainProgress } from '../engine/train/loop.ts'
import type { MonitorDecision, TrainingRecord } from '../engine/train/monitor.ts'
import { TrainingSession, trainingData, type SessionState } from '../engine/train/session.ts'
import { discriminatorBlocks, resolveTrainSettings, type TrainMode, type TrainOptions, type TrainSettings } from '../engine/train/settings.ts'
import {
  bsaResumePoint, bsaRunInfo, bsaRunSettings, continueBsaRun, createBsaRun, adaptInto, openBsaRun, type BsaRunHooks,
  type BsaRunProgress, type BsaRunSettings,
} from './bsa.ts'
import { chooseStepExecutor } from './executor.ts'
import { requestedExecutor, type ExecutorRequest } from './executorNames.ts'
import { RunError, RunFolder, type RunRecord } from './folder.ts'
import { runPaths, skippedFile } from './layout.ts'
import { readRunRecord } from './read.ts'

export type RunMethod = 'train' | FinetuneMethod

/** What a run tells as it goes. Every member is optional; each is called on the thread that runs the run. */
export interface RunListener {
  /** aborting stops the run: it finishes its step, writes a checkpoint and returns 'cancelled' (before training
   *  begins: a RunError 'cancelled', nothing written) */
  signal?: AbortSignal
  /** reading the image folder: files done of total */
  onImages?(done: number, total: number): void
  /** a line worth telling: the method and why, a fresh D's warm-up, a new class's row, a skipped checkpoint */
  onNote?(line: string): void
  /** something the person should know that does not stop the run (images that could not be used …) */
  onWarning?(line: string): void
  /** the run folder holds the run and training begins, at `step` (0 for a new run) */
  onStarted?(start: RunStart): void
  /** after every step */
  onProgress?(progress: RunProgress): void
  /** each metrics line as metrics.jsonl has it, once written */
  onMetrics?(line: Record<string, unknown>): void
  /** each logged record of the training loop with the collapse monitor's decision (not BSA: it has no monitor) */
  onLog?(record: TrainingRecord, decision: MonitorDecision): void
  onPreview?(step: number): void
  onMemorisation?(step: number): void
  /** how close the run's preview samples came to the folder, at each copying check (targetDistance.ts); a far one
   *  after step 0 also reaches onWarning */
  onDistance?(distance: TargetDistance): void
  onCheckpoint?(step: number, best: boolean): void
}

export interface RunStart {
  dir: string
  method: RunMethod
  /** run.json as the run begins */
  record: RunRecord
  /** the settings it trains with: the loop's, or BSA's */
  settings: { loop: TrainSettings } | { bsa: BsaRunSettings }
  step: number
  steps: number
  resumed: boolean
}

export type RunProgress = ({ method: 'bsa' } & BsaRunProgress) | ({ method: Exclude<RunMethod, 'bsa'> } & TrainProgress)

export interface RunOutcome {
  dir: string
  method: RunMethod
  status: 'completed' | 'stopped' | 'cancelled'
  step: number
  steps: number
  /** the step best/ holds (BSA: the newest) */
  bestStep: number | null
  /** why the collapse monitor stopped the run */
  reasons: string[]
  /** the last copying check's distance of the samples to the folder (none where no images were held out) */
  distance?: TargetDistance
}

// ——— a new run ———

/** A run from scratch: `biggan train`. The folder's subfolders become the model's classes. */
export interface TrainRequest {
  dataDir: string
  arch: Arch
  resolution: number
  ch: number
  /** self-attention resolution (defaultConfig's default where absent) */
  attention?: number
  options: TrainOptions
  runDir: string
  /** what computes the steps (default: auto, main/runs/executor.ts) */
  executor?: ExecutorRequest
}

export async function startTraining(request: TrainRequest, listener: RunListener = {}): Promise<RunOutcome> {
  const { arch, resolution, ch, attention, options } = request
  const seed = options.seed ?? 0
  defaultConfig(arch, resolution, ch, 1, attention) // the arguments, checked before the images are read
  const images = await readImages(request.dataDir, resolution, seed, listener)
  const config = { ...defaultConfig(arch, resolution, ch, images.classes.length, attention), classNames: images.classes }
  const model = BigGANModel.initialise(config, seed)
  try {
    const dBlocks = discriminatorBlocks(model.D!.specs().map((s) => s.name))
    const settings = resolveTrainSettings('train', options, { trainImages: images.train.count, dBlocks })
    return await startLoop(request.runDir, 'train', 'train', model, images, images.classes.map((_, i) => i), settings, null, listener, request.executor)
  } finally {
    model.dispose()
  }
}

/** A fine-tune of a model folder on an image folder: `biggan finetune`, the studio's start. */
export interface FinetuneRequest {
  modelDir: string
  dataDir: string
  target: FinetuneTarget
  /** absent: the engine's choice */
  method?: FinetuneMethod
  /** steps (for fresh-d: after D's warm-up) and the user's overrides; BSA reads steps, lrG, batchSize, seed,
   *  checkpointEvery and keepCheckpoints */
  options: TrainOptions
  /** fresh-d: G steps of D's warm-up (default 10 % of the steps, 100 to 2 000) */
  warmup?: number
  /** a new class's embedding rows take this × the optimiser's step (default 10) */
  classStep?: number
  runDir: string
  /** what computes the adversarial methods' steps (default: auto, main/runs/executor.ts) */
  executor?: ExecutorRequest
}

/** A fine-tune planned against the model's config and the images, nothing loaded or trained. */
export interface PlannedRun {
  plan: FinetunePlan
  images: ImageDataset
  settings: ResolvedRunSettings
}

export type ResolvedRunSettings = { loop: TrainSettings; warmupSteps?: number; bsa?: undefined } | { bsa: BsaRunSettings; loop?: undefined }

/** Plans a fine-tune: the method and its reason, the classes, and the settings the run would train with. */
export async function planFinetuneRun(request: Omit<FinetuneRequest, 'runDir'>, listener: RunListener = {}): Promise<PlannedRun> {
  const manifest = await readManifest(request.modelDir)
  const facts = factsOf(manifest.config, manifest.contents.discriminator)
  const images = await readImages(request.dataDir, manifest.config.resolution, request.options.seed ?? 0, listener)
  const plan = planFinetune(facts, folderOf(images), request.target, request.method)
  // addClass appends one row per new class, in order
  const added = plan.newClasses.map((_, i) => facts.config.numClasses + i)
  const dBlocks = plan.method === 'fresh-d' ? freshBlocks(facts.config) : facts.discriminatorBlocks
  return { plan, images, settings: resolveSettings(request, plan, images.train.count, dBlocks, added) }
}

export async function startFinetune(request: FinetuneRequest, listener: RunListener = {}): Promise<RunOutcome> {
  const manifest = await readManifest(request.modelDir)
  const images = await readImages(request.dataDir, manifest.config.resolution, request.options.seed ?? 0, listener)
  stopIfAsked(listener)
  const loaded = await loadModel(request.modelDir)
  const parent = { dir: request.modelDir, contentHash: loaded.manifest!.contentHash }
  let plan: FinetunePlan
  try {
    plan = planFinetune(modelFacts(loaded), folderOf(images), request.target, request.method)
  } catch (e) {
    loaded.dispose()
    throw e
  }
  const { choice } = plan
  listener.onNote?.(
    request.method === undefined
      ? choice.reason
      : `method ${request.method}, as asked${request.method === choice.method ? '' : ` (the model and folder alone would call for ${choice.method}: ${choice.reason})`}`,
  )
  // prepareFinetuneModel owns the model from here: it returns the one to train, or disposes everything
  const { model, classMap, added } = await prepareFinetuneModel(loaded, images, plan, {
    seed: request.options.seed ?? 0, onNote: (line) => listener.onNote?.(line),
  })
  try {
    stopIfAsked(listener)
    const dBlocks = model.D ? discriminatorBlocks(model.D.specs().map((s) => s.name)) : undefined
    const settings = resolveSettings(request, plan, images.train.count, dBlocks, added)
    if (settings.bsa) {
      const run = await createBsaRun(request.runDir, bsaRunInfo(model, images, classMap, settings.bsa, parent))
      await writeSkipped(run.dir, images, listener)
      const hooks: BsaRunHooks = {
        ...bsaHooks(listener),
        ...(request.executor ? { executor: request.executor } : {}),
        onBegin: (record) => listener.onStarted?.({ dir: run.dir, method: 'bsa', record, settings: { bsa: settings.bsa }, step: 0, steps: settings.bsa.steps, resumed: false }),
      }
      return outcomeOf(run.dir, 'bsa', settings.bsa.steps, await adaptInto(run, model, images, settings.bsa, undefined, hooks))
    }
    if (settings.warmupSteps !== undefined) {
      listener.onNote?.(`D warms up for ${settings.warmupSteps} steps against the frozen G, then G and D train together for ${request.options.steps}`)
    }
    if (added.length > 0) {
      // the new rows learn faster than the rest (the recipe's "class row ×10 lr")
      listener.onNote?.(`the new class row${added.length > 1 ? 's' : ''} ${added.join(', ')} step ${settings.loop.classStepScale!.factor}× faster than the others`)
    }
    const method = plan.method as Exclude<FinetuneMethod, 'bsa'> // bsa's settings took the branch above
    return await startLoop(request.runDir, 'finetune', method, model, images, classMap, settings.loop, parent, listener, request.executor)
  } finally {
    model.dispose()
  }
}

/** The run's settings: the loop's for the adversarial methods (with the options the plan adds), BSA's for bsa. */
function resolveSettings(
  request: Omit<FinetuneRequest, 'runDir'>, plan: FinetunePlan, trainImages: number, dBlocks: number | undefined, added: number[],
): ResolvedRunSettings {
  const o = request.options
  if (plan.method === 'bsa') {
    return { bsa: bsaRunSettings({ ...o, ...(o.lrG !== undefined ? { lr: o.lrG } : {}) }, trainImages) }
  }
  const { options, warmupSteps } = finetuneOptions(plan, o, {
    ...(request.warmup !== undefined ? { warmup: request.warmup } : {}),
    ...(request.classStep !== undefined ? { classStep: request.classStep } : {}),
    added,
  })
  const loop = resolveTrainSettings('finetune', options, { trainImages, dBlocks: dBlocks ?? 0 })
  return { loop, ...(warmupSteps !== undefined ? { warmupSteps } : {}) }
}

/** A new run folder trained by the loop. `model` stays the caller's. */
async function startLoop(
  dir: string, mode: TrainMode, method: Exclude<RunMethod, 'bsa'>, model: BigGANModel, images: ImageDataset, classMap: number[],
  settings: TrainSettings, parent: RunRecord['parent'], listener: RunListener, executorRequest: ExecutorRequest = requestedExecutor(),
): Promise<RunOutcome> {
  // a pretrained D may start near-saturated: the D-collapse and r_t rules wait for the first tenth of a fine-tune
  const monitor = mode === 'finetune' ? { graceSteps: Math.round(settings.steps / 10) } : {}
  const { executor, record: executorRecord } = await chooseStepExecutor(model, settings, executorRequest, (line) => listener.onNote?.(line))
  listener.onNote?.(`steps computed by ${executorRecord.label}: ${executorRecord.reason}`)
  const session = TrainingSession.create(model, trainingData(images, classMap), settings, monitor, executor)
  try {
    const c = model.config
    const run = await RunFolder.create(dir, {
      kind: mode,
      ...(method !== 'train' ? { method } : {}),
      settings,
      data: { dir: images.dir, contentHash: images.contentHash, classes: images.classes, classMap, train: images.train.count, heldOut: images.heldOut.count },
      parent,
      model: { arch: c.arch, resolution: c.resolution, gChannels: c.gChannels, dChannels: c.dChannels, numClasses: c.numClasses },
      executor: executorRecord,
    })
    await writeSkipped(run.dir, images, listener)
    listener.onStarted?.({ dir: run.dir, method, record: run.info, settings: { loop: settings }, step: 0, steps: settings.steps, resumed: false })
    return await trainRun(run, session, listener)
  } finally {
    await session.dispose()
  }
}

// ——— resuming ———

/** Continues a run from its newest checkpoint that loads, on the images it trained on (`dataDir`: the same images,
 *  moved), to `steps` where given (a new total). */
export async function resumeRun(runDir: string, options: { steps?: number; dataDir?: string } = {}, listener: RunListener = {}): Promise<RunOutcome> {
  const record = await readRunRecord(runDir)
  return methodOf(record) === 'bsa' ? resumeBsa(runDir, options, listener) : resumeLoop(runDir, options, listener)
}

async function resumeLoop(runDir: string, options: { steps?: number; dataDir?: string }, listener: RunListener): Promise<RunOutcome> {
  const run = await RunFolder.open(runDir)
  let handedOver = false
  try {
    const { info } = run
    const images = await readImages(options.dataDir ?? info.data.dir, info.model.resolution, info.settings.seed, listener)
    checkSameImages(images, info.data.contentHash)
    stopIfAsked(listener)
    await writeSkipped(run.dir, images, listener)
    let loaded: Awaited<ReturnType<typeof loadCheckpoint>> | undefined
    const skipped: string[] = []
    for (const checkpoint of await run.checkpoints()) {
      try {
        loaded = await loadCheckpoint(checkpoint.dir)
        break
      } catch (e) {
        skipped.push(`${checkpoint.dir}: ${(e as Error).message}`)
        listener.onWarning?.(`checkpoint ${checkpoint.dir} does not load (${(e as Error).message}); trying an older one`)
      }
    }
    if (!loaded) throw new RunError('no-checkpoint', `no checkpoint to resume from${skipped.length ? ` (${skipped.join('; ')})` : ''}; start the run again`, run.dir)
    const { model, optimiser } = loaded
    try {
      const state = model.manifest!.state as unknown as SessionState
      if (options.steps !== undefined) {
        if (options.steps < state.step) throw new RunError('steps-below', `${options.steps} steps is below the ${state.step} steps this run has already trained`)
        state.settings = { ...state.settings, steps: options.steps }
        await run.update({ settings: state.settings })
      }
      if (state.step >= state.settings.steps) {
        throw new RunError('complete', `this run has already trained all ${state.settings.steps} steps: give more steps to train further`, run.dir)
      }
      // the executor the run started on: the same kernels in the same order resume it bit for bit (runs from before
      // the choice existed trained on TensorFlow.js)
      const name = info.executor?.name ?? 'tfjs'
      const threads = info.executor?.threads
      const { executor, record: executorRecord } = await chooseStepExecutor(model, state.settings, {
        name, source: 'the run', ...(threads !== undefined ? { threads } : {}),
      })
      listener.onNote?.(`steps computed by ${executorRecord.label}, as the run started`)
      const session = TrainingSession.restore(model, optimiser, trainingData(images, info.data.classMap), state, executor)
      try {
        await run.truncateMetrics(state.step)
        const method = methodOf(info)
        listener.onStarted?.({ dir: run.dir, method, record: run.info, settings: { loop: state.settings }, step: state.step, steps: state.settings.steps, resumed: true })
        handedOver = true
        return await trainRun(run, session, listener)
      } finally {
        await session.dispose()
      }
    } finally {
      model.dispose()
    }
  } finally {
    if (!handedOver) await run.close()
  }
}

async function resumeBsa(runDir: string, options: { steps?: number; dataDir?: string }, listener: RunListener): Promise<RunOutcome> {
  const run = await openBsaRun(runDir)
  let point: Awaited<ReturnType<typeof bsaResumePoint>>
  let images: ImageDataset
  try {
    const { info } = run
    images = await readImages(options.dataDir ?? info.data.dir, info.model.resolution, info.bsa.seed, listener)
    checkSameImages(images, info.data.contentHash)
    stopIfAsked(listener)
    await writeSkipped(run.dir, images, listener)
    point = await bsaResumePoint(run, options.steps !== undefined ? { steps: options.steps } : {})
  } catch (e) {
    await run.close()
    throw e
  }
  for (const line of point.skipped) listener.onWarning?.(`checkpoint ${line}; trying an older one`)
  const step = point.checkpoint.json.step
  const hooks: BsaRunHooks = {
    ...bsaHooks(listener),
    onBegin: (record) => listener.onStarted?.({ dir: run.dir, method: 'bsa', record, settings: { bsa: run.info.bsa }, step, steps: point.steps, resumed: true }),
  }
  return outcomeOf(run.dir, 'bsa', point.steps, await continueBsaRun(run, images, point, hooks))
}

// ——— training, told as it goes ———

/** The loop into the run folder, keeping run.json's status true to what happened; closes the folder. `hooks` reach
 *  the folder's sink (tests inject crashes between a checkpoint's writing and its renaming). */
export async function trainRun(
  run: RunFolder, session: TrainingSession, listener: RunListener & { hooks?: Parameters<RunFolder['sink']>[0] } = {},
): Promise<RunOutcome> {
  const method = methodOf(run.info) as Exclude<RunMethod, 'bsa'>
  await run.update({ status: 'running', reasons: [] })
  try {
    const sink = run.sink(listener.hooks)
    let distance: TargetDistance | undefined
    const outcome = await train(session, {
      metrics: async (line) => {
        await sink.metrics(line)
        listener.onMetrics?.(line)
      },
      preview: async (step, samples) => {
        await sink.preview(step, samples)
        listener.onPreview?.(step)
      },
      memorisation: async (step, result) => {
        await sink.memorisation!(step, result)
        listener.onMemorisation?.(step)
        distance = targetDistance(result)
        tellDistance(listener, distance)
      },
      checkpoint: async (step, checkpoint, o) => {
        await sink.checkpoint(step, checkpoint, o)
        listener.onCheckpoint?.(step, o.best)
      },
    }, {
      ...(listener.signal ? { signal: listener.signal } : {}),
      onProgress: (p) => listener.onProgress?.({ method, ...p }),
      onLog: (record, decision) => listener.onLog?.(record, decision),
    })
    await run.update({ status: outcome.status, reasons: outcome.reasons, step: outcome.step, bestStep: outcome.bestStep })
    return { dir: run.dir, method, ...outcome, steps: session.settings.steps, ...(distance ? { distance } : {}) }
  } catch (caught) {
    const err = explainBackendFailure(caught)
    await run.update({ status: 'failed', reasons: [(err as Error).message] }).catch(() => undefined)
    throw err
  } finally {
    await run.close()
  }
}

/** How a run adapts its model, as run.json records it (runs from before methods were recorded: adversarial). */
export function methodOf(record: Pick<RunRecord, 'kind' | 'method'>): RunMethod {
  return record.kind === 'train' ? 'train' : record.method ?? 'adversarial'
}

function bsaHooks(listener: RunListener): BsaRunHooks {
  return {
    ...(listener.signal ? { signal: listener.signal } : {}),
    onProgress: (p) => listener.onProgress?.({ method: 'bsa', ...p }),
    onMetrics: (line) => listener.onMetrics?.(line),
    onCheckpoint: (step) => listener.onCheckpoint?.(step, true),
    onPreview: (step) => listener.onPreview?.(step),
    onMemorisation: (step) => listener.onMemorisation?.(step),
    onDistance: (distance) => tellDistance(listener, distance),
    onNote: (line) => listener.onNote?.(line),
  }
}

/** A check's distance to the listener, and a warning where the samples stay far once training has begun. */
function tellDistance(listener: RunListener, distance: TargetDistance): void {
  listener.onDistance?.(distance)
  if (distance.far && distance.step > 0) listener.onWarning?.(distanceWarning(distance))
}

function outcomeOf(
  dir: string, method: RunMethod, steps: number, o: { status: 'completed' | 'cancelled'; step: number; distance?: TargetDistance },
): RunOutcome {
  return { dir, method, status: o.status, step: o.step, steps, bestStep: o.step, reasons: [], ...(o.distance ? { distance: o.distance } : {}) }
}

// ——— helpers ———

/** Files not used that readImages names one by one, failed ones first: about a screenful. */
const SKIPPED_SHOWN = 20

async function readImages(dir: string, resolution: number, seed: number, listener: RunListener): Promise<ImageDataset> {
  const images = await loadImageFolder(dir, {
    resolution,
    seed,
    ...(listener.signal ? { signal: listener.signal } : {}),
    onProgress: ({ done, total }) => listener.onImages?.(done, total),
  })
  for (const w of images.warnings) listener.onWarning?.(w)
  let room = SKIPPED_SHOWN
  for (const [files, what] of [[images.failed, 'image(s) could not be used'], [images.ignored, 'other file(s) ignored']] as const) {
    if (files.length === 0) continue
    const shown = files.slice(0, room)
    room -= shown.length
    const more = files.length - shown.length
    const lines = [`${files.length} ${what}:`, ...shown.map((f) => `  ${f.relPath}: ${f.reason}`)]
    if (more > 0) lines.push(`  and ${more} more (the run folder's ${runPaths.skipped} lists them)`)
    listener.onWarning?.(lines.join('\n'))
  }
  return images
}

/** The image folder's files the run does not use, each with its reason, into the run folder (whose loss is told,
 *  not fatal: the run goes on without the list). */
async function writeSkipped(runDir: string, images: ImageDataset, listener: RunListener): Promise<void> {
  const path = skippedFile(runDir)
  try {
    await writeFile(path, `${JSON.stringify({ dir: images.dir, failed: images.failed, ignored: images.ignored }, null, 2)}\n`)
  } catch (e) {
    listener.onWarning?.(`the list of files not used could not be written to ${path}: ${(e as Error).message}`)
    return
  }
  const total = images.failed.length + images.ignored.length
  if (total > SKIPPED_SHOWN) listener.onNote?.(`all ${total} files not used, each with its reason: ${path}`)
}

function stopIfAsked(listener: RunListener): void {
  if (listener.signal?.aborted) throw new RunError('cancelled', 'the run was stopped before it began training; nothing was written')
}

function checkSameImages(images: ImageDataset, contentHash: string): void {
  if (images.contentHash !== contentHash) {
    throw new RunError(
      'other-images',
      `the images in ${images.dir} are not the ones this run trained on (content hash ${images.contentHash.slice(0, 12)}…, ` +
        `the run has ${contentHash.slice(0, 12)}…): restore the folder, or start a new run`,
    )
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

const folderOf = (images: ImageDataset) => ({ classes: images.classes, trainImages: images.train.count })
