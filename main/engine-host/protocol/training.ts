// The operations between the main thread (client/trainClient.ts) and a training worker (worker/trainWorker.ts). A
// training worker serves the fine-tune view: reading image folders, planning fine-tunes, rendering checkpoints,
// reading run folders, and training one run. The studio keeps two: a tools worker for everything quick, and one per
// run that trains it and ends with it, so a scan or a checkpoint render never waits for a training step and previews
// (the engine worker) never wait for either.
//
// The messages that carry these operations are messages.ts's. Each request has a `seq`; the worker answers it with
// exactly one reply and meanwhile any number of progress messages (reading images) and run events (a run's steps,
// metrics, files). Requests are served concurrently.
// Stopping does not go through the message queue (a training step computes synchronously): the client writes the
// request's seq into a shared Int32Array, which the worker reads after every step and every image read. A stopped
// run finishes its step and writes a checkpoint.
// Only plain data, typed arrays and strings cross; pixel and latent buffers are transferred.
//
// The records below are the training worker's own: what a run is asked to do and what it reports, in the engine's
// terms (main/runs/run.ts) flattened for the crossing. The main thread imports this file, so it names no engine
// module, not even for types; the services map these records to the studio's contract.
import type { ExecutorName } from '../../runs/executorNames.ts'
import type { GridLayout } from '../../images/pixels.ts'
import type * as Message from './messages.ts'

export type RunMethodName = 'adversarial' | 'new-class' | 'fresh-d' | 'bsa'

/** Which model classes a fine-tune trains: the folder's own classes matched to the model's by name (a class the
 *  model lacks becomes a new class), one existing class for a one-class folder, or a new class of that name. */
export type RunTarget = { kind: 'folder' } | { kind: 'existing'; classIndex: number } | { kind: 'new'; name: string }

/** What a fine-tune overrides of the engine's defaults (main/engine/train/settings.ts TrainOptions names them the
 *  same way); each absent one takes the default. */
export interface RunOverrides {
  batchSize?: number
  accumulation?: number
  dStepsPerGStep?: number
  lrG?: number
  lrD?: number
  orthogonalRegularisation?: number
  emaDecay?: number
  emaStart?: number
  augmentPolicies?: ('color' | 'translation' | 'cutout')[]
  /** a fixed augmentation probability; absent: ADA adapts it from 0 */
  augmentP?: number
  adaTarget?: number
  freezeD?: number
  mirror?: boolean
  checkpointEvery?: number
  keepCheckpoints?: number
  previewEvery?: number
  previewCount?: number
  logEvery?: number
  spectraEvery?: number
  /** 0: no copying check */
  memorisationEvery?: number
  seed?: number
  /** fresh-d: G steps of D's warm-up against the frozen G */
  warmupSteps?: number
  /** new-class: the new class rows step this many times faster */
  classStepFactor?: number
}

/** A fine-tune as the user asked for it: what both planning and starting read. */
export interface FinetuneJob {
  /** the native model folder to start from */
  modelDir: string
  /** the image folder */
  dataDir: string
  target: RunTarget
  /** absent: the engine's default */
  method?: RunMethodName
  /** G steps to train (for fresh-d, after D's warm-up) */
  steps: number
  overrides: RunOverrides
}

/** The training loop's settings, flat. `steps` is every G step the run trains (a fresh D's warm-up included);
 *  `warmupSteps` of them train D alone. */
export interface LoopSettings {
  steps: number
  warmupSteps: number
  batchSize: number
  accumulation: number
  dStepsPerGStep: number
  lrG: number
  lrD: number
  beta1: number
  beta2: number
  orthogonalRegularisation: number
  emaDecay: number
  emaStart: number
  augmentPolicies: string[]
  /** ADA adapts p (from augmentP); false: p is fixed at augmentP */
  augmentAdaptive: boolean
  augmentP: number
  adaTarget: number
  freezeD: number
  mirror: boolean
  checkpointEvery: number
  keepCheckpoints: number
  previewEvery: number
  previewCount: number
  logEvery: number
  spectraEvery: number
  memorisationEvery: number
  seed: number
  /** new class rows' step factor; null without new classes */
  classStepFactor: number | null
}

/** BSA's settings. */
export interface BsaSettings {
  steps: number
  batchSize: number
  lr: number
  seed: number
}

/** A run's settings: the loop's or BSA's, and whole as JSON (what run.json and the library keep). */
export interface RunSettings {
  loop: LoopSettings | null
  bsa: BsaSettings | null
  json: string
}

/** A fine-tune planned against the images and the model's config, nothing trained. */
export interface PlannedRun extends RunSettings {
  defaultMethod: RunMethodName
  reason: string
  method: RunMethodName
  /** the folder's own class names, its classes as the model will know them, and each one's existing model class
   *  (null for a new one) */
  classes: { folder: string; name: string; modelClass: number | null }[]
  newClasses: string[]
  dataDir: string
  contentHash: string
  trainImages: number
  heldOutImages: number
  /** every G step the run trains (a fresh D's warm-up included) */
  steps: number
}

/** What a run's first event says once its run folder exists and it is about to train. */
export interface RunStarted extends RunSettings {
  kind: 'started'
  method: RunMethodName
  dataHash: string
  /** G steps in the checkpoint it continues from (0 for a new run), and the steps it trains to */
  step: number
  steps: number
  /** what it computes on, 'wasm, 2 threads' (the training worker adds it) */
  computesOn?: string
}

/** One step's losses by name (D's and G's hinge terms, or BSA's reconstruction terms); non-finite ones null. */
export interface RunProgress {
  step: number
  steps: number
  losses: Record<string, number | null>
  /** ADA's r_t (null before its first interval, and for BSA) and the augmentation probability (null without) */
  rt: number | null
  p: number | null
  imagesPerSecond: number
  etaSeconds: number
}

/** One line of a run's metrics.jsonl as written (the loop's metricsLine or BSA's): the services read its fields. */
export type MetricsLine = { step: number } & Record<string, unknown>

/** What a training run reports while it runs (besides 'started'). */
export type RunEvent =
  | RunStarted
  | { kind: 'progress'; progress: RunProgress }
  | { kind: 'metrics'; line: MetricsLine }
  | { kind: 'preview'; step: number }
  | { kind: 'memorisation'; step: number }
  | { kind: 'checkpoint'; step: number; best: boolean }
  | RunAlert

/** The collapse monitor warned or stopped the run, reading the record logged at `step`. */
export interface RunAlert {
  kind: 'alert'
  step: number
  level: 'warning' | 'stop'
  messages: string[]
  /** what the run did about it, in words */
  action: string
}

/** How a run ended: the loop's outcome (BSA: completed or cancelled). */
export interface RunOutcome {
  status: 'completed' | 'stopped' | 'cancelled'
  step: number
  bestStep: number | null
  reasons: string[]
}

/** A favourite to render with a checkpoint: its point and where it came from. */
export interface WatchedPoint {
  id: number
  z: Float32Array
  y: Float32Array
  truncation: number
  semantics: 'paper' | 'released'
}

export interface RunHistory {
  /** metrics lines in step order, sampled to maxPoints */
  metrics: MetricsLine[]
  metricsTotal: number
  /** oldest first */
  checkpoints: { step: number; best: boolean; latest: boolean }[]
  previews: number[]
  memorisation: number[]
}

/** What a run's best/ and latest/ hold, as the caller knows it (a BSA run's models keep no training step). */
export interface KnownSteps {
  bestStep: number | null
  step: number
}

/** An image folder as the loader read it: counts, a few thumbnails per class, what failed and why. */
export interface FolderScan {
  path: string
  resolution: number
  contentHash: string
  seed: number
  classes: { name: string; train: number; heldOut: number; failed: number; thumbnails: Uint8Array[] }[]
  train: number
  heldOut: number
  /** at most the first 1000; failedCount counts all */
  failed: { relPath: string; reason: string }[]
  failedCount: number
  /** files not read at all (not images by name, links, special files, root images beside class folders), each with
   *  its reason: at most the first 1000; ignored counts all */
  ignoredFiles: { relPath: string; reason: string }[]
  ignored: number
  warnings: string[]
  cache: { hits: number; decoded: number }
}

/** A copying check's summary in one feature space. */
export interface CopySummary {
  copyFraction: number
  threshold: number
  medianSample: number
  medianHeldOut: number
}

/** A run's copying check at a step, with thumbnails of every neighbour it names. */
export interface MemorisationCheck {
  step: number
  references: number
  heldOut: number
  pixels: CopySummary
  features?: CopySummary
  samples: { class: number; pixels: Neighbour[]; features?: Neighbour[]; copy: boolean }[]
  thumbnails: { relPath: string; png: Uint8Array }[]
  missing: { relPath: string; reason: string }[]
}

export interface Neighbour {
  relPath: string
  distance: number
}

export interface TrainOperations {
  /** tensors this worker holds */
  memory: { request: Record<never, never>; result: { numTensors: number } }
  /** reads an image folder through the loader (decode cache included) at `resolution` */
  scan: { request: { path: string; resolution: number; seed: number; thumbnailsPerClass: number }; result: FolderScan }
  plan: { request: { job: FinetuneJob }; result: PlannedRun }
  /** a new run into runDir (which must not hold one): events, then the outcome */
  start: { request: { job: FinetuneJob; runDir: string }; result: RunOutcome }
  /** continues the run in runDir from its newest checkpoint that loads (to `steps`, where given) */
  resume: { request: { runDir: string; steps?: number }; result: RunOutcome }
  /** the points through a checkpoint folder's EMA generator: RGBA [count, R, R, 4] of those rendered */
  watch: {
    request: { checkpointDir: string; points: WatchedPoint[] }
    result: { rendered: number[]; skipped: { id: number; reason: string }[]; width: number; height: number; pixels: Uint8Array }
  }
  /** a run folder's logged metrics (sampled to maxPoints), checkpoints, previews and memorisation checks */
  history: { request: { runDir: string; maxPoints: number; known: KnownSteps }; result: RunHistory }
  /** the model folder of a run's checkpoint at a step, or its latest/ or best/; null where the run keeps none */
  checkpoint: { request: { runDir: string; at: number | 'latest' | 'best'; known: KnownSteps }; result: { dir: string | null } }
  /** the preview grid at a step with where each sample sits in it; null where the run has none there */
  preview: { request: { runDir: string; step: number }; result: { png: Uint8Array; layout: GridLayout } | null }
  /** the copying check at a step with thumbnails of its neighbours (from dataDir, centre-cropped to `size` px like
   *  training images); null where the run has none there */
  memorisation: { request: { runDir: string; step: number; dataDir: string; size: number }; result: MemorisationCheck | null }
}

export type TrainOp = keyof TrainOperations
export type TrainRequestOf<O extends TrainOp> = Message.RequestOf<TrainOperations, O>
export type TrainResultOf<O extends TrainOp> = Message.ResultOf<TrainOperations, O>
export type AnyTrainRequest = Message.AnyRequest<TrainOperations>
export type ToTrainWorker = Message.ToWorker<TrainOperations>
/** worker → main: besides replies and progress, a run's events */
export type FromTrainWorker = Message.FromWorker<RunEvent>

/** How a training worker computes: its wasm backend's threads (main/backend/wasmThreads.ts; onnxruntime's too) and
 *  what computes the steps (main/runs/executor.ts; BIGGAN_EXECUTOR overrides it). */
export interface RunCompute {
  wasmThreads: number
  executor: ExecutorName
}

export interface TrainWorkerData extends Partial<RunCompute> {
  /** Int32Array(1) over it: the seq of the request to stop */
  stop: SharedArrayBuffer
}
