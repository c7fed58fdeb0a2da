// A spectrally normalised convolution: NHWC, stride 1, 'same' padding, kernel HWIO [k, k, in, out].
import type { Forward } from '../forward'
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

  /** [batch, h, w, in] → [batch, h, w, outputs]: `outputs` keeps the first output channels (BigGAN-deep's to-RGB
   *  conv is 128 wide and G keeps 3), so the unused ones are never computed. σ is the whole weight's either way. */
  apply<T>(f: Forward<T>, x: T, outputs = this.outChannels): T {
    const { ops } = f
    const narrow = outputs < this.outChannels
    const weight = this.normalisedWeight(f)
    const y = ops.conv2d(x, narrow ? ops.slice(weight, [0, 0, 0, 0], [-1, -1, -1, outputs]) : weight)
    if (!this.bias) return y
    const bias = f.param(`${this.name}.bias`)
    return ops.addChannelBias(y, narrow ? ops.slice(bias, [0], [outputs]) : bias)
  }
}
