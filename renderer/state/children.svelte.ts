// Blend's children grids: each "Make children" adds a generation; earlier ones stay reachable (back / forward), so
// breeding never loses a grid the user liked.
import type { Point, Rendered } from '../../preload/contract/index.ts'
import type { MutationMode } from '../lib/mutate.ts'

export interface Generation {
  modelHash: string
  parent: Point
  children: Point[]
  images: Rendered | null
  mode: MutationMode
  strength: number
}

const KEEP = 20

class Children {
  mode = $state<MutationMode>('both')
  strength = $state(0.5)
  generations = $state.raw<Generation[]>([])
  /** index of the generation shown */
  shown = $state(-1)

  add(g: Generation): void {
    const kept = this.generations.slice(-(KEEP - 1))
    this.generations = [...kept, g]
    this.shown = this.generations.length - 1
  }

  /** Replaces a generation (by identity: older ones may have been dropped meanwhile). */
  replace(old: Generation, next: Generation): void {
    this.generations = this.generations.map((g) => (g === old ? next : g))
  }

  forModel(hash: string): void {
    if (this.generations.some((g) => g.modelHash !== hash)) {
      this.generations = this.generations.filter((g) => g.modelHash === hash)
      this.shown = this.generations.length - 1
    }
  }
}

export const children = new Children()
