// The copying check at each evaluation of a run: the fixed preview samples against the training images, in pixels
// and in D's feature space φ(x), with the copy threshold set by held-out images (inspect/nearestNeighbours.ts
// explains the test). A small-data fine-tune that starts reproducing its folder shows here first: the share of
// samples flagged as copies rises above the ~1 % that novel images get by chance.
//
// The references are a fixed, evenly spaced subset of the training images (at most `references`), so the cost of
// a check stays bounded on a large folder (Fashion-MNIST's 60 000) and covers a small one entirely.
import type { ImageSplit } from '../images'
import { memorisationCheck, type MemorisationSpace } from '../inspect/nearestNeighbours'
import { boundedBatch, type BigGANModel } from '../model'

export interface MemorisationSettings {
  /** a check every N steps, at a preview (a multiple of previewEvery); 0 = never */
  every: number
  /** training images compared against, at most (an evenly spaced subset) */
  references: number
  /** nearest training images kept per sample */
  k: number
}

export const defaultMemorisation = (previewEvery: number): MemorisationSettings => ({
  every: previewEvery,
  references: 2000,
  k: 3,
})

/** One space's numbers, for the metrics log and the monitor. */
export interface MemorisationSummary {
  copyFraction: number
  threshold: number
  medianSample: number
  medianHeldOut: number
}

/** What a check writes to the run folder: the summary and each sample's nearest training images by path. */
export interface MemorisationResult {
  step: number
  references: number
  heldOut: number
  pixels: MemorisationSummary
  features?: MemorisationSummary
  samples: {
    class: number
    /** nearest training images in pixels, nearest first */
    pixels: { relPath: string; distance: number }[]
    features?: { relPath: string; distance: number }[]
    copy: boolean
  }[]
}

/**
 * Compares samples [n, R·R·3] in [−1, 1] (the preview grid's images, with their classes) with the training images.
 * undefined when there is nothing to compare with (no held-out images set the threshold).
 */
export async function memorisationAt(
  step: number,
  model: BigGANModel,
  data: { train: ImageSplit; heldOut: ImageSplit },
  samples: Float32Array,
  classes: number[],
  settings: MemorisationSettings,
): Promise<MemorisationResult | undefined> {
  const { train, heldOut } = data
  if (heldOut.count === 0 || train.count === 0) return undefined
  const size = train.resolution * train.resolution * 3
  const stride = Math.max(1, Math.floor(train.count / settings.references))
  const indices = Array.from({ length: Math.min(settings.references, Math.ceil(train.count / stride)) }, (_, i) => i * stride)
  const report = await memorisationCheck({
    samples,
    training: {
      count: indices.length,
      read: (start, n) => floats(train, indices.slice(start, start + n), size),
    },
    heldOut: floats(heldOut, Array.from({ length: heldOut.count }, (_, i) => i), size),
    imageSize: size,
    k: settings.k,
    chunk: 256,
    ...(model.D ? { features: (images: Float32Array) => featuresInBatches(model, images, size) } : {}),
  })
  const neighbours = (space: MemorisationSpace, i: number): { relPath: string; distance: number }[] =>
    Array.from({ length: space.neighbours.k }, (_, j) => space.neighbours.indices[i * space.neighbours.k + j])
      .map((index, j) => ({ index, distance: space.neighbours.distances[i * space.neighbours.k + j] }))
      .filter((n) => n.index >= 0)
      .map((n) => ({ relPath: train.relPaths[indices[n.index]], distance: n.distance }))
  return {
    step,
    references: indices.length,
    heldOut: heldOut.count,
    pixels: summary(report.pixels),
    ...(report.features ? { features: summary(report.features) } : {}),
    samples: classes.map((c, i) => ({
      class: c,
      pixels: neighbours(report.pixels, i),
      ...(report.features ? { features: neighbours(report.features, i) } : {}),
      copy: report.pixels.copies[i] === 1 || report.features?.copies[i] === 1,
    })),
  }
}

function summary(space: MemorisationSpace): MemorisationSummary {
  return {
    copyFraction: space.copyFraction,
    threshold: space.threshold,
    medianSample: space.medianSample,
    medianHeldOut: space.medianHeldOut,
  }
}

/** Images of a split by index as floats in [−1, 1]. */
function floats(split: ImageSplit, indices: number[], size: number): Float32Array {
  const out = new Float32Array(indices.length * size)
  indices.forEach((index, k) => {
    const from = index * size
    for (let t = 0; t < size; t++) out[k * size + t] = split.pixels[from + t] / 127.5 - 1
  })
  return out
}

/** D's features in bounded batches (64 at 32 px), so memory stays flat whatever the number of images. */
export async function featuresInBatches(model: BigGANModel, images: Float32Array, size: number): Promise<Float32Array> {
  const n = images.length / size
  const batch = boundedBatch(model.config.resolution, 64)
  const parts: Float32Array[] = []
  for (let i = 0; i < n; i += batch) parts.push(await model.discriminatorFeatures(images.subarray(i * size, Math.min(n, i + batch) * size)))
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0))
  parts.reduce((o, p) => (out.set(p, o), o + p.length), 0)
  return out
}
