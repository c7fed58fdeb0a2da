// Spatial resampling by a factor of two, NHWC: G's nearest-neighbour upsampling (F.interpolate's default), D's 2×2
// average pool and self-attention's 2×2 max pool. The forward kernels exist on wasm and cpu; two of the backends'
// gradient kernels do not compute the right thing in tfjs 4.22, so those gradients are our own:
// - upsampling: the sum of each 2×2 block of ∂y (= 4 × a 2×2 average pool). tfjs-backend-cpu's
//   ResizeNearestNeighborGrad returns wrong values here, and wasm's is ~3× slower than the pool.
// - max pool: ∂y goes to the first maximum of each window in row-major order (PyTorch's choice on ties).
//   tfjs-backend-wasm's MaxPoolGrad returns wrong values.
// AvgPoolGrad is right on both.
import { tf } from '../tf'

/** [batch, h, w, c] → [batch, 2h, 2w, c], each pixel repeated in a 2×2 block. */
export const upsampleNearest2x = tf.customGrad((x, save) => {
  void save
  const input = x as tf.Tensor4D
  const [, h, w] = input.shape
  return {
    value: tf.image.resizeNearestNeighbor(input, [2 * h, 2 * w]),
    gradFunc: (dy) => tf.mul(tf.avgPool(dy as tf.Tensor4D, 2, 2, 'valid'), 4),
  }
}) as (x: tf.Tensor4D) => tf.Tensor4D

/** [batch, h, w, c] → [batch, h/2, w/2, c], mean of each 2×2 block. */
export function avgPool2x2(x: tf.Tensor4D): tf.Tensor4D {
  return tf.avgPool(x, 2, 2, 'valid')
}

/** [batch, h, w, c] → [batch, h/2, w/2, c], max of each 2×2 block. */
export const maxPool2x2 = tf.customGrad((x, save) => {
  const input = x as tf.Tensor4D
  const value = tf.maxPool(input, 2, 2, 'valid')
  ;(save as tf.GradSaveFunc)([input, value])
  return {
    value,
    gradFunc: (dy, saved) => {
      const [xs, ys] = saved as [tf.Tensor4D, tf.Tensor4D]
      return maxPoolGradient(xs, ys, dy as tf.Tensor4D)
    },
  }
}) as (x: tf.Tensor4D) => tf.Tensor4D

/**
 * ∂x [batch, h, w, c] from ∂y [batch, h/2, w/2, c]: each window's ∂y to its first maximal element. Everything stays
 * rank 4: tfjs-backend-wasm slices ranks ≤ 4 natively and falls back to a generic path ~20× slower above that.
 */
function maxPoolGradient(x: tf.Tensor4D, y: tf.Tensor4D, dy: tf.Tensor4D): tf.Tensor4D {
  const [batch, h, w, c] = x.shape
  // windows as [batch·h/2, 2 (row in window), w/2, 2 (column in window) · c]
  const windows = tf.reshape(x, [batch * (h / 2), 2, w / 2, 2 * c])
  const max = tf.reshape(y, [batch * (h / 2), 1, w / 2, c])
  const grad = tf.reshape(dy, [batch * (h / 2), 1, w / 2, c])
  const zero = tf.zerosLike(grad)
  let taken = tf.cast(zero, 'bool')
  const rows: tf.Tensor[] = []
  for (const i of [0, 1]) {
    const columns: tf.Tensor[] = []
    for (const j of [0, 1]) {
      const element = tf.slice(windows, [0, i, 0, j * c], [-1, 1, -1, c])
      const first = tf.logicalAnd(tf.equal(element, max), tf.logicalNot(taken))
      columns.push(tf.where(first, grad, zero))
      taken = tf.logicalOr(taken, first)
    }
    rows.push(tf.concat(columns, 3))
  }
  return tf.reshape(tf.concat(rows, 1), [batch, h, w, c])
}
