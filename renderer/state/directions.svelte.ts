// Named directions of the open model (directions:*): the ones the person kept from Explore's sets, each with the
// range of G's blocks it edits, and a step along one as a layer-wise edit (only the z chunks of those blocks move).
import type { BlockRange, NamedDirection } from '../../preload/contract/index.ts'
import { errorMessage } from '../lib/errors.ts'
import { chunkRanges, chunkRangeLabel, layerwiseDirection, step } from '../lib/latent.ts'
import { studio } from '../lib/studio.ts'
import { current } from './current.svelte.ts'
import { model } from './model.svelte.ts'
import { notices } from './notices.svelte.ts'

class NamedDirections {
  list = $state.raw<NamedDirection[]>([])
  /** the model the list is for */
  private loadedFor: string | null = null
  error = $state<string | null>(null)

  /** The kept directions of the open model (once per model unless `force`). */
  async load(force = false): Promise<void> {
    const hash = model.info?.hash
    if (!hash || (!force && this.loadedFor === hash)) return
    this.loadedFor = hash
    try {
      const list = await studio().directions.list({ modelHash: hash })
      if (model.info?.hash === hash) {
        this.list = list
        this.error = null
      }
    } catch (e) {
      this.error = errorMessage(e)
    }
  }

  async save(name: string, kind: 'random' | 'pca', vector: Float32Array, blocks: BlockRange): Promise<NamedDirection | null> {
    try {
      const saved = await studio().directions.save({ name, kind, vector, blocks })
      this.list = [...this.list, saved]
      return saved
    } catch (e) {
      notices.fail('Could not keep the direction', e)
      return null
    }
  }

  async update(id: number, patch: { name?: string; blocks?: BlockRange }): Promise<void> {
    try {
      const updated = await studio().directions.update({ id, ...patch })
      this.list = this.list.map((d) => (d.id === id ? updated : d))
    } catch (e) {
      notices.fail('Could not change the direction', e)
    }
  }

  async remove(id: number): Promise<void> {
    try {
      await studio().directions.delete({ id })
      this.list = this.list.filter((d) => d.id !== id)
    } catch (e) {
      notices.fail('Could not delete the direction', e)
    }
  }

  /** One step of `amount` along a kept direction, in its blocks only. */
  step(d: NamedDirection, amount: number): void {
    const info = model.info
    const p = current.point
    if (!info || !p || d.modelHash !== info.hash) return
    try {
      const chunks = chunkRanges(info.zChunks, info.zChunkLabels, info.zDim)
      const z = step(p.z, layerwiseDirection(d.vector, chunks, d.blocks.first, d.blocks.last), amount)
      const where = chunks.length > 1 ? ` in ${chunkRangeLabel(info.zChunkLabels, d.blocks)}` : ''
      current.set({ z, y: p.y, truncation: p.truncation }, { commit: 'later', view: 'explore', label: `${d.name} ${amount > 0 ? '+' : '−'}${Math.abs(amount)}${where}` })
    } catch (e) {
      notices.fail(`Could not step along ${d.name}`, e)
    }
  }

  reset(): void {
    this.list = []
    this.loadedFor = null
    this.error = null
  }
}

export const namedDirections = new NamedDirections()
