// A spectrally normalised fully connected layer, weight [in, out] (x · W, the TF layout).
import type { ForwardContext } from '../module'
import { tf } from '../tf'
import { SpectrallyNormalisedLayer, type SpectralNormSettings } from './spectralNorm'

export class SNLinear extends SpectrallyNormalisedLayer {
  constructor(
    name: string,
    readonly inFeatures: number,
    readonly outFeatures: number,
    sn: SpectralNormSettings,
    readonly bias = true,
  ) {
    super(name, sn, [inFeatures, outFeatures], 'outputs-last')
    if (bias) this.declare('bias', [outFeatures], 'bias')
  }

  /** [batch, in] → [batch, out] */
  apply(ctx: ForwardContext, x: tf.Tensor2D): tf.Tensor2D {
    const y: tf.Tensor2D = tf.matMul(x, this.normalisedWeight(ctx) as tf.Tensor2D)
    return this.bias ? tf.add<tf.Tensor2D>(y, ctx.params.get(`${this.name}.bias`)) : y
  }
}
