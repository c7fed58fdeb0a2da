// A spectrally normalised convolution: NHWC, stride 1, 'same' padding, kernel HWIO [k, k, in, out].
import type { ForwardContext } from '../module'
import { addChannelBias } from '../ops/biasAdd'
import { conv2d } from '../ops/conv2d'
import { tf } from '../tf'
import { SpectrallyNormalisedLayer, type SpectralNormSettings } from './spectralNorm'

export class SNConv2d extends SpectrallyNormalisedLayer {
  constructor(
    name: string,
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernel: 1 | 3,
    sn: SpectralNormSettings,
    readonly bias = true,
  ) {
    super(name, sn, [kernel, kernel, inChannels, outChannels], 'outputs-last')
    if (bias) this.declare('bias', [outChannels], 'bias')
  }

  /** [batch, h, w, in] → [batch, h, w, out] */
  apply(ctx: ForwardContext, x: tf.Tensor4D): tf.Tensor4D {
    const y = conv2d(x, this.normalisedWeight(ctx) as tf.Tensor4D)
    return this.bias ? addChannelBias(y, ctx.params.get(`${this.name}.bias`) as tf.Tensor1D) : y
  }
}
