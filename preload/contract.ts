// The one contract between the renderer and the studio's back end: every channel ('domain:verb') with the schema
// of its input and of its output, and the events the back end pushes. Two transports carry it — Electron IPC
// (main/ipc, preload/index.ts) and web mode's WebSocket (main/web, renderer/lib/webTransport.ts) — and both parse
// inputs with it before any handler runs and outputs before the renderer sees them. Nothing else crosses.
// Images cross as raw RGBA pixels (Uint8Array), latents and class vectors as Float32Array, never as base64.
import { s, SchemaError, type Infer, type Schema } from './schema.ts'

/** Bounds on what may cross: generous for the largest real model, tight enough that no request can exhaust memory. */
export const LIMITS = {
  zDim: 1024,
  classes: 100_000,
  points: 256, // images per render request
  frames: 600, // frames per exported animation
  pngBytes: 64 * 1024 * 1024,
  favouritesFileBytes: 256 * 1024 * 1024,
  path: 4096,
  name: 200,
  notes: 10_000,
  tags: 32,
  ortThreads: 256, // onnxruntime threads a setting may ask for
  wasmThreads: 64, // wasm training threads a setting may ask for (main/engine/threadCounts.ts: the same bound)
} as const

const backendAttempt = s.object({
  name: s.string(),
  ok: s.boolean(),
  error: s.optional(s.string()),
})

const engineInfo = s.object({
  backend: s.string(), // 'tfjs-node-gpu' | 'tfjs-node' | 'wasm' | 'cpu'
  tfBackend: s.string(),
  threads: s.number(),
  simd: s.boolean(),
  version: s.string(), // @tensorflow/tfjs
  engineVersion: s.string(),
  tried: s.array(backendAttempt),
  notes: s.array(s.string()),
  /** which runtime serves previews (issue 6 adds 'onnx') */
  previews: s.string(),
  /** 'electron' or 'web'. Only 'electron' answers dialog:chooseFolder with the system's folder dialog; web mode
   *  refuses it ('unsupported'), and the renderer keeps a path field */
  shell: s.oneOf('electron', 'web'),
})

/** How a model reads the truncation value of a point.
 *  'paper': z was drawn from N(0, I) truncated at ±truncation by resampling; the value only shaped z.
 *  'released': z = ψ·TN(−2, 2) and ψ = truncation also selects the generator's BatchNorm statistics. */
const semantics = s.oneOf('paper', 'released')

const modelInfo = s.object({
  /** content hash of the native model folder: what favourites are tied to */
  hash: s.string(),
  name: s.string(),
  /** the native model folder the studio reads */
  path: s.string(),
  arch: s.oneOf('biggan', 'biggan-deep'),
  resolution: s.number(),
  ch: s.number(),
  numClasses: s.number(),
  zDim: s.number(),
  /** hierarchical z: the sizes of z's chunks in order (first the linear layer's, then one per G block);
   *  [zDim] for models that feed the whole z everywhere (BigGAN-deep) */
  zChunks: s.array(s.number()),
  /** what each chunk feeds, in words ('linear', 'block 1 (4→8)', …) */
  zChunkLabels: s.array(s.string()),
  semantics,
  /** the truncation the studio starts from, and the range its slider offers */
  truncation: s.object({ default: s.number(), min: s.number(), max: s.number() }),
  classNames: s.array(s.string()),
  /** ImageNet synset ids (n01440764, …) where the classes are ImageNet's */
  classIds: s.optional(s.array(s.string())),
  parameters: s.object({ G: s.number(), D: s.number() }),
  hasDiscriminator: s.boolean(),
  hasEma: s.boolean(),
  /** where it came from, in words (training run, import, …) */
  provenance: s.string(),
  /** the bundled default model */
  isDefault: s.boolean(),
  /** a randomly initialised stand-in (no trained default model bundled yet) */
  isRandom: s.boolean(),
})

const recentModel = s.object({
  path: s.string(),
  name: s.string(),
  hash: s.string(),
  arch: s.string(),
  resolution: s.number(),
  numClasses: s.number(),
  lastOpened: s.string(), // ISO time
})

const classMatch = s.object({
  index: s.number(),
  name: s.string(),
  id: s.optional(s.string()),
})

/** A point of the latent space: everything needed to generate one image with the current model. */
const point = s.object({
  z: s.floats(LIMITS.zDim),
  /** soft class vector over all classes (a one-hot for a plain class, a blend otherwise) */
  y: s.floats(LIMITS.classes),
  /** the model's truncation value (see semantics) */
  truncation: s.range(0.001, 4),
  /** the seed z was drawn from, while z is still exactly that draw */
  seed: s.optional(s.integer(0, 2 ** 32 - 1)),
})

/** A point as saved and exported: the point plus what it needs to be regenerated exactly elsewhere. */
const latentRecord = s.object({
  format: s.oneOf('biggan-studio-latent'),
  version: s.integer(1, 1),
  modelHash: s.string(),
  modelName: s.string(),
  engineVersion: s.string(),
  semantics,
  z: s.array(s.number()),
  y: s.array(s.number()),
  truncation: s.number(),
  seed: s.optional(s.number()),
})

const rendered = s.object({
  width: s.number(),
  height: s.number(),
  count: s.number(),
  /** count images, each height·width·4 RGBA bytes, row-major */
  pixels: s.bytes(LIMITS.points * 512 * 512 * 4),
})

const file = s.object({ bytes: s.bytes(LIMITS.favouritesFileBytes), fileName: s.string() })

const favourite = s.object({
  id: s.number(),
  name: s.string(),
  tags: s.array(s.string()),
  notes: s.string(),
  rating: s.number(), // 0–5
  /** the favourite this one was derived from (lineage), if any */
  parentId: s.nullable(s.number()),
  modelHash: s.string(),
  modelName: s.string(),
  engineVersion: s.string(),
  semantics,
  z: s.floats(LIMITS.zDim),
  y: s.floats(LIMITS.classes),
  truncation: s.number(),
  seed: s.optional(s.number()),
  /** PNG of the image at the model's resolution (≤ 128 px), as generated when saved */
  thumbnail: s.bytes(LIMITS.pngBytes),
  createdAt: s.string(),
  updatedAt: s.string(),
})

const favouriteEdit = {
  name: s.text(LIMITS.name),
  tags: s.list(s.text(LIMITS.name), LIMITS.tags),
  notes: s.text(LIMITS.notes),
  rating: s.integer(0, 5),
}

const historyEntry = s.object({
  id: s.number(),
  /** the view that produced it ('explore', 'grid', 'blend', …) */
  view: s.string(),
  label: s.string(),
  point,
  modelHash: s.string(),
  createdAt: s.string(),
})

const sessionState = s.object({
  id: s.number(),
  name: s.string(),
  createdAt: s.string(),
  updatedAt: s.string(),
  /** a window of the history around the cursor (at most 50 entries each side), entries[0] being entry `offset` */
  entries: s.array(historyEntry),
  offset: s.number(),
  /** entries in the whole history */
  total: s.number(),
  /** index in the whole history of the current point (entries[cursor − offset]); −1 when the session is empty */
  cursor: s.number(),
  canUndo: s.boolean(),
  canRedo: s.boolean(),
})

const sessionSummary = s.object({
  id: s.number(),
  name: s.string(),
  createdAt: s.string(),
  updatedAt: s.string(),
  entries: s.number(),
})

// ——— fine-tuning (issue 5) ———

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
  /** other files, links, and root images beside class folders */
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
const trainingEvent = s.object({
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

const runId = s.integer(1, Number.MAX_SAFE_INTEGER)
const runStep = s.integer(0, Number.MAX_SAFE_INTEGER)

// ——— class-leakage inspection (issue 5) ———

/** Who says which class an image shows: 'default' (the bundled Fashion-MNIST classifier for a 32-px model with its
 *  classes, else the model's D), 'classifier' (the bundled one), 'discriminator' (the model's own D: its class
 *  evidence ⟨E[k], φ(x)⟩), or {folder}: a TensorFlow.js model folder (model.json) or a studio classifier folder. */
const judgeSpec: Schema<'default' | 'classifier' | 'discriminator' | { folder: string }> = {
  describe: "'default', 'classifier', 'discriminator' or {folder}",
  parse: (v, path = '') => {
    if (v === 'default' || v === 'classifier' || v === 'discriminator') return v
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
      return s.object({ folder: s.text(LIMITS.path) }).parse(v, path)
    }
    throw new SchemaError(`${path || 'value'}: expected 'default', 'classifier', 'discriminator' or {folder}`)
  },
}

const judgeInfo = s.object({
  /** 'fashion-mnist-classifier', 'discriminator', 'classifier:<folder>' or 'tfjs:<folder>' */
  name: s.string(),
  /** sha256 of the judge's weights: every number measured with it carries it */
  hash: s.string(),
  /** probability: a classifier's softmax; evidence: D's class evidence (unnormalised, may be negative) */
  scoreKind: s.oneOf('probability', 'evidence'),
  /** the judge's classes: the matrix's detected columns */
  classes: s.array(s.string()),
})

const classScore = s.object({ class: s.number(), name: s.string(), score: s.number() })

/** A truncation of the leakage matrix: a value as the model reads it, or null for none. */
const leakageTruncation = s.nullable(s.range(0.001, 4))

const leakageRequest = {
  /** the intended classes (model class indices): the matrix's rows */
  classes: s.list(s.integer(0, LIMITS.classes - 1), 100),
  /** samples per class and truncation: seeds firstSeed … firstSeed + seeds − 1, the same latents for every class */
  seeds: s.integer(1, 1000),
  firstSeed: s.optional(s.integer(0, 2 ** 31)),
  /** truncation values as the model reads them (threshold, or ψ for 'released' models); null: none, z ~ N(0, I)
   *  (ψ = 1 for 'released' models) */
  truncations: s.list(leakageTruncation, 12),
  /** absent: 'default' */
  judge: s.optional(judgeSpec),
}

const leakageReport = s.object({
  judge: judgeInfo,
  model: s.object({ contentHash: s.nullable(s.string()), numClasses: s.number() }),
  /** the rows: a model class, its name, and the judge's column for it */
  classes: s.array(s.object({ index: s.number(), name: s.string(), column: s.number() })),
  /** how model classes were matched with the judge's: its own D ('identity'), by name, or by index */
  classMatch: s.oneOf('identity', 'name', 'index'),
  seeds: s.array(s.number()),
  truncations: s.array(
    s.object({
      truncation: s.nullable(s.number()),
      /** [row][detected column]: samples of the row's class the judge put in that column's class */
      counts: s.array(s.array(s.number())),
      /** [row][detected column]: the seeds of those samples (inspect:cell renders them) */
      seeds: s.array(s.array(s.array(s.number()))),
      /** share of all samples detected as another class than intended */
      leakage: s.number(),
      /** per row */
      perClass: s.array(s.number()),
    }),
  ),
})

/** One sample of a leakage cell: class at (seed, truncation), drawn as the leakage matrix draws it. */
const leakageSample = s.object({
  class: s.integer(0, LIMITS.classes - 1),
  seed: s.integer(0, 2 ** 32 - 1),
  truncation: leakageTruncation,
})

// ——— generator metrics (issue 5) ———

/** The feature space generator metrics are measured in: 'classifier' (the bundled Fashion-MNIST classifier),
 *  'discriminator' (the model's own D: it flatters its G, so a monitor, not a judge), or {folder}: a TensorFlow.js
 *  model folder (model.json) or a studio classifier folder (config.json). */
const extractorSpec: Schema<'classifier' | 'discriminator' | { folder: string }> = {
  describe: "'classifier', 'discriminator' or {folder}",
  parse: (v, path = '') => {
    if (v === 'classifier' || v === 'discriminator') return v
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
      return s.object({ folder: s.text(LIMITS.path) }).parse(v, path)
    }
    throw new SchemaError(`${path || 'value'}: expected 'classifier', 'discriminator' or {folder}`)
  },
}

/** One measurement of the open model against a folder of real images. */
const generatorMetricsRequest = {
  /** absent: the bundled classifier for a model with its classes, else D */
  extractor: s.optional(extractorSpec),
  /** the folder of real images: JPEG, PNG, WebP; one subfolder per class, or one class */
  realFolder: s.text(LIMITS.path),
  /** generated images per truncation (recall needs more than k = 3) */
  n: s.integer(6, 20_000),
  /** real images used at most, drawn with the seed; absent: n */
  realLimit: s.optional(s.integer(6, 100_000)),
  /** the model's truncation values (threshold, or ψ for 'released' models); null: z drawn untruncated */
  truncations: s.list(s.nullable(s.range(0.001, 4)), 12),
  /** one model class, measured against its subfolder; absent or null: all classes */
  class: s.optional(s.nullable(s.integer(0, LIMITS.classes - 1))),
  /** seed of the latents, the real subset and the KID subsets; absent: 0 */
  seed: s.optional(s.integer(0, 2 ** 31)),
  /** KID subsets; absent: 100 */
  kidSubsets: s.optional(s.integer(1, 1000)),
}

/** A stored measurement: the numbers with everything needed to say what they compare with. */
const generatorMetricsRecord = s.object({
  id: s.number(),
  /** 'metrics': one truncation; 'curve': a sweep over truncations (the diversity–fidelity curve) */
  kind: s.oneOf('metrics', 'curve'),
  model: s.object({ hash: s.string(), path: s.string(), name: s.string() }),
  /** the feature space; numbers compare only under the same hash */
  extractor: s.object({ kind: s.oneOf('classifier', 'discriminator', 'user'), name: s.string(), hash: s.string(), dims: s.number() }),
  /** the folder, the loader's content hash of its usable images, and how many were used */
  real: s.object({ path: s.string(), hash: s.string(), count: s.number() }),
  /** generated images per truncation */
  fakeCount: s.number(),
  /** the measured class; null: all classes */
  class: s.nullable(s.number()),
  settings: s.object({
    truncations: s.array(s.nullable(s.number())),
    seed: s.number(),
    realLimit: s.number(),
    kidSubsets: s.number(),
    /** neighbours of precision/recall and of density/coverage */
    k: s.object({ precisionRecall: s.number(), densityCoverage: s.number() }),
  }),
  /** one per truncation, in the order asked */
  points: s.array(
    s.object({
      truncation: s.nullable(s.number()),
      /** Fréchet distance in the extractor's feature space: not an Inception FID */
      fd: s.number(),
      /** KID: mean and std over subsets of the unbiased MMD² (shown ×10³) */
      kid: s.object({ mean: s.number(), std: s.number(), subsets: s.number(), subsetSize: s.number() }),
      precision: s.number(),
      recall: s.number(),
      density: s.number(),
      coverage: s.number(),
    }),
  ),
  /** why these are not comparable with published figures, and with what they are */
  note: s.string(),
  /** the curve's JSON in the model folder's metrics/; null when not written, saveNote says why */
  savedTo: s.nullable(s.string()),
  saveNote: s.nullable(s.string()),
  warnings: s.array(s.string()),
  createdAt: s.string(),
})

/** onnxruntime's CPU threads per op: 'auto' (timed once per machine and model size: 1 against one per core, the
 *  faster kept) or a count */
const ortThreads = autoOrCount(LIMITS.ortThreads)

/** 'auto' or a whole number in [1, most]: the shape of a thread-count setting. */
function autoOrCount(most: number): Schema<'auto' | number> {
  return {
    describe: `'auto' or an integer in [1, ${most}]`,
    parse: (v, path = '') => {
      if (v === 'auto' || (Number.isInteger(v) && (v as number) >= 1 && (v as number) <= most)) return v as 'auto' | number
      throw new SchemaError(`${path || 'value'}: expected 'auto' or an integer in [1, ${most}]`)
    },
  }
}

/** The threads a fine-tuning run's wasm backend computes on: 'auto' (every core but one, which the previews and the
 *  window keep) or a count. Read when a run starts; native TensorFlow sizes its own pool and ignores it. */
const trainingThreads = autoOrCount(LIMITS.wasmThreads)

/** The studio's settings, one schema per stored key (main/store/settings.ts keeps one row per key). */
export const settingSchemas = {
  /** what serves previews and exports: 'auto' (the fastest here, timed once per machine and model size), or one
   *  runtime; BIGGAN_RUNTIME overrides it */
  inference: s.object({ runtime: s.oneOf('auto', 'onnx', 'tfjs'), threads: ortThreads }),
  /** how fine-tuning runs compute: the wasm backend's threads (BIGGAN_WASM_THREADS overrides it) */
  training: s.object({ threads: trainingThreads }),
}

const studioSettings = s.object(settingSchemas)

const settingsState = s.object({
  settings: studioSettings,
  inference: s.object({
    /** what serves previews now (engine:info's previews): 'onnx (CPU, 2 threads)' or 'tfjs' */
    previews: s.string(),
    /** why: the setting, an override, or the timings 'auto' compared */
    reason: s.string(),
    /** what overrides the setting on this machine ('BIGGAN_RUNTIME=tfjs is set, …'), or null */
    override: s.nullable(s.string()),
    /** CPU threads available here: the most 'threads' usefully asks for */
    cores: s.number(),
  }),
  training: s.object({
    /** the wasm threads the next run computes on under the setting ('auto' resolved here) */
    threads: s.number(),
    /** what overrides the setting on this machine ('BIGGAN_WASM_THREADS=4 is set, …'), or null */
    override: s.nullable(s.string()),
  }),
  /** stored values that could not be used (corrupt, or from a newer version): their defaults serve instead */
  notices: s.array(s.string()),
})

export const contract = {
  'engine:info': { input: s.none(), output: engineInfo },
  /** the studio's settings, and what serves previews under them */
  'settings:get': { input: s.none(), output: settingsState },
  /** changes the settings given and stores them; a new inference setting switches the previews at once */
  'settings:set': {
    input: s.object({ inference: s.optional(settingSchemas.inference), training: s.optional(settingSchemas.training) }),
    output: settingsState,
  },

  /** the model the engine holds; null before the first one is open */
  'models:current': { input: s.none(), output: s.nullable(modelInfo) },
  'models:recent': { input: s.none(), output: s.array(recentModel) },
  /** a native model folder, or any checkpoint `biggan import` reads (imported once into the app's models folder);
   *  progress events under job 'models:open' */
  'models:open': { input: s.object({ path: s.text(LIMITS.path) }), output: modelInfo },
  /** the bundled default model (a random stand-in where none is bundled) */
  'models:openDefault': { input: s.none(), output: modelInfo },

  /** classes whose name or id contains every word of the query; a number finds that class index */
  'classes:search': {
    input: s.object({ query: s.text(LIMITS.name), limit: s.optional(s.integer(1, 1000)) }),
    output: s.array(classMatch),
  },

  /** count latents drawn from seed under the model's semantics at this truncation: count·zDim values */
  'latents:sample': {
    input: s.object({ seed: s.integer(0, 2 ** 32 - 1), count: s.integer(1, LIMITS.points), truncation: s.range(0.001, 4) }),
    output: s.object({ z: s.floats(LIMITS.points * LIMITS.zDim) }),
  },
  /** unit directions in z: 'random' (orthonormal) or 'pca' (GANSpace: principal components of the first layer's
   *  activations over sampled latents, carried back to z by regression), strongest first */
  'latents:directions': {
    input: s.object({
      kind: s.oneOf('random', 'pca'),
      count: s.integer(1, 64),
      seed: s.integer(0, 2 ** 32 - 1),
      y: s.optional(s.floats(LIMITS.classes)),
    }),
    output: s.object({ directions: s.floats(64 * LIMITS.zDim), explained: s.floats(64) }),
  },

  /** images for points. A newer request with the same view supersedes a queued older one (which fails with code
   *  'superseded'): the latest slider value wins. */
  'images:render': {
    input: s.object({ view: s.text(64), points: s.list(point, LIMITS.points) }),
    output: rendered,
  },
  /** a PNG of one point with its latent record in the PNG's metadata */
  'images:png': { input: s.object({ point, name: s.optional(s.text(LIMITS.name)) }), output: file },
  /** an animation of points: an animated GIF or a zip of PNG frames */
  'images:sequence': {
    input: s.object({
      points: s.list(point, LIMITS.frames),
      format: s.oneOf('gif', 'png-zip'),
      fps: s.range(1, 60),
      name: s.optional(s.text(LIMITS.name)),
    }),
    output: file,
  },
  /** the latent record inside a PNG the studio wrote (a dropped file), and whether it fits the current model */
  'images:readPng': {
    input: s.object({ png: s.bytes(LIMITS.pngBytes) }),
    output: s.object({ record: latentRecord, sameModel: s.boolean(), point }),
  },

  /** saves a point of the current model; main renders its thumbnail */
  'favourites:save': {
    input: s.object({
      point,
      ...favouriteEdit,
      parentId: s.optional(s.integer(1, Number.MAX_SAFE_INTEGER)),
    }),
    output: favourite,
  },
  'favourites:list': {
    input: s.object({
      /** words matched against name, notes and tags */
      query: s.optional(s.text(LIMITS.name)),
      tag: s.optional(s.text(LIMITS.name)),
      minRating: s.optional(s.integer(0, 5)),
      /** only this model's favourites */
      modelHash: s.optional(s.text(128)),
      limit: s.optional(s.integer(1, 1000)),
      offset: s.optional(s.integer(0, Number.MAX_SAFE_INTEGER)),
    }),
    output: s.object({ items: s.array(favourite), total: s.number() }),
  },
  'favourites:get': { input: s.object({ id: s.integer(1, Number.MAX_SAFE_INTEGER) }), output: favourite },
  'favourites:update': {
    input: s.object({
      id: s.integer(1, Number.MAX_SAFE_INTEGER),
      name: s.optional(favouriteEdit.name),
      tags: s.optional(favouriteEdit.tags),
      notes: s.optional(favouriteEdit.notes),
      rating: s.optional(favouriteEdit.rating),
    }),
    output: favourite,
  },
  'favourites:delete': {
    input: s.object({ id: s.integer(1, Number.MAX_SAFE_INTEGER) }),
    output: s.object({ deleted: s.boolean() }),
  },
  /** the favourite's ancestors (oldest first), itself, then its descendants */
  'favourites:lineage': {
    input: s.object({ id: s.integer(1, Number.MAX_SAFE_INTEGER) }),
    output: s.object({ ancestors: s.array(favourite), self: favourite, descendants: s.array(favourite) }),
  },
  'favourites:tags': { input: s.none(), output: s.array(s.object({ tag: s.string(), count: s.number() })) },
  /** a JSON file of favourites (all, or the ids given) */
  'favourites:export': {
    input: s.object({ ids: s.optional(s.list(s.integer(1, Number.MAX_SAFE_INTEGER), 100_000)) }),
    output: file,
  },
  /** favourites from such a file; those already present (same model, point and name) are skipped */
  'favourites:import': {
    input: s.object({ bytes: s.bytes(LIMITS.favouritesFileBytes) }),
    output: s.object({ imported: s.number(), skipped: s.number(), errors: s.array(s.string()) }),
  },

  /** the open session (the newest one after a restart; a new one when there is none) */
  'session:current': { input: s.none(), output: sessionState },
  'session:list': { input: s.none(), output: s.array(sessionSummary) },
  'session:open': { input: s.object({ id: s.integer(1, Number.MAX_SAFE_INTEGER) }), output: sessionState },
  'session:new': { input: s.object({ name: s.optional(s.text(LIMITS.name)) }), output: sessionState },
  /** records a point after the cursor (dropping any redo entries) */
  'session:push': {
    input: s.object({ point, view: s.text(64), label: s.optional(s.text(LIMITS.name)) }),
    output: sessionState,
  },
  'session:undo': { input: s.none(), output: sessionState },
  'session:redo': { input: s.none(), output: sessionState },

  /** cancels a running job ('models:open', a render view, …) */
  'jobs:cancel': { input: s.object({ job: s.text(64) }), output: s.object({ cancelled: s.boolean() }) },

  /** the system's folder dialog, over the window that asked: the folder chosen, or null when the user cancelled.
   *  Electron only: web mode has no system dialog and refuses with code 'unsupported' (the renderer keeps its path
   *  field; engine:info's shell says which) */
  'dialog:chooseFolder': {
    input: s.object({ title: s.optional(s.text(LIMITS.name)), defaultPath: s.optional(s.text(LIMITS.path)) }),
    output: s.object({ path: s.nullable(s.string()) }),
  },
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

  /** the judge's top-k classes for a point's image as rendered: D's class evidence by default (fails for a
   *  generator-only model), or a classifier's probabilities; `scores` has every class */
  'inspect:evidence': {
    input: s.object({ point, k: s.optional(s.integer(1, 100)), judge: s.optional(judgeSpec) }),
    output: s.object({ judge: judgeInfo, top: s.array(classScore), scores: s.floats(LIMITS.classes) }),
  },
  /** the leakage matrix of the open model: intended × detected counts per truncation, the seeds in each cell, and
   *  leakage rates per truncation and per class; progress under job 'inspect:leakage' (jobs:cancel stops it) */
  'inspect:leakage': { input: s.object(leakageRequest), output: leakageReport },
  /** the same matrix for each checkpoint of a run (its checkpoints/step-N folders, oldest first), or of model or run
   *  folders; progress under job 'inspect:leakageCheckpoints' */
  'inspect:leakageCheckpoints': {
    input: s.object({ ...leakageRequest, runId: s.optional(runId), folders: s.optional(s.list(s.text(LIMITS.path), 64)) }),
    output: s.object({
      truncations: s.array(s.nullable(s.number())),
      checkpoints: s.array(
        s.object({
          dir: s.string(),
          step: s.nullable(s.number()),
          contentHash: s.nullable(s.string()),
          /** per truncation, in the request's order */
          leakage: s.array(s.number()),
          report: leakageReport,
        }),
      ),
    }),
  },
  /** which pixels drive the judge's score for `class` (|∂score/∂x|, max over channels, over its maximum): for a
   *  point's image as rendered, or for a leakage sample; map is [R·R] row-major in [0, 1] */
  'inspect:saliency': {
    input: s.object({
      point: s.optional(point),
      sample: s.optional(leakageSample),
      class: s.integer(0, LIMITS.classes - 1),
      judge: s.optional(judgeSpec),
    }),
    output: s.object({
      resolution: s.number(),
      map: s.floats(1024 * 1024),
      score: s.number(),
      maxGradient: s.number(),
      class: s.number(),
      judge: judgeInfo,
    }),
  },
  /** a leakage cell's images: class at each seed and truncation, as the matrix judged them, with the judge's top-k
   *  and detected class per image */
  'inspect:cell': {
    input: s.object({
      class: s.integer(0, LIMITS.classes - 1),
      seeds: s.list(s.integer(0, 2 ** 32 - 1), LIMITS.points),
      /** as the matrix had it: null is none */
      truncation: leakageTruncation,
      k: s.optional(s.integer(1, 100)),
      judge: s.optional(judgeSpec),
    }),
    output: s.object({ images: rendered, judge: judgeInfo, top: s.array(s.array(classScore)), detected: s.array(s.number()) }),
  },

  /** the extractor the studio measures with when none is chosen: the bundled classifier for a model with its classes,
   *  else D; null when neither fits (a generator-only model of other classes) */
  'metrics:defaultExtractor': {
    input: s.none(),
    output: s.object({ extractor: s.nullable(s.oneOf('classifier', 'discriminator')) }),
  },
  /** FD, KID, precision/recall and density/coverage of the open model against a folder of real images at each
   *  truncation, in an extractor's feature space; stored in the library (and the curve written into the model
   *  folder's metrics/ where it is the user's), returned as stored. Progress under job 'metrics:compute' (jobs:cancel
   *  stops it) */
  'metrics:compute': { input: s.object(generatorMetricsRequest), output: generatorMetricsRecord },
  /** the stored measurements of a model (absent: the open model), newest first */
  'metrics:list': { input: s.object({ modelHash: s.optional(s.text(128)) }), output: s.array(generatorMetricsRecord) },
  'metrics:delete': { input: s.object({ id: s.integer(1, Number.MAX_SAFE_INTEGER) }), output: s.object({ deleted: s.boolean() }) },
} satisfies Record<string, { input: Schema<unknown>; output: Schema<unknown> }>

/** What the back end pushes to every renderer. */
export const studioEvent = s.object({
  type: s.oneOf('progress', 'model', 'notice', 'training'),
  /** progress: the job ('models:open', …), its step and total, in words */
  job: s.optional(s.string()),
  label: s.optional(s.string()),
  done: s.optional(s.number()),
  total: s.optional(s.number()),
  /** model: the model now open */
  model: s.optional(modelInfo),
  /** notice: something the user should know ('error' | 'warning' | 'info') */
  level: s.optional(s.oneOf('error', 'warning', 'info')),
  message: s.optional(s.string()),
  /** training: what a fine-tuning run reports */
  training: s.optional(trainingEvent),
})
export const EVENT_CHANNEL = 'studio:event'

export type Channel = keyof typeof contract
export type Input<C extends Channel> = Infer<(typeof contract)[C]['input']>
export type Output<C extends Channel> = Infer<(typeof contract)[C]['output']>

export type EngineInfo = Output<'engine:info'>
export type StudioSettings = Infer<typeof studioSettings>
export type InferenceSetting = StudioSettings['inference']
export type TrainingSetting = StudioSettings['training']
export type SettingsState = Output<'settings:get'>
export type ModelInfo = Infer<typeof modelInfo>
export type RecentModel = Infer<typeof recentModel>
export type ClassMatch = Infer<typeof classMatch>
export type Point = Infer<typeof point>
export type LatentRecord = Infer<typeof latentRecord>
export type Rendered = Infer<typeof rendered>
export type ExportedFile = Infer<typeof file>
export type Favourite = Infer<typeof favourite>
export type SessionState = Infer<typeof sessionState>
export type SessionSummary = Infer<typeof sessionSummary>
export type HistoryEntry = Infer<typeof historyEntry>
export type StudioEvent = Infer<typeof studioEvent>
export type Semantics = Infer<typeof semantics>
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
export type JudgeSpec = Infer<typeof judgeSpec>
export type JudgeInfo = Infer<typeof judgeInfo>
export type ClassScore = Infer<typeof classScore>
export type LeakageReport = Infer<typeof leakageReport>
export type ExtractorSpec = Infer<typeof extractorSpec>
export type GeneratorMetricsRecord = Infer<typeof generatorMetricsRecord>
export type PreviewGrid = Infer<typeof previewGrid>

export const CHANNELS = Object.keys(contract) as Channel[]

export function isChannel(value: unknown): value is Channel {
  return typeof value === 'string' && Object.hasOwn(contract, value)
}

// What the back end answers on every channel: a value, or an error the renderer can show as it is.
export interface ReplyError {
  /** bad-input: the request broke the contract; forbidden: untrusted sender or token; failed: the work failed
   *  (message says why and what to do); superseded / cancelled: a newer request replaced it, or it was cancelled;
   *  unsupported: this shell cannot do it (a system dialog in web mode) */
  code: 'bad-input' | 'forbidden' | 'failed' | 'superseded' | 'cancelled' | 'unsupported'
  message: string
  detail?: string
}
export type Reply<T> = { ok: true; value: T } | { ok: false; error: ReplyError }

/** The Error a StudioApi call rejects with: the ReplyError's message, and its code. */
export class StudioError extends Error {
  override readonly name = 'StudioError'
  constructor(
    readonly code: ReplyError['code'],
    message: string,
  ) {
    super(message)
  }
}

// window.studio as the preload exposes it, and web mode's client alike: one method per channel, grouped by domain
// ('favourites:save' → studio.favourites.save(input)), plus the event stream.
type DomainOf<C extends string> = C extends `${infer D}:${string}` ? D : never
type Method<C extends Channel> = Input<C> extends undefined
  ? () => Promise<Output<C>>
  : (input: Input<C>) => Promise<Output<C>>
export type StudioApi = {
  [D in DomainOf<Channel>]: { [C in Channel as C extends `${D}:${infer V}` ? V : never]: Method<C> }
} & {
  events: { subscribe(listener: (event: StudioEvent) => void): () => void }
}

/** Builds the StudioApi over a transport: `invoke` sends one request and resolves with its Reply. Outputs are
 *  parsed against the contract before the caller sees them. */
export function buildStudioApi(
  invoke: (channel: Channel, input: unknown) => Promise<Reply<unknown>>,
  subscribe: (listener: (event: unknown) => void) => () => void,
): StudioApi {
  const api: Record<string, Record<string, unknown>> = {}
  for (const channel of CHANNELS) {
    const [domain, verb] = channel.split(':')
    api[domain] ??= {}
    api[domain][verb] = async (input?: unknown) => {
      const reply = await invoke(channel, input)
      if (typeof reply !== 'object' || reply === null) throw new StudioError('failed', `${channel}: no reply`)
      if (!reply.ok) throw new StudioError(reply.error.code, reply.error.message)
      return contract[channel].output.parse(reply.value, channel)
    }
  }
  api.events = {
    subscribe: (listener: (event: StudioEvent) => void) =>
      subscribe((raw) => {
        try {
          listener(studioEvent.parse(raw, 'event'))
        } catch {
          // an event that breaks the contract is dropped, never shown
        }
      }),
  }
  return api as unknown as StudioApi
}
