// The contract's engine domain: what computes (engine:info), the model it holds (models:*), that model's classes
// (classes:search), latents (latents:*) and images (images:*). The point, the rendered images, the exported file
// and the model description are declared here and shared with the other domains.
import { LIMITS } from './limits.ts'
import { s, type ChannelSchemas, type Infer } from './schema.ts'

/** a truncation value as it crosses: a threshold (paper) or ψ (released); the model says which range it takes */
export const truncationValue = s.range(LIMITS.truncation.min, LIMITS.truncation.max)

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
  /** which runtime serves previews: 'tfjs', or 'onnx (CPU, 2 threads)' */
  previews: s.string(),
  /** 'electron' or 'web'. Only 'electron' answers dialog:chooseFolder with the system's folder dialog; web mode
   *  refuses it ('unsupported'), and the renderer keeps a path field */
  shell: s.oneOf('electron', 'web'),
})

/** How a model reads the truncation value of a point.
 *  'paper': z was drawn from N(0, I) truncated at ±truncation by resampling; the value only shaped z.
 *  'released': z = ψ·TN(−2, 2) and ψ = truncation also selects the generator's BatchNorm statistics. */
export const semantics = s.oneOf('paper', 'released')

export const modelInfo = s.object({
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
  /** the truncation the studio starts from, the range its slider offers, and what the model accepts: above `above`,
   *  at most `atMost` (a typed value outside is refused with that range) */
  truncation: s.object({ default: s.number(), min: s.number(), max: s.number(), above: s.number(), atMost: s.number() }),
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
export const point = s.object({
  z: s.floats(LIMITS.zDim),
  /** soft class vector over all classes (a one-hot for a plain class, a blend otherwise) */
  y: s.floats(LIMITS.classes),
  /** the model's truncation value (see semantics) */
  truncation: truncationValue,
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
  /** how the exported image was enlarged from the model's resolution; absent: as generated */
  upscale: s.optional(s.object({ factor: s.number(), filter: s.oneOf('nearest', 'smooth') })),
})

export const rendered = s.object({
  width: s.number(),
  height: s.number(),
  count: s.number(),
  /** count images, each height·width·4 RGBA bytes, row-major */
  pixels: s.bytes(LIMITS.points * 512 * 512 * 4),
})

/** An export enlarged from the model's resolution by a whole factor. */
const upscale = s.object({ factor: s.integer(1, 16), filter: s.oneOf('nearest', 'smooth') })

export const file = s.object({ bytes: s.bytes(LIMITS.favouritesFileBytes), fileName: s.string() })

export const engineChannels = {
  'engine:info': { input: s.none(), output: engineInfo },

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
    input: s.object({ seed: s.integer(0, 2 ** 32 - 1), count: s.integer(1, LIMITS.points), truncation: truncationValue }),
    output: s.object({ z: s.floats(LIMITS.points * LIMITS.zDim) }),
  },
  /** z with the values at [start, end) drawn afresh from seed under the model's truncation, the rest kept (a
   *  hierarchical-z chunk redrawn): the engine draws every z, so the renderer never needs its own sampler */
  'latents:redraw': {
    input: s.object({
      z: s.floats(LIMITS.zDim),
      start: s.integer(0, LIMITS.zDim),
      end: s.integer(1, LIMITS.zDim),
      seed: s.integer(0, 2 ** 32 - 1),
      truncation: truncationValue,
    }),
    output: s.object({ z: s.floats(LIMITS.zDim) }),
  },
  /** z drawn at truncation `from` moved to truncation `to`, as the model's semantics say: ψ scales the same values
   *  ('released'); a threshold redraws only the values outside it ('paper') */
  'latents:retruncate': {
    input: s.object({ z: s.floats(LIMITS.zDim), from: truncationValue, to: truncationValue, seed: s.integer(0, 2 ** 32 - 1) }),
    output: s.object({ z: s.floats(LIMITS.zDim) }),
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
  /** a PNG of one point with its latent record in the PNG's metadata, enlarged by `upscale` (the record says how) */
  'images:png': { input: s.object({ point, name: s.optional(s.text(LIMITS.name)), upscale: s.optional(upscale) }), output: file },
  /** an animation of points: an animated GIF or a zip of PNG frames */
  'images:sequence': {
    input: s.object({
      points: s.list(point, LIMITS.frames),
      format: s.oneOf('gif', 'png-zip'),
      fps: s.range(1, 60),
      name: s.optional(s.text(LIMITS.name)),
      /** every frame enlarged: a factor 1–16 and 'nearest' (blocks, the pixels as generated) or 'smooth' (bilinear) */
      upscale: s.optional(upscale),
    }),
    output: file,
  },
  /** the latent record inside a PNG the studio wrote (a dropped file), and whether it fits the current model */
  'images:readPng': {
    input: s.object({ png: s.bytes(LIMITS.pngBytes) }),
    output: s.object({ record: latentRecord, sameModel: s.boolean(), point }),
  },
} satisfies Record<string, ChannelSchemas>

export type EngineInfo = Infer<typeof engineInfo>
export type ModelInfo = Infer<typeof modelInfo>
export type RecentModel = Infer<typeof recentModel>
export type ClassMatch = Infer<typeof classMatch>
export type Point = Infer<typeof point>
export type LatentRecord = Infer<typeof latentRecord>
export type Rendered = Infer<typeof rendered>
export type ExportedFile = Infer<typeof file>
export type Semantics = Infer<typeof semantics>
