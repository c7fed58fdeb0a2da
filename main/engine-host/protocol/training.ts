// The operations between the main thread (trainClient.ts) and a training worker (trainWorker.ts). A training worker
// serves the fine-tune view: reading image folders, planning fine-tunes, rendering checkpoints, reading run folders,
// and training one run. The studio keeps two: a tools worker for everything quick, and one per run that trains it
// and ends with it, so a scan or a checkpoint render never waits for a training step and previews (the engine
// worker) never wait for either.
//
// The messages that carry these operations are messages.ts's. Each request has a `seq`; the worker answers it with
// exactly one reply and meanwhile any number of progress messages (reading images) and run events (a run's steps,
// metrics, files). Requests are served concurrently.
// Stopping does not go through the message queue (a training step computes synchronously): the client writes the
// request's seq into a shared Int32Array, which the worker reads after every step and every image read. A stopped
// run finishes its step and writes a checkpoint.
// Only plain data, typed arrays and strings cross; pixel and latent buffers are transferred.
// The main thread imports this file, so it names no engine module, not even for types (test/services/mainThread):
// settings cross as the contract's shapes, and the worker converts.
import type {
  BsaHyperparameters, DataScan, FinetuneHyperparameters, FinetuneMethod, FinetuneOverrides, FinetuneTarget, MemorisationReport,
  MetricsRecord, TrainingProgress,
} from '../../../preload/contract.ts'
import type * as Message from './messages.ts'

/** A fine-tune as the user asked for it: what both planning and starting read. */
export interface FinetuneSpec {
  /** the native model folder to start from */
  modelDir: string
  /** the image folder */
  dataDir: string
  target: FinetuneTarget
  /** absent: the engine's default */
  method?: FinetuneMethod
  /** G steps to train (for fresh-d, after D's warm-up) */
  steps: number
  overrides: FinetuneOverrides
}

/** A run's settings in the contract's terms, and whole as JSON (what run.json and the library keep). */
export interface ResolvedSettings {
  /** the adversarial methods' settings; null for bsa */
  hyperparameters: FinetuneHyperparameters | null
  /** bsa's; null for the others */
  bsa: BsaHyperparameters | null
  /** TrainSettings (or BSA's settings) as JSON */
  json: string
}

/** A fine-tune planned against the images and the model's config, nothing trained. */
export interface PlannedFinetune extends ResolvedSettings {
  defaultMethod: FinetuneMethod
  reason: string
  method: FinetuneMethod
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

/** What a run's first message says once its run folder exists and it is about to train. */
export interface RunStarted extends ResolvedSettings {
  kind: 'started'
  method: FinetuneMethod
  dataHash: string
  /** G steps in the checkpoint it continues from (0 for a new run), and the steps it trains to */
  step: number
  steps: number
  /** what it computes on, 'wasm, 2 threads' (the training worker adds it) */
  computesOn?: string
}

/** What a training run reports while it runs (besides 'started'). */
export type RunEvent =
  | RunStarted
  | { kind: 'progress'; progress: TrainingProgress }
  | { kind: 'metrics'; metrics: MetricsRecord }
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
  metrics: MetricsRecord[]
  metricsTotal: number
  /** oldest first */
  checkpoints: { step: number; best: boolean; latest: boolean }[]
  previews: number[]
  memorisation: number[]
}

export interface TrainOperations {
  /** tensors this worker holds */
  memory: { request: Record<never, never>; result: { numTensors: number } }
  /** reads an image folder through the loader (decode cache included) at `resolution` */
  scan: { request: { path: string; resolution: number; seed: number; thumbnailsPerClass: number }; result: DataScan }
  plan: { request: { spec: FinetuneSpec }; result: PlannedFinetune }
  /** a new run into runDir (which must not hold one): events, then the outcome */
  start: {
    request: { spec: FinetuneSpec; runDir: string; parent: { dir: string; contentHash: string } }
    result: RunOutcome
  }
  /** continues the run in runDir from its newest checkpoint that loads (to `steps`, where given) */
  resume: { request: { runDir: string; steps?: number }; result: RunOutcome }
  /** the points through a checkpoint folder's EMA generator: RGBA [count, R, R, 4] of those rendered */
  watch: {
    request: { checkpointDir: string; points: WatchedPoint[] }
    result: { rendered: number[]; skipped: { id: number; reason: string }[]; width: number; height: number; pixels: Uint8Array }
  }
  /** thumbnails of images of a folder by relPath (at most `size` px, centre-cropped like training images) */
  thumbnails: {
    request: { dataDir: string; relPaths: string[]; size: number }
    result: Pick<MemorisationReport, 'thumbnails' | 'missing'>
  }
  /** a run folder's logged metrics (sampled to maxPoints), checkpoints, previews and memorisation checks */
  history: {
    /** known: what the library says best/ and latest/ hold, for folders whose models keep no training state (BSA) */
    request: { runDir: string; maxPoints: number; known: { bestStep: number | null; step: number } }
    result: RunHistory
  }
}

export type TrainOp = keyof TrainOperations
export type TrainRequestOf<O extends TrainOp> = Message.RequestOf<TrainOperations, O>
export type TrainResultOf<O extends TrainOp> = Message.ResultOf<TrainOperations, O>
export type AnyTrainRequest = Message.AnyRequest<TrainOperations>
export type ToTrainWorker = Message.ToWorker<TrainOperations>
/** worker → main: besides replies and progress, a run's events */
export type FromTrainWorker = Message.FromWorker<RunEvent>

export interface TrainWorkerData {
  /** Int32Array(1) over it: the seq of the request to stop */
  stop: SharedArrayBuffer
  /** the threads its wasm backend computes on (main/engine/wasmThreads.ts); 1 when absent */
  wasmThreads?: number
}
