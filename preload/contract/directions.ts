// The contract's named directions (directions:*): a direction in the open model's z kept in the library under the
// person's name, with the range of G's blocks — hierarchical-z chunks — it edits (GANSpace's layer-wise edit).
import { LIMITS } from './limits.ts'
import { s, type ChannelSchemas, type Infer } from './schema.ts'

/** The hierarchical-z chunks a direction edits, first to last inclusive: 0 feeds G's linear layer, i its block i
 *  (modelInfo.zChunks and zChunkLabels say where each sits in z). A model without chunks has only chunk 0. */
const blocks = s.object({ first: s.integer(0, LIMITS.zDim - 1), last: s.integer(0, LIMITS.zDim - 1) })

const direction = s.object({
  id: s.number(),
  modelHash: s.string(),
  name: s.string(),
  /** where it was found: Explore's random orthogonal set, or GANSpace's principal components */
  kind: s.oneOf('random', 'pca'),
  /** [zDim], unit length as found */
  vector: s.floats(LIMITS.zDim),
  blocks,
  createdAt: s.string(),
  updatedAt: s.string(),
})

const id = s.integer(1, Number.MAX_SAFE_INTEGER)

export const directionChannels = {
  /** the directions kept for a model (absent: the open model), oldest first */
  'directions:list': { input: s.object({ modelHash: s.optional(s.text(128)) }), output: s.array(direction) },
  /** keeps a direction of the open model under a name, with the blocks it edits */
  'directions:save': {
    input: s.object({ name: s.text(LIMITS.name), kind: s.oneOf('random', 'pca'), vector: s.floats(LIMITS.zDim), blocks }),
    output: direction,
  },
  /** renames a kept direction or changes the blocks it edits */
  'directions:update': {
    input: s.object({ id, name: s.optional(s.text(LIMITS.name)), blocks: s.optional(blocks) }),
    output: direction,
  },
  'directions:delete': { input: s.object({ id }), output: s.object({ deleted: s.boolean() }) },
} satisfies Record<string, ChannelSchemas>

export type NamedDirection = Infer<typeof direction>
export type BlockRange = Infer<typeof blocks>
