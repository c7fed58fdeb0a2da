// Standing statistics (paper App. C.1; BigGAN-PyTorch's accumulate_standing_stats): instead of the running averages
// BatchNorm kept during training, G's statistics become the plain average of batch moments over many forwards of
// the finished generator (train-mode BN, fresh z and classes each time). For models with per-truncation rows each
// row r is accumulated with its own ψ = r / (nStats − 1) in the released convention (z = ψ·TN(−2, 2)); a one-row
// model with the sampler the user will sample with (none, or the paper's threshold).
import type { ModelConfig } from '../config'
import type { BatchMomentsSink } from '../forward'
import { discardUpdates, forwardContext, type ParamStore } from '../module'
import type { Generator } from '../networks'
import { Random } from '../sampling/random'
import { sampleLatents, type Truncation } from '../sampling/truncation'
import { tf } from '../tf'

export interface StandingOptions {
  /** forwards averaged per statistics row (BigGAN-PyTorch: 16) */
  accumulations?: number
  batch?: number
  seed?: number
  /** the sampler for one-row models (default: none) */
  truncation?: Truncation
}

/** Sums of batch moments per layer, averaged on write. Owns its tensors. */
class MomentSums implements BatchMomentsSink<tf.Tensor> {
  private readonly sums = new Map<string, { mean: tf.Tensor; variance: tf.Tensor }>()
  count = 0

  add(layer: string, mean: tf.Tensor, variance: tf.Tensor): void {
    const previous = this.sums.get(layer)
    this.sums.set(layer, {
      mean: tf.keep(previous ? tf.add(previous.mean, mean) : tf.clone(mean)),
      variance: tf.keep(previous ? tf.add(previous.variance, variance) : tf.clone(variance)),
    })
    if (previous) tf.dispose([previous.mean, previous.variance])
  }

  /** Writes the averages into row `row` of every layer's [nStats, C] statistics. */
  write(store: ParamStore, row: number): void {
    for (const [layer, sum] of this.sums) {
      for (const [suffix, total] of [['mean', sum.mean], ['var', sum.variance]] as const) {
        const stats = store.get(`${layer}.${suffix}`)
        tf.tidy(() => {
          const [rows, channels] = stats.shape
          const average = tf.reshape(tf.div(total, this.count), [1, channels])
          const parts = [
            ...(row > 0 ? [tf.slice(stats, [0, 0], [row, channels])] : []),
            average,
            ...(row < rows - 1 ? [tf.slice(stats, [row + 1, 0], [rows - row - 1, channels])] : []),
          ]
          stats.assign(tf.concat(parts, 0))
        })
      }
    }
  }

  dispose(): void {
    for (const s of this.sums.values()) tf.dispose([s.mean, s.variance])
    this.sums.clear()
  }
}

/** Replaces the BatchNorm statistics in `store` (G's weights or its EMA) by standing statistics. Spectral-norm
 *  vectors are not moved: the train-mode forwards' other state updates are discarded. */
export function accumulateStandingStatistics(
  G: Generator,
  store: ParamStore,
  config: ModelConfig,
  options: StandingOptions = {},
): void {
  const accumulations = options.accumulations ?? 16
  const batch = options.batch ?? 16
  const rng = new Random(options.seed ?? 0)
  for (let row = 0; row < config.nStats; row++) {
    const truncation: Truncation =
      config.nStats > 1 ? { kind: 'released', psi: Math.max(row / (config.nStats - 1), 1e-6) } : (options.truncation ?? { kind: 'none' })
    const sums = new MomentSums()
    try {
      for (let i = 0; i < accumulations; i++) {
        const z = sampleLatents(rng, batch, config.zDim, truncation)
        const y = new Float32Array(batch * config.numClasses)
        for (let b = 0; b < batch; b++) y[b * config.numClasses + rng.int(config.numClasses)] = 1
        const ctx = { ...forwardContext(store, 'train'), standing: sums }
        tf.tidy(() => {
          G.apply(ctx, tf.tensor2d(z, [batch, config.zDim]), tf.tensor2d(y, [batch, config.numClasses]))
        })
        discardUpdates(ctx)
        sums.count++
      }
      sums.write(store, row)
    } finally {
      sums.dispose()
    }
  }
}
