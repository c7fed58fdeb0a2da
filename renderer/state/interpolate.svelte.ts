// Interpolate's two ends, kept while the user moves between views (so "take the current point" can be done from
// anywhere and the strip is still there when they return).
import type { Point } from '../../preload/contract/index.ts'
import type { RgbaImage } from '../lib/images.ts'

export interface End {
  point: Point
  /** where it came from, in words: 'current point', a favourite's name */
  source: string
  favouriteId?: number
}

class Interpolation {
  a = $state.raw<End | null>(null)
  b = $state.raw<End | null>(null)
  modelHash = $state<string | null>(null)
  frames = $state(9)
  /** the strip's points, and each frame's image once rendered */
  strip = $state.raw<{ points: Point[]; images: (RgbaImage | null)[] } | null>(null)

  /** Forgets everything of another model. */
  adopt(hash: string): void {
    if (this.modelHash === hash) return
    this.modelHash = hash
    this.a = null
    this.b = null
    this.strip = null
  }
}

export const interpolation = new Interpolation()
