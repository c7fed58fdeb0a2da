// Interpolate's two ends, kept while the user moves between views (so "take the current point" can be done from
// anywhere and the strip is still there when they return), and across reloads (the ends and the frame count).
import { endFromJson, endToJson, type End } from '../lib/interpolate.ts'
import type { Point } from '../../preload/contract/index.ts'
import type { RgbaImage } from '../lib/images.ts'
import { stored } from '../lib/viewState.ts'

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

  snapshot(): Record<string, unknown> {
    return { modelHash: this.modelHash, a: endToJson(this.a), b: endToJson(this.b), frames: this.frames }
  }

  restore(saved: Record<string, unknown>): void {
    if (typeof saved.modelHash !== 'string') return
    this.modelHash = saved.modelHash
    this.a = endFromJson(saved.a)
    this.b = endFromJson(saved.b)
    this.frames = stored.number(saved.frames, this.frames)
  }
}

export const interpolation = new Interpolation()
