// Named feature extractors: the feature space every generator metric is computed in, and the
// judge that says which class an image shows. Each has a name and a hash that travel with every number computed with
// it, because numbers from different extractors (or different weights under one name) do not compare:
//   'fashion-mnist-classifier'  the bundled classifier (resources/fashion-mnist-classifier), 128-d penultimate layer;
//                               hash = its content hash (sha256 over its tensors)
//   'discriminator'             the model's own D: φ(x), the pooled features its projection head scores, and the class
//                               evidence ⟨E_SN[k], φ(x)⟩ as class scores; hash = the model's content hash. D is trained
//                               with G, so its features flatter G: use it for monitoring, not as a judge of quality
//   'classifier:<folder>'       another studio classifier folder (scripts/train-classifier.ts writes them)
//   'tfjs:<folder>'             a TensorFlow.js layers or graph model folder (disk/tfjsModelFolder.ts); hash over its files
// This file holds what works on an extractor or a model in memory; opening one by what the user typed, from
// resources/ or a folder, is disk/extractors.ts.
// Images go in as [n, R, R, 3] float32 in [−1, 1] (NHWC, the generator's range); features and scores come out as
// typed arrays, so no tensor outlives a call. classScore is the one tensor-level entry, for gradients (saliency.ts).
import { classNames as modelClassNames } from '../classes'
import { contentHashOf } from '../contentHash'
import type { BigGANModel } from '../model'
import { forwardContext } from '../module'
import { tf } from '../tf'
import type { ImageClassifier } from './classifier'
import { evidenceTensor, requireDiscriminator } from './evidence'

export interface FeatureExtractor {
  /** 'fashion-mnist-classifier', 'discriminator', 'classifier:<folder>' or 'tfjs:<folder>' */
  readonly name: string
  /** sha256 (hex) identifying the weights: report it next to every number */
  readonly hash: string
  /** feature width */
  readonly dims: number
  /** the image side it takes: images must be [n, resolution, resolution, 3] */
  readonly resolution: number
  /** its classes, where it classifies; undefined names: only matched by index */
  readonly classes?: { count: number; names?: readonly string[] }
  /** what classify returns: a classifier's softmax probabilities, or D's class evidence (unnormalised) */
  readonly scoreKind?: 'probability' | 'evidence'
  /** features [n, dims] */
  features(images: Float32Array): Promise<Float32Array>
  /** class scores [n, classes.count]; the detected class is the argmax */
  classify?(images: Float32Array): Promise<Float32Array>
  /** the score that saliency differentiates for class k: a logit, a log-probability or D's evidence; [batch].
   *  Call inside tf.tidy / tf.grad; the caller owns the result. */
  classScore?(x: tf.Tensor4D, k: number): tf.Tensor1D
  /** frees what the extractor owns (never a model it was given) */
  dispose(): void
}

export const fashionMnistExtractorName = 'fashion-mnist-classifier'
export const discriminatorExtractorName = 'discriminator'

const defaultBatch = 64

/** A studio classifier as an extractor; `owned`: dispose() frees it. */
export function classifierExtractor(classifier: ImageClassifier, name: string, owned = true): FeatureExtractor {
  if (!classifier.contentHash) throw new Error(`classifier '${name}' has no content hash: save or load it before measuring with it`)
  const k = classifier.numClasses
  return {
    name,
    hash: classifier.contentHash,
    dims: classifier.config.featureDim,
    resolution: classifier.config.resolution,
    classes: { count: k, names: classifier.config.classNames },
    scoreKind: 'probability',
    features: (images) => classifier.features(checkImages(images, classifier.config.resolution, name), defaultBatch),
    async classify(images) {
      const logits = await classifier.logits(checkImages(images, classifier.config.resolution, name), defaultBatch)
      return softmaxRows(logits, k)
    },
    classScore: (x, c) => tf.tidy(() => {
      const { logits, features } = classifier.forward(x)
      features.dispose()
      return classColumn(logits, c)
    }),
    dispose: () => {
      if (owned) classifier.dispose()
    },
  }
}

/** The model's D: φ(x) as features, class evidence as scores. Borrows the model (dispose() leaves it alone). */
export function discriminatorExtractor(model: BigGANModel): FeatureExtractor {
  const D = requireDiscriminator(model, "the 'discriminator' extractor")
  const { resolution: r, numClasses } = model.config
  const size = r * r * 3
  const batched = async (images: Float32Array, width: number, f: (x: tf.Tensor4D) => tf.Tensor2D): Promise<Float32Array> => {
    const n = checkImages(images, r, discriminatorExtractorName).length / size
    const out = new Float32Array(n * width)
    for (let start = 0; start < n; start += defaultBatch) {
      const b = Math.min(defaultBatch, n - start)
      const t = tf.tidy(() => f(tf.tensor4d(images.subarray(start * size, (start + b) * size), [b, r, r, 3])))
      try {
        out.set(await t.data(), start * width)
      } finally {
        t.dispose()
      }
    }
    return out
  }
  const dims = dFeatureWidth(model)
  return {
    name: discriminatorExtractorName,
    hash: model.manifest?.contentHash ?? modelTensorHash(model),
    dims,
    resolution: r,
    classes: { count: numClasses, names: modelClassNames(model.config) },
    scoreKind: 'evidence',
    features: (images) => batched(images, dims, (x) => D.features(forwardContext(model.params, 'eval'), x) as tf.Tensor2D),
    classify: (images) => batched(images, numClasses, (x) => evidenceTensor(model, x)),
    classScore: (x, c) => tf.tidy(() => classColumn(evidenceTensor(model, x), c)),
    dispose: () => undefined,
  }
}

export interface ClassMatch {
  /** the extractor's class index for each model class; −1 where it has none */
  map: Int32Array
  by: 'name' | 'index'
}

/** Which of a classifier's classes is each generator class: by name where both have names (case, spaces and
 *  punctuation ignored: 'T-shirt-top' is 'T-shirt/top'), else by index when the counts agree. */
export function matchClasses(modelNames: readonly string[] | undefined, detectorNames: readonly string[] | undefined, detectorCount: number): ClassMatch {
  if (modelNames && detectorNames) {
    const key = (n: string): string => n.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '')
    const index = new Map<string, number>()
    detectorNames.forEach((n, i) => {
      if (!index.has(key(n))) index.set(key(n), i)
    })
    return { map: Int32Array.from(modelNames, (n) => index.get(key(n)) ?? -1), by: 'name' }
  }
  const count = modelNames?.length ?? detectorCount
  if (count !== detectorCount) {
    throw new Error(
      `the model has ${count} classes and the classifier ${detectorCount}, and they cannot be matched by name: give the ` +
        'classifier class names (extractor.json classNames) that match the model\'s',
    )
  }
  return { map: Int32Array.from({ length: count }, (_, i) => i), by: 'index' }
}

/** Throws an error naming both sizes when images are not [n, R, R, 3] for this extractor. */
export function checkImages(images: Float32Array, resolution: number, extractor: string): Float32Array {
  const size = resolution * resolution * 3
  if (images.length === 0 || images.length % size !== 0) {
    throw new Error(
      `${extractor} takes ${resolution}×${resolution} RGB images, but got ${images.length} values ` +
        `(not a whole number of ${resolution}×${resolution}×3 images): pick an extractor with the model's resolution`,
    )
  }
  return images
}

/** Throws when an extractor cannot take a model's images, before anything is generated. */
export function checkResolution(extractor: FeatureExtractor, resolution: number): void {
  if (extractor.resolution !== resolution) {
    throw new Error(
      `${extractor.name} takes ${extractor.resolution}×${extractor.resolution} images, but the model makes ` +
        `${resolution}×${resolution}: use an extractor made for this resolution (or the model's own D: 'd')`,
    )
  }
}

function dFeatureWidth(model: BigGANModel): number {
  const [, width] = model.params.get('D.embedding.weight').shape as [number, number]
  return width
}

/** The content hash of D's tensors, for a model that was never saved (no manifest). */
function modelTensorHash(model: BigGANModel): string {
  return contentHashOf(model.tensors().D ?? new Map())
}

/** Column c of a [b, k] matrix as [b]: one class's scores. */
export function classColumn(m: tf.Tensor2D, c: number): tf.Tensor1D {
  const k = m.shape[1]
  if (!(Number.isInteger(c) && c >= 0 && c < k)) throw new Error(`class ${c} does not exist (0–${k - 1})`)
  return tf.reshape(tf.slice(m, [0, c], [-1, 1]), [-1]) as tf.Tensor1D
}

function softmaxRows(logits: Float32Array, k: number): Float32Array {
  const out = new Float32Array(logits.length)
  for (let r = 0; r < logits.length / k; r++) {
    let max = -Infinity
    for (let j = 0; j < k; j++) max = Math.max(max, logits[r * k + j])
    let sum = 0
    for (let j = 0; j < k; j++) sum += out[r * k + j] = Math.exp(logits[r * k + j] - max)
    for (let j = 0; j < k; j++) out[r * k + j] /= sum
  }
  return out
}
