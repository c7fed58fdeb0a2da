// The contract's fine-tuning domain: what an image folder holds (data:scan), planning, starting, pausing, resuming
// and cancelling a fine-tune (finetune:*), and the runs the library keeps, with what they logged and wrote
// (runs:*). A running fine-tune pushes its steps as the 'training' event (trainingEvent, below).
import { modelInfo, rendered } from './engine.ts'
import { LIMITS } from './limits.ts'
import { s, type ChannelSchemas, type Infer } from './schema.ts'

const finetuneMethod = s.oneOf('adversarial', 'new-class', 'fresh-d', 'bsa')
const augmentPolicy = s.oneOf('color', 'translation', 'cutout')

/** What a run's row says: 'running' while a worker trains it; 'paused' (stopped at a step, with a checkpoint, to be
 *  resumed); 'interrupted' (the app or its worker stopped while it trained: resumable from its newest checkpoint);
 *  'completed'; 'stopped' (the collapse monitor ended it early, best/ before the collapse); 'cancelled' (stopped by the
 *  user, checkpoints kept); 'failed' (lastError says why). */
const runStatus = s.oneOf('running', 'paused', 'completed', 'stopped', 'cancelled', 'failed', 'interrupted')

/** Which model classes the folder trains: its own classes matched to the model's by name (a class the model lacks
 *  becomes a new class), one existing class (a one-class folder), or a new class of that name (a one-class folder). */
const finetuneTarget = s.object({
  kind: s.oneOf('folder', 'existing', 'new'),
  /** 'existing': the model class */
  classIndex: s.optional(s.integer(0, LIMITS.classes - 1)),
  /** 'new': the new class's name */
  name: s.optional(s.text(LIMITS.name)),
})

/** The "advanced" settings of a fine-tune, all optional: each absent one takes the engine's default (finetune:plan
 *  shows them resolved). Names as main/engine/train/settings.ts TrainOptions has them. */
const finetuneOverrides = s.object({
  batchSize: s.optional(s.integer(1, 4096)),
  accumulation: s.optional(s.integer(1, 1024)),
  dStepsPerGStep: s.optional(s.integer(1, 100)),
  lrG: s.optional(s.range(1e-9, 0.999)),
  lrD: s.optional(s.range(1e-9, 0.999)),
  orthogonalRegularisation: s.optional(s.range(0, 0.999)),
  emaDecay: s.optional(s.range(0, 0.999999)),
  emaStart: s.optional(s.integer(0, 10_000_000)),
  augmentPolicies: s.optional(s.list(augmentPolicy, 3)),
  /** a fixed augmentation probability; absent: ADA adapts it from 0 */
  augmentP: s.optional(s.range(0, 1)),
  adaTarget: s.optional(s.range(-0.999, 0.999)),
  freezeD: s.optional(s.integer(0, 64)),
  mirror: s.optional(s.boolean()),
  checkpointEvery: s.optional(s.integer(1, 10_000_000)),
  keepCheckpoints: s.optional(s.integer(1, 1000)),
  previewEvery: s.optional(s.integer(1, 10_000_000)),
  previewCount: s.optional(s.integer(1, 256)),
  logEvery: s.optional(s.integer(1, 10_000_000)),
  spectraEvery: s.optional(s.integer(1, 10_000_000)),
  /** 0: no copying check */
  memorisationEvery: s.optional(s.integer(0, 10_000_000)),
  seed: s.optional(s.integer(0, 2 ** 32 - 1)),
  /** fresh-d: G steps of D's warm-up against the frozen G (default 10 % of steps, 100 to 2 000) */
  warmupSteps: s.optional(s.integer(0, 10_000_000)),
  /** new-class: the new class rows step this many times faster (default 10) */
  classStepFactor: s.optional(s.range(0.001, 1000)),
})

/** A run's settings resolved: what the "advanced" fold shows. `steps` is every G step the run trains (a fresh D's
 *  warm-up included); `warmupSteps` of them train D alone. */
const finetuneHyperparameters = s.object({
  steps: s.number(),
  warmupSteps: s.number(),
  batchSize: s.number(),
  accumulation: s.number(),
  dStepsPerGStep: s.number(),
  lrG: s.number(),
  lrD: s.number(),
  beta1: s.number(),
  beta2: s.number(),
  orthogonalRegularisation: s.number(),
  emaDecay: s.number(),
  emaStart: s.number(),
  augmentPolicies: s.array(s.string()),
  /** ADA adapts p (from augmentP); false: p is fixed at augmentP */
  augmentAdaptive: s.boolean(),
  augmentP: s.number(),
  adaTarget: s.number(),
  freezeD: s.number(),
  mirror: s.boolean(),
  checkpointEvery: s.number(),
  keepCheckpoints: s.number(),
  previewEvery: s.number(),
  previewCount: s.number(),
  logEvery: s.number(),
  spectraEvery: s.number(),
  memorisationEvery: s.number(),
  seed: s.number(),
  /** new class rows' step factor; null without new classes */
  classStepFactor: s.nullable(s.number()),
})

/** BSA's settings (no D: G's BatchNorm projections and a latent per image learn to reconstruct the images). */
const bsaHyperparameters = s.object({ steps: s.number(), batchSize: s.number(), lr: s.number(), seed: s.number() })

const dataScan = s.object({
  /** the folder, absolute, links resolved */
  path: s.string(),
  /** the side the images were decoded to: the open model's resolution */
  resolution: s.number(),
  /** the loader's content hash of the usable images (what a run records) */
  contentHash: s.string(),
  /** the seed that chose the held-out split */
  seed: s.number(),
  classes: s.array(
    s.object({
      name: s.string(),
      train: s.number(),
      heldOut: s.number(),
      failed: s.number(),
      /** a few of its images as PNGs of at most 64 px */
      thumbnails: s.array(s.bytes(LIMITS.pngBytes)),
    }),
  ),
  train: s.number(),
  heldOut: s.number(),
  /** files with an image extension that could not be used (at most 1000 listed; failedCount counts all) */
  failed: s.array(s.object({ relPath: s.string(), reason: s.string() })),
  failedCount: s.number(),
  /** files not read at all, each with its reason: not images by name, links, special files, root images beside class
   *  folders (at most 1000 listed; ignored counts all) */
  ignoredFiles: s.array(s.object({ relPath: s.string(), reason: s.string() })),
  ignored: s.number(),
  warnings: s.array(s.string()),
  /** images taken from the decode cache, and decoded now */
  cache: s.object({ hits: s.number(), decoded: s.number() }),
})

const finetunePlan = s.object({
  /** the engine's default method for this model and folder, and why, in one line */
  defaultMethod: finetuneMethod,
  reason: s.string(),
  /** the method the run would use: the one asked for or the default (adversarial becomes new-class for a new class) */
  method: finetuneMethod,
  /** the folder's classes as the model will know them, each with its model class (null: a new class) */
  classes: s.array(s.object({ folder: s.string(), name: s.string(), modelClass: s.nullable(s.number()) })),
  newClasses: s.array(s.string()),
  trainImages: s.number(),
  heldOutImages: s.number(),
  contentHash: s.string(),
  /** the adversarial methods' settings; null for bsa */
  hyperparameters: s.nullable(finetuneHyperparameters),
  /** bsa's settings; null for the others */
  bsa: s.nullable(bsaHyperparameters),
})

const finetuneRequest = {
  /** the image folder */
  data: s.text(LIMITS.path),
  target: finetuneTarget,
  /** absent: the engine's default */
  method: s.optional(finetuneMethod),
  /** G steps to train (for fresh-d, after D's warm-up) */
  steps: s.integer(1, 10_000_000),
  advanced: s.optional(finetuneOverrides),
}

/** A fine-tuning run as the library keeps it. */
const run = s.object({
  id: s.number(),
  name: s.string(),
  status: runStatus,
  /** a worker of this app trains it now */
  active: s.boolean(),
  method: finetuneMethod,
  parent: s.object({ hash: s.string(), path: s.string(), name: s.string() }),
  data: s.object({ path: s.string(), contentHash: s.string() }),
  target: finetuneTarget,
  hyperparameters: s.nullable(finetuneHyperparameters),
  bsa: s.nullable(bsaHyperparameters),
  /** what its latest start computed on ('wasm, 2 threads': the training-threads setting at that start); null before */
  computesOn: s.nullable(s.string()),
  /** the run folder: run.json, metrics.jsonl, previews/, memorisation/, checkpoints/, latest/, best/ */
  runDir: s.string(),
  /** G steps in the newest checkpoint (where a resume continues), and the steps it trains to */
  step: s.number(),
  steps: s.number(),
  bestStep: s.nullable(s.number()),
  lastError: s.nullable(s.string()),
  createdAt: s.string(),
  updatedAt: s.string(),
})

const maybeNumber = s.nullable(s.number())

/** One logged step of metrics.jsonl (non-finite values are null). */
const metricsRecord = s.object({
  step: s.number(),
  dLossReal: maybeNumber,
  dLossFake: maybeNumber,
  dLoss: maybeNumber,
  gLoss: maybeNumber,
  rt: s.optional(maybeNumber),
  augmentP: s.optional(maybeNumber),
  /** D's mean logit on training minus held-out reals */
  dGap: s.optional(maybeNumber),
  imagesPerSecond: s.optional(maybeNumber),
  fidProxy: s.optional(maybeNumber),
  copyFraction: s.optional(s.object({ pixels: maybeNumber, features: s.optional(maybeNumber) })),
  /** every spectraEvery steps: σ0 σ1 σ2 and the Frobenius norm of each spectrally normalised layer */
  spectra: s.optional(
    s.array(s.object({ net: s.oneOf('G', 'D'), layer: s.string(), sigma: s.array(maybeNumber), frobenius: maybeNumber })),
  ),
  /** BSA runs: the reconstruction losses of this step (no D, so no hinge losses) */
  reconstruction: s.optional(
    s.object({ total: maybeNumber, l1: maybeNumber, multiScaleL1: maybeNumber, latentPrior: maybeNumber }),
  ),
  /** the collapse monitor's decision on this record */
  action: s.optional(s.oneOf('continue', 'stop')),
  reasons: s.optional(s.array(s.string())),
  warnings: s.optional(s.array(s.string())),
  best: s.optional(s.boolean()),
})

/** The progress line of one step: adversarial runs report D's and G's losses, BSA its reconstruction losses. */
const trainingProgress = s.object({
  step: s.number(),
  steps: s.number(),
  losses: s.object({
    dLoss: s.optional(maybeNumber),
    dLossReal: s.optional(maybeNumber),
    dLossFake: s.optional(maybeNumber),
    gLoss: s.optional(maybeNumber),
    total: s.optional(maybeNumber),
    l1: s.optional(maybeNumber),
    multiScaleL1: s.optional(maybeNumber),
    latentPrior: s.optional(maybeNumber),
  }),
  /** ADA's r_t (null before its first interval, and for BSA) and the augmentation probability (null without) */
  rt: maybeNumber,
  p: maybeNumber,
  imagesPerSecond: s.number(),
  etaSeconds: s.number(),
})

/** What a running fine-tune pushes (studioEvent type 'training'). */
export const trainingEvent = s.object({
  runId: s.number(),
  /** progress: each step; metrics: each logged record as written; preview / memorisation: a file for `step` is
   *  ready (runs:preview, runs:memorisation); checkpoint: one was written at `step` (`best`: best/ holds it);
   *  alert: the collapse monitor warned or stopped the run; status: the row's status changed */
  kind: s.oneOf('progress', 'metrics', 'preview', 'memorisation', 'checkpoint', 'alert', 'status'),
  step: s.optional(s.number()),
  progress: s.optional(trainingProgress),
  metrics: s.optional(metricsRecord),
  best: s.optional(s.boolean()),
  alert: s.optional(
    s.object({
      /** the logged step at which the monitor's detector fired */
      step: s.number(),
      level: s.oneOf('warning', 'stop'),
      messages: s.array(s.string()),
      /** what the studio did about it, in words */
      action: s.string(),
    }),
  ),
  status: s.optional(runStatus),
  /** status: why (an error, an interruption), where there is something to say */
  message: s.optional(s.string()),
})

const checkpointRef = s.object({
  step: s.number(),
  /** best/ holds this step */
  best: s.boolean(),
  /** latest/ holds this step */
  latest: s.boolean(),
})

const runDetail = s.object({
  run,
  /** metrics.jsonl, parsed, at most 2000 records (evenly sampled when longer; records with spectra and alerts kept
   *  preferentially), in step order */
  metrics: s.array(metricsRecord),
  /** logged records in the file */
  metricsTotal: s.number(),
  /** checkpoints that can be opened or watched, oldest first (the run keeps the newest keepCheckpoints, plus best/) */
  checkpoints: s.array(checkpointRef),
  /** steps with a preview grid, and with a memorisation check */
  previews: s.array(s.number()),
  memorisation: s.array(s.number()),
})

const memorisationNeighbour = s.object({ relPath: s.string(), distance: s.number() })

const memorisationReport = s.object({
  step: s.number(),
  /** training images compared against, and held-out images that set the copy threshold */
  references: s.number(),
  heldOut: s.number(),
  pixels: s.object({ copyFraction: s.number(), threshold: s.number(), medianSample: s.number(), medianHeldOut: s.number() }),
  features: s.optional(
    s.object({ copyFraction: s.number(), threshold: s.number(), medianSample: s.number(), medianHeldOut: s.number() }),
  ),
  /** one per preview sample, in the preview grid's order (row-major) */
  samples: s.array(
    s.object({
      class: s.number(),
      pixels: s.array(memorisationNeighbour),
      features: s.optional(s.array(memorisationNeighbour)),
      copy: s.boolean(),
    }),
  ),
  /** PNG thumbnails (at most 64 px) of every neighbour named above, by relPath; a file gone from the folder is absent */
  thumbnails: s.array(s.object({ relPath: s.string(), png: s.bytes(LIMITS.pngBytes) })),
  /** neighbours whose file could not be read, with why */
  missing: s.array(s.object({ relPath: s.string(), reason: s.string() })),
  /** how close the samples came to the folder: median nearest-folder-image distance of the samples ÷ that of the
   *  held-out images, in D's features (pixels without a D); `far` above `farRatio` */
  distance: s.optional(s.object({ ratio: s.number(), space: s.oneOf('features', 'pixels'), far: s.boolean(), farRatio: s.number() })),
})

/** A preview PNG's layout, as the engine tiled it: `count` samples of cell × cell pixels, row-major in `columns`
 *  columns, with a `gap`-pixel border around every cell; the image is width × height pixels. */
const previewGrid = s.object({
  count: s.number(),
  columns: s.number(),
  rows: s.number(),
  cell: s.number(),
  gap: s.number(),
  width: s.number(),
  height: s.number(),
})

export const runId = s.integer(1, Number.MAX_SAFE_INTEGER)
const runStep = s.integer(0, Number.MAX_SAFE_INTEGER)

export const finetuneChannels = {
  /** what an image folder holds, decoded at the open model's resolution (cached by content): classes with counts
   *  and thumbnails, failed files and why, the held-out split; progress events under job 'data:scan' */
  'data:scan': {
    input: s.object({ path: s.text(LIMITS.path), seed: s.optional(s.integer(0, 2 ** 32 - 1)) }),
    output: dataScan,
  },
  /** how the open model would be fine-tuned on a folder: the engine's default method and why, the classes, and
   *  every setting resolved (invalid settings fail here with what to change); progress under job 'finetune:plan' */
  'finetune:plan': { input: s.object(finetuneRequest), output: finetunePlan },
  /** fine-tunes the open model in a training worker of its own into <data>/runs/<id>-<name>/; resolves once the
   *  images are read and the run folder exists, then pushes 'training' events. One run at a time. Progress while it
   *  reads the images under job 'finetune:start' */
  'finetune:start': { input: s.object({ ...finetuneRequest, name: s.optional(s.text(LIMITS.name)) }), output: run },
  /** stops the running run at the next step with a checkpoint; resolves with the row, status 'paused' */
  'finetune:pause': { input: s.object({ id: runId }), output: run },
  /** continues a paused, interrupted, cancelled or stopped run from its newest checkpoint (to `steps`, a new total,
   *  where given); resolves once it trains again */
  'finetune:resume': { input: s.object({ id: runId, steps: s.optional(s.integer(1, 10_000_000)) }), output: run },
  /** stops the run for good (at the next step, with a checkpoint, where it trains); checkpoints are kept */
  'finetune:cancel': { input: s.object({ id: runId }), output: run },

  /** every run, newest first */
  'runs:list': { input: s.none(), output: s.array(run) },
  /** deletes a run that does not train: its row and its run folder (checkpoints included). Refused for the run a
   *  worker trains, and for a run whose checkpoint is the open model (open another model first) */
  'runs:delete': {
    input: s.object({ id: runId }),
    output: s.object({
      id: s.number(),
      runDir: s.string(),
      /** false: the folder was not there any more, or lies outside the studio's runs folder and was left alone */
      folderRemoved: s.boolean(),
    }),
  },
  'runs:get': { input: s.object({ id: runId }), output: runDetail },
  /** the preview grid PNG of a step, with where each sample sits in it */
  'runs:preview': { input: s.object({ id: runId, step: runStep }), output: s.object({ png: s.bytes(LIMITS.pngBytes), grid: previewGrid }) },
  /** the copying check of a step: each preview sample's nearest training images, with their thumbnails */
  'runs:memorisation': { input: s.object({ id: runId, step: runStep }), output: memorisationReport },
  /** opens a checkpoint of the run as the current model (as models:open does: 'model' event, recent models) */
  'runs:open': {
    input: s.object({ id: runId, which: s.oneOf('best', 'latest', 'step'), step: s.optional(runStep) }),
    output: s.object({
      model: modelInfo,
      run,
      step: s.number(),
      /** where the model came from: the parent model, the images, the method and settings */
      provenance: s.object({
        parent: s.object({ hash: s.string(), path: s.string(), name: s.string() }),
        data: s.object({ path: s.string(), contentHash: s.string() }),
        method: finetuneMethod,
        hyperparameters: s.nullable(finetuneHyperparameters),
        bsa: s.nullable(bsaHyperparameters),
      }),
    }),
  },
  /** the favourites rendered by a checkpoint's EMA generator (their z, y and truncation), as images:render renders;
   *  a favourite of another model is rendered where its latent fits (a y shorter than the model's classes is padded
   *  with zeros), else listed in skipped */
  'runs:watch': {
    input: s.object({
      id: runId,
      step: runStep,
      favouriteIds: s.list(s.integer(1, Number.MAX_SAFE_INTEGER), LIMITS.points),
    }),
    output: s.object({
      step: s.number(),
      /** the favourites rendered, in the order of the images */
      rendered: s.array(s.number()),
      skipped: s.array(s.object({ id: s.number(), reason: s.string() })),
      images: rendered,
    }),
  },
} satisfies Record<string, ChannelSchemas>

export type FinetuneMethod = Infer<typeof finetuneMethod>
export type FinetuneTarget = Infer<typeof finetuneTarget>
export type FinetuneOverrides = Infer<typeof finetuneOverrides>
export type FinetuneHyperparameters = Infer<typeof finetuneHyperparameters>
export type BsaHyperparameters = Infer<typeof bsaHyperparameters>
export type DataScan = Infer<typeof dataScan>
export type FinetunePlan = Infer<typeof finetunePlan>
export type RunStatus = Infer<typeof runStatus>
export type Run = Infer<typeof run>
export type RunDetail = Infer<typeof runDetail>
export type MetricsRecord = Infer<typeof metricsRecord>
export type TrainingProgress = Infer<typeof trainingProgress>
export type TrainingEvent = Infer<typeof trainingEvent>
export type MemorisationReport = Infer<typeof memorisationReport>
export type PreviewGrid = Infer<typeof previewGrid>
