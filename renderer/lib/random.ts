// Seeded randomness for the renderer's own choices (nudge directions, walks, children): the same seed gives the same
// moves, so a session can be replayed. z itself is always drawn by the back end (latents:sample), never here.

/** The largest seed the contract accepts. */
export const MAX_SEED = 2 ** 32 - 1

/** mulberry32: a small, fast 32-bit generator; good enough for UI moves (not for z). */
export class Rng {
  private state: number

  constructor(seed: number) {
    this.state = Math.trunc(seed) >>> 0
  }

  /** uniform in [0, 1) */
  uniform(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0
    let t = this.state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  /** standard normal (Box–Muller) */
  normal(): number {
    let u = this.uniform()
    while (u === 0) u = this.uniform()
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.uniform())
  }

  /** an integer in [0, n) */
  int(n: number): number {
    return Math.floor(this.uniform() * n)
  }

  /** n standard normals */
  normals(n: number): Float32Array {
    const out = new Float32Array(n)
    for (let i = 0; i < n; i++) out[i] = this.normal()
    return out
  }
}

/** A fresh seed from the platform's random source (for "new seed" and new direction sets). */
export function randomSeed(): number {
  const word = new Uint32Array(1)
  globalThis.crypto.getRandomValues(word)
  return word[0]
}

/** A seed typed by the user, or null when the text is not an integer in [0, 2³²−1]. */
export function parseSeed(text: string): number | null {
  const t = text.trim()
  if (!/^\d+$/.test(t)) return null
  const n = Number(t)
  return Number.isSafeInteger(n) && n <= MAX_SEED ? n : null
}

/** Mixes two integers into a new 32-bit seed (a child's seed from its parent's and its index). */
export function mixSeed(a: number, b: number): number {
  let h = (Math.imul(a >>> 0, 0x9e3779b1) ^ (b >>> 0)) >>> 0
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0
  return (h ^ (h >>> 16)) >>> 0
}
