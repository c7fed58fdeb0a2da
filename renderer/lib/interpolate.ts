// Paths between two points: z by slerp, the class vector and the truncation by lerp.
import type { Point } from '../../preload/contract/index.ts'
import { lerp, slerp } from './latent.ts'

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
