// D's class evidence per image, for the class-leakage inspection. A projection discriminator (Miyato & Koyama 2018)
// scores D(x, y) = w·φ(x) + b + ⟨y E_SN, φ(x)⟩, linear in y, so the evidence for class k is
//   evidence_k(x) = ⟨E_SN[k], φ(x)⟩ = ∂D/∂y_k = D(x, onehot k) − D(x, 0)
// (finetune/newClass.ts classEvidence sums the same quantity over a folder). Here it is per image and for every class
// at once: φ(x) [n, C] once per image, times E_SNᵀ [C, K]. E_SN comes from the engine's own spectral-norm code path:
// D's projection embedding applied, in an eval forward context, to the identity [K, K] (y · E_SN with y = I), so it
// is divided by exactly the σ that D(x, y) uses in eval mode (stored u, v, or one unrecorded power step).
import { classNames } from '../classes'
import { modelPixels } from '../images'
import { SNEmbedding } from '../layers/embedding'
import type { BigGANModel } from '../model'
import { forwardContext, type ForwardContext } from '../module'
import type { Discriminator } from '../networks'
import { tf } from '../tf'

/** The model's discriminator, or an error the user can act on. */
export function requireDiscriminator(model: BigGANModel, what = 'class evidence'): Discriminator {
  if (!model.D) {
    throw new Error(
      `${what} needs the model's discriminator, and this model is generator-only (the released BigGAN-deep weights ` +
        'have none): use a classifier instead (the bundled Fashion-MNIST one, or a TensorFlow.js model folder)',
    )
  }
  return model.D
}

/** D's spectrally normalised class embedding E_SN [numClasses, C] as D applies it in `ctx`; the caller owns it. */
export function normalisedClassEmbedding(D: Discriminator, ctx: ForwardContext, numClasses: number): tf.Tensor2D {
  const embedding = (D as { embedding?: unknown }).embedding
  if (!(embedding instanceof SNEmbedding)) {
    throw new Error(`discriminator ${D.name} has no projection embedding (D.embedding), so it has no class evidence`)
  }
  return tf.tidy(() => embedding.apply(ctx, tf.eye(numClasses)) as tf.Tensor2D)
}

/** evidence [batch, numClasses] = φ(x) E_SNᵀ for images x [batch, R, R, 3] in [−1, 1], in D's eval mode; the caller
 *  owns the result. Differentiable in x (saliency.ts). */
export function evidenceTensor(model: BigGANModel, x: tf.Tensor4D): tf.Tensor2D {
  const D = requireDiscriminator(model)
  return tf.tidy(() => {
    const ctx = forwardContext(model.params, 'eval')
    const features = D.features(ctx, x) // [batch, C]
    return tf.matMul(features, normalisedClassEmbedding(D, ctx, model.config.numClasses), false, true)
  })
}

/** Every class's evidence for each image: [count, numClasses] row-major. `images`: [count, R, R, 3], float in
 *  [−1, 1] or uint8 (the folder loader's pixels). */
export async function imageEvidence(
  model: BigGANModel, images: Float32Array | Uint8Array, count: number, batch = 32,
): Promise<Float32Array> {
  requireDiscriminator(model)
  const { resolution: r, numClasses } = model.config
  const x = modelPixels(images, count, r)
  const size = r * r * 3
  const out = new Float32Array(count * numClasses)
  for (let start = 0; start < count; start += batch) {
    const b = Math.min(batch, count - start)
    const evidence = tf.tidy(() => evidenceTensor(model, tf.tensor4d(x.subarray(start * size, (start + b) * size), [b, r, r, 3])))
    try {
      out.set(await evidence.data(), start * numClasses)
    } finally {
      evidence.dispose()
    }
  }
  return out
}

export interface ClassScore {
  class: number
  name: string
  score: number
}

/** The k highest-scoring classes of one row of scores (evidence, logits or probabilities), highest first; ties go to
 *  the lower class index. */
export function topClasses(scores: ArrayLike<number>, names: readonly string[], k: number): ClassScore[] {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b)
  return order.slice(0, Math.max(0, k)).map((i) => ({ class: i, name: names[i] ?? `class ${i}`, score: scores[i] }))
}

/** Where class `column` stands among a judge's scores: 1 for the highest; a tie ranks it above the classes it ties with,
 *  as topClasses orders them for a lower index. */
export function classRank(scores: ArrayLike<number>, column: number): number {
  const own = scores[column]
  let rank = 1
  for (let i = 0; i < scores.length; i++) if (scores[i] > own || (scores[i] === own && i < column)) rank++
  return rank
}

/** Per image, the top-k classes by D's evidence: the bar under an image in the studio. */
export async function topEvidence(
  model: BigGANModel, images: Float32Array | Uint8Array, count: number, k = 5,
): Promise<ClassScore[][]> {
  const evidence = await imageEvidence(model, images, count)
  const K = model.config.numClasses
  const names = classNames(model.config)
  return Array.from({ length: count }, (_, i) => topClasses(evidence.subarray(i * K, (i + 1) * K), names, k))
}
