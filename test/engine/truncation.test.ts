import { describe, expect, it } from 'vitest'
import { Random } from '../../main/engine/sampling/random'
import { sampleLatents, statsRows, truncatedNormal, truncationPolicy } from '../../main/engine/sampling/truncation'

describe('truncation trick', () => {
  it('resamples values beyond the threshold instead of clipping them', () => {
    const z = truncatedNormal(new Random(1), 20000, 0.5)
    expect(Math.max(...z.map(Math.abs))).toBeLessThan(0.5)
    // clipping would pile mass at ±0.5; resampling leaves the edge bin thin
    const atEdge = z.filter((v) => Math.abs(v) > 0.49).length / z.length
    expect(atEdge).toBeLessThan(0.03)
  })

  it('scales TN(−2, 2) by ψ in the released-weights convention', () => {
    const z = sampleLatents(new Random(2), 8, 128, { kind: 'released', psi: 0.4 })
    expect(Math.max(...z.map(Math.abs))).toBeLessThan(0.8)
    const std = Math.sqrt(z.reduce((s, v) => s + v * v, 0) / z.length)
    expect(std).toBeGreaterThan(0.3) // N(0, .4²) truncated at ±2σ has std ≈ 0.88·0.4
    expect(std).toBeLessThan(0.4)
  })

  it('regenerates the same latents from the same seed and saved state', () => {
    const a = new Random(42)
    a.normals(3)
    const state = a.state()
    const next = a.normals(5)
    expect(Random.fromState(state).normals(5)).toEqual(next)
    expect(new Random(42).normals(4)).toEqual(new Random(42).normals(4))
  })
})

describe('per-truncation BatchNorm statistics', () => {
  it('uses the exact row on grid points that HF hits exactly', () => {
    expect(statsRows(1.0, 51, 'hf')).toEqual([{ row: 50, weight: 1 }])
    expect(statsRows(0.4, 51, 'hf')).toEqual([{ row: 20, weight: 1 }])
  })

  it("reproduces HF's rounding quirk: 0.14 lands on row 8 (0.16), not row 7", () => {
    const rows = statsRows(0.14, 51, 'hf')
    expect(rows[0].row).toBe(7)
    expect(rows[0].weight).toBeLessThan(1e-12)
    expect(rows[1]).toEqual({ row: 8, weight: expect.closeTo(1, 12) })
  })

  it('weights the rows the other way round in HF mode than a true interpolation', () => {
    const hf = statsRows(0.03, 51, 'hf') // q = 1.5 (± float error)
    const lerp = statsRows(0.025, 51, 'lerp') // q = 1.25
    expect(hf.map((r) => r.row)).toEqual([1, 2])
    expect(lerp).toEqual([
      { row: 1, weight: expect.closeTo(0.75, 12) },
      { row: 2, weight: expect.closeTo(0.25, 12) },
    ])
    const hfQuarter = statsRows(0.025, 51, 'hf')
    expect(hfQuarter[0].weight).toBeCloseTo(0.25, 12) // the closer row (1) gets the smaller weight
  })

  it('interpolates to the exact rows at the ends in lerp mode', () => {
    expect(statsRows(1, 51, 'lerp')).toEqual([{ row: 50, weight: 1 }])
    expect(statsRows(0, 51, 'lerp')).toEqual([{ row: 0, weight: 1 }])
  })

  it('keeps the single row of models without per-truncation statistics', () => {
    expect(statsRows(0.3, 1, 'hf')).toEqual([{ row: 0, weight: 1 }])
  })

  it('refuses a ψ outside (0, 1] with a message that says the range', () => {
    expect(() => statsRows(1.5, 51, 'hf')).toThrow(/\(0, 1\]/)
    expect(() => statsRows(0, 51, 'hf')).toThrow(/\(0, 1\]/)
  })
})

describe("a model's truncation policy", () => {
  const paper = truncationPolicy({ nStats: 1, statsMode: 'lerp', zDim: 8 })
  const released = truncationPolicy({ nStats: 51, statsMode: 'hf', zDim: 8 })

  it('follows from the config: per-truncation statistics rows make ψ the released convention', () => {
    expect(paper.semantics).toBe('paper')
    expect(released.semantics).toBe('released')
    expect(released.of(0.4)).toEqual({ kind: 'released', psi: 0.4 })
    expect(paper.of(0.5)).toEqual({ kind: 'paper', threshold: 0.5 })
    expect(paper.of(undefined)).toEqual({ kind: 'none' })
    expect(released.statisticsPsi(undefined)).toBe(1)
    expect(paper.statisticsPsi(0.5)).toBe(1)
    // the slider's range lies inside what the policy accepts
    for (const p of [paper, released]) {
      expect(p.problem(p.range.min)).toBeUndefined()
      expect(p.problem(p.range.max)).toBeUndefined()
      expect(p.problem(p.range.default)).toBeUndefined()
    }
  })

  it('refuses values outside its range with the range in the message', () => {
    expect(released.problem(1.5)).toMatch(/\(0, 1\]/)
    expect(released.problem(0)).toMatch(/\(0, 1\]/)
    expect(paper.problem(0)).toMatch(/\(0, 4\]/)
    expect(paper.problem(Number.NaN)).toBeDefined()
    expect(paper.problem(2.5)).toBeUndefined()
  })

  it('draws z [count, zDim] under the truncation, the same from the same seed', () => {
    const z = released.sample(new Random(3), 5, 0.3)
    expect(z).toHaveLength(40)
    expect(Math.max(...z.map(Math.abs))).toBeLessThan(0.6)
    expect(released.sample(new Random(3), 5, 0.3)).toEqual(z)
  })

  it('redraws one chunk of z and keeps the rest', () => {
    const z = paper.sample(new Random(4), 1, 2)
    const redrawn = paper.redraw(z, 2, 5, new Random(9), 0.5)
    expect([...redrawn.slice(0, 2), ...redrawn.slice(5)]).toEqual([...z.slice(0, 2), ...z.slice(5)])
    expect(redrawn.slice(2, 5)).not.toEqual(z.slice(2, 5))
    expect(Math.max(...redrawn.slice(2, 5).map(Math.abs))).toBeLessThan(0.5)
    expect(() => paper.redraw(z, 6, 9, new Random(1), 1)).toThrow(/cannot redraw values 6…9 of a z of 8 values/)
    // released: the redrawn values are ψ · TN(−2, 2)
    const psi = released.redraw(new Float32Array(8).fill(5), 0, 8, new Random(2), 0.25)
    for (const v of psi) expect(Math.abs(v)).toBeLessThan(0.5)
  })

  it('moves z to a new truncation: ψ scales the same values; a threshold resamples only what falls outside it', () => {
    const z = Float32Array.from([0.1, -0.3, 0.2, 0.05])
    expect([...released.retruncate(z, 0.4, 0.8, new Random(1))]).toEqual([...z].map((v) => Math.fround((v * 0.8) / 0.4)))
    const back = released.retruncate(released.retruncate(z, 0.4, 0.8, new Random(1)), 0.8, 0.4, new Random(1))
    back.forEach((v, i) => expect(v).toBeCloseTo(z[i], 6)) // a released z goes back and forth unchanged
    const wide = Float32Array.from([0.1, -1.5, 0.2, 2.5])
    const moved = paper.retruncate(wide, 3, 1, new Random(2))
    expect(moved[0]).toBe(wide[0])
    expect(moved[2]).toBe(wide[2])
    expect(Math.abs(moved[1])).toBeLessThan(1)
    expect(Math.abs(moved[3])).toBeLessThan(1)
  })

  it("selects the statistics rows by the config's rule", () => {
    expect(released.statsRows(0.14)).toEqual(statsRows(0.14, 51, 'hf'))
    expect(released.statsRows(0.14, 'lerp')).toEqual(statsRows(0.14, 51, 'lerp'))
    expect(paper.statsRows(1)).toEqual([{ row: 0, weight: 1 }])
  })
})
