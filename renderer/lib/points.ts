// Points of the latent space as the views handle them: copies, checks against a model, and names.
import { LIMITS, type Favourite, type ModelInfo, type Point } from '../../preload/contract/index.ts'
import { describeClasses, topClasses } from './classes.ts'

export function clonePoint(p: Point): Point {
  const out: Point = { z: Float32Array.from(p.z), y: Float32Array.from(p.y), truncation: p.truncation }
  if (p.seed !== undefined) out.seed = p.seed
  return out
}

export function samePoint(a: Point, b: Point): boolean {
  if (a.truncation !== b.truncation || a.seed !== b.seed || a.z.length !== b.z.length || a.y.length !== b.y.length) return false
  for (let i = 0; i < a.z.length; i++) if (a.z[i] !== b.z[i]) return false
  for (let i = 0; i < a.y.length; i++) if (a.y[i] !== b.y[i]) return false
  return true
}

/** Why a point cannot be shown with this model, or null when it fits. */
export function pointMismatch(p: Point, model: Pick<ModelInfo, 'zDim' | 'numClasses' | 'truncation'>): string | null {
  if (p.z.length !== model.zDim) return `its z has ${p.z.length} values, this model's has ${model.zDim}`
  if (p.y.length !== model.numClasses) return `its class vector has ${p.y.length} classes, this model has ${model.numClasses}`
  return null
}

/** The truncation clamped to the model's slider range, inside what the contract carries. */
export function clampTruncation(t: number, model: Pick<ModelInfo, 'truncation'>): number {
  const lo = Math.max(LIMITS.truncation.min, model.truncation.min)
  const hi = Math.min(LIMITS.truncation.max, model.truncation.max)
  return Math.min(hi, Math.max(lo, t))
}

export function pointOf(f: Pick<Favourite, 'z' | 'y' | 'truncation' | 'seed'>): Point {
  const p: Point = { z: Float32Array.from(f.z), y: Float32Array.from(f.y), truncation: f.truncation }
  if (f.seed !== undefined) p.seed = f.seed
  return p
}

/** A default name for a favourite or an export: its classes, and its seed while z is that seed's draw. */
export function pointName(p: Point, classNames: string[]): string {
  const classes = describeClasses(p.y, classNames, 2)
  return p.seed !== undefined ? `${classes} · seed ${p.seed}` : `${classes} · edited z`
}

/** A file name for an exported image: its main classes and its seed, in words a file system keeps. */
export function exportName(p: Point, classNames: string[]): string {
  const classes = topClasses(p.y, 2).map((c) => classNames[c.index] ?? `class ${c.index}`)
  const what = classes.length ? classes.join(' and ') : 'image'
  return p.seed !== undefined ? `${what} seed ${p.seed}` : `${what} edited`
}
