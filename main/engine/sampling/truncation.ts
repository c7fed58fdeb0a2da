// The truncation trick (paper §3.1) and the per-truncation BatchNorm statistics of the released BigGAN-deep weights.
//
// Two conventions exist and both are first-class here:
// - 'paper':    z ~ N(0, I) truncated at ±threshold, values outside RESAMPLED (never clipped: clipping piles mass
//               on the bounds). The threshold only shapes z.
// - 'released': TF-Hub / pytorch-pretrained-BigGAN: z = ψ · TN(−2, 2) and ψ also selects the BatchNorm statistics
//               rows the generator normalises with. The same z with another ψ gives another image.
// Which one a model takes follows from its config alone (per-truncation statistics rows: released), and so does
// everything else about its truncation: truncationPolicy(config) is the one answer every layer above asks — what
// the value means, which values it may take, where the studio's slider starts, how z is drawn and redrawn under it,
// and which statistics rows a forward blends.
import type { ModelConfig, StatsMode } from '../config'
import type { Random } from './random'

export type Truncation =
  | { kind: 'none' }
  | { kind: 'paper'; threshold: number }
  | { kind: 'released'; psi: number }

/** Standard normals truncated to (−threshold, threshold) by resampling. */
export function truncatedNormal(rng: Random, n: number, threshold: number): Float32Array {
  if (!(threshold > 0)) throw new Error(`truncation threshold must be > 0, got ${threshold}`)
  const out = new Float32Array(n)
  for (let i = 0; i < n; i++) {
    let x = rng.normal()
    while (Math.abs(x) >= threshold) x = rng.normal()
    out[i] = x
  }
  return out
}

/** Latents [batch, zDim] (row-major) under a truncation convention. */
export function sampleLatents(rng: Random, batch: number, zDim: number, truncation: Truncation): Float32Array {
  const n = batch * zDim
  switch (truncation.kind) {
    case 'none':
      return rng.normals(n)
    case 'paper':
      return truncatedNormal(rng, n, truncation.threshold)
    case 'released': {
      checkPsi(truncation.psi)
      const z = truncatedNormal(rng, n, 2)
      for (let i = 0; i < n; i++) z[i] *= truncation.psi
      return z
    }
  }
}

/** The ψ that selects BatchNorm statistics for a truncation (1 = the untruncated statistics). */
export function statisticsTruncation(truncation: Truncation): number {
  return truncation.kind === 'released' ? truncation.psi : 1
}

export interface StatsRow {
  row: number
  weight: number
}

/** Which rows of per-truncation statistics (nStats rows on the grid 0, 1/(n−1), …, 1) a truncation ψ uses, and with
 *  what weights. ψ must stay a double: HF's rule is sensitive to its rounding (0.02 as float32 picks another row).
 *
 *  'hf' reproduces pytorch-pretrained-BigGAN exactly: q = ψ / (1/(n−1)), i = ⌊q⌋, f = frac(q); f = 0 → row i,
 *  else row_i·f + row_{i+1}·(1 − f). The weights are swapped against a true interpolation (the closer row gets less
 *  weight) and float error puts some grid values a hair off the grid, where the swap picks a neighbour: a hair above
 *  gives the next row (0.14, 0.28, 0.56 → rows of 0.16, 0.30, 0.58), a hair below the previous (0.58, 0.94 → 0.56, 0.92).
 *  'lerp' interpolates correctly: row_i·(1 − f) + row_{i+1}·f with q = ψ·(n − 1), and a ψ within float error of a
 *  grid point (q within 1e-9 of an integer) is that grid point's row alone. */
export function statsRows(psi: number, nStats: number, mode: StatsMode): StatsRow[] {
  if (nStats <= 1) return [{ row: 0, weight: 1 }]
  checkPsi(psi, mode === 'lerp')
  if (mode === 'hf') {
    const step = 1.0 / (nStats - 1)
    const q = psi / step
    const i = Math.trunc(q)
    const f = q - i
    if (f === 0) return [{ row: i, weight: 1 }]
    return [
      { row: i, weight: f },
      { row: i + 1, weight: 1 - f },
    ]
  }
  const q = psi * (nStats - 1)
  const nearest = Math.round(q)
  if (Math.abs(q - nearest) <= 1e-9) return [{ row: nearest, weight: 1 }]
  const i = Math.min(Math.floor(q), nStats - 2)
  const f = q - i
  return [
    { row: i, weight: 1 - f },
    { row: i + 1, weight: f },
  ]
}

function checkPsi(psi: number, allowZero = false): void {
  const ok = Number.isFinite(psi) && psi <= 1 && (allowZero ? psi >= 0 : psi > 0)
  if (!ok) {
    throw new Error(
      `truncation ψ must be in ${allowZero ? '[0, 1]' : '(0, 1]'}, got ${psi}: the released weights only have statistics on that range`,
    )
  }
}

/** The truncation a model needs for a user's value t: models with per-truncation statistics (the released
 *  BigGAN-deep weights) take ψ = t in the released convention; others the paper's resampled threshold t.
 *  No t: no truncation (ψ = 1 for the released convention). */
export function truncationFor(nStats: number, t: number | undefined): Truncation {
  if (nStats > 1) return { kind: 'released', psi: t ?? 1 }
  return t === undefined ? { kind: 'none' } : { kind: 'paper', threshold: t }
}

export type TruncationSemantics = 'paper' | 'released'

/** A model's truncation, from its config. A user's value `t` is a threshold (paper) or ψ (released); undefined
 *  means no truncation (ψ = 1 for the released convention). */
export interface TruncationPolicy {
  readonly semantics: TruncationSemantics
  /** what a truncation may be: above `above`, at most `atMost` */
  readonly accepts: { above: number; atMost: number }
  /** what the studio's slider offers and starts from */
  readonly range: { min: number; max: number; default: number }
  /** why `t` cannot be this model's truncation, in words that name the range; undefined where it can */
  problem(t: number): string | undefined
  /** the Truncation a user's value stands for */
  of(t: number | undefined): Truncation
  /** count latents [count, zDim] drawn from `rng` under truncation `t` */
  sample(rng: Random, count: number, t: number | undefined): Float32Array
  /** z with the values at [start, end) drawn afresh under truncation `t`, the rest kept */
  redraw(z: Float32Array, start: number, end: number, rng: Random, t: number): Float32Array
  /** z drawn under truncation `from` moved to truncation `to`: released, the same TN(−2, 2) values scaled by
   *  to/from; paper, values beyond the new threshold redrawn inside it (resampled, never clipped), the rest kept */
  retruncate(z: Float32Array, from: number, to: number, rng: Random): Float32Array
  /** ψ that selects the BatchNorm statistics for a user's value (1 for the paper's convention) */
  statisticsPsi(t: number | undefined): number
  /** the statistics rows (and weights) G's eval-mode BatchNorms blend at ψ; `mode` overrides the config's */
  statsRows(psi: number, mode?: StatsMode): StatsRow[]
}

/** The paper's threshold has no natural upper end, but beyond 4 it no longer changes z in practice (P(|z| > 4) ≈
 *  6·10⁻⁵ per value): the studio's wire format takes thresholds up to 4. */
const PAPER_MAX = 4

export function truncationPolicy(config: Pick<ModelConfig, 'nStats' | 'statsMode' | 'zDim'>): TruncationPolicy {
  const released = config.nStats > 1
  const accepts = released ? { above: 0, atMost: 1 } : { above: 0, atMost: PAPER_MAX }
  const policy: TruncationPolicy = {
    semantics: released ? 'released' : 'paper',
    accepts,
    // released: ψ picks one of the statistics rows on [0, 1] (0.4 is the released models' customary value); paper:
    // the threshold of the resampled normal, 1 a moderate start
    range: released ? { default: 0.4, min: 0.02, max: 1 } : { default: 1, min: 0.05, max: 3 },
    problem(t) {
      if (Number.isFinite(t) && t > accepts.above && t <= accepts.atMost) return undefined
      return released
        ? `truncation ${t} is outside (0, 1]: this model's truncation selects BatchNorm statistics, which the released weights have only on that range`
        : `truncation threshold ${t} is outside (0, ${PAPER_MAX}]`
    },
    of: (t) => truncationFor(config.nStats, t),
    sample: (rng, count, t) => sampleLatents(rng, count, config.zDim, policy.of(t)),
    redraw(z, start, end, rng, t) {
      if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && end <= z.length && start <= end)) {
        throw new Error(`cannot redraw values ${start}…${end} of a z of ${z.length} values`)
      }
      const out = Float32Array.from(z)
      out.set(sampleLatents(rng, end - start, 1, policy.of(t)), start)
      return out
    },
    retruncate(z, from, to, rng) {
      if (released) return z.map((v) => (v * to) / from)
      return z.map((v) => (Math.abs(v) < to ? v : truncatedNormal(rng, 1, to)[0]))
    },
    statisticsPsi: (t) => statisticsTruncation(policy.of(t)),
    statsRows: (psi, mode) => statsRows(psi, config.nStats, mode ?? config.statsMode),
  }
  return policy
}
