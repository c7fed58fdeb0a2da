// "Children" of a point (Ganbreeder's Make children): z jittered, the class mix shifted, or both, with a strength
// the user sets (Artbreeder's child slider). Deterministic from a seed so a grid can be regenerated.
import type { Point } from '../../preload/contract/index.ts'
import { blendVector, topClasses } from './classes.ts'
import { norm } from './latent.ts'
import { mixSeed, Rng } from './random.ts'

export type MutationMode = 'z' | 'classes' | 'both'

/** z + strength·ε with ε ~ N(0, I), rescaled to the parent's norm so strong mutations stay on the familiar shell. */
export function mutateZ(z: Float32Array, strength: number, rng: Rng): Float32Array {
  const out = new Float32Array(z.length)
  for (let i = 0; i < z.length; i++) out[i] = z[i] + strength * rng.normal()
  const r0 = norm(z)
  const r1 = norm(out)
  if (r0 > 0 && r1 > 0) for (let i = 0; i < out.length; i++) out[i] *= r0 / r1
  return out
}

/** The class mix with its weights jittered, sometimes a new class added (more often at higher strength) and
 *  negligible classes dropped; normalised. At most `maxClasses` classes survive, so mixes stay readable. */
export function mutateClasses(y: Float32Array, strength: number, rng: Rng, maxClasses = 4): Float32Array {
  const parts = topClasses(y, y.length).map((c) => ({
    index: c.index,
    weight: Math.max(0, c.weight * (1 + strength * rng.normal() * 0.5)),
  }))
  if (y.length > 1 && rng.uniform() < Math.min(0.9, 0.3 + strength)) {
    parts.push({ index: rng.int(y.length), weight: strength * (0.2 + 0.6 * rng.uniform()) })
  }
  parts.sort((a, b) => b.weight - a.weight)
  const kept = parts.slice(0, maxClasses).filter((c) => c.weight > 0.02)
  return blendVector(y.length, kept) ?? Float32Array.from(y)
}

/** `count` children of a point. Child i always gets the same mutation for the same (seed, i). */
export function makeChildren(parent: Point, count: number, strength: number, mode: MutationMode, seed: number): Point[] {
  const children: Point[] = []
  for (let i = 0; i < count; i++) {
    const rng = new Rng(mixSeed(seed, i))
    const mutatesZ = mode !== 'classes'
    const z = mutatesZ ? mutateZ(parent.z, strength, rng) : Float32Array.from(parent.z)
    const y = mode !== 'z' ? mutateClasses(parent.y, strength, rng) : Float32Array.from(parent.y)
    const child: Point = { z, y, truncation: parent.truncation }
    if (!mutatesZ && parent.seed !== undefined) child.seed = parent.seed
    children.push(child)
  }
  return children
}
