// stop_gradient: the identity forward, a zero backward. tfjs has no such op; spectral norm needs it so that the
// power-iteration vectors u, v are treated as constants when σ(W) is differentiated (as under torch.no_grad).
import { tf } from '../tf'

const identityWithZeroGradient = tf.customGrad((x, save) => {
  void save
  const input = x as tf.Tensor
  return { value: tf.clone(input), gradFunc: (dy) => tf.zerosLike(dy as tf.Tensor) }
}) as (x: tf.Tensor) => tf.Tensor

export function stopGradient<T extends tf.Tensor>(x: T): T {
  return identityWithZeroGradient(x) as T
}
