// Which existing class a new class starts from (addClass's `initFrom`): the class whose own samples the folder's
// images lie nearest, in D's features.
//
// D's projection evidence alone (classEvidence: ⟨E_SN[k], h(x)⟩ summed over the images) is not a classifier. D's
// class head is trained to tell real images from generated ones within a class, not one class from another, and on
// images unlike its training data it points anywhere: the bundled Fashion-MNIST model's D put orange-tinted
// sandals under Bag, and their grey versions under Coat. What the new row needs is the class whose images G already
// draws most like the folder's, so that is what is measured: for each candidate class, `samplesPerClass` of G's
// samples of it (EMA weights, the paper's threshold 2.0, a fixed seed) go through D's feature extractor beside the
// folder's images, and each folder image's distance to its nearest sample, averaged, scores the class.
//
// A model that draws grey (its samples have R = G = B, as one trained on grey images does) has a D that never saw
// colour: there a colour folder is compared in grey (each pixel's HSV value), its shapes against the class's shapes.
// A model with many classes first keeps the `candidates` classes with the most projection evidence, so that only
// those are sampled.
//
// Measured on the bundled model: orange-tinted Fashion-MNIST sandals (30 and 135 images) are nearest Sandal (2.2 and
// 2.0, then Ankle boot 2.5), where the projection evidence said Bag; its own samples of each class, tinted orange or
// not, find their class for 8 of 10 classes (Pullover and Shirt go to Coat, the garment whose samples vary most).
import { classEvidence } from './newClass'
import type { ModelConfig } from '../config'
import type { BigGANModel } from '../model'
import { modelPixels } from '../images'
import { nearestDistances, nearestNeighbours } from '../inspect/nearestNeighbours'
import { featuresInBatches } from '../train/memorisation'
import { Random } from '../sampling/random'
import { sampleLatents } from '../sampling/truncation'

export interface NearestClassOptions {
  /** G's samples per candidate class (default 16 up to 64 px, 8 above: a 128-px G is ~20× the work per image) */
  samplesPerClass?: number
  /** classes sampled, the ones with the most projection evidence (default 16 up to 64 px, 8 above; every class of a
   *  small model) */
  candidates?: number
  /** images per G forward and per projection-evidence batch (default 8) */
  batch?: number
  seed?: number
}

/** What nearestClass will sample for this model: candidate classes × samples each. */
export function nearestClassWork(config: ModelConfig, options: NearestClassOptions = {}): { candidates: number; samplesPerClass: number } {
  const small = config.resolution <= 64
  return {
    candidates: Math.max(1, Math.min(config.numClasses, options.candidates ?? (small ? 16 : 8))),
    samplesPerClass: options.samplesPerClass ?? (small ? 16 : 8),
  }
}

/** A grey model's samples differ between channels by float noise only: the default model's by 0.005 on average. */
const GREY_CHROMA = 0.02

/** Mean over pixels of max(R, G, B) − min(R, G, B), for images [count, R, R, 3] in [−1, 1]. */
export function meanChroma(x: Float32Array): number {
  let sum = 0
  for (let i = 0; i < x.length; i += 3) sum += Math.max(x[i], x[i + 1], x[i + 2]) - Math.min(x[i], x[i + 1], x[i + 2])
  return sum / (x.length / 3)
}

/** The images in grey: each pixel's value (HSV's V, its brightest channel) in all three channels. A tinted grey
 *  image (each channel the grey scaled by a colour) gets its grey back, where luminance would darken it by the
 *  colour's weight (an orange by a third) and D, which has seen only grey images, would take it for a darker item. */
export function greyValue(x: Float32Array): Float32Array {
  const out = new Float32Array(x.length)
  for (let i = 0; i < x.length; i += 3) {
    const v = Math.max(x[i], x[i + 1], x[i + 2])
    out[i] = out[i + 1] = out[i + 2] = v
  }
  return out
}

/** Whether the model draws grey: its samples of every class (up to 16, one each) under GREY_CHROMA. */
export async function drawsGrey(model: BigGANModel, seed = 0): Promise<boolean> {
  const { numClasses, zDim } = model.config
  const n = Math.min(numClasses, 16)
  const y = new Float32Array(n * numClasses)
  for (let i = 0; i < n; i++) y[i * numClasses + Math.floor((i * numClasses) / n)] = 1
  const x = await model.generate(sampleLatents(new Random(seed), n, zDim, { kind: 'paper', threshold: 2 }), y)
  return meanChroma(x) < GREY_CHROMA
}

export interface NearestClass {
  /** the class to start from; 'mean' for a generator-only model, which has no D to ask */
  initFrom: 'mean' | number
  /** the candidates' scores, nearest first (mean distance to the nearest sample, in D's features) */
  scores: { k: number; distance: number }[]
  /** whether the folder was compared in grey (the model draws grey) */
  grey: boolean
}

/** The existing class the folder `images` ([count, R, R, 3], uint8 or float in [−1, 1]) is nearest, and why. */
export async function nearestClass(
  model: BigGANModel, images: Float32Array | Uint8Array, count: number, options: NearestClassOptions = {},
): Promise<NearestClass> {
  if (!model.D) return { initFrom: 'mean', scores: [], grey: false }
  const { numClasses, zDim, resolution } = model.config
  const { candidates: wanted, samplesPerClass: m } = nearestClassWork(model.config, options)
  const batch = options.batch ?? 8
  const seed = options.seed ?? 0
  const grey = await drawsGrey(model, seed)
  const folder = grey ? greyValue(modelPixels(images, count, resolution)) : modelPixels(images, count, resolution)
  let candidates = [...Array(numClasses).keys()]
  if (wanted < numClasses) {
    const evidence = await classEvidence(model, folder, count, batch)
    candidates = candidates.sort((a, b) => evidence[b] - evidence[a]).slice(0, wanted)
  }
  if (candidates.length === 1) return { initFrom: candidates[0], scores: [{ k: candidates[0], distance: NaN }], grey }
  const size = resolution * resolution * 3
  const ours = await featuresInBatches(model, folder, size)
  const dim = ours.length / count
  const rng = new Random(seed)
  const scores: NearestClass['scores'] = []
  for (const k of candidates) {
    const y = new Float32Array(m * numClasses)
    for (let i = 0; i < m; i++) y[i * numClasses + k] = 1
    const z = sampleLatents(rng, m, zDim, { kind: 'paper', threshold: 2 })
    const samples = new Float32Array(m * size)
    for (let i = 0; i < m; i += batch) {
      const b = Math.min(batch, m - i)
      const x = await model.generate(z.subarray(i * zDim, (i + b) * zDim), y.subarray(i * numClasses, (i + b) * numClasses))
      samples.set(grey ? greyValue(x) : x, i * size)
    }
    const theirs = await featuresInBatches(model, samples, size)
    // each folder image's distance to the class's nearest sample, averaged over the folder
    const distances = nearestDistances(nearestNeighbours(ours, theirs, dim, 1))
    scores.push({ k, distance: distances.reduce((sum, d) => sum + d, 0) / count })
  }
  scores.sort((a, b) => a.distance - b.distance)
  return { initFrom: scores[0].k, scores, grey }
}
