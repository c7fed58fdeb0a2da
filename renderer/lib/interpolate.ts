// Paths between two points: z by slerp, the class vector and the truncation by lerp; and the two ends, each named when
// it was chosen.
import type { Favourite, Point } from '../../preload/contract/index.ts'
import { lerp, slerp } from './latent.ts'
import { clonePoint, pointName, pointOf } from './points.ts'

/** The fractions 0 … 1 of `frames` evenly spaced frames (both ends included). */
export function fractions(frames: number): number[] {
  if (!Number.isInteger(frames) || frames < 2) throw new Error(`a path needs at least 2 frames, got ${frames}`)
  return Array.from({ length: frames }, (_, i) => i / (frames - 1))
}

export function pointBetween(a: Point, b: Point, t: number): Point {
  if (a.z.length !== b.z.length || a.y.length !== b.y.length) {
    throw new Error('these two points belong to different models: their z or class vectors differ in length')
  }
  const p: Point = { z: slerp(a.z, b.z, t), y: lerp(a.y, b.y, t), truncation: a.truncation + (b.truncation - a.truncation) * t }
  // the ends are still their seeds' draws
  if (t === 0 && a.seed !== undefined) p.seed = a.seed
  if (t === 1 && b.seed !== undefined) p.seed = b.seed
  if (t === 0) p.z = Float32Array.from(a.z)
  if (t === 1) p.z = Float32Array.from(b.z)
  return p
}

export function interpolatePoints(a: Point, b: Point, frames: number): Point[] {
  return fractions(frames).map((t) => pointBetween(a, b, t))
}

/** A ping-pong frame order (0 1 … n−1 n−2 … 1) so an animation loops without a jump. */
export function pingPong(frames: number): number[] {
  if (frames < 2) return [0]
  const forward = Array.from({ length: frames }, (_, i) => i)
  return forward.concat(forward.slice(1, -1).reverse())
}

/** An end of a path, named when it was chosen: its classes and seed, or the favourite's name. */
export interface End {
  point: Point
  /** 'T-shirt/top · seed 42', or a favourite's name */
  label: string
  favouriteId?: number
}

/** An end at a point (the current one, a random seed): named by its classes and seed as they are now. */
export function pointEnd(point: Point, classNames: string[]): End {
  return { point: clonePoint(point), label: pointName(point, classNames) }
}

export function favouriteEnd(f: Pick<Favourite, 'id' | 'name' | 'z' | 'y' | 'truncation' | 'seed'>): End {
  return { point: pointOf(f), label: f.name, favouriteId: f.id }
}

/** How an end reads beside its thumbnail. */
export function endCaption(end: End): string {
  return end.favouriteId !== undefined ? `favourite “${end.label}”` : end.label
}

/** The exported sequence's name: both ends' names ('T-shirt/top seed 42 to Trouser seed 7'). */
export function sequenceName(a: End, b: End): string {
  const words = (end: End): string => end.label.replace(/\s*·\s*/g, ' ').replace(/[“”]/g, '')
  return `${words(a)} to ${words(b)}`.slice(0, 200)
}

/** An end as the page keeps it across reloads (JSON), and back; null for anything that is not one. */
export function endToJson(end: End | null): Record<string, unknown> | null {
  if (!end) return null
  const { point } = end
  return {
    z: Array.from(point.z),
    y: Array.from(point.y),
    truncation: point.truncation,
    ...(point.seed !== undefined ? { seed: point.seed } : {}),
    label: end.label,
    ...(end.favouriteId !== undefined ? { favouriteId: end.favouriteId } : {}),
  }
}

export function endFromJson(value: unknown): End | null {
  if (typeof value !== 'object' || value === null) return null
  const v = value as Record<string, unknown>
  const numbers = (a: unknown): a is number[] => Array.isArray(a) && a.length > 0 && a.every((x) => typeof x === 'number' && Number.isFinite(x))
  if (!numbers(v.z) || !numbers(v.y) || typeof v.truncation !== 'number' || typeof v.label !== 'string') return null
  const point: Point = { z: Float32Array.from(v.z), y: Float32Array.from(v.y), truncation: v.truncation }
  if (Number.isInteger(v.seed)) point.seed = v.seed as number
  return { point, label: v.label, ...(Number.isInteger(v.favouriteId) ? { favouriteId: v.favouriteId as number } : {}) }
}
