import { describe, expect, it } from 'vitest'
import { statsRows, type StatsRow } from '../../main/engine/sampling/truncation'

const nStats = 51
const grid = Array.from({ length: nStats }, (_, k) => k)

/** The statistics a blend gives when row r holds the value r: a blend's position on the grid. */
const position = (rows: StatsRow[]): number => rows.reduce((s, { row, weight }) => s + row * weight, 0)

describe("'lerp' per-truncation statistics", () => {
  it('uses exactly the grid row at every grid point, float error or not', () => {
    for (const k of grid) {
      const psi = k / (nStats - 1) // 7/50 is 0.14000000000000001, which HF misplaces
      expect(statsRows(psi, nStats, 'lerp'), `ψ = ${psi}`).toEqual([{ row: k, weight: 1 }])
    }
    expect(statsRows(0.14, nStats, 'lerp')).toEqual([{ row: 7, weight: 1 }])
    expect(statsRows(0.58, nStats, 'lerp')).toEqual([{ row: 29, weight: 1 }])
  })

  it('interpolates linearly between grid points, the closer row weighing more', () => {
    for (const psi of [0.013, 0.141, 0.159, 0.333, 0.579, 0.9999]) {
      const rows = statsRows(psi, nStats, 'lerp')
      expect(rows).toHaveLength(2)
      const [lower, upper] = rows
      expect(upper.row).toBe(lower.row + 1)
      expect(lower.weight + upper.weight).toBeCloseTo(1, 14)
      expect(position(rows)).toBeCloseTo(psi * (nStats - 1), 12)
      const closerIsLower = psi * (nStats - 1) - lower.row < 0.5
      expect(closerIsLower ? lower.weight > upper.weight : upper.weight > lower.weight, `ψ = ${psi}`).toBe(true)
    }
  })

  it("differs from HF's rule where HF is quirky: misplaced grid points and swapped weights", () => {
    // HF: 0.14, 0.28, 0.56 land on the next row; 0.58, 0.94 on the previous one
    for (const [psi, hfRow, lerpRow] of [[0.14, 8, 7], [0.28, 15, 14], [0.56, 29, 28], [0.58, 28, 29], [0.94, 46, 47]]) {
      expect(position(statsRows(psi, nStats, 'hf'))).toBeCloseTo(hfRow, 9)
      expect(statsRows(psi, nStats, 'lerp')).toEqual([{ row: lerpRow, weight: 1 }])
    }
    // between grid points HF mirrors the position about the midpoint of the two rows
    const psi = 0.105 // q = 5.25
    expect(position(statsRows(psi, nStats, 'lerp'))).toBeCloseTo(5.25, 9)
    expect(position(statsRows(psi, nStats, 'hf'))).toBeCloseTo(5.75, 9)
  })

  it('agrees with HF where HF is exact: grid points it hits and midpoints', () => {
    for (const psi of [0.02, 0.4, 1, 0.03, 0.51]) {
      expect(position(statsRows(psi, nStats, 'hf'))).toBeCloseTo(position(statsRows(psi, nStats, 'lerp')), 9)
    }
  })
})
