// Per-channel statistics over batch and space, and the batch standardisation of BatchNorm in train mode.
//
// Accuracy: tfjs-backend-wasm reduces a [batch, h, w, c] tensor over (batch, h, w) with one running float32 sum per
// channel; over 4·128·128 values its mean is off by ~1e-5 relative (cpu: ~1e-7). That moves G's train-mode outputs
// by ~2e-5 and, through ReLU and max-pool switches, D's gradients by up to 3e-3. So sums run one axis at a time
// (w, then h, then batch): each float32 sum then has at most ~max(h, w) terms.
//
// Gradient: the analytic BatchNorm backward (as PyTorch's), ∂x = (∂x̂ − mean(∂x̂) − x̂·mean(∂x̂ ⊙ x̂)) / √(σ² + ε),
// instead of differentiating through the mean and variance: fewer ops on the tape, and the cancellation that
// makes per-channel shifts gradient-free is explicit rather than left to float rounding.
import { tf } from '../tf'

/** Σ over batch, height and width, one axis at a time: [batch, h, w, c] → [c] */
export function channelSums(x: tf.Tensor4D): tf.Tensor1D {
  return tf.sum(tf.sum(tf.sum(x, 2), 1), 0)
}

/** Per-channel mean and biased variance over batch, height and width: [c] each. */
export function channelMoments(x: tf.Tensor4D): { mean: tf.Tensor1D; variance: tf.Tensor1D } {
  return tf.tidy(() => {
    const [batch, h, w] = x.shape
    const n = batch * h * w
    const mean = tf.div<tf.Tensor1D>(channelSums(x), n)
    const variance = tf.div<tf.Tensor1D>(channelSums(tf.square(tf.sub(x, mean))), n)
    return { mean, variance }
  })
}

/** x̂ = (x − μ) / √(σ² + ε) with the batch's μ and biased σ²: [batch, h, w, c] → [batch, h, w, c]. */
export function standardiseByBatch(x: tf.Tensor4D, eps: number): tf.Tensor4D {
  const standardise = tf.customGrad((input, save) => {
    const { mean, variance } = channelMoments(input as tf.Tensor4D)
    const inverseStd = tf.rsqrt(tf.add(variance, eps)) // [c]
    const normalised = tf.mul<tf.Tensor4D>(tf.sub(input as tf.Tensor4D, mean), inverseStd)
    ;(save as tf.GradSaveFunc)([normalised, inverseStd])
    return {
      value: normalised,
      gradFunc: (dy, saved) => {
        const [xHat, invStd] = saved as [tf.Tensor4D, tf.Tensor1D]
        const g = dy as tf.Tensor4D
        const [batch, h, w] = g.shape
        const n = batch * h * w
        const meanDy = tf.div(channelSums(g), n)
        const meanDyXHat = tf.div(channelSums(tf.mul(g, xHat)), n)
        return tf.mul(tf.sub(tf.sub(g, meanDy), tf.mul(xHat, meanDyXHat)), invStd)
      },
    }
  }) as (input: tf.Tensor4D) => tf.Tensor4D
  return standardise(x)
}
