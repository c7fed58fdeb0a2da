// The one convolution of the engine: NHWC, stride 1, 'same' padding, HWIO kernel. Its gradients are computed with
// the forward Conv2D kernel only, because the wasm backend has no Conv2DBackpropFilter (and the cpu backend's took
// 49 s for one batch-4 32×32 64-channel conv where this takes 5 s):
//   ∂x = conv(∂y, W flipped in space, in/out swapped)
//   ∂W = conv over the batch: the input with batch and channels swapped, filtered by ∂y laid out as a kernel.
import { tf } from '../tf'

/** x [batch, h, w, in] ⊛ kernel [kh, kw, in, out] → [batch, h, w, out]; odd square kernels only. */
export function conv2d(x: tf.Tensor4D, kernel: tf.Tensor4D): tf.Tensor4D {
  const [kh, kw] = kernel.shape
  if (kh !== kw || kh % 2 !== 1) {
    throw new Error(`conv2d takes odd square kernels for 'same' padding, got ${kh}×${kw}`)
  }
  return convWithForwardKernelGradients(x, kernel)
}

const convWithForwardKernelGradients = tf.customGrad((x, kernel, save) => {
  const input = x as tf.Tensor4D
  const w = kernel as tf.Tensor4D
  ;(save as tf.GradSaveFunc)([input, w])
  return {
    value: tf.conv2d(input, w, 1, 'same'),
    gradFunc: (dy, saved) => {
      const [xs, ws] = saved as [tf.Tensor4D, tf.Tensor4D]
      const dy4 = dy as tf.Tensor4D
      return [inputGradient(dy4, ws), kernelGradient(xs, dy4, ws.shape[0])]
    },
  }
}) as (x: tf.Tensor4D, kernel: tf.Tensor4D) => tf.Tensor4D

/** ∂x [batch, h, w, in] = ∂y [batch, h, w, out] ⊛ flip(W)ᵀ [kh, kw, out, in]. */
function inputGradient(dy: tf.Tensor4D, kernel: tf.Tensor4D): tf.Tensor4D {
  const flipped = tf.transpose(tf.reverse(kernel, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D
  return tf.conv2d(dy, flipped, 1, 'same')
}

/** ∂W [k, k, in, out]: correlate the padded input [in, h+2p, w+2p, batch] with ∂y as a kernel [h, w, batch, out]. */
function kernelGradient(x: tf.Tensor4D, dy: tf.Tensor4D, k: number): tf.Tensor4D {
  const p = (k - 1) / 2
  const padded = p > 0 ? tf.pad(x, [[0, 0], [p, p], [p, p], [0, 0]]) : x
  const channelsAsBatch = tf.transpose(padded, [3, 1, 2, 0]) as tf.Tensor4D // [in, h+2p, w+2p, batch]
  const dyAsKernel = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D // [h, w, batch, out]
  const grad = tf.conv2d(channelsAsBatch, dyAsKernel, 1, 'valid') // [in, k, k, out]
  return tf.transpose(grad, [1, 2, 0, 3]) as tf.Tensor4D
}
