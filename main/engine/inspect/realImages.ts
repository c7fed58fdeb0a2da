// Which real images a generator metric compares the fakes with (generatorMetrics.ts): the usable images of a folder
// as the loader read them, only the subfolder of the measured class when one class is measured, and at most `limit`
// of them, drawn without replacement with the seed. The CLI and the studio choose through this one function, so the
// same folder, class, limit and seed give the same reals (and the same numbers) in both.
import type { ImageFolder } from '../images'
import { Random } from '../sampling/random'
import { matchClasses } from './extractors'

/** density/coverage use k = 5 neighbours among the reals, so fewer than this cannot be measured */
export const MIN_REAL_IMAGES = 6

export interface RealImageChoice {
  /** [count, R, R, 3] uint8 RGB */
  pixels: Uint8Array
  count: number
}

export interface RealImageOptions {
  /** the measured model class's name; undefined: all classes, every image of the folder */
  className?: string
  /** at most this many images */
  limit: number
  seed: number
}

/** The reals of `dataset` (loaded with no held-out split) to measure against; throws an error that names the folder
 *  when it has no subfolder for the class, or too few images. */
export function chooseRealImages(dataset: Pick<ImageFolder, 'dir' | 'classes' | 'train'>, options: RealImageOptions): RealImageChoice {
  const { train } = dataset
  const size = train.resolution * train.resolution * 3
  let pool = Array.from({ length: train.count }, (_, i) => i)
  if (options.className !== undefined && dataset.classes.length > 1) {
    const folderClass = matchClasses([options.className], dataset.classes, dataset.classes.length).map[0]
    if (folderClass < 0) {
      throw new Error(
        `${dataset.dir} has no subfolder for class '${options.className}' (its classes: ${dataset.classes.join(', ')}): ` +
          'measure all classes, or add a subfolder named after the class',
      )
    }
    pool = pool.filter((i) => train.labels[i] === folderClass)
  }
  const chosen = subset(pool, Math.min(options.limit, pool.length), new Random(options.seed))
  if (chosen.length < MIN_REAL_IMAGES) {
    throw new Error(
      `${dataset.dir} has ${chosen.length} usable real image(s) for this measurement; density/coverage need at least ` +
        `${MIN_REAL_IMAGES}: add images to the folder`,
    )
  }
  const pixels = new Uint8Array(chosen.length * size)
  chosen.forEach((i, row) => pixels.set(train.pixels.subarray(i * size, (i + 1) * size), row * size))
  return { pixels, count: chosen.length }
}

/** m of the indices, drawn without replacement in random order (all of them, in order, when m covers them). */
function subset(indices: number[], m: number, rng: { int(n: number): number }): number[] {
  if (m >= indices.length) return indices
  const pool = [...indices]
  for (let i = 0; i < m; i++) {
    const j = i + rng.int(pool.length - i)
    ;[pool[i], pool[j]] = [pool[j], pool[i]]
  }
  return pool.slice(0, m)
}
