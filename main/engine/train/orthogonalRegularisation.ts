// Orthogonal regularisation, the paper's off-diagonal variant (§3.1): penalise the cosine similarity between
// filters, not their norms. With W = W_mat [out, fanIn] (rows = filters) and M = 1 − I:
//   loss     (β/2) · ‖(W Wᵀ) ⊙ M‖²_F
//   gradient 2β · ((W Wᵀ) ⊙ M) · W        (what BigGAN-PyTorch's utils.ortho adds to the gradient, β = 1e-4)
// The paper writes R_β = β‖…‖²_F, whose gradient is twice this; we keep BigGAN-PyTorch's scale so that a β means
// what it meant for the released models. It applies to every G parameter of role 'weight' with ≥ 2 dims (convs,
// linears, BN gain/bias projections, attention), never to the shared class embedding (role 'embedding').
import type { Module, ParamSpec, ParamStore } from '../module'
import { tf } from '../tf'

export const bigganOrthogonalStrength = 1e-4

/** The parameters the regulariser acts on. */
export function orthogonallyRegularised(module: Module): ParamSpec[] {
  return module.specs().filter((s) => s.role === 'weight' && s.shape.length >= 2)
}

/** (W Wᵀ) ⊙ (1 − I) [out, out] and W_matᵀ [fanIn, out], for an outputs-last weight (conv HWIO, linear [in, out]). */
function offDiagonalGram(weight: tf.Tensor): { offDiagonal: tf.Tensor2D; wT: tf.Tensor2D } {
  const out = weight.shape[weight.shape.length - 1]
  const wT = tf.reshape<tf.Rank.R2>(weight, [-1, out]) // W_matᵀ [fanIn, out]
  const gram = tf.matMul(tf.transpose(wT), wT) // W Wᵀ [out, out]
  const offDiagonal = tf.sub<tf.Tensor2D>(gram, tf.mul(gram, tf.eye(out)))
  return { offDiagonal, wT }
}

/** 2β ((W Wᵀ) ⊙ (1 − I)) W for one weight, in the weight's own layout. */
export function orthogonalRegularisationGradient(weight: tf.Tensor, beta = bigganOrthogonalStrength): tf.Tensor {
  return tf.tidy(() => {
    const { offDiagonal, wT } = offDiagonalGram(weight)
    // (((W Wᵀ) ⊙ M) W)ᵀ = Wᵀ ((W Wᵀ) ⊙ M) since the masked Gram matrix is symmetric: [fanIn, out], the weight's order
    return tf.reshape(tf.mul(tf.matMul(wT, offDiagonal), 2 * beta), weight.shape)
  })
}

/** The gradients for every regularised parameter of `module`, by parameter name; the caller owns them. */
export function orthogonalRegularisationGradients(
  module: Module, params: ParamStore, beta = bigganOrthogonalStrength,
): Map<string, tf.Tensor> {
  return new Map(orthogonallyRegularised(module).map((s) => [s.name, orthogonalRegularisationGradient(params.get(s.name), beta)]))
}

/** Σ over the regularised parameters of (β/2)‖(W Wᵀ) ⊙ (1 − I)‖²_F: the loss whose gradient the above is. */
export function orthogonalRegularisationLoss(module: Module, params: ParamStore, beta = bigganOrthogonalStrength): tf.Scalar {
  return tf.tidy(() => {
    const terms = orthogonallyRegularised(module).map((s) => tf.sum(tf.square(offDiagonalGram(params.get(s.name)).offDiagonal)))
    return terms.length === 0 ? tf.scalar(0) : tf.mul(tf.addN(terms), beta / 2)
  })
}
