// The leakage view's arithmetic (its truncation list is pinned in test/renderer/truncations.test.ts): where 'none' is
// drawn, the judge chosen, the columns a matrix shows, and the chart scale.
import { describe, expect, it } from 'vitest'
import type { LeakageReport } from '../../preload/contract/index.ts'
import {
  CELL_PAGE,
  cellPage,
  chartScale,
  heatColour,
  judgeSpec,
  polyline,
  shownColumns,
  truncationX,
} from '../../renderer/lib/leakage'

describe('the leakage view', () => {
  it("draws 'none', no truncation, on the rate chart", () => {
    // past the largest threshold, or at ψ = 1 where it means that
    expect(truncationX(null, [2, null, 0.5], 'paper')).toBe(3)
    expect(truncationX(0.5, [2, null, 0.5], 'paper')).toBe(0.5)
    expect(truncationX(null, [0.4, null], 'released')).toBe(1)
  })

  it("pages through all of a cell's seeds, a page at a time", () => {
    const seeds = Array.from({ length: 150 }, (_, i) => 1000 + i)
    const pages = [0, 1, 2].map((p) => cellPage(seeds, p))
    expect(pages.map((p) => p.pages)).toEqual([3, 3, 3])
    expect(pages.map((p) => [p.first, p.last])).toEqual([[0, CELL_PAGE], [CELL_PAGE, 2 * CELL_PAGE], [2 * CELL_PAGE, 150]])
    expect(pages.flatMap((p) => p.seeds)).toEqual(seeds) // every seed once, in order
    expect(cellPage(seeds, 9).page).toBe(2) // clamped to the last page
    expect(cellPage([], 0)).toEqual({ seeds: [], page: 0, pages: 1, first: 0, last: 0 })
  })

  it('asks for a folder when the judge is a classifier folder', () => {
    expect(judgeSpec('discriminator', '')).toBe('discriminator')
    expect(judgeSpec('folder', ' /a/b ')).toEqual({ folder: '/a/b' })
    expect(() => judgeSpec('folder', ' ')).toThrow(/folder/)
  })

  it("shows each row's own column and every column a sample landed in", () => {
    const report = {
      classes: [{ index: 0, name: 'a', column: 0 }, { index: 4, name: 'e', column: 4 }],
      truncations: [{ counts: [[2, 0, 0, 1, 0, 0], [0, 0, 0, 0, 3, 0]] }, { counts: [[3, 0, 0, 0, 0, 0], [0, 1, 0, 0, 2, 0]] }],
    } as unknown as LeakageReport
    expect(shownColumns(report)).toEqual([0, 1, 3, 4])
  })

  it('colours empty cells not at all, and scales the chart from 0 at the bottom to 1 at the top', () => {
    expect(heatColour(0, false)).toBe('transparent')
    expect(heatColour(1, true)).toMatch(/^rgba\(108/)
    const scale = chartScale([{ label: 'x', points: [{ x: 0.5, y: 0 }, { x: 2, y: 1 }] }], 200, 100, 20)
    expect([scale.x(0.5), scale.x(2), scale.y(0), scale.y(1)]).toEqual([20, 180, 80, 20])
    expect(polyline([{ x: 2, y: 1 }, { x: 0.5, y: 0 }], scale)).toBe('20.0,80.0 180.0,20.0')
  })
})
