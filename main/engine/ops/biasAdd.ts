// x + b per channel, NHWC. The gradient of b sums ∂y over batch, height and width; tfjs's own (the broadcast
// gradient of tf.add) is one float32 running sum per channel, which on wasm loses ~1e-5 relative over a few
// hundred terms. That is too much where the terms nearly cancel (biases that only the self-attention path
// sees), so this gradient sums one axis at a time like the BatchNorm statistics (ops/moments).
import { tf } from '../tf'
import { channelSums } from './moments'

/** x [batch, h, w, c] + bias [c] */
export const addChannelBias = tf.customGrad((x, bias, save) => {
  void save
  return {
    value: tf.add(x as tf.Tensor4D, bias as tf.Tensor1D),
    gradFunc: (dy) => [tf.clone(dy as tf.Tensor4D), channelSums(dy as tf.Tensor4D)],
  }
}) as (x: tf.Tensor4D, bias: tf.Tensor1D) => tf.Tensor4D
