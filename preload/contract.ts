// The one contract between the renderer and the studio's back end: every channel ('domain:verb') with the schema
// of its input and of its output, and the events the back end pushes. Two transports carry it — Electron IPC
// (main/ipc, preload/index.ts) and web mode's WebSocket (main/web, renderer/lib/webTransport.ts) — and both parse
// inputs with it before any handler runs and outputs before the renderer sees them. Nothing else crosses.
// Images cross as raw RGBA pixels (Uint8Array), latents and class vectors as Float32Array, never as base64.
import { s, type Infer, type Schema } from './schema.ts'

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
  /** 'electron' or 'web' */
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

export const contract = {
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
} satisfies Record<string, { input: Schema<unknown>; output: Schema<unknown> }>

/** What the back end pushes to every renderer. */
export const studioEvent = s.object({
  type: s.oneOf('progress', 'model', 'notice'),
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
})
export const EVENT_CHANNEL = 'studio:event'

export type Channel = keyof typeof contract
export type Input<C extends Channel> = Infer<(typeof contract)[C]['input']>
export type Output<C extends Channel> = Infer<(typeof contract)[C]['output']>

export type EngineInfo = Output<'engine:info'>
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

export const CHANNELS = Object.keys(contract) as Channel[]

export function isChannel(value: unknown): value is Channel {
  return typeof value === 'string' && Object.hasOwn(contract, value)
}

// What the back end answers on every channel: a value, or an error the renderer can show as it is.
export interface ReplyError {
  /** bad-input: the request broke the contract; forbidden: untrusted sender or token; failed: the work failed
   *  (message says why and what to do); superseded / cancelled: a newer request replaced it, or it was cancelled */
  code: 'bad-input' | 'forbidden' | 'failed' | 'superseded' | 'cancelled'
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
