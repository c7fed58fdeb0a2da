// The hinge loss of BigGAN (from Lim & Ye 2017, SAGAN): D pushes real logits above +1 and fake logits below −1;
// G raises D's logits on its samples.
//   L_D = E[relu(1 − D(x))] + E[relu(1 + D(G(z)))]        L_G = −E[D(G(z))]
import { tf } from '../tf'

/** real, fake: D's logits [batch] on real images and on G's samples → L_D */
export function discriminatorHingeLoss(real: tf.Tensor1D, fake: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => tf.add(tf.mean(tf.relu(tf.sub(1, real))), tf.mean(tf.relu(tf.add(1, fake)))))
}

/** fake: D's logits [batch] on G's samples → L_G */
export function generatorHingeLoss(fake: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => tf.neg(tf.mean(fake)))
}
