// A seeded random stream for latents and everything else the engine samples, so that a (seed, count) pair
// regenerates the same z on every machine and a training run can save and restore its random state exactly.
// xoshiro128** seeded through splitmix32; normals by Box–Muller (both values used).

export interface RandomState {
  s: [number, number, number, number]
  spare: number | null
}

export class Random {
  private s: Uint32Array
  private spare: number | null = null

  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new Error(`random seed must be a finite number, got ${seed}`)
    let x = Math.trunc(seed) >>> 0
    const next = (): number => {
      // splitmix32
      x = (x + 0x9e3779b9) >>> 0
      let z = x
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
      return (z ^ (z >>> 16)) >>> 0
    }
    this.s = new Uint32Array([next(), next(), next(), next()])
  }

  static fromState(state: RandomState): Random {
    const r = new Random(0)
    r.s = Uint32Array.from(state.s)
    r.spare = state.spare
    return r
  }

  state(): RandomState {
    return { s: [this.s[0], this.s[1], this.s[2], this.s[3]], spare: this.spare }
  }

  /** uniform 32-bit integer */
  uint32(): number {
    const s = this.s
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0
    const t = (s[1] << 9) >>> 0
    s[2] ^= s[0]
    s[3] ^= s[1]
    s[1] ^= s[2]
    s[0] ^= s[3]
    s[2] ^= t
    s[3] = rotl(s[3], 11)
    return result
  }

  /** uniform in [0, 1) with 53 random bits */
  uniform(): number {
    const hi = this.uint32() >>> 5 // 27 bits
    const lo = this.uint32() >>> 6 // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992
  }

  /** standard normal */
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare
      this.spare = null
      return v
    }
    let u = 0
    while (u === 0) u = this.uniform()
    const v = this.uniform()
    const r = Math.sqrt(-2 * Math.log(u))
    this.spare = r * Math.sin(2 * Math.PI * v)
    return r * Math.cos(2 * Math.PI * v)
  }

  /** n standard normals */
  normals(n: number): Float32Array {
    const out = new Float32Array(n)
    for (let i = 0; i < n; i++) out[i] = this.normal()
    return out
  }

  /** an integer in [0, n) */
  int(n: number): number {
    return Math.floor(this.uniform() * n)
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0
}
