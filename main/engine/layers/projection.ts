// The projection discriminator's head (Miyato & Koyama 2018), shared by both families' D:
//   logit = w·h + b + ⟨E y, h⟩, h the pooled features [batch, C], E the SN class embedding.
import type { Forward } from '../forward'
import type { SNEmbedding } from './embedding'
import type { SNLinear } from './linear'

/** h [batch, C], y [batch, numClasses] (one-hot or soft) → logits [batch] */
export function projectionHead<T>(f: Forward<T>, linear: SNLinear, embedding: SNEmbedding, h: T, y: T): T {
  const { ops } = f
  return ops.tidy(() => {
    const unconditional = ops.reshape(linear.apply(f, h), [-1])
    const projection = ops.sum(ops.mul(embedding.apply(f, y), h), [1])
    return ops.add(unconditional, projection)
  })
}
