// Geometry of z: interpolation, steps along directions, per-chunk nudges of the hierarchical latent, and the random
// walk. Pure functions over Float32Array; every function returns a new array. Drawing z from the model's truncated
// prior is the engine's (latents:sample, latents:redraw, latents:retruncate): only it knows the model's truncation.
import { Rng } from './random.ts'

export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0
  for (let i = 0; i < a.length; i++) s += a[i] * b[i]
  return s
}

export function norm(a: Float32Array): number {
  return Math.sqrt(dot(a, a))
}

/** a + amount·direction */
export function step(z: Float32Array, direction: Float32Array, amount: number): Float32Array {
  if (direction.length !== z.length) throw new Error(`direction has ${direction.length} values, z has ${z.length}`)
  const out = new Float32Array(z.length)
  for (let i = 0; i < z.length; i++) out[i] = z[i] + amount * direction[i]
  return out
}

export function lerp(a: Float32Array, b: Float32Array, t: number): Float32Array {
  if (a.length !== b.length) throw new Error(`cannot interpolate vectors of ${a.length} and ${b.length} values`)
  const out = new Float32Array(a.length)
  for (let i = 0; i < a.length; i++) out[i] = a[i] + (b[i] - a[i]) * t
  return out
}

/** Spherical interpolation: keeps the norm a Gaussian latent expects along the path (a straight line between two
 *  draws passes through low-norm z the generator rarely saw). Falls back to lerp for (nearly) parallel vectors. */
export function slerp(a: Float32Array, b: Float32Array, t: number): Float32Array {
  if (a.length !== b.length) throw new Error(`cannot interpolate vectors of ${a.length} and ${b.length} values`)
  const na = norm(a)
  const nb = norm(b)
  if (na === 0 || nb === 0) return lerp(a, b, t)
  const cos = Math.min(1, Math.max(-1, dot(a, b) / (na * nb)))
  const omega = Math.acos(cos)
  const sin = Math.sin(omega)
  if (sin < 1e-6) return lerp(a, b, t)
  const wa = Math.sin((1 - t) * omega) / sin
  const wb = Math.sin(t * omega) / sin
  const out = new Float32Array(a.length)
  for (let i = 0; i < a.length; i++) out[i] = wa * a[i] + wb * b[i]
  return out
}

export interface ChunkRange {
  index: number
  start: number
  end: number // exclusive
  label: string
}

/** Where each hierarchical-z chunk sits in z. Sizes that do not add up to zDim are an error in the model info. */
export function chunkRanges(zChunks: number[], labels: string[], zDim: number): ChunkRange[] {
  const total = zChunks.reduce((a, b) => a + b, 0)
  if (total !== zDim) throw new Error(`z chunks add up to ${total}, but z has ${zDim} values`)
  let start = 0
  return zChunks.map((size, index) => {
    const range = { index, start, end: start + size, label: labels[index] ?? `chunk ${index + 1}` }
    start += size
    return range
  })
}

/** `direction` kept only in chunks first…last (inclusive) and zero elsewhere: a step along it changes only the z those
 *  blocks of G read, the rest of the image's latent untouched. With BigGAN's hierarchical z as the per-layer latent
 *  inputs, this is GANSpace's layer-wise edit (Härkönen et al. 2020). Not renormalised: the same direction, seen by
 *  fewer layers. */
export function layerwiseDirection(direction: Float32Array, chunks: readonly ChunkRange[], first: number, last: number): Float32Array {
  if (!(Number.isInteger(first) && Number.isInteger(last) && 0 <= first && first <= last && last < chunks.length)) {
    throw new Error(`blocks ${first}–${last} are not a range of this model's ${chunks.length} z chunks (0–${chunks.length - 1})`)
  }
  const out = new Float32Array(direction.length)
  const start = chunks[first].start
  const end = chunks[last].end
  if (end > direction.length) throw new Error(`the direction has ${direction.length} values, but the chunks reach z[${end - 1}]`)
  out.set(direction.subarray(start, end), start)
  return out
}

/** "block 1 … block 3": the chunks first…last by their labels, without the resolutions. */
export function chunkRangeLabel(labels: readonly string[], range: { first: number; last: number }): string {
  const name = (i: number) => (labels[i] ?? `chunk ${i}`).replace(/ \(.*\)$/, '')
  return range.first === range.last ? name(range.first) : `${name(range.first)} … ${name(range.last)}`
}

/** A unit vector in z that is zero outside [start, end): the direction a chunk's ± buttons move along. */
export function chunkDirection(zDim: number, start: number, end: number, seed: number): Float32Array {
  const rng = new Rng(seed)
  const out = new Float32Array(zDim)
  let n2 = 0
  for (let i = start; i < end; i++) {
    out[i] = rng.normal()
    n2 += out[i] * out[i]
  }
  const n = Math.sqrt(n2) || 1
  for (let i = start; i < end; i++) out[i] /= n
  return out
}

/** One vector of count·zDim values, row i = direction i. */
export function directionAt(directions: Float32Array, index: number, zDim: number): Float32Array {
  if ((index + 1) * zDim > directions.length) throw new Error(`there is no direction ${index + 1}`)
  return directions.slice(index * zDim, (index + 1) * zDim)
}

export interface WalkState {
  /** unit velocity in z */
  velocity: Float32Array
  seed: number
}

/** One step of a smooth random walk: the velocity turns a little each step, z moves along it, and z is kept at its
 *  norm so the walk wanders over the shell the generator knows instead of drifting outwards. */
export function walkStep(
  z: Float32Array,
  walk: WalkState,
  speed: number,
  turn = 0.3,
): { z: Float32Array; walk: WalkState } {
  const rng = new Rng(walk.seed)
  const v = new Float32Array(z.length)
  const fresh = walk.velocity.length !== z.length || norm(walk.velocity) === 0
  for (let i = 0; i < z.length; i++) v[i] = (fresh ? 0 : walk.velocity[i]) + (fresh ? 1 : turn) * rng.normal() / Math.sqrt(z.length)
  const nv = norm(v) || 1
  for (let i = 0; i < v.length; i++) v[i] /= nv
  const radius = norm(z)
  let moved = step(z, v, speed)
  const nm = norm(moved)
  if (radius > 0 && nm > 0) moved = moved.map((x) => (x * radius) / nm)
  return { z: moved, walk: { velocity: v, seed: (walk.seed + 1) >>> 0 } }
}
