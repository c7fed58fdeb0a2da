// The contract's library domain: favourites, with their tags, ratings, lineage and files (favourites:*), and the
// session history the user explored, with its undo cursor (session:*).
import { file, point, semantics } from './engine.ts'
import { LIMITS } from './limits.ts'
import { s, type ChannelSchemas, type Infer } from './schema.ts'

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

export const libraryChannels = {
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
} satisfies Record<string, ChannelSchemas>

export type Favourite = Infer<typeof favourite>
export type SessionState = Infer<typeof sessionState>
export type SessionSummary = Infer<typeof sessionSummary>
export type HistoryEntry = Infer<typeof historyEntry>
