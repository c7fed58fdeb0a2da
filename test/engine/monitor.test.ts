// The early-stopping judge: it stops on each of BigGAN's collapse signatures (G's σ0 exploding, D's loss sitting at
// zero then jumping), on ADA's overfitting signature (r_t saturated) and on NaN, never on a healthy noisy run; it keeps
// the best record, resumes exactly from its state, and writes JSON lines without NaN.
import { describe, expect, it } from 'vitest'
import type { LayerSpectrum } from '../../main/engine/inspect/singularValues'
import { Random } from '../../main/engine/sampling/random'
import {
  TrainingMonitor, defaultMonitorSettings, metricsLine, type MonitorDecision, type TrainingRecord,
} from '../../main/engine/train/monitor'

/** How a synthetic run departs from health, by step. */
interface Scenario {
  /** multiplies G.linear's σ0 */
  gSigma?: (step: number) => number
  /** replaces the total D loss */
  dLoss?: (step: number) => number | undefined
  rt?: (step: number) => number | undefined
  augmentP?: (step: number) => number
  gLoss?: (step: number) => number | undefined
  fidProxy?: (step: number) => number | undefined
}

const spectraEvery = 10

/** A noisy but healthy BigGAN fine-tune: hinge D loss ≈ 1, r_t ≈ 0.6 (ADA at work), G's σ0 creeping up, D's spiky. */
function history(steps: number, scenario: Scenario = {}, seed = 1): TrainingRecord[] {
  const rng = new Random(seed)
  const records: TrainingRecord[] = []
  for (let step = 1; step <= steps; step++) {
    const noise = (scale: number): number => scale * rng.normal()
    const dTotal = scenario.dLoss?.(step) ?? 1 + noise(0.15)
    const share = 0.5 + noise(0.05)
    const record: TrainingRecord = {
      step,
      dLossReal: dTotal * share,
      dLossFake: dTotal * (1 - share),
      gLoss: scenario.gLoss?.(step) ?? 0.3 + noise(0.2),
      rt: scenario.rt?.(step) ?? Math.min(1, 0.6 + noise(0.08)),
      augmentP: scenario.augmentP?.(step) ?? Math.min(0.4, step / 5000),
      dGap: 0.1 + noise(0.05),
      imagesPerSecond: 12 + noise(1),
      fidProxy: scenario.fidProxy?.(step),
    }
    if (step % spectraEvery === 0) {
      const gScale = scenario.gSigma?.(step) ?? 1
      const layer = (name: string, s0: number): LayerSpectrum => ({ layer: name, sigma: [s0, 0.8 * s0, 0.7 * s0], frobenius: 3 * s0 })
      const dSpike = rng.uniform() < 0.1 ? 2 : 1 // D's spectra are noisy with spikes (paper §4.2); not a stop signal
      record.spectra = {
        G: [
          layer('G.linear', (10 + step / 500 + noise(0.3)) * gScale),
          layer('G.blocks.0.conv1', 5 + noise(0.15)),
          layer('G.blocks.0.conv_sc', 20 + step / 200 + noise(0.5)),
        ],
        D: [layer('D.blocks.0.conv1', (8 + noise(0.4)) * dSpike), layer('D.linear', 3 + noise(0.1))],
      }
    }
    records.push(record)
  }
  return records
}

function run(records: TrainingRecord[], monitor = TrainingMonitor.create()): { stopAt?: TrainingRecord; decision?: MonitorDecision; decisions: MonitorDecision[] } {
  const decisions: MonitorDecision[] = []
  for (const record of records) {
    const decision = monitor.observe(record)
    decisions.push(decision)
    if (decision.action === 'stop') return { stopAt: record, decision, decisions }
  }
  return { decisions }
}

describe('the training monitor', () => {
  it('never stops a healthy noisy run, and keeps its latest step as the best', () => {
    for (const seed of [1, 2, 3]) {
      const monitor = TrainingMonitor.create()
      const { stopAt, decisions } = run(history(3000, {}, seed), monitor)
      expect(stopAt).toBeUndefined()
      expect(decisions.flatMap((d) => d.warnings)).toEqual([])
      expect(monitor.best).toEqual({ step: 3000, score: 0, by: 'health' })
    }
  })

  it('ignores a single σ0 spike in G that falls back', () => {
    const { stopAt, decisions } = run(history(2000, { gSigma: (s) => (s === 1000 ? 4 : 1) }))
    expect(stopAt).toBeUndefined()
    expect(decisions[999].warnings.join()).toMatch(/G\.linear/)
  })

  it("stops when G's first layer σ0 explodes at step k, and not before", () => {
    const k = 1500
    const explode = (s: number): number => (s <= k ? 1 : 1 + (s - k) / 15) // ~10 → 40 over 450 steps, as at collapse
    const monitor = TrainingMonitor.create()
    const { stopAt, decision } = run(history(3000, { gSigma: explode }), monitor)
    expect(stopAt!.step).toBeGreaterThan(k)
    expect(stopAt!.step).toBeLessThanOrEqual(k + 400)
    expect(decision!.reasons).toHaveLength(1)
    expect(decision!.reasons[0]).toMatch(/'G\.linear' σ0 exploded/)
    expect(monitor.best!.step).toBeLessThanOrEqual(k + 100) // the best record predates the explosion's warning
  })

  it("stops when D's loss sits near zero and then jumps, and not before", () => {
    const jumpAt = 1200
    const dLoss = (s: number): number | undefined => (s < 800 ? undefined : s < jumpAt ? 0.02 + 0.01 * Math.sin(s) : 1.6)
    const monitor = TrainingMonitor.create()
    const { stopAt, decision, decisions } = run(history(2000, { dLoss }), monitor)
    expect(stopAt!.step).toBe(jumpAt + defaultMonitorSettings.dLossCollapse.persist - 1)
    expect(decision!.reasons[0]).toMatch(/D loss collapsed then jumped/)
    expect(decisions[jumpAt - 10].warnings.join()).toMatch(/D loss near zero/)
    expect(monitor.best!.step).toBeLessThan(850) // D's loss going to zero already costs health
  })

  it('stops when r_t saturates with augmentation already strong, and only warns while ADA is still ramping', () => {
    const rt = (s: number): number | undefined => (s < 600 ? undefined : 0.97)
    const ramping = run(history(1500, { rt, augmentP: () => 0.3 }))
    expect(ramping.stopAt).toBeUndefined()
    expect(ramping.decisions[1400].warnings.join()).toMatch(/still below 0\.8/)

    const strong = run(history(1500, { rt, augmentP: (s) => Math.min(0.9, s / 1000) }))
    expect(strong.stopAt!.step).toBeGreaterThanOrEqual(800) // p reaches 0.8 at step 800
    expect(strong.stopAt!.step).toBeLessThan(820)
    expect(strong.decision!.reasons[0]).toMatch(/r_t saturated/)
  })

  it('stops at once on NaN or Inf in a loss or a spectrum, and never calls that record the best', () => {
    const nan = run(history(1000, { gLoss: (s) => (s === 437 ? Number.NaN : undefined) }))
    expect(nan.stopAt!.step).toBe(437)
    expect(nan.decision!.reasons[0]).toMatch(/gLoss = NaN/)
    expect(nan.decision!.best).toBe(false)

    const records = history(200)
    records[149].spectra!.G[1].sigma[0] = Number.POSITIVE_INFINITY
    const inf = run(records)
    expect(inf.stopAt!.step).toBe(150)
    expect(inf.decision!.reasons[0]).toMatch(/G 'G\.blocks\.0\.conv1' spectrum/)
  })

  it('warns, without stopping, when the preview samples copy training images far above the chance level', () => {
    const records = history(300)
    records[99].copyFraction = { pixels: 0.0625, features: 0 } // one sample in 16: chance territory
    records[199].copyFraction = { pixels: 0.0625, features: 0.5 }
    const { stopAt, decisions } = run(records)
    expect(stopAt).toBeUndefined()
    expect(decisions[99].warnings.join()).not.toMatch(/copied/)
    expect(decisions[199].warnings.join()).toMatch(/samples look copied: 50 %/)
    expect(metricsLine(records[199]).copyFraction).toEqual({ pixels: 0.0625, features: 0.5 })
  })

  it('picks the best record by the FID proxy once one is given', () => {
    const fid = (s: number): number | undefined => (s % 100 === 0 ? 50 - s / 100 + (s === 700 ? -20 : 0) : undefined)
    const monitor = TrainingMonitor.create()
    run(history(1500, { fidProxy: fid }), monitor)
    expect(monitor.best).toEqual({ step: 700, score: 23, by: 'fidProxy' })
  })

  it('resumes from a JSON round trip of its state with exactly the same decisions', () => {
    const jumpAt = 1200
    const dLoss = (s: number): number | undefined => (s < 800 ? undefined : s < jumpAt ? 0.03 : 1.2)
    const records = history(2000, { dLoss, gSigma: (s) => 1 + Math.max(0, s - 1000) / 400 })
    const continuous = TrainingMonitor.create({ sigmaExplosion: { ratio: 4 } })
    const first = TrainingMonitor.create({ sigmaExplosion: { ratio: 4 } })
    for (const r of records.slice(0, 1000)) first.observe(r)
    const resumed = TrainingMonitor.fromState(JSON.parse(JSON.stringify(first.state())))
    for (const r of records.slice(0, 1000)) continuous.observe(r)
    for (const r of records.slice(1000, 1300)) expect(resumed.observe(r)).toEqual(continuous.observe(r))
    expect(resumed.state()).toEqual(continuous.state())
    expect(resumed.settings.sigmaExplosion.ratio).toBe(4)
  })

  it('refuses steps that do not increase and settings that cannot work', () => {
    const monitor = TrainingMonitor.create()
    const [a, b] = history(2)
    monitor.observe(b)
    expect(() => monitor.observe(a)).toThrow(/steps must increase/)
    expect(() => TrainingMonitor.create({ dLossCollapse: { window: 0 } })).toThrow(/dLossCollapse\.window must be/)
    expect(() => TrainingMonitor.create({ sigmaExplosion: { ratio: 1.5 } })).toThrow(/ratio > warnRatio/)
    expect(() => TrainingMonitor.fromState({ ...monitor.state(), version: 2 as 1 })).toThrow(/version 2/)
  })
})

describe('a metrics line', () => {
  it('is plain JSON with NaN and Infinity written as null and flagged', () => {
    const [record] = history(10).slice(9)
    record.gLoss = Number.NaN
    record.spectra!.D![0].sigma[2] = Number.NEGATIVE_INFINITY
    const decision = TrainingMonitor.create().observe(record)
    const line = metricsLine(record, decision)
    const parsed = JSON.parse(JSON.stringify(line))
    expect(parsed).toEqual(line) // nothing JSON would have turned into null behind our back
    expect(parsed.gLoss).toBeNull()
    expect(parsed.nonFinite).toEqual({ gLoss: 'NaN', 'spectra.D.D.blocks.0.conv1.sigma.2': '-Infinity' })
    expect(parsed.spectra.G['G.linear'].sigma).toHaveLength(3)
    expect(parsed.action).toBe('stop')
    expect(parsed.dLoss).toBeCloseTo(record.dLossReal + record.dLossFake, 12)
  })

  it('omits the signals a record does not carry', () => {
    const line = metricsLine({ step: 3, dLossReal: 0.4, dLossFake: 0.6, gLoss: 0.2 })
    expect(line).toEqual({ step: 3, dLossReal: 0.4, dLossFake: 0.6, dLoss: 1, gLoss: 0.2 })
  })
})
