// The truncation grid: seeds (or classes) × truncation values, filled row by row. One view key ('grid') for every
// grid, so a new grid's first row supersedes whatever the old one still had queued.
import type { ModelInfo, Point, Rendered } from '../../preload/contract/index.ts'
import { oneHot } from '../lib/classes.ts'
import { errorMessage, isQuiet } from '../lib/errors.ts'
import { consecutiveSeeds, gridRows, truncationValues, type GridCell, type GridMode, type GridSpec } from '../lib/grid.ts'
import { fitInt, fitNumber, type Fitted } from '../lib/numbers.ts'
import { clampTruncation } from '../lib/points.ts'
import { randomSeed } from '../lib/random.ts'
import { studio } from '../lib/studio.ts'
import { sampleZ } from './current.svelte.ts'

/** How large a grid the view builds: rows of seeds (classes mode: class rows) and truncation columns. */
export const GRID_LIMITS = { rows: { min: 1, max: 12 }, columns: { min: 2, max: 10 } } as const

export interface GridRow {
  cells: GridCell[]
  points: Point[] | null
  images: Rendered | null
  error: string | null
}

export interface GridResult {
  modelHash: string
  spec: GridSpec
  rows: GridRow[]
}

class TruncationGrid {
  mode = $state<GridMode>('seeds')
  startSeed = $state(randomSeed() % 100_000)
  rowCount = $state(4)
  classes = $state<number[]>([])
  from = $state(0.2)
  to = $state(1)
  columns = $state(6)
  result = $state.raw<GridResult | null>(null)
  running = $state(false)
  /** the model the settings were made for: a new model resets the truncation range */
  private settingsFor: string | null = null
  private generation = 0

  /** Fits the settings to a newly opened model. */
  adopt(info: ModelInfo): void {
    if (this.settingsFor === info.hash) return
    this.settingsFor = info.hash
    this.from = clampTruncation(info.truncation.min, info)
    this.to = clampTruncation(info.truncation.max, info)
    this.classes = info.numClasses <= 6 ? Array.from({ length: info.numClasses }, (_, i) => i) : [0]
    this.result = null
  }

  /** The settings fitted to the model's truncation range and the view's size limits, each with a note when the
   *  value used is not the one typed (the view shows it under the field). */
  fitted(info: ModelInfo): { from: Fitted; to: Fitted; columns: Fitted; rows: Fitted } {
    const lo = clampTruncation(info.truncation.min, info)
    const hi = clampTruncation(info.truncation.max, info)
    return {
      from: fitNumber(this.from, lo, hi, lo),
      to: fitNumber(this.to, lo, hi, hi),
      columns: fitInt(this.columns, GRID_LIMITS.columns.min, GRID_LIMITS.columns.max, 6),
      rows: fitInt(this.rowCount, GRID_LIMITS.rows.min, GRID_LIMITS.rows.max, 4),
    }
  }

  /** The grid the settings describe, as fitted. */
  spec(info: ModelInfo): GridSpec {
    const f = this.fitted(info)
    const [a, b] = [f.from.value, f.to.value]
    const truncations = truncationValues(Math.min(a, b), Math.max(a, b), f.columns.value)
    return this.mode === 'seeds'
      ? { mode: 'seeds', seeds: consecutiveSeeds(this.startSeed, f.rows.value), classes: [], truncations }
      : { mode: 'classes', seeds: [this.startSeed], classes: [...this.classes], truncations }
  }

  /** Builds a grid: y is the class vector of seed rows (the current point's). */
  async build(info: ModelInfo, y: Float32Array): Promise<void> {
    let spec: GridSpec
    try {
      spec = this.spec(info)
    } catch (e) {
      this.result = null
      throw e
    }
    const generation = ++this.generation
    const rows: GridRow[] = gridRows(spec).map((cells) => ({ cells, points: null, images: null, error: null }))
    this.result = { modelHash: info.hash, spec, rows }
    this.running = true
    const zCache = new Map<string, Promise<Float32Array>>()
    const z = (seed: number, t: number): Promise<Float32Array> => {
      const key = `${seed}:${t}`
      let p = zCache.get(key)
      if (!p) zCache.set(key, (p = sampleZ(seed, t)))
      return p
    }
    try {
      for (let r = 0; r < rows.length; r++) {
        if (generation !== this.generation) return
        const row = rows[r]
        try {
          const points: Point[] = await Promise.all(
            row.cells.map(async (c) => ({
              z: await z(c.seed, c.truncation),
              y: c.classIndex === null ? y : oneHot(info.numClasses, c.classIndex),
              truncation: c.truncation,
              seed: c.seed,
            })),
          )
          const images = await studio().images.render({ view: 'grid', points })
          if (generation !== this.generation) return
          rows[r] = { ...row, points, images }
        } catch (e) {
          if (generation !== this.generation) return
          if (isQuiet(e)) return
          rows[r] = { ...row, error: errorMessage(e) }
        }
        this.result = { modelHash: info.hash, spec, rows: [...rows] }
      }
    } finally {
      if (generation === this.generation) this.running = false
    }
  }

  stop(): void {
    this.generation++
    this.running = false
    void studio()
      .jobs.cancel({ job: 'grid' })
      .catch(() => undefined)
  }
}

export const grid = new TruncationGrid()
