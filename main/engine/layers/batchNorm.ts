// BatchNorm in G. Both kinds standardise x̂ = (x − μ) / √(σ² + ε) per channel, then scale by a gain and shift by a
// bias:
//   train: μ, σ² are the batch's (biased σ², as PyTorch normalises), and with one statistics row the running
//          statistics move PyTorch's way: r ← (1 − 0.1)·r + 0.1·batch, the variance unbiased (n / (n − 1)).
//   eval:  μ, σ² come from the statistics rows [nStats, C]. One row: running (or standing) statistics. Several
//          rows (the released BigGAN-deep weights: one per truncation ψ): blended with the weights G worked out from
//          ψ for this forward (f.statsRows, or f.statsWeights where the executor takes them as a value), and never
//          updated in training, since they are standing statistics of a finished model. With μ and σ² fixed the
//          whole layer is x·S + T, S = gain / √(σ² + ε), T = bias − μ·S: two passes over x instead of four.
// Standing statistics (paper App. C.1) come from the same batch moments: with f.standing set, a train-mode
// forward reports them to that sink instead of moving the running statistics (train/standingStatistics.ts).
import type { BatchMomentsSink, Forward } from '../forward'
import { Module } from '../module'
import { SNLinear } from './linear'
import type { SpectralNormSettings } from './spectralNorm'

export interface BatchNormSettings {
  bnEps: number
  nStats: number
  sn: SpectralNormSettings
}

const momentum = 0.1

/** What both BatchNorms share: the statistics rows `${name}.mean`, `${name}.var` [nStats, C], and
 *  x ↦ x̂ ⊙ gain + bias for a gain and bias that broadcast against x ([C], or [batch, 1, 1, C]). */
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

  /** [batch, h, w, C] → [batch, h, w, C] */
  protected normalise<T>(f: Forward<T>, x: T, gain: T, bias: T): T {
    const { ops } = f
    const { bnEps, nStats } = this.settings
    if (f.mode === 'train') {
      // the running statistics take their own pass over x: off the loss's path, so no backward pass for them
      if (f.standing) reportBatchMoments(f, f.standing, this.name, x)
      else if (nStats === 1) recordRunningStatistics(f, this.name, x)
      return ops.add(ops.mul(ops.standardiseByBatch(x, bnEps), gain), bias)
    }
    const { mean, variance } = storedStatistics(f, this.name, nStats)
    const scale = ops.div(gain, ops.sqrt(ops.add(variance, bnEps)))
    const shift = ops.sub(bias, ops.mul(mean, scale))
    return ops.add(ops.mul(x, scale), shift)
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

  /** x [batch, h, w, C] with this layer's `conditioning` (gain and bias [batch, C]) → [batch, h, w, C] */
  apply<T>(f: Forward<T>, x: T, cond: Conditioning<T>): T {
    const perPixel = (v: T): T => f.ops.reshape(v, [-1, 1, 1, this.channels])
    return this.normalise(f, x, perPixel(cond.gain), perPixel(cond.bias))
  }
}

/** One conditional BN's gain 1 + W_γ c and bias W_β c, [batch, C] each. */
export interface Conditioning<T> {
  gain: T
  bias: T
}

/** The gains and biases of conditional BNs that read the same c [batch, condDim]: one product of c with all their
 *  projections side by side ([W_γ₁ | W_β₁ | W_γ₂ | …], [condDim, Σ 2C]) instead of two per layer. */
export function conditioning<T>(f: Forward<T>, c: T, bns: readonly ConditionalBatchNorm[]): Map<ConditionalBatchNorm, Conditioning<T>> {
  const { ops } = f
  const projections = bns.flatMap((bn) => [bn.gain.normalisedWeight(f), bn.bias.normalisedWeight(f)])
  const all = ops.matMul(c, projections.length === 1 ? projections[0] : ops.concat(projections, 1))
  const pieces = ops.split(all, bns.flatMap((bn) => [bn.channels, bn.channels]), 1)
  return new Map(bns.map((bn, i) => [bn, { gain: ops.add(pieces[2 * i], 1), bias: pieces[2 * i + 1] }]))
}

/** Plain BatchNorm with a learned gain (init 1) and bias (init 0), [C] each: G's last BN before the RGB conv. */
export class BatchNorm extends Standardisation {
  constructor(name: string, channels: number, settings: BatchNormSettings) {
    super(name, channels, settings)
    this.declare('gain', [channels], 'gain')
    this.declare('bias', [channels], 'bias')
  }

  /** [batch, h, w, C] → [batch, h, w, C] */
  apply<T>(f: Forward<T>, x: T): T {
    return this.normalise(f, x, f.param(`${this.name}.gain`), f.param(`${this.name}.bias`))
  }
}

/** The unbiased variance from the biased one over n values. */
function unbiased<T>(f: Forward<T>, x: T, variance: T): T {
  const [b, h, w] = f.ops.shape(x)
  const n = b * h * w
  return f.ops.mul(variance, n / Math.max(n - 1, 1))
}

/** The batch's mean and unbiased variance [C], for standing statistics (paper App. C.1). */
function reportBatchMoments<T>(f: Forward<T>, sink: BatchMomentsSink<T>, layer: string, x: T): void {
  const { mean, variance } = f.ops.channelMoments(x)
  sink.add(layer, mean, unbiased(f, x, variance))
}

/** r ← (1 − momentum)·r + momentum·batch for the one statistics row, the variance unbiased, as torch's BatchNorm. */
function recordRunningStatistics<T>(f: Forward<T>, layer: string, x: T): void {
  const { ops } = f
  const batch = ops.channelMoments(x)
  const running = (name: string, value: T): T => ops.add(ops.mul(f.param(name), 1 - momentum), ops.mul(ops.reshape(value, [1, -1]), momentum))
  f.record(`${layer}.mean`, running(`${layer}.mean`, batch.mean))
  f.record(`${layer}.var`, running(`${layer}.var`, unbiased(f, x, batch.variance)))
}

/** The eval statistics [C]: the rows the forward's ψ selects, blended. */
function storedStatistics<T>(f: Forward<T>, layer: string, nStats: number): { mean: T; variance: T } {
  const { ops } = f
  const blend = (name: string): T => {
    const stats = f.param(name) // [nStats, C]
    if (f.statsWeights !== undefined) return ops.reshape(ops.matMul(f.statsWeights, stats), [-1])
    const channels = ops.shape(stats)[1]
    const rows = f.statsRows ?? [{ row: nStats - 1, weight: 1 }]
    const terms = rows.map(({ row, weight }) => {
      const r = ops.reshape(ops.slice(stats, [row, 0], [1, channels]), [channels])
      return weight === 1 ? r : ops.mul(r, weight)
    })
    return terms.reduce((a, b) => ops.add(a, b))
  }
  return { mean: blend(`${layer}.mean`), variance: blend(`${layer}.var`) }
}
