// The leakage view's arithmetic, apart from the components (its truncation list is lib/truncations.ts'): where 'none'
// sits on the rate chart, which detected columns a matrix shows, the heat colour of a cell, the pages of a cell's
// seeds, and the scales of the small line charts.
import type { JudgeSpec, LeakageReport, Semantics } from '../../preload/contract/index.ts'

export type JudgeChoice = 'default' | 'classifier' | 'discriminator' | 'folder'

/** The contract's judge from the view's choice; a folder choice without a folder is an error the view shows. */
export function judgeSpec(choice: JudgeChoice, folder: string): JudgeSpec {
  if (choice !== 'folder') return choice
  const f = folder.trim()
  if (!f) throw new Error('type the classifier folder (a TensorFlow.js model.json or a studio classifier) or choose another judge')
  return { folder: f }
}

/** Where a truncation sits on the rate chart's x axis: a value at itself; none at ψ = 1 for a 'released' model
 *  (what it means there), else one past the largest threshold measured (no threshold: beyond every one). */
export function truncationX(t: number | null, all: readonly (number | null)[], semantics: Semantics): number {
  if (t !== null) return t
  if (semantics === 'released') return 1
  const values = all.filter((v): v is number => v !== null)
  return (values.length > 0 ? Math.max(...values) : 0) + 1
}

/** Seeds a cell renders at a time. */
export const CELL_PAGE = 64

/** Page `page` of a cell's seeds (clamped to the pages there are): its seeds, and which of all they are (`first`
 *  counted from 0, `last` exclusive). */
export function cellPage(seeds: readonly number[], page: number): { seeds: number[]; page: number; pages: number; first: number; last: number } {
  const pages = Math.max(1, Math.ceil(seeds.length / CELL_PAGE))
  const p = Math.min(pages - 1, Math.max(0, Math.floor(page)))
  const first = p * CELL_PAGE
  const shown = seeds.slice(first, first + CELL_PAGE)
  return { seeds: shown, page: p, pages, first, last: first + shown.length }
}

/** The detected columns a matrix shows: every row's own column, and every column any sample landed in, in order. */
export function shownColumns(report: LeakageReport): number[] {
  const used = new Set(report.classes.map((c) => c.column))
  for (const t of report.truncations) t.counts.forEach((row) => row.forEach((n, j) => n > 0 && used.add(j)))
  return [...used].sort((a, b) => a - b)
}

/** A cell's colour: the share of its row's samples, on the diagonal (correct) in green, off it (leakage) in red. */
export function heatColour(share: number, correct: boolean): string {
  const a = Math.max(0, Math.min(1, share))
  if (a === 0) return 'transparent'
  return correct ? `rgba(108, 195, 143, ${0.12 + 0.6 * a})` : `rgba(239, 111, 108, ${0.15 + 0.75 * a})`
}

export interface ChartSeries {
  label: string
  points: { x: number; y: number }[]
  strong?: boolean
}

/** Maps data to a chart's box: x over the data's range (a point alone sits in the middle), y from 0 to 1 upwards. */
export function chartScale(series: readonly ChartSeries[], width: number, height: number, pad = 28) {
  const xs = series.flatMap((s) => s.points.map((p) => p.x))
  const lo = xs.length ? Math.min(...xs) : 0
  const hi = xs.length ? Math.max(...xs) : 1
  const x = (v: number): number => (hi === lo ? width / 2 : pad + ((v - lo) / (hi - lo)) * (width - 2 * pad))
  const y = (v: number): number => height - pad + -Math.max(0, Math.min(1, v)) * (height - 2 * pad)
  return { x, y, lo, hi }
}

/** The SVG polyline of a series under a scale. */
export function polyline(points: readonly { x: number; y: number }[], scale: { x: (v: number) => number; y: (v: number) => number }): string {
  return [...points]
    .sort((a, b) => a.x - b.x)
    .map((p) => `${scale.x(p.x).toFixed(1)},${scale.y(p.y).toFixed(1)}`)
    .join(' ')
}

export function percent(x: number): string {
  return `${(100 * x).toFixed(x === 0 || x === 1 ? 0 : 1)} %`
}
