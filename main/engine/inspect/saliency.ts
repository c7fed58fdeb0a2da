// Saliency: which pixels drive a class's score. The map is |∂score/∂x| per pixel, the largest over the
// three channels (Simonyan et al. 2014's gradient saliency), divided by its maximum so that it lies in [0, 1]. The
// score is the judge's: D's class evidence ⟨E_SN[k], φ(x)⟩ for the 'discriminator' extractor, a classifier's logit
// (a log-probability when the model ends in a softmax). Choose k = the foreign (detected) class to see where it leaks in.
import type { BigGANModel } from '../model'
import { tf } from '../tf'
import { checkImages, checkResolution, discriminatorExtractor, type FeatureExtractor } from './extractors'
import { leakageSamples } from './leakage'

export interface Saliency {
  resolution: number
  /** [R, R] row-major in [0, 1]: |∂score/∂x| max over channels, over its maximum (all 0 when the gradient is 0) */
  map: Float32Array
  /** the score at the image */
  score: number
  /** the largest |∂score/∂x| before normalising (compare maps by it) */
  maxGradient: number
  class: number
  extractor: string
}

/** The saliency of class k for one image [R, R, 3] in [−1, 1]. */
export async function saliency(judge: FeatureExtractor, image: Float32Array, k: number): Promise<Saliency> {
  if (!judge.classScore || !judge.classes) throw new Error(`${judge.name} has no class scores, so it has no saliency`)
  if (!(Number.isInteger(k) && k >= 0 && k < judge.classes.count)) {
    throw new Error(`class ${k} does not exist for ${judge.name} (0–${judge.classes.count - 1})`)
  }
  const r = judge.resolution
  checkImages(image, r, judge.name)
  if (image.length !== r * r * 3) throw new Error(`saliency takes one image (${r}×${r}×3 values), got ${image.length / (r * r * 3)}`)
  const score = judge.classScore.bind(judge)
  const [value, map] = tf.tidy(() => {
    const x = tf.tensor4d(image, [1, r, r, 3])
    const { value, grad } = tf.valueAndGrad((input: tf.Tensor) => tf.sum(score(input as tf.Tensor4D, k)) as tf.Scalar)(x)
    return [value, tf.max(tf.abs(grad), 3)] // [1, R, R]
  })
  try {
    const scoreValue = (await value.data()) as Float32Array
    const raw = (await map.data()) as Float32Array
    let max = 0
    for (const v of raw) if (v > max) max = v
    const normalised = Float32Array.from(raw, (v) => (max > 0 ? v / max : 0))
    return { resolution: r, map: normalised, score: scoreValue[0], maxGradient: max, class: k, extractor: judge.name }
  } finally {
    value.dispose()
    map.dispose()
  }
}

/** The saliency of class k (default: the intended one) on the model's image of `cls` at (seed, t), judged by its own
 *  D or by `judge`; returns the image too. */
export async function generatedSaliency(
  model: BigGANModel,
  sample: { cls: number; seed: number; truncation: number | null },
  k: number,
  judge: FeatureExtractor | 'discriminator' = 'discriminator',
): Promise<Saliency & { image: Float32Array }> {
  const extractor = judge === 'discriminator' ? discriminatorExtractor(model) : judge
  checkResolution(extractor, model.config.resolution)
  const image = await leakageSamples(model, sample.cls, [sample.seed], sample.truncation)
  return { ...(await saliency(extractor, image, k)), image }
}
