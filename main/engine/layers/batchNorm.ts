// BatchNorm in G. Both kinds standardise x̂ = (x − μ) / √(σ² + ε) per channel:
//   train: μ, σ² are the batch's (biased σ², as PyTorch normalises), and with one statistics row the running
//          statistics move PyTorch's way: r ← (1 − 0.1)·r + 0.1·batch, the variance unbiased (n / (n − 1)).
//   eval:  μ, σ² come from the statistics rows [nStats, C]. One row: running (or standing) statistics. Several
//          rows (the released BigGAN-deep weights: one per truncation ψ): blended with the weights G worked out from
//          ψ for this forward (ctx.statsRows), and never updated in training, since they are standing statistics of
//          a finished model.
// Standing statistics (paper App. C.1) come from the same batch moments: with ctx.standing set, a train-mode
// forward reports them to that sink instead of moving the running statistics (train/standingStatistics.ts).
import { Module, recordUpdate, type BatchMomentsSink, type ForwardContext } from '../module'
import { channelMoments, standardiseByBatch } from '../ops/moments'
import { tf } from '../tf'
import { SNLinear } from './linear'
import type { SpectralNormSettings } from './spectralNorm'

export interface BatchNormSettings {
  bnEps: number
  nStats: number
  sn: SpectralNormSettings
}

const momentum = 0.1

/** What both BatchNorms share: the statistics rows `${name}.mean`, `${name}.var` [nStats, C] and x ↦ x̂. */
abstract class Standardisation extends Module {
  constructor(
    name: string,
    readonly channels: number,
    readonly settings: BatchNormSettings,
  ) {
    super(name)
    this.declare('mean', [settings.nStats, channels], 'bn-mean')
    this.declare('var', [settings.nStats, channels], 'bn-var')
  }

  /** [batch, h, w, C] → x̂ [batch, h, w, C] */
  protected standardise(ctx: ForwardContext, x: tf.Tensor4D): tf.Tensor4D {
    if (ctx.mode === 'train') {
      // the running statistics take their own pass over x: off the loss's path, so no backward pass for them
      if (ctx.standing) reportBatchMoments(ctx.standing, this.name, x)
      else if (this.settings.nStats === 1) recordRunningStatistics(ctx, this.name, x)
      return standardiseByBatch(x, this.settings.bnEps)
    }
    const { mean, variance } = storedStatistics(ctx, this.name, this.settings)
    return tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, this.settings.bnEps)))
  }
}

/** Conditional BatchNorm (de Vries et al. 2017; BigGAN's class- and z-conditional gains and biases):
 *  out = x̂ ⊙ (1 + W_γ c) + W_β c, W_γ and W_β spectrally normalised linears without bias, [condDim → C]. */
export class ConditionalBatchNorm extends Standardisation {
  readonly gain: SNLinear
  readonly bias: SNLinear

  constructor(name: string, channels: number, readonly condDim: number, settings: BatchNormSettings) {
    super(name, channels, settings)
    this.gain = this.add(new SNLinear(`${name}.gain`, condDim, channels, settings.sn, false))
    this.bias = this.add(new SNLinear(`${name}.bias`, condDim, channels, settings.sn, false))
  }

  /** x [batch, h, w, C], c [batch, condDim] → [batch, h, w, C] */
  apply(ctx: ForwardContext, x: tf.Tensor4D, c: tf.Tensor2D): tf.Tensor4D {
    const [batch] = x.shape
    const gain = tf.reshape(tf.add(1, this.gain.apply(ctx, c)), [batch, 1, 1, this.channels])
    const bias = tf.reshape(this.bias.apply(ctx, c), [batch, 1, 1, this.channels])
    return tf.add(tf.mul(this.standardise(ctx, x), gain), bias)
  }
}

/** Plain BatchNorm with a learned gain (init 1) and bias (init 0), [C] each: G's last BN before the RGB conv. */
export class BatchNorm extends Standardisation {
  constructor(name: string, channels: number, settings: BatchNormSettings) {
    super(name, channels, settings)
    this.declare('gain', [channels], 'gain')
    this.declare('bias', [channels], 'bias')
  }

  /** [batch, h, w, C] → [batch, h, w, C] */
  apply(ctx: ForwardContext, x: tf.Tensor4D): tf.Tensor4D {
    const gain = ctx.params.get(`${this.name}.gain`)
    const bias = ctx.params.get(`${this.name}.bias`)
    return tf.add(tf.mul(this.standardise(ctx, x), gain), bias)
  }
}

/** The batch's mean and unbiased variance [C], for standing statistics (paper App. C.1). */
function reportBatchMoments(sink: BatchMomentsSink, layer: string, x: tf.Tensor4D): void {
  const [b, h, w] = x.shape
  const n = b * h * w
  const { mean, variance } = channelMoments(x)
  sink.add(layer, mean, tf.mul<tf.Tensor1D>(variance, n / Math.max(n - 1, 1)))
}

/** r ← (1 − momentum)·r + momentum·batch for the one statistics row, the variance unbiased, as torch's BatchNorm. */
function recordRunningStatistics(ctx: ForwardContext, layer: string, x: tf.Tensor4D): void {
  const batch = channelMoments(x)
  const [b, h, w] = x.shape
  const n = b * h * w
  const running = (name: string, value: tf.Tensor1D): tf.Tensor =>
    tf.add(tf.mul(ctx.params.get(name), 1 - momentum), tf.mul(tf.reshape(value, [1, -1]), momentum))
  recordUpdate(ctx, `${layer}.mean`, running(`${layer}.mean`, batch.mean))
  recordUpdate(ctx, `${layer}.var`, running(`${layer}.var`, tf.mul<tf.Tensor1D>(batch.variance, n / Math.max(n - 1, 1))))
}

function storedStatistics(
  ctx: ForwardContext,
  layer: string,
  settings: BatchNormSettings,
): { mean: tf.Tensor1D; variance: tf.Tensor1D } {
  const rows = ctx.statsRows ?? [{ row: settings.nStats - 1, weight: 1 }]
  const blend = (name: string): tf.Tensor1D => {
    const stats = ctx.params.get(name) // [nStats, C]
    const [, channels] = stats.shape
    const terms = rows.map(({ row, weight }) => {
      const r = tf.reshape(tf.slice(stats, [row, 0], [1, channels]), [channels]) as tf.Tensor1D
      return weight === 1 ? r : tf.mul<tf.Tensor1D>(r, weight)
    })
    return terms.reduce((a, b) => tf.add<tf.Tensor1D>(a, b))
  }
  return { mean: blend(`${layer}.mean`), variance: blend(`${layer}.var`) }
}
