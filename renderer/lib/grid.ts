// The truncation grid: rows of seeds (or classes) × columns of truncation values, filled row by row.
// The same seed across a row: under either semantics the back end redraws that seed's z per truncation
// (latents:sample), so a row shows one latent under each truncation.

export type GridMode = 'seeds' | 'classes'

export interface GridSpec {
  mode: GridMode
  /** seeds mode: one row per seed; classes mode: the one seed of every row */
  seeds: number[]
  /** classes mode: one row per class; seeds mode: the class vector is the current point's */
  classes: number[]
  truncations: number[]
}

export interface GridCell {
  row: number
  column: number
  seed: number
  truncation: number
  /** the class of the row (classes mode), or null for the current point's class vector */
  classIndex: number | null
}

/** `count` truncation values evenly spread over [min, max], rounded to 3 decimals, without repeats. */
export function truncationValues(min: number, max: number, count: number): number[] {
  if (!(min > 0) || !(max >= min)) throw new Error(`truncation range [${min}, ${max}] is not valid`)
  if (count <= 1) return [round3(max)]
  const out: number[] = []
  for (let i = 0; i < count; i++) {
    const v = round3(min + ((max - min) * i) / (count - 1))
    if (out[out.length - 1] !== v) out.push(Math.max(0.001, v))
  }
  return out
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000
}

/** Consecutive seeds from `start`, wrapping at 2³². */
export function consecutiveSeeds(start: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => (start + i) % 2 ** 32)
}

/** The rows of a grid in the order they are filled: top to bottom, each row left to right. */
export function gridRows(spec: GridSpec): GridCell[][] {
  const rows = spec.mode === 'seeds' ? spec.seeds.length : spec.classes.length
  const out: GridCell[][] = []
  for (let row = 0; row < rows; row++) {
    out.push(
      spec.truncations.map((truncation, column) => ({
        row,
        column,
        seed: spec.mode === 'seeds' ? spec.seeds[row] : spec.seeds[0],
        truncation,
        classIndex: spec.mode === 'classes' ? spec.classes[row] : null,
      })),
    )
  }
  return out
}
