// The hinge loss of BigGAN (from Lim & Ye 2017, SAGAN): D pushes real logits above +1 and fake logits below −1;
// G raises D's logits on its samples.
//   L_D = E[relu(1 − D(x))] + E[relu(1 + D(G(z)))]        L_G = −E[D(G(z))]
import type { Ops } from '../forward'
import { tfjsOps } from '../ops/tfjs'
import type { tf } from '../tf'

/** real, fake: D's logits [batch] on real images and on G's samples → L_D, on any executor */
export function discriminatorHinge<T>(ops: Ops<T>, real: T, fake: T): T {
  return ops.tidy(() => ops.add(ops.mean(ops.relu(ops.sub(1, real))), ops.mean(ops.relu(ops.add(1, fake)))))
}

/** fake: D's logits [batch] on G's samples → L_G, on any executor */
export function generatorHinge<T>(ops: Ops<T>, fake: T): T {
  return ops.tidy(() => ops.neg(ops.mean(fake)))
}

/** L_D on TensorFlow.js */
export function discriminatorHingeLoss(real: tf.Tensor1D, fake: tf.Tensor1D): tf.Scalar {
  return discriminatorHinge<tf.Tensor>(tfjsOps, real, fake) as tf.Scalar
}

/** L_G on TensorFlow.js */
export function generatorHingeLoss(fake: tf.Tensor1D): tf.Scalar {
  return generatorHinge<tf.Tensor>(tfjsOps, fake) as tf.Scalar
}
