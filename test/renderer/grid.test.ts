// The truncation grid's layout: which seed, class and truncation each cell gets, filled row by row.
import { describe, expect, it } from 'vitest'
import { consecutiveSeeds, gridRows, truncationValues } from '../../renderer/lib/grid.ts'

describe('truncation grid', () => {
  it('spreads truncation values evenly over the range, rounded, without repeats', () => {
    expect(truncationValues(0.2, 1, 5)).toEqual([0.2, 0.4, 0.6, 0.8, 1])
    expect(truncationValues(0.5, 0.5, 4)).toEqual([0.5])
    expect(truncationValues(0.04, 2, 1)).toEqual([2])
    expect(() => truncationValues(0, 1, 3)).toThrow(/not valid/)
  })

  it('gives each row one seed across every truncation (seeds mode)', () => {
    const rows = gridRows({ mode: 'seeds', seeds: consecutiveSeeds(10, 3), classes: [], truncations: [0.3, 0.6] })
    expect(rows).toHaveLength(3)
    expect(rows[1].map((c) => [c.row, c.column, c.seed, c.truncation, c.classIndex])).toEqual([
      [1, 0, 11, 0.3, null],
      [1, 1, 11, 0.6, null],
    ])
  })

  it('gives each row a class and every row the same seed (classes mode)', () => {
    const rows = gridRows({ mode: 'classes', seeds: [42], classes: [7, 2], truncations: [0.5, 1] })
    expect(rows.flat().map((c) => [c.seed, c.classIndex])).toEqual([
      [42, 7],
      [42, 7],
      [42, 2],
      [42, 2],
    ])
  })

  it('wraps consecutive seeds at 2³²', () => {
    expect(consecutiveSeeds(2 ** 32 - 1, 2)).toEqual([2 ** 32 - 1, 0])
  })
})
