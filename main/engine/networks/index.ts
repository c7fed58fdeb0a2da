// Which network classes a config builds. The one place that dispatches on the architecture family.
import type { ModelConfig } from '../config'
import type { Forward } from '../forward'
import type { ForwardContext, Module } from '../module'
import type { TruncationPolicy } from '../sampling/truncation'
import type { tf } from '../tf'
import { BigGANDiscriminator, BigGANGenerator } from './biggan'
import { BigGANDeepDiscriminator, BigGANDeepGenerator } from './bigganDeep'

export interface Generator extends Module {
  /** what ψ means for this G: the statistics rows each forward blends (ctx.truncation is the ψ) */
  readonly truncation: TruncationPolicy
  /** z [batch, zDim], y [batch, numClasses] (one-hot or a soft mix) → images [batch, R, R, 3] in [−1, 1] */
  apply(ctx: ForwardContext, z: tf.Tensor2D, y: tf.Tensor2D): tf.Tensor4D
  /** `apply` on any executor */
  forward<T>(f: Forward<T>, z: T, y: T): T
}

export interface Discriminator extends Module {
  /** x [batch, R, R, 3] in [−1, 1], y [batch, numClasses] → logits [batch] */
  apply(ctx: ForwardContext, x: tf.Tensor4D, y: tf.Tensor2D): tf.Tensor1D
  /** `apply` on any executor */
  forward<T>(f: Forward<T>, x: T, y: T): T
  /** φ(x): the pooled features the projection head scores, [batch, R, R, 3] → [batch, C] */
  features<T>(f: Forward<T>, x: T): T
  /** the projection head (Miyato & Koyama 2018) on features h [batch, C]: w·h + b + ⟨E y, h⟩ → [batch] */
  head<T>(f: Forward<T>, h: T, y: T): T
}

export function buildGenerator(config: ModelConfig): Generator {
  return config.arch === 'biggan' ? new BigGANGenerator(config) : new BigGANDeepGenerator(config)
}

/** The discriminator a config describes, or undefined for a generator-only model (dChannels 0). */
export function buildDiscriminator(config: ModelConfig): Discriminator | undefined {
  if (config.dChannels === 0) return undefined
  return config.arch === 'biggan' ? new BigGANDiscriminator(config) : new BigGANDeepDiscriminator(config)
}
