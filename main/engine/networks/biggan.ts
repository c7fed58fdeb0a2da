// BigGAN (Brock et al. 2018), the original (non-deep) generator and discriminator, built from the tables in arch.ts.
//
// G(z, y): e = sharedEmbedding(y); z splits into one chunk per block plus one (hierarchical latents, "skip-z");
// chunk 0 goes through a linear to a 4×4×16ch map, chunk i ≥ 1 joins e as the conditioning c_i = [z_i, e] of block
// i's two BNs (the TF-Hub order; BigGAN-PyTorch's [e, z_i] columns are permuted at import). Without hierarchy, z
// feeds the linear whole and c = e, as in BigGAN-PyTorch. ResBlocks up, attention after the block at its
// resolution, then BN → ReLU → conv3×3 → tanh.
// D(x, y): ResBlocks down, ReLU, global sum pool → h; logit = w·h + b + ⟨E y, h⟩ (the projection discriminator).
import { bigganDiscriminatorTable, bigganGeneratorTable, type DiscriminatorRow, type GeneratorRow } from '../arch'
import type { ModelConfig } from '../config'
import { SelfAttention } from '../layers/attention'
import { BatchNorm, ConditionalBatchNorm, conditioning, type BatchNormSettings } from '../layers/batchNorm'
import { SNConv2d } from '../layers/conv'
import { SharedEmbedding, SNEmbedding } from '../layers/embedding'
import { SNLinear } from '../layers/linear'
import { projectionHead } from '../layers/projection'
import type { SpectralNormSettings } from '../layers/spectralNorm'
import { withStatsRows, type Forward } from '../forward'
import { Module, type ForwardContext } from '../module'
import { truncationPolicy, type TruncationPolicy } from '../sampling/truncation'
import type { tf } from '../tf'

function spectralNorm(config: ModelConfig): SpectralNormSettings {
  return { eps: config.snEps, inference: config.spectralNormInference }
}

/** ResBlock up: BN(c) → ReLU → up×2 → conv3×3 → BN(c) → ReLU → conv3×3, plus up×2 → conv1×1 on the skip path. */
export class GeneratorBlock extends Module {
  readonly bn1: ConditionalBatchNorm
  readonly conv1: SNConv2d
  readonly bn2: ConditionalBatchNorm
  readonly conv2: SNConv2d
  readonly shortcut: SNConv2d

  constructor(name: string, row: GeneratorRow, condDim: number, bn: BatchNormSettings) {
    super(name)
    this.bn1 = this.add(new ConditionalBatchNorm(`${name}.bn1`, row.inChannels, condDim, bn))
    this.conv1 = this.add(new SNConv2d(`${name}.conv1`, row.inChannels, row.outChannels, 3, bn.sn))
    this.bn2 = this.add(new ConditionalBatchNorm(`${name}.bn2`, row.outChannels, condDim, bn))
    this.conv2 = this.add(new SNConv2d(`${name}.conv2`, row.outChannels, row.outChannels, 3, bn.sn))
    this.shortcut = this.add(new SNConv2d(`${name}.shortcut`, row.inChannels, row.outChannels, 1, bn.sn))
  }

  /** x [batch, r, r, in], c [batch, condDim] → [batch, 2r, 2r, out] */
  apply<T>(f: Forward<T>, x: T, c: T): T {
    const { ops } = f
    const cond = conditioning(f, c, [this.bn1, this.bn2])
    let h = ops.upsampleNearest2x(ops.relu(this.bn1.apply(f, x, cond.get(this.bn1)!)))
    h = this.conv1.apply(f, h)
    h = this.conv2.apply(f, ops.relu(this.bn2.apply(f, h, cond.get(this.bn2)!)))
    // a 1×1 conv commutes with nearest upsampling (the same products per pixel): convolve the small map
    return ops.add(h, ops.upsampleNearest2x(this.shortcut.apply(f, x)))
  }
}

export class BigGANGenerator extends Module {
  readonly rows: GeneratorRow[]
  /** z chunks: one per block plus one for the linear with hierarchical latents, else 1 */
  readonly chunks: number
  /** width of each block's BN conditioning c */
  readonly condDim: number
  readonly sharedEmbedding: SharedEmbedding
  readonly linear: SNLinear
  /** blocks in order, each followed by its self-attention where the table puts one */
  readonly layers: (GeneratorBlock | SelfAttention)[] = []
  readonly outputBn: BatchNorm
  readonly toRgb: SNConv2d
  /** what ψ means for this G: which BatchNorm statistics rows each forward blends */
  readonly truncation: TruncationPolicy
  private readonly bottomWidth: number

  constructor(readonly config: ModelConfig) {
    super('G')
    this.truncation = truncationPolicy(config)
    if (config.arch !== 'biggan') throw new Error(`BigGAN networks need arch 'biggan', got '${config.arch}'`)
    if (config.toRgbChannels !== 3) throw new Error(`BigGAN's last conv makes RGB: toRgbChannels must be 3, got ${config.toRgbChannels}`)
    const table = bigganGeneratorTable(config)
    this.rows = table.rows
    this.bottomWidth = table.bottomWidth
    this.chunks = config.hierarchical ? this.rows.length + 1 : 1
    if (config.zDim % this.chunks !== 0) {
      throw new Error(`hierarchical z needs zDim (${config.zDim}) divisible into ${this.chunks} equal chunks`)
    }
    const zChunk = config.zDim / this.chunks
    this.condDim = config.sharedDim + (config.hierarchical ? zChunk : 0)
    const sn = spectralNorm(config)
    const bn: BatchNormSettings = { bnEps: config.bnEps, nStats: config.nStats, sn }

    this.sharedEmbedding = this.add(new SharedEmbedding('G.sharedEmbedding', config.numClasses, config.sharedDim))
    this.linear = this.add(new SNLinear('G.linear', zChunk, this.bottomWidth ** 2 * this.rows[0].inChannels, sn))
    this.rows.forEach((row, i) => {
      this.layers.push(this.add(new GeneratorBlock(`G.blocks.${i}`, row, this.condDim, bn)))
      if (row.attention) {
        this.layers.push(this.add(new SelfAttention(`G.attention${row.resolution}`, row.outChannels, sn)))
      }
    })
    const last = this.rows[this.rows.length - 1].outChannels
    this.outputBn = this.add(new BatchNorm('G.outputBn', last, bn))
    this.toRgb = this.add(new SNConv2d('G.toRgb', last, 3, 3, sn))
  }

  /** z [batch, zDim], y [batch, numClasses] (one-hot or a soft class mix) → images [batch, R, R, 3] in [−1, 1] */
  apply(ctx: ForwardContext, z: tf.Tensor2D, y: tf.Tensor2D): tf.Tensor4D {
    return this.forward(ctx, z, y) as tf.Tensor4D
  }

  /** `apply` on any executor */
  forward<T>(outer: Forward<T>, z: T, y: T): T {
    const f = withStatsRows(outer, this.truncation.statsRows)
    const { ops } = f
    return ops.tidy(() => {
      const embedding = this.sharedEmbedding.apply(f, y) // [batch, sharedDim]
      const zs = this.chunks > 1 ? ops.split(z, this.chunks, 1) : [z] // [batch, zDim / chunks] each
      // the linear's outputs are NHWC-flattened ((h·4 + w)·C + c, TF-Hub's order)
      const first = this.rows[0].inChannels
      let h = ops.reshape(this.linear.apply(f, zs[0]), [-1, this.bottomWidth, this.bottomWidth, first])
      let block = 0
      for (const layer of this.layers) {
        if (layer instanceof GeneratorBlock) {
          const c = this.config.hierarchical ? ops.concat([zs[block + 1], embedding], 1) : embedding
          h = layer.apply(f, h, c)
          block++
        } else {
          h = layer.apply(f, h)
        }
      }
      return ops.tanh(this.toRgb.apply(f, ops.relu(this.outputBn.apply(f, h))))
    })
  }
}

/** ResBlock down (wide: hidden width = out): [ReLU] → conv3×3 → ReLU → conv3×3 → [avgpool], plus a 1×1 conv skip
 *  when the width or size changes, applied before the pool except in the first block, which sees raw pixels.
 *  With `skipAfterReLU` (StudioGAN's) the skip path of a pre-activated block starts from ReLU(x). */
export class DiscriminatorBlock extends Module {
  readonly conv1: SNConv2d
  readonly conv2: SNConv2d
  readonly shortcut: SNConv2d | null
  readonly preactivation: boolean

  constructor(
    name: string, readonly row: DiscriminatorRow, first: boolean, sn: SpectralNormSettings, readonly skipAfterReLU = false,
  ) {
    super(name)
    this.preactivation = !first
    this.conv1 = this.add(new SNConv2d(`${name}.conv1`, row.inChannels, row.outChannels, 3, sn))
    this.conv2 = this.add(new SNConv2d(`${name}.conv2`, row.outChannels, row.outChannels, 3, sn))
    const learnable = row.inChannels !== row.outChannels || row.downsample
    this.shortcut = learnable ? this.add(new SNConv2d(`${name}.shortcut`, row.inChannels, row.outChannels, 1, sn)) : null
  }

  /** [batch, r, r, in] → [batch, r/2 (or r), r/2 (or r), out] */
  apply<T>(f: Forward<T>, x: T): T {
    const { ops } = f
    const down = (t: T): T => (this.row.downsample ? ops.avgPool2x2(t) : t)
    const project = (t: T): T => this.shortcut?.apply(f, t) ?? t
    const activated = this.preactivation ? ops.relu(x) : x
    let h = this.conv1.apply(f, activated)
    h = down(this.conv2.apply(f, ops.relu(h)))
    const skip = this.preactivation ? down(project(this.skipAfterReLU ? activated : x)) : project(down(x))
    return ops.add(h, skip)
  }
}

export class BigGANDiscriminator extends Module {
  readonly rows: DiscriminatorRow[]
  /** blocks in order, each followed by its self-attention where the table puts one */
  readonly layers: (DiscriminatorBlock | SelfAttention)[] = []
  readonly linear: SNLinear
  readonly embedding: SNEmbedding

  constructor(readonly config: ModelConfig) {
    super('D')
    if (config.arch !== 'biggan') throw new Error(`BigGAN networks need arch 'biggan', got '${config.arch}'`)
    const sn = spectralNorm(config)
    this.rows = bigganDiscriminatorTable(config)
    this.rows.forEach((row, i) => {
      this.layers.push(this.add(new DiscriminatorBlock(`D.blocks.${i}`, row, i === 0, sn, config.dSkipAfterReLU)))
      if (row.attention) {
        this.layers.push(this.add(new SelfAttention(`D.attention${row.resolution}`, row.outChannels, sn)))
      }
    })
    const width = this.rows[this.rows.length - 1].outChannels
    this.linear = this.add(new SNLinear('D.linear', width, 1, sn))
    this.embedding = this.add(new SNEmbedding('D.embedding', config.numClasses, width, sn))
  }

  /** Pooled features h = Σ_{x,y} ReLU(blocks(x)): [batch, R, R, 3] → [batch, 16ch] */
  features<T>(f: Forward<T>, x: T): T {
    const { ops } = f
    return ops.tidy(() => {
      let h = x
      for (const layer of this.layers) h = layer.apply(f, h)
      return ops.sum(ops.relu(h), [1, 2])
    })
  }

  /** The projection head (Miyato & Koyama 2018): w·h + b + ⟨E y, h⟩; h [batch, 16ch], y [batch, numClasses] → [batch] */
  head<T>(f: Forward<T>, h: T, y: T): T {
    return projectionHead(f, this.linear, this.embedding, h, y)
  }

  /** x [batch, R, R, 3] in [−1, 1], y [batch, numClasses] (one-hot or soft) → logits [batch] */
  apply(ctx: ForwardContext, x: tf.Tensor4D, y: tf.Tensor2D): tf.Tensor1D {
    return this.forward(ctx, x, y) as tf.Tensor1D
  }

  /** `apply` on any executor */
  forward<T>(f: Forward<T>, x: T, y: T): T {
    return f.ops.tidy(() => this.head(f, this.features(f, x), y))
  }
}
