// Class leakage (the BigGAN paper names it as a failure mode of partly trained models: an image of the
// intended class shows features, or the whole look, of another). For a set of intended classes, seeds × truncations:
// generate with the intended class, let a judge say which class each image shows, and count intended × detected.
// The judge is a classifier (the bundled Fashion-MNIST one, a user's TensorFlow.js model) or the model's own D, whose
// detected class is the argmax of its class evidence over the model's classes (evidence.ts).
//
// Deterministic in the seeds: sample s of every class at truncation t uses z = sampleLatents(Random(s), 1, …, t), so
// a cell's images come back from (class, seed, t) alone (leakageSamples), and every class row shares its latents.
// Generated images are quantised to 8 bits (what the user sees and exports) before the judge sees them.
// The same matrix over a run's saved checkpoints, read one at a time from disk, is runs/leakage.ts.
import { toPixels } from '../pixels'
import { classNames } from '../classes'
import { BigGANModel } from '../model'
import type { ModelConfig } from '../config'
import { Random } from '../sampling/random'
import { truncationPolicy, type Truncation } from '../sampling/truncation'
import { argmaxRows } from './classifier'
import { checkResolution, discriminatorExtractor, discriminatorExtractorName, matchClasses, type FeatureExtractor } from './extractors'

export interface LeakageOptions {
  /** the intended classes, model class indices: the matrix's rows */
  classes: number[]
  /** samples per class and truncation */
  seeds: number
  /** the first seed (default 0): samples use seeds firstSeed … firstSeed + seeds − 1 */
  firstSeed?: number
  /** truncation values t as the user gives them (truncationFor: the paper's threshold, or ψ for models with
   *  per-truncation statistics); null = none */
  truncations: (number | null)[]
  /** images generated and judged at once (default 32) */
  batch?: number
  onProgress?: (done: number, total: number) => void
  signal?: AbortSignal
}

export interface LeakageAtTruncation {
  /** the user's value; null = none */
  truncation: number | null
  /** how z was drawn for it */
  latents: Truncation
  /** [row][column]: samples of the row's intended class that the judge put in the column's class */
  counts: number[][]
  /** [row][column]: the seeds of those samples, so a cell's images can be shown (leakageSamples) */
  seeds: number[][][]
  /** share of all samples detected as another class than intended */
  leakage: number
  /** per row */
  perClass: number[]
}

export interface LeakageReport {
  judge: {
    name: string
    hash: string
    scoreKind: 'probability' | 'evidence'
    /** the columns */
    classes: string[]
  }
  model: { contentHash: string | null; numClasses: number }
  /** the rows: a model class, its name, and the judge's column for it */
  classes: { index: number; name: string; column: number }[]
  /** how model classes were matched with the judge's: its own D ('identity'), by name, or by index */
  classMatch: 'identity' | 'name' | 'index'
  /** the seeds every row and truncation uses */
  seeds: number[]
  truncations: LeakageAtTruncation[]
}

/** z [zDim] for one sample and the ψ generate() needs, for seed `seed` at the user's truncation t (null = none). */
export function leakageLatent(config: ModelConfig, seed: number, t: number | null): { z: Float32Array; truncation: Truncation; psi: number } {
  const policy = truncationPolicy(config)
  const truncation = policy.of(t ?? undefined)
  return { z: policy.sample(new Random(seed), 1, t ?? undefined), truncation, psi: policy.statisticsPsi(t ?? undefined) }
}

/** The images [seeds.length, R, R, 3] in [−1, 1] of class `cls` for these seeds at truncation t: a cell's images. */
export async function leakageSamples(model: BigGANModel, cls: number, seeds: readonly number[], t: number | null, batch = 32): Promise<Float32Array> {
  const { zDim, numClasses, resolution: r } = model.config
  if (!(Number.isInteger(cls) && cls >= 0 && cls < numClasses)) throw new Error(`class ${cls} does not exist (0–${numClasses - 1})`)
  const out = new Float32Array(seeds.length * r * r * 3)
  for (let start = 0; start < seeds.length; start += batch) {
    const n = Math.min(batch, seeds.length - start)
    const z = new Float32Array(n * zDim)
    let psi = 1
    for (let i = 0; i < n; i++) {
      const latent = leakageLatent(model.config, seeds[start + i], t)
      z.set(latent.z, i * zDim)
      psi = latent.psi
    }
    const y = new Float32Array(n * numClasses)
    for (let i = 0; i < n; i++) y[i * numClasses + cls] = 1
    out.set(await model.generate(z, y, { truncation: psi }), start * r * r * 3)
  }
  return out
}

/** [−1, 1] → the 8-bit grid and back: the images exactly as a PNG export shows them. */
export function quantise(images: Float32Array): Float32Array {
  const pixels = toPixels(images)
  return Float32Array.from(pixels, (p) => p / 127.5 - 1)
}

/** The leakage matrix of one model. `judge`: a classifying extractor, or 'discriminator' for the model's own D. */
export async function leakageMatrix(model: BigGANModel, judge: FeatureExtractor | 'discriminator', options: LeakageOptions): Promise<LeakageReport> {
  const extractor = judge === 'discriminator' ? discriminatorExtractor(model) : judge
  if (!extractor.classify || !extractor.classes) {
    throw new Error(`${extractor.name} does not classify (it has no class outputs), so it cannot judge leakage`)
  }
  checkResolution(extractor, model.config.resolution)
  const names = classNames(model.config)
  const { numClasses } = model.config
  const rows = checkOptions(options, numClasses)
  const detectorCount = extractor.classes.count
  const own = extractor.name === discriminatorExtractorName
  const match = own ? { map: Int32Array.from({ length: numClasses }, (_, i) => i), by: 'identity' as const } : matchClasses(model.config.classNames, extractor.classes.names, detectorCount)
  const columns = rows.map((c) => {
    const column = match.map[c]
    if (column < 0) {
      throw new Error(
        `class '${names[c]}' of the model has no counterpart among ${extractor.name}'s classes ` +
          `(${(extractor.classes?.names ?? []).join(', ')}): leave it out of --classes or use a classifier that knows it`,
      )
    }
    return column
  })
  const detectedNames = extractor.classes.names ? [...extractor.classes.names] : Array.from({ length: detectorCount }, (_, i) => `class ${i}`)
  const firstSeed = options.firstSeed ?? 0
  const seeds = Array.from({ length: options.seeds }, (_, i) => firstSeed + i)
  const batch = options.batch ?? 32
  const total = options.truncations.length * rows.length * seeds.length
  let done = 0
  const truncations: LeakageAtTruncation[] = []
  for (const t of options.truncations) {
    const counts = rows.map(() => new Array<number>(detectorCount).fill(0))
    const cellSeeds = rows.map(() => Array.from({ length: detectorCount }, () => [] as number[]))
    for (const [row, cls] of rows.entries()) {
      for (let start = 0; start < seeds.length; start += batch) {
        if (options.signal?.aborted) throw new Error('the leakage matrix was cancelled')
        const chunk = seeds.slice(start, start + batch)
        const images = quantise(await leakageSamples(model, cls, chunk, t, batch))
        const detected = argmaxRows(await extractor.classify(images), detectorCount)
        chunk.forEach((seed, i) => {
          counts[row][detected[i]]++
          cellSeeds[row][detected[i]].push(seed)
        })
        done += chunk.length
        options.onProgress?.(done, total)
      }
    }
    const perClass = rows.map((_, row) => 1 - counts[row][columns[row]] / seeds.length)
    const correct = rows.reduce((s, _, row) => s + counts[row][columns[row]], 0)
    truncations.push({
      truncation: t,
      latents: model.truncation.of(t ?? undefined),
      counts,
      seeds: cellSeeds,
      leakage: 1 - correct / (rows.length * seeds.length),
      perClass,
    })
  }
  return {
    judge: { name: extractor.name, hash: extractor.hash, scoreKind: extractor.scoreKind ?? 'probability', classes: detectedNames },
    model: { contentHash: model.manifest?.contentHash ?? null, numClasses },
    classes: rows.map((c, i) => ({ index: c, name: names[c], column: columns[i] })),
    classMatch: match.by,
    seeds,
    truncations,
  }
}

function checkOptions(options: LeakageOptions, numClasses: number): number[] {
  const { classes, seeds, truncations } = options
  if (classes.length === 0) throw new Error('the leakage matrix needs at least one class')
  for (const c of classes) {
    if (!(Number.isInteger(c) && c >= 0 && c < numClasses)) throw new Error(`class ${c} does not exist (0–${numClasses - 1})`)
  }
  if (new Set(classes).size !== classes.length) throw new Error('a class is listed twice')
  if (!(Number.isInteger(seeds) && seeds >= 1)) throw new Error(`seeds must be a whole number ≥ 1, got ${seeds}`)
  if (truncations.length === 0) throw new Error('the leakage matrix needs at least one truncation (null = none)')
  for (const t of truncations) if (t !== null && !(t > 0)) throw new Error(`truncation must be > 0 (or none), got ${t}`)
  return [...classes]
}
