// Named directions' back end: the handlers of directions:*, over the library that keeps them and the engine that
// knows the open model. A direction belongs to the model whose z it lives in: it is saved under the open model's
// hash, its length checked against that model's z and its block range against its hierarchical-z chunks.
import { StudioError, type BlockRange } from '../../preload/contract/index.ts'
import type { EngineClient } from '../engine-host/client/engineClient.ts'
import type { ModelRecord } from '../engine-host/protocol/engine.ts'
import type { Handlers } from '../ipc/router.ts'
import type { Library } from '../store/index.ts'

type DirectionChannel = 'directions:list' | 'directions:save' | 'directions:update' | 'directions:delete'

export function createDirections(options: { engine: EngineClient; library: Library }): { handlers: Pick<Handlers, DirectionChannel> } {
  const { engine, library } = options

  const model = (): ModelRecord => {
    const m = engine.model
    if (!m) throw new StudioError('failed', 'no model is open: open a model (or the default model) first')
    return m
  }

  /** The range, or an error naming the chunks the model has. */
  const checkBlocks = (m: ModelRecord, blocks: BlockRange): BlockRange => {
    const count = m.zChunks.length
    if (blocks.first > blocks.last || blocks.last >= count) {
      throw new StudioError(
        'bad-input',
        `blocks ${blocks.first}–${blocks.last} are not a range of ${m.name}'s ${count} z chunk${count === 1 ? '' : 's'}: ` +
          `choose first ≤ last within 0–${count - 1} (${m.zChunkLabels.join(', ')})`,
      )
    }
    return { first: blocks.first, last: blocks.last }
  }

  return {
    handlers: {
      'directions:list': async ({ modelHash }) => library.listDirections(modelHash ?? model().hash),

      'directions:save': async ({ name, kind, vector, blocks }) => {
        const m = model()
        if (vector.length !== m.zDim) {
          throw new StudioError('bad-input', `the direction has ${vector.length} values, but ${m.name}'s z has ${m.zDim}: a direction of another model?`)
        }
        if (name.trim() === '') throw new StudioError('bad-input', 'give the direction a name')
        return library.saveDirection({ modelHash: m.hash, name: name.trim(), kind, vector: Float32Array.from(vector), blocks: checkBlocks(m, blocks) })
      },

      'directions:update': async ({ id, name, blocks }) => {
        const kept = library.getDirection(id)
        if (name !== undefined && name.trim() === '') throw new StudioError('bad-input', 'give the direction a name')
        let range: BlockRange | undefined
        if (blocks !== undefined) {
          const m = model()
          if (m.hash !== kept.modelHash) throw new StudioError('bad-input', `direction ${id} belongs to another model: open it to change its blocks`)
          range = checkBlocks(m, blocks)
        }
        return library.updateDirection(id, { ...(name !== undefined ? { name: name.trim() } : {}), ...(range ? { blocks: range } : {}) })
      },

      'directions:delete': async ({ id }) => ({ deleted: library.deleteDirection(id) }),
    },
  }
}
