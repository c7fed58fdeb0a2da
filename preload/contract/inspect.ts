// The contract's inspection domain: class leakage, an image's class as a judge (a classifier or the model's own D)
// sees it (inspect:*), and generator metrics against a folder of real images (metrics:*).
import { point, rendered, truncationValue } from './engine.ts'
import { runId } from './finetune.ts'
import { LIMITS } from './limits.ts'
import { s, SchemaError, type ChannelSchemas, type Infer, type Schema } from './schema.ts'

// ——— class leakage ———

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
const leakageTruncation = s.nullable(truncationValue)

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

// ——— generator metrics ———

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
  truncations: s.list(s.nullable(truncationValue), 12),
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

export const inspectChannels = {
  /** the judge's top-k classes for a point's image as rendered, and its rank of the point's class: D's class evidence by default (fails for a
   *  generator-only model), or a classifier's probabilities; `scores` has every class */
  'inspect:evidence': {
    input: s.object({ point, k: s.optional(s.integer(1, 100)), judge: s.optional(judgeSpec) }),
    output: s.object({
      judge: judgeInfo,
      top: s.array(classScore),
      scores: s.floats(LIMITS.classes),
      /** a one-hot point's class (null for a blend) and the judge's rank of it (1: its top class; null where the
       *  judge does not know the class) */
      intended: s.nullable(s.object({ class: s.number(), name: s.string(), column: s.nullable(s.number()), rank: s.nullable(s.number()) })),
    }),
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
} satisfies Record<string, ChannelSchemas>

export type JudgeSpec = Infer<typeof judgeSpec>
export type JudgeInfo = Infer<typeof judgeInfo>
export type ClassScore = Infer<typeof classScore>
export type LeakageReport = Infer<typeof leakageReport>
export type ExtractorSpec = Infer<typeof extractorSpec>
export type GeneratorMetricsRecord = Infer<typeof generatorMetricsRecord>
