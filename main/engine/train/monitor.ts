// What a logged training step records, and the early-stopping judge that reads those records. BigGAN (§4) found
// that collapse cannot be prevented, only caught: take checkpoints before it. The signatures it watches for:
//
//   non-finite      NaN or ±Inf in any loss or any tracked singular value / Frobenius norm: stop at once.
//   σ0 explosion    a G layer's top singular value (in the paper G's first linear) explodes at collapse (§4.1):
//                   σ0 above `ratio`× the median of its previous `window` values on `persist` consecutive spectra
//                   records, and no lower than when it first crossed (rising or holding, not a spike falling back).
//   D collapse      D's loss sits near zero, then jumps (§4.2): mean D loss (real + fake hinge terms) ≤ `nearZero`
//                   over `window` records, followed by `persist` records each ≥ `jump`.
//   r_t saturation  ADA's overfitting heuristic r_t = E[sign(D(real))] stuck near 1: mean over `window` records
//                   ≥ `level`, while augmentation (when reported) already runs at p ≥ `minAugmentP`, so it can no
//                   longer hold D (ADA's own reading of r_t: with p that high, more augmentation cannot save it).
//                   Below that p it is a warning: ADA is still ramping.
//
// Windows count records, not steps: feed one record per logged step. The D-collapse and r_t rules wait until
// `graceSteps` (a pretrained D may start saturated); the σ0 rule waits for `minHistory` spectra records.
//
// The best record, whose checkpoint the loop keeps (lower score is better; a record that stops is never best):
//   * with an FID proxy (any lower-is-better quality score: proxy FID or KID): the lowest proxy. From the first
//     record that carries one, only records that carry one compete.
//   * without: a health penalty, a sum of three terms, each 0 while healthy and 1 at its stop threshold:
//       r_t     max(0, mean r_t − rtHealthy) / (1 − rtHealthy)
//       σ0      max(0, worst G ratio − warnRatio) / (ratio − warnRatio)
//       D loss  max(0, 1 − mean D loss / (2·nearZero))
//     Ties go to the later record, so in a healthy run the best is the latest step, and once a signal rises it is
//     the last step before it did: the paper's "early-stop before collapse".
import type { LayerSpectrum } from '../inspect/singularValues'

/** One logged training step. Losses as the step reports them; optional signals where the run measures them. */
export interface TrainingRecord {
  step: number
  /** D's hinge terms: mean relu(1 − D(x)) and mean relu(1 + D(G(z))) */
  dLossReal: number
  dLossFake: number
  gLoss: number
  /** ADA's r_t = E[sign(D(real))] over the last few steps */
  rt?: number
  /** augmentation probability p */
  augmentP?: number
  /** mean D logit on training reals minus on held-out reals */
  dGap?: number
  /** top singular values of every SN layer; D absent for a run without a discriminator */
  spectra?: { G: LayerSpectrum[]; D?: LayerSpectrum[] }
  imagesPerSecond?: number
  /** a lower-is-better sample quality score (proxy FID, KID), on the records where it was evaluated */
  fidProxy?: number
  /** share of preview samples flagged as copies of training images (memorisation.ts), where a check ran */
  copyFraction?: { pixels: number; features?: number }
}

export interface MonitorDecision {
  action: 'continue' | 'stop'
  /** why it stops: one line per rule that fired */
  reasons: string[]
  /** signals worth showing that do not stop the run */
  warnings: string[]
  /** this record is the new best: keep its checkpoint */
  best: boolean
}

export interface MonitorSettings {
  sigmaExplosion: { enabled: boolean; window: number; minHistory: number; ratio: number; persist: number; warnRatio: number }
  dLossCollapse: { enabled: boolean; window: number; nearZero: number; jump: number; persist: number }
  rtSaturation: { enabled: boolean; window: number; level: number; minAugmentP: number }
  /** steps before which the D-collapse and r_t rules do not stop (they still gather history) */
  graceSteps: number
  /** r_t at or below which the health penalty has no r_t term */
  rtHealthy: number
}

export const defaultMonitorSettings: MonitorSettings = {
  sigmaExplosion: { enabled: true, window: 20, minHistory: 5, ratio: 3, persist: 2, warnRatio: 2 },
  dLossCollapse: { enabled: true, window: 20, nearZero: 0.1, jump: 0.5, persist: 2 },
  rtSaturation: { enabled: true, window: 20, level: 0.9, minAugmentP: 0.8 },
  graceSteps: 0,
  rtHealthy: 0.7,
}

export type MonitorOverrides = {
  [K in keyof MonitorSettings]?: MonitorSettings[K] extends object ? Partial<MonitorSettings[K]> : MonitorSettings[K]
}

export interface BestRecord {
  step: number
  score: number
  by: 'fidProxy' | 'health'
}

interface SigmaTrack {
  /** σ0 of the previous spectra records, oldest first, at most `window` */
  history: number[]
  /** consecutive spectra records above `ratio`× the median */
  above: number
  /** σ0 when the current stretch above the ratio began */
  crossedAt: number
}

/** Everything needed to resume the monitor exactly: JSON-safe (all numbers finite). */
export interface MonitorState {
  version: 1
  settings: MonitorSettings
  lastStep: number | null
  /** total D loss of the last window + persist records */
  dLoss: number[]
  /** r_t of the last `window` records that reported one */
  rt: number[]
  /** G layers' σ0 tracks, by layer */
  sigma: Record<string, SigmaTrack>
  /** the worst G layer's σ0 / running median at the last spectra record */
  worstRatio: number
  best: BestRecord | null
}

export class TrainingMonitor {
  private constructor(private s: MonitorState) {}

  static create(overrides: MonitorOverrides = {}): TrainingMonitor {
    const d = defaultMonitorSettings
    const settings: MonitorSettings = {
      sigmaExplosion: { ...d.sigmaExplosion, ...overrides.sigmaExplosion },
      dLossCollapse: { ...d.dLossCollapse, ...overrides.dLossCollapse },
      rtSaturation: { ...d.rtSaturation, ...overrides.rtSaturation },
      graceSteps: overrides.graceSteps ?? d.graceSteps,
      rtHealthy: overrides.rtHealthy ?? d.rtHealthy,
    }
    checkSettings(settings)
    return new TrainingMonitor({ version: 1, settings, lastStep: null, dLoss: [], rt: [], sigma: {}, worstRatio: 1, best: null })
  }

  static fromState(state: MonitorState): TrainingMonitor {
    if (state?.version !== 1) throw new Error(`training monitor state has version ${state?.version}; this build reads version 1`)
    checkSettings(state.settings)
    return new TrainingMonitor(structuredClone(state))
  }

  state(): MonitorState {
    return structuredClone(this.s)
  }

  get settings(): MonitorSettings {
    return structuredClone(this.s.settings)
  }

  get best(): BestRecord | null {
    return this.s.best ? { ...this.s.best } : null
  }

  /** Reads one record (steps strictly increasing) and decides whether training goes on. */
  observe(record: TrainingRecord): MonitorDecision {
    const { step } = record
    if (!Number.isFinite(step) || (this.s.lastStep !== null && step <= this.s.lastStep)) {
      throw new Error(`training monitor: record step ${step} does not follow step ${this.s.lastStep}; steps must increase`)
    }
    this.s.lastStep = step
    const reasons: string[] = []
    const warnings: string[] = []

    const nonFinite = nonFiniteSignals(record)
    if (nonFinite.length > 0) {
      reasons.push(`non-finite values at step ${step}: ${nonFinite.join(', ')}`)
      return { action: 'stop', reasons, warnings, best: false }
    }
    const graced = step >= this.s.settings.graceSteps
    this.dLossRule(record.dLossReal + record.dLossFake, graced, reasons, warnings)
    this.rtRule(record, graced, reasons, warnings)
    if (record.spectra) this.sigmaRule(record.spectra.G, reasons, warnings)
    copyingRule(record, warnings)

    const stop = reasons.length > 0
    const best = !stop && this.updateBest(record)
    return { action: stop ? 'stop' : 'continue', reasons, warnings, best }
  }

  private dLossRule(dLoss: number, graced: boolean, reasons: string[], warnings: string[]): void {
    const { enabled, window, nearZero, jump, persist } = this.s.settings.dLossCollapse
    push(this.s.dLoss, dLoss, window + persist)
    const recentMean = mean(this.s.dLoss.slice(-window))
    if (this.s.dLoss.length >= window && recentMean <= nearZero) {
      warnings.push(
        `D loss near zero (mean ${fmt(recentMean)} over ${window} records): ` +
          'D separates every real from every fake, memorising',
      )
    }
    if (!enabled || !graced || this.s.dLoss.length < window + persist) return
    const before = mean(this.s.dLoss.slice(0, window))
    const after = this.s.dLoss.slice(window)
    if (before <= nearZero && after.every((x) => x >= jump)) {
      reasons.push(
        `D loss collapsed then jumped: mean ${fmt(before)} over ${window} records, ` +
          `then ${after.map(fmt).join(', ')} (BigGAN §4.2's collapse signature)`,
      )
    }
  }

  private rtRule(record: TrainingRecord, graced: boolean, reasons: string[], warnings: string[]): void {
    if (record.rt === undefined) return
    const { enabled, window, level, minAugmentP } = this.s.settings.rtSaturation
    push(this.s.rt, record.rt, window)
    if (this.s.rt.length < window) return
    const m = mean(this.s.rt)
    if (m < level) return
    const p = record.augmentP
    if (p !== undefined && p < minAugmentP) {
      warnings.push(
        `r_t saturated (mean ${fmt(m)} over ${window} records) while augmentation p = ${fmt(p)} is still below ${minAugmentP}`,
      )
    } else if (enabled && graced) {
      const withP = p === undefined ? '' : ` with augmentation p = ${fmt(p)}`
      reasons.push(`r_t saturated: mean ${fmt(m)} ≥ ${level} over ${window} records${withP}: D overfits the training images`)
    } else {
      warnings.push(`r_t saturated (mean ${fmt(m)} over ${window} records)`)
    }
  }

  private sigmaRule(layers: readonly LayerSpectrum[], reasons: string[], warnings: string[]): void {
    const { enabled, window, minHistory, ratio, persist, warnRatio } = this.s.settings.sigmaExplosion
    let worst = 1
    for (const { layer, sigma } of layers) {
      const sigma0 = sigma[0]
      const track = (this.s.sigma[layer] ??= { history: [], above: 0, crossedAt: 0 })
      const median = track.history.length >= minHistory ? medianOf(track.history) : 0
      if (median > 0) {
        const r = sigma0 / median
        worst = Math.max(worst, r)
        if (r > ratio) {
          if (track.above === 0) track.crossedAt = sigma0
          track.above++
        } else {
          track.above = 0
        }
        if (enabled && track.above >= persist && sigma0 >= track.crossedAt) {
          reasons.push(
            `G layer '${layer}' σ0 exploded: ${fmt(sigma0)} = ${fmt(r)}× its running median ${fmt(median)} ` +
              `for ${track.above} spectra records (BigGAN §4.1)`,
          )
        } else if (r > warnRatio) {
          warnings.push(`G layer '${layer}' σ0 at ${fmt(r)}× its running median ${fmt(median)}`)
        }
      }
      push(track.history, sigma0, window)
    }
    this.s.worstRatio = worst
  }

  private updateBest(record: TrainingRecord): boolean {
    const current = this.s.best
    let candidate: BestRecord
    if (record.fidProxy !== undefined && Number.isFinite(record.fidProxy)) {
      candidate = { step: record.step, score: record.fidProxy, by: 'fidProxy' }
      if (current?.by === 'fidProxy' && candidate.score >= current.score) return false
    } else {
      if (current?.by === 'fidProxy') return false
      candidate = { step: record.step, score: this.healthPenalty(), by: 'health' }
      if (current && candidate.score > current.score) return false
    }
    this.s.best = candidate
    return true
  }

  private healthPenalty(): number {
    const { rtHealthy, sigmaExplosion, dLossCollapse } = this.s.settings
    const rt = this.s.rt.length > 0 ? Math.max(0, mean(this.s.rt) - rtHealthy) / (1 - rtHealthy) : 0
    const sigma = Math.max(0, this.s.worstRatio - sigmaExplosion.warnRatio) / (sigmaExplosion.ratio - sigmaExplosion.warnRatio)
    const recent = this.s.dLoss.slice(-dLossCollapse.window)
    const dLoss = Math.max(0, 1 - mean(recent) / (2 * dLossCollapse.nearZero))
    return rt + sigma + dLoss
  }
}

export type JsonValue = number | string | boolean | null | JsonValue[] | { [key: string]: JsonValue }

/**
 * One line of the run folder's metrics JSONL: the record flattened to JSON (spectra by layer), with the decision
 * when given. JSON has no NaN or Infinity: such a value is written as null and its path listed in `nonFinite`
 * with what it was ('NaN', 'Infinity', '-Infinity').
 */
export function metricsLine(record: TrainingRecord, decision?: MonitorDecision): { [key: string]: JsonValue } {
  const nonFinite: { [path: string]: JsonValue } = {}
  const num = (path: string, x: number): number | null => {
    if (Number.isFinite(x)) return x
    nonFinite[path] = String(x)
    return null
  }
  const line: { [key: string]: JsonValue } = {
    step: record.step,
    dLossReal: num('dLossReal', record.dLossReal),
    dLossFake: num('dLossFake', record.dLossFake),
    dLoss: num('dLoss', record.dLossReal + record.dLossFake),
    gLoss: num('gLoss', record.gLoss),
  }
  for (const key of ['rt', 'augmentP', 'dGap', 'imagesPerSecond', 'fidProxy'] as const) {
    const x = record[key]
    if (x !== undefined) line[key] = num(key, x)
  }
  if (record.copyFraction) {
    const { pixels, features } = record.copyFraction
    line.copyFraction = { pixels: num('copyFraction.pixels', pixels), ...(features !== undefined ? { features: num('copyFraction.features', features) } : {}) }
  }
  if (record.spectra) {
    const spectra: { [net: string]: JsonValue } = {}
    for (const [net, layers] of Object.entries(record.spectra)) {
      if (!layers) continue
      const byLayer: { [layer: string]: JsonValue } = {}
      for (const { layer, sigma, frobenius } of layers) {
        const at = `spectra.${net}.${layer}`
        byLayer[layer] = { sigma: sigma.map((x, i) => num(`${at}.sigma.${i}`, x)), frobenius: num(`${at}.frobenius`, frobenius) }
      }
      spectra[net] = byLayer
    }
    line.spectra = spectra
  }
  if (decision) {
    line.action = decision.action
    line.reasons = decision.reasons
    line.warnings = decision.warnings
    line.best = decision.best
  }
  if (Object.keys(nonFinite).length > 0) line.nonFinite = nonFinite
  return line
}

/** Names of the losses, singular values and norms of a record that are NaN or ±Inf. */
/** Novel samples are flagged as copies ~1 % of the time by construction (the threshold is the held-out 1st
 *  percentile); ten times that is memorisation worth a look. A warning, not a stop: the user judges the images. */
function copyingRule(record: TrainingRecord, warnings: string[]): void {
  const c = record.copyFraction
  if (!c) return
  const worst = Math.max(c.pixels, c.features ?? 0)
  if (worst >= 0.1) {
    warnings.push(
      `samples look copied: ${(100 * worst).toFixed(0)} % of the preview samples sit closer to a training image than 99 % of ` +
        'held-out images do (novel samples: ~1 %); see memorisation/ in the run folder',
    )
  }
}

function nonFiniteSignals(record: TrainingRecord): string[] {
  const bad: string[] = []
  for (const key of ['dLossReal', 'dLossFake', 'gLoss'] as const) {
    if (!Number.isFinite(record[key])) bad.push(`${key} = ${record[key]}`)
  }
  for (const [net, layers] of Object.entries(record.spectra ?? {})) {
    for (const { layer, sigma, frobenius } of layers ?? []) {
      if (!sigma.every(Number.isFinite) || !Number.isFinite(frobenius)) bad.push(`${net} '${layer}' spectrum`)
    }
  }
  for (const key of ['rt', 'augmentP'] as const) {
    const x = record[key]
    if (x !== undefined && !Number.isFinite(x)) bad.push(`${key} = ${x}`)
  }
  return bad
}

function checkSettings(s: MonitorSettings): void {
  const fail = (what: string): never => {
    throw new Error(`training monitor settings: ${what}`)
  }
  const { sigmaExplosion: sigma, dLossCollapse: dLoss, rtSaturation: rt } = s
  const positiveInts: [string, number][] = [
    ['sigmaExplosion.window', sigma.window],
    ['sigmaExplosion.minHistory', sigma.minHistory],
    ['sigmaExplosion.persist', sigma.persist],
    ['dLossCollapse.window', dLoss.window],
    ['dLossCollapse.persist', dLoss.persist],
    ['rtSaturation.window', rt.window],
  ]
  for (const [name, x] of positiveInts) {
    if (!Number.isInteger(x) || x < 1) fail(`${name} must be an integer ≥ 1, got ${x}`)
  }
  if (sigma.minHistory > sigma.window) fail(`sigmaExplosion.minHistory (${sigma.minHistory}) exceeds its window (${sigma.window})`)
  if (!(sigma.ratio > sigma.warnRatio && sigma.warnRatio >= 1)) {
    fail(`need sigmaExplosion.ratio > warnRatio ≥ 1, got ${sigma.ratio} and ${sigma.warnRatio}`)
  }
  if (!(dLoss.nearZero > 0 && dLoss.jump > dLoss.nearZero)) {
    fail(`need dLossCollapse.jump > nearZero > 0, got ${dLoss.jump} and ${dLoss.nearZero}`)
  }
  if (!(s.rtHealthy >= 0 && s.rtHealthy < 1)) fail(`rtHealthy must be in [0, 1), got ${s.rtHealthy}`)
  const finite: [string, number][] = [
    ['graceSteps', s.graceSteps],
    ['rtSaturation.level', rt.level],
    ['rtSaturation.minAugmentP', rt.minAugmentP],
  ]
  for (const [name, x] of finite) if (!Number.isFinite(x)) fail(`${name} must be a finite number, got ${x}`)
  const switches: [string, boolean][] = [
    ['sigmaExplosion', sigma.enabled],
    ['dLossCollapse', dLoss.enabled],
    ['rtSaturation', rt.enabled],
  ]
  for (const [name, x] of switches) if (typeof x !== 'boolean') fail(`${name}.enabled must be true or false, got ${x}`)
}

function push(list: number[], x: number, cap: number): void {
  list.push(x)
  if (list.length > cap) list.splice(0, list.length - cap)
}

function mean(xs: readonly number[]): number {
  return xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length
}

function medianOf(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

function fmt(x: number): string {
  return Number(x.toPrecision(3)).toString()
}
