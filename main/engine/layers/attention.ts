// Self-attention (SAGAN's non-local block, Zhang et al. 2019, as BigGAN-PyTorch implements it), on N = h·w positions:
//   θ = conv1×1(x) [N, C/8];  φ = maxpool2×2(conv1×1(x)) [N/4, C/8];  g = maxpool2×2(conv1×1(x)) [N/4, C/2]
//   β = softmax over keys (θ φᵀ) [N, N/4];  o = conv1×1(β g) [h, w, C];  out = x + γ·o, γ init 0
// All four convs spectrally normalised, without bias.
import { Module, type ForwardContext } from '../module'
import { maxPool2x2 } from '../ops/resample'
import { tf } from '../tf'
import { SNConv2d } from './conv'
import type { SpectralNormSettings } from './spectralNorm'

export class SelfAttention extends Module {
  readonly theta: SNConv2d
  readonly phi: SNConv2d
  readonly g: SNConv2d
  readonly o: SNConv2d

  constructor(
    name: string,
    readonly channels: number,
    sn: SpectralNormSettings,
  ) {
    super(name)
    if (channels % 8 !== 0) throw new Error(`self-attention needs channels divisible by 8, got ${channels} (${name})`)
    this.theta = this.add(new SNConv2d(`${name}.theta`, channels, channels / 8, 1, sn, false))
    this.phi = this.add(new SNConv2d(`${name}.phi`, channels, channels / 8, 1, sn, false))
    this.g = this.add(new SNConv2d(`${name}.g`, channels, channels / 2, 1, sn, false))
    this.o = this.add(new SNConv2d(`${name}.o`, channels / 2, channels, 1, sn, false))
    this.declare('gamma', [1], 'gamma')
  }

  /** [batch, h, w, C] → [batch, h, w, C] */
  apply(ctx: ForwardContext, x: tf.Tensor4D): tf.Tensor4D {
    const [batch, h, w, c] = x.shape
    const n = h * w
    const theta = tf.reshape(this.theta.apply(ctx, x), [batch, n, c / 8])
    const phi = tf.reshape(maxPool2x2(this.phi.apply(ctx, x)), [batch, n / 4, c / 8])
    const g = tf.reshape(maxPool2x2(this.g.apply(ctx, x)), [batch, n / 4, c / 2])
    const beta = tf.softmax(tf.matMul(theta, tf.transpose(phi, [0, 2, 1]))) // [batch, N, N/4]
    const attended = tf.reshape<tf.Rank.R4>(tf.matMul(beta, g), [batch, h, w, c / 2])
    const o = this.o.apply(ctx, attended)
    return tf.add(x, tf.mul(ctx.params.get(`${this.name}.gamma`), o))
  }
}
