// Does the generator copy its training images? For each generated sample, the k nearest training images by L2
// in pixels and, where a feature extractor is given, in its feature space; and a copy flag per sample.
//
// The flag needs a scale for "too close", and the training set supplies it: every held-out real image (one the
// model never saw) is matched to its nearest training image, and the `percentile`-th percentile (default the 1st)
// of those distances is the threshold. A sample nearer than that to some training image is closer to the training
// set than 99 % of genuinely new images from the same distribution are, so it is flagged as a likely copy. A model
// whose samples are as novel as held-out data gets about `percentile` % flagged by chance; a clearly larger share
// is the memorisation signal (with the medians below: Meehan et al. 2020's data-copying test compares the
// sample→train and held-out→train distance distributions the same way). Few held-out images make the threshold
// coarse (with under 100 the 1st percentile is about the smallest distance).
//
// Pure JavaScript on typed arrays. The training set streams through in chunks (pixels, then features of the same
// chunk), so memory holds one chunk, the queries and k neighbours per query, whatever the training set's size.
// Distances are computed as sums of squared differences (not ‖a‖² + ‖b‖² − 2a·b, which cancels badly exactly for
// near-copies) and a sum stops early once it exceeds the k-th best distance found so far.

export interface Neighbours {
  k: number
  /** [queries, k] indices of the nearest references, nearest first */
  indices: Int32Array
  /** [queries, k] Euclidean distances, ascending (Infinity where fewer than k references were seen) */
  distances: Float32Array
}

/** The k nearest references of fixed queries, with the references arriving in chunks. */
export class NeighbourSearch {
  private readonly count: number
  private readonly best: Float64Array // squared distances, [count, k], ascending per row
  private readonly indices: Int32Array

  constructor(
    private readonly queries: Float32Array,
    private readonly dim: number,
    readonly k: number,
  ) {
    if (!Number.isInteger(k) || k < 1) throw new Error(`k must be a positive integer, got ${k}`)
    this.count = rowsOf(queries, dim, 'queries')
    this.best = new Float64Array(this.count * k).fill(Infinity)
    this.indices = new Int32Array(this.count * k).fill(-1)
  }

  /** Compares every query with references [n, dim], which are rows firstIndex … firstIndex + n − 1 of the set. */
  add(references: Float32Array, firstIndex: number): void {
    const n = rowsOf(references, this.dim, 'references')
    const { queries, dim, k, best, indices } = this
    for (let q = 0; q < this.count; q++) {
      const qo = q * dim
      const row = q * k
      for (let r = 0; r < n; r++) {
        const bound = best[row + k - 1]
        const ro = r * dim
        let sum = 0
        let t = 0
        while (t < dim && sum < bound) {
          const end = Math.min(t + 64, dim)
          for (; t < end; t++) {
            const diff = queries[qo + t] - references[ro + t]
            sum += diff * diff
          }
        }
        if (sum >= bound) continue
        let slot = k - 1
        while (slot > 0 && best[row + slot - 1] > sum) {
          best[row + slot] = best[row + slot - 1]
          indices[row + slot] = indices[row + slot - 1]
          slot--
        }
        best[row + slot] = sum
        indices[row + slot] = firstIndex + r
      }
    }
  }

  result(): Neighbours {
    return { k: this.k, indices: this.indices.slice(), distances: Float32Array.from(this.best, Math.sqrt) }
  }
}

/** The k nearest references [m, dim] of each query [n, dim], by Euclidean distance. */
export function nearestNeighbours(queries: Float32Array, references: Float32Array, dim: number, k: number): Neighbours {
  const search = new NeighbourSearch(queries, dim, k)
  search.add(references, 0)
  return search.result()
}

/** The first column of a neighbour table: each query's distance to its nearest reference. */
export function nearestDistances(n: Neighbours): Float32Array {
  return Float32Array.from({ length: n.distances.length / n.k }, (_, q) => n.distances[q * n.k])
}

/** The p-th percentile (0–100) with linear interpolation between order statistics (numpy's default). */
export function percentile(values: ArrayLike<number>, p: number): number {
  if (values.length === 0) throw new Error('a percentile of no values')
  if (!(p >= 0 && p <= 100)) throw new Error(`percentile must be within 0–100, got ${p}`)
  const sorted = Float64Array.from(values).sort()
  const position = (p / 100) * (sorted.length - 1)
  const lower = Math.floor(position)
  const upper = Math.min(lower + 1, sorted.length - 1)
  return sorted[lower] + (position - lower) * (sorted[upper] - sorted[lower])
}

/** Where training images come from: `count` of them, read `n` at a time from `start` as [n, imageSize] values. */
export interface ImageChunks {
  count: number
  read(start: number, n: number): Float32Array | Promise<Float32Array>
}

export interface MemorisationOptions {
  /** generated images [n, imageSize] */
  samples: Float32Array
  /** the training set, read chunk by chunk */
  training: ImageChunks
  /** real images the model never trained on [m, imageSize]: they set the copy threshold */
  heldOut: Float32Array
  /** values per image (R·R·3) */
  imageSize: number
  /** neighbours kept per sample (default 5) */
  k?: number
  /** the percentile of held-out→train nearest distances below which a sample counts as a copy (default 1) */
  percentile?: number
  /** training images per chunk (default 1000) */
  chunk?: number
  /** a feature extractor: images [n, imageSize] → features [n, featureDim], e.g. a classifier's or D's */
  features?: (images: Float32Array) => Promise<Float32Array>
}

/** The result in one space (pixels or features). */
export interface MemorisationSpace {
  /** each sample's k nearest training images */
  neighbours: Neighbours
  /** each held-out image's distance to its nearest training image */
  heldOutDistances: Float32Array
  /** the copy threshold: that percentile of heldOutDistances */
  threshold: number
  percentile: number
  /** 1 where a sample's nearest training image is closer than the threshold */
  copies: Uint8Array
  copyFraction: number
  /** median sample→train nearest distance; well below medianHeldOut suggests copying */
  medianSample: number
  medianHeldOut: number
}

export interface MemorisationReport {
  pixels: MemorisationSpace
  features?: MemorisationSpace
}

/** Nearest training images and copy flags for generated samples, in pixels and (optionally) features. */
export async function memorisationCheck(options: MemorisationOptions): Promise<MemorisationReport> {
  const { samples, training, heldOut, imageSize } = options
  const k = options.k ?? 5
  const p = options.percentile ?? 1
  const chunk = options.chunk ?? 1000
  const sampleCount = rowsOf(samples, imageSize, 'samples')
  const heldOutCount = rowsOf(heldOut, imageSize, 'held-out images')
  if (sampleCount === 0 || heldOutCount === 0) throw new Error('the memorisation check needs at least one sample and one held-out image')
  if (training.count < 1) throw new Error('the memorisation check needs at least one training image')
  const pixelSamples = new NeighbourSearch(samples, imageSize, k)
  const pixelHeldOut = new NeighbourSearch(heldOut, imageSize, 1)
  let featureSamples: NeighbourSearch | undefined
  let featureHeldOut: NeighbourSearch | undefined
  let featureDim = 0
  if (options.features) {
    const sampleFeatures = await options.features(samples)
    featureDim = sampleFeatures.length / sampleCount
    if (!Number.isInteger(featureDim) || featureDim < 1) {
      throw new Error(`the feature extractor returned ${sampleFeatures.length} values for ${sampleCount} images`)
    }
    featureSamples = new NeighbourSearch(sampleFeatures, featureDim, k)
    featureHeldOut = new NeighbourSearch(await featuresOf(options.features, heldOut, heldOutCount, featureDim), featureDim, 1)
  }
  for (let start = 0; start < training.count; start += chunk) {
    const n = Math.min(chunk, training.count - start)
    const images = await training.read(start, n)
    if (images.length !== n * imageSize) {
      throw new Error(`training.read(${start}, ${n}) returned ${images.length} values; ${n * imageSize} were expected`)
    }
    pixelSamples.add(images, start)
    pixelHeldOut.add(images, start)
    if (options.features && featureSamples && featureHeldOut) {
      const f = await featuresOf(options.features, images, n, featureDim)
      featureSamples.add(f, start)
      featureHeldOut.add(f, start)
    }
  }
  return {
    pixels: space(pixelSamples.result(), pixelHeldOut.result(), p),
    ...(featureSamples && featureHeldOut ? { features: space(featureSamples.result(), featureHeldOut.result(), p) } : {}),
  }
}

async function featuresOf(
  extract: (images: Float32Array) => Promise<Float32Array>, images: Float32Array, n: number, dim: number,
): Promise<Float32Array> {
  const f = await extract(images)
  if (f.length !== n * dim) throw new Error(`the feature extractor returned ${f.length} values for ${n} images; ${n * dim} were expected`)
  return f
}

function space(samples: Neighbours, heldOut: Neighbours, p: number): MemorisationSpace {
  const heldOutDistances = nearestDistances(heldOut)
  const sampleDistances = nearestDistances(samples)
  const threshold = percentile(heldOutDistances, p)
  const copies = Uint8Array.from(sampleDistances, (d) => (d < threshold ? 1 : 0))
  return {
    neighbours: samples,
    heldOutDistances,
    threshold,
    percentile: p,
    copies,
    copyFraction: copies.reduce((s, c) => s + c, 0) / copies.length,
    medianSample: percentile(sampleDistances, 50),
    medianHeldOut: percentile(heldOutDistances, 50),
  }
}

function rowsOf(values: Float32Array, dim: number, what: string): number {
  if (!Number.isInteger(dim) || dim < 1) throw new Error(`the row width must be a positive integer, got ${dim}`)
  if (values.length % dim !== 0) throw new Error(`${what} have ${values.length} values, not a whole number of rows of ${dim}`)
  return values.length / dim
}
