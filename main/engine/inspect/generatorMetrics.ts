// Generator metrics against a set of real images, in a named extractor's feature space (extractors.ts): Fréchet
// distance and KID (frechet.ts), precision/recall and density/coverage (manifold.ts).
// Every result carries the extractor's name and hash, the sample counts, k, the truncation and the classes, and a
// note that it is not the published Inception FID: FID is biased by sample size (compare only equal counts) and a
// task-trained or D feature space ranks models differently from Inception's.
//
// The diversity–fidelity curve repeats the measurement over truncations t1 … tn: lower truncation usually buys
// precision (fidelity) with recall and coverage (diversity), and the curve shows where a model pays. Fakes are
// quantised to 8 bits like the reals, spread evenly over the chosen classes, and drawn from the same seed at every t.
// Where a curve is saved is the disk layer's business (disk/metricsFiles.ts).
import type { BigGANModel } from '../model'
import { Random } from '../sampling/random'
import { modelPixels } from '../images'
import { checkResolution, type FeatureExtractor } from './extractors'
import { frechetDistanceOf, kernelInceptionDistance, type KidResult } from './frechet'
import { quantise } from './leakage'
import { manifoldMetrics } from './manifold'

/** What every metric result says about how it was measured. */
export interface MetricsProvenance {
  extractor: string
  extractorHash: string
  /** feature width */
  dims: number
  realCount: number
  fakeCount: number
  /** neighbours of precision/recall and of density/coverage */
  k: { precisionRecall: number; densityCoverage: number }
  /** the user's truncation value (null = none) */
  truncation: number | null
  /** model classes the fakes were drawn from, evenly */
  classes: number[]
  note: string
}

export interface GeneratorMetrics extends MetricsProvenance {
  /** Fréchet distance in the extractor's feature space ("FID" only with Inception features) */
  fid: number
  /** KID: mean and std over subsets of the unbiased MMD² (report ×10³) */
  kid: KidResult
  precision: number
  recall: number
  density: number
  coverage: number
}

export interface DiversityFidelityCurve {
  format: 'biggan-studio-generator-metrics'
  version: 1
  createdAt: string
  model: { contentHash: string | null }
  extractor: string
  extractorHash: string
  /** where the reals came from, and their identity where known */
  real: { source: string; contentHash?: string; count: number }
  fakeCount: number
  seed: number
  classes: number[]
  note: string
  /** one per truncation, in the order asked */
  points: GeneratorMetrics[]
}

export function comparabilityNote(extractor: string, hash: string): string {
  return (
    `Measured in the feature space of '${extractor}' (sha256 ${hash.slice(0, 12)}…), not Inception-v3 pool3: not ` +
    'comparable with published FID/KID/precision/recall figures. Compare only numbers with the same extractor hash ' +
    'and the same real and generated counts (FID is biased by sample size).'
  )
}

export interface FeatureComparisonOptions {
  kid?: { subsets?: number; subsetSize?: number; seed?: number }
  kPrecisionRecall?: number
  kDensityCoverage?: number
}

/** FID, KID, precision/recall and density/coverage between feature sets real [N, dim] and fake [M, dim]. */
export function compareFeatures(real: Float32Array, fake: Float32Array, dim: number, options: FeatureComparisonOptions = {}) {
  const manifold = manifoldMetrics(real, fake, dim, {
    ...(options.kPrecisionRecall !== undefined ? { kPrecisionRecall: options.kPrecisionRecall } : {}),
    ...(options.kDensityCoverage !== undefined ? { kDensityCoverage: options.kDensityCoverage } : {}),
  })
  return {
    fid: frechetDistanceOf(real, fake, dim),
    kid: kernelInceptionDistance(real, fake, dim, options.kid ?? {}),
    ...manifold,
  }
}

/** Features of real images [count, R, R, 3] (uint8 from the folder loader, or float in [−1, 1]). */
export async function realFeatures(extractor: FeatureExtractor, images: Float32Array | Uint8Array, count: number, chunk = 1000): Promise<Float32Array> {
  const r = extractor.resolution
  const size = r * r * 3
  if (images.length !== count * size) {
    throw new Error(
      `${count} real images of ${images.length / Math.max(count, 1)} values each, but ${extractor.name} takes ` +
        `${r}×${r}×3: load the folder at the extractor's resolution (${r} px)`,
    )
  }
  const out = new Float32Array(count * extractor.dims)
  for (let start = 0; start < count; start += chunk) {
    const n = Math.min(chunk, count - start)
    const x = modelPixels(images.subarray(start * size, (start + n) * size), n, r, 'real images')
    out.set(await extractor.features(x), start * extractor.dims)
  }
  return out
}

export interface FakeOptions {
  n: number
  /** model classes to draw from, evenly (sample i has classes[⌊i·|classes|/n⌋]) */
  classes: number[]
  /** the user's truncation value; null = none */
  truncation: number | null
  seed: number
  batch?: number
  /** after each batch: the images generated so far and n; may throw to stop early (a cancelled job) */
  onProgress?: (done: number, total: number) => void
}

/** n generated images [n, R, R, 3], quantised to 8 bits and back to [−1, 1]. */
export async function generateForMetrics(model: BigGANModel, options: FakeOptions): Promise<Float32Array> {
  const { n, classes, seed } = options
  const { zDim, numClasses, resolution: r } = model.config
  if (!(Number.isInteger(n) && n >= 1)) throw new Error(`the number of generated images must be ≥ 1, got ${n}`)
  if (classes.length === 0) throw new Error('generated images need at least one class')
  for (const c of classes) if (!(Number.isInteger(c) && c >= 0 && c < numClasses)) throw new Error(`class ${c} does not exist (0–${numClasses - 1})`)
  const t = options.truncation ?? undefined
  const rng = new Random(seed)
  const batch = options.batch ?? 32
  const out = new Float32Array(n * r * r * 3)
  for (let start = 0; start < n; start += batch) {
    const b = Math.min(batch, n - start)
    const z = model.truncation.sample(rng, b, t)
    const y = new Float32Array(b * numClasses)
    for (let i = 0; i < b; i++) y[i * numClasses + classes[Math.floor(((start + i) * classes.length) / n)]] = 1
    const images = await model.generate(z, y, { truncation: model.truncation.statisticsPsi(t) })
    out.set(quantise(images), start * r * r * 3)
    options.onProgress?.(start + b, n)
  }
  return out
}

/** All metrics of n fakes at one truncation against real features computed with the same extractor. */
export async function generatorMetrics(
  model: BigGANModel, extractor: FeatureExtractor, real: Float32Array, fake: FakeOptions, options: FeatureComparisonOptions = {},
): Promise<GeneratorMetrics> {
  checkResolution(extractor, model.config.resolution)
  const images = await generateForMetrics(model, fake)
  const features = await extractor.features(images)
  const m = compareFeatures(real, features, extractor.dims, { ...options, kid: { seed: fake.seed, ...options.kid } })
  return {
    extractor: extractor.name,
    extractorHash: extractor.hash,
    dims: extractor.dims,
    realCount: m.realCount,
    fakeCount: m.fakeCount,
    k: { precisionRecall: m.kPrecisionRecall, densityCoverage: m.kDensityCoverage },
    truncation: fake.truncation,
    classes: [...fake.classes],
    note: comparabilityNote(extractor.name, extractor.hash),
    fid: m.fid,
    kid: m.kid,
    precision: m.precision,
    recall: m.recall,
    density: m.density,
    coverage: m.coverage,
  }
}

export interface CurveOptions extends Omit<FakeOptions, 'truncation'> {
  truncations: (number | null)[]
  /** describes the reals in the saved file: a folder path, and its content hash */
  realSource: { source: string; contentHash?: string }
  comparison?: FeatureComparisonOptions
  onPoint?: (point: GeneratorMetrics, index: number) => void
  /** after each batch: the images generated so far over all truncations, and n × truncations; may throw to stop */
  onProgress?: (done: number, total: number) => void
}

/** The metrics at each truncation: the diversity–fidelity curve. `real`: features of the reals (realFeatures). */
export async function diversityFidelityCurve(
  model: BigGANModel, extractor: FeatureExtractor, real: Float32Array, options: CurveOptions,
): Promise<DiversityFidelityCurve> {
  if (options.truncations.length === 0) throw new Error('the curve needs at least one truncation')
  const points: GeneratorMetrics[] = []
  const total = options.n * options.truncations.length
  for (const [i, t] of options.truncations.entries()) {
    const onProgress = (done: number): void => options.onProgress?.(i * options.n + done, total)
    const point = await generatorMetrics(model, extractor, real, { ...options, truncation: t, onProgress }, options.comparison)
    points.push(point)
    options.onPoint?.(point, i)
  }
  return {
    format: 'biggan-studio-generator-metrics',
    version: 1,
    createdAt: new Date().toISOString(),
    model: { contentHash: model.manifest?.contentHash ?? null },
    extractor: extractor.name,
    extractorHash: extractor.hash,
    real: { ...options.realSource, count: real.length / extractor.dims },
    fakeCount: options.n,
    seed: options.seed,
    classes: [...options.classes],
    note: comparabilityNote(extractor.name, extractor.hash),
    points,
  }
}
