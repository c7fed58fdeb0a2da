// BigGAN-deep (Brock et al. 2018, Appendix B): a deeper, thinner BigGAN built from bottleneck residual blocks,
// two per resolution, with the full z (not chunked) concatenated to the shared class embedding as the one
// conditioning vector c of every BatchNorm. Built from the rows of arch.ts; NHWC throughout.
//
// G:  c = [z, E·y] → SN-linear → [4, 4, 16ch] → blocks (self-attention at 64×64) → BN → ReLU → SN conv3×3 →
//     channels 0..2 → tanh. The order [z, embedding] is TF-Hub's (and the HF port's).
// D:  SN conv3×3 stem → blocks (self-attention at 64×64) → ReLU → global sum pool → SN-linear + ⟨SN-embed(y), h⟩
//     (the projection discriminator, as BigGAN-PyTorch's BigGANdeep.Discriminator).
import {
  bigganDeepDiscriminatorTable,
  bigganDeepGeneratorTable,
  type DeepDiscriminatorRow,
  type DeepGeneratorRow,
} from '../arch'
import type { ModelConfig } from '../config'
import { SelfAttention } from '../layers/attention'
import { BatchNorm, ConditionalBatchNorm, type BatchNormSettings } from '../layers/batchNorm'
import { SNConv2d } from '../layers/conv'
import { SharedEmbedding, SNEmbedding } from '../layers/embedding'
import { SNLinear } from '../layers/linear'
import type { SpectralNormSettings } from '../layers/spectralNorm'
import { Module, withStatsRows, type ForwardContext } from '../module'
import { avgPool2x2, upsampleNearest2x } from '../ops/resample'
import { truncationPolicy, type TruncationPolicy } from '../sampling/truncation'
import { tf } from '../tf'

const relu = (x: tf.Tensor4D): tf.Tensor4D => tf.relu(x)

/** Keeps channels [0, n): BigGAN-deep's parameter-free way to narrow a residual path. */
function firstChannels(x: tf.Tensor4D, n: number): tf.Tensor4D {
  return x.shape[3] === n ? x : tf.slice(x, [0, 0, 0, 0], [-1, -1, -1, n])
}

function spectralNormSettings(config: ModelConfig): SpectralNormSettings {
  return { eps: config.snEps, inference: config.spectralNormInference }
}

function checkDeep(config: ModelConfig): void {
  if (config.arch !== 'biggan-deep') throw new Error(`BigGAN-deep networks need arch 'biggan-deep', got '${config.arch}'`)
  if (config.hierarchical) throw new Error('BigGAN-deep feeds the whole z to every block; hierarchical must be false')
}

// ───────────────────────────────────────────── generator ─────────────────────────────────────────────

/** Bottleneck block, mid = in/4:  BN→ReLU→conv1×1 (in→mid) → BN→ReLU→[up×2]→conv3×3 → BN→ReLU→conv3×3 →
 *  BN→ReLU→conv1×1 (mid→out);  skip: first `out` channels of x, [up×2];  sum. All four BNs conditional on c. */
class GeneratorBlock extends Module {
  readonly bn0: ConditionalBatchNorm
  readonly conv0: SNConv2d
  readonly bn1: ConditionalBatchNorm
  readonly conv1: SNConv2d
  readonly bn2: ConditionalBatchNorm
  readonly conv2: SNConv2d
  readonly bn3: ConditionalBatchNorm
  readonly conv3: SNConv2d

  constructor(name: string, readonly row: DeepGeneratorRow, condDim: number, bn: BatchNormSettings) {
    super(name)
    const { inChannels, outChannels } = row
    if (outChannels > inChannels || inChannels % 4 !== 0) {
      throw new Error(
        `${name}: a BigGAN-deep G block narrows or keeps channels (in divisible by 4), got ${inChannels} → ${outChannels}`,
      )
    }
    const mid = inChannels / 4
    this.bn0 = this.add(new ConditionalBatchNorm(`${name}.bn0`, inChannels, condDim, bn))
    this.conv0 = this.add(new SNConv2d(`${name}.conv0`, inChannels, mid, 1, bn.sn))
    this.bn1 = this.add(new ConditionalBatchNorm(`${name}.bn1`, mid, condDim, bn))
    this.conv1 = this.add(new SNConv2d(`${name}.conv1`, mid, mid, 3, bn.sn))
    this.bn2 = this.add(new ConditionalBatchNorm(`${name}.bn2`, mid, condDim, bn))
    this.conv2 = this.add(new SNConv2d(`${name}.conv2`, mid, mid, 3, bn.sn))
    this.bn3 = this.add(new ConditionalBatchNorm(`${name}.bn3`, mid, condDim, bn))
    this.conv3 = this.add(new SNConv2d(`${name}.conv3`, mid, outChannels, 1, bn.sn))
  }

  /** x [batch, h, w, in], c [batch, condDim] → [batch, h·s, w·s, out], s = 2 when upsampling */
  apply(ctx: ForwardContext, x: tf.Tensor4D, c: tf.Tensor2D): tf.Tensor4D {
    const up = (t: tf.Tensor4D): tf.Tensor4D => (this.row.upsample ? upsampleNearest2x(t) : t)
    let h = this.conv0.apply(ctx, relu(this.bn0.apply(ctx, x, c))) // [batch, h, w, mid]
    h = this.conv1.apply(ctx, up(relu(this.bn1.apply(ctx, h, c))))
    h = this.conv2.apply(ctx, relu(this.bn2.apply(ctx, h, c)))
    h = this.conv3.apply(ctx, relu(this.bn3.apply(ctx, h, c))) // [batch, h·s, w·s, out]
    return tf.add(h, up(firstChannels(x, this.row.outChannels)))
  }
}

export class BigGANDeepGenerator extends Module {
  readonly sharedEmbedding: SharedEmbedding
  readonly linear: SNLinear
  /** blocks in order, each followed by its self-attention where the table puts one */
  readonly layers: (GeneratorBlock | SelfAttention)[] = []
  readonly outputBn: BatchNorm
  readonly toRgb: SNConv2d
  /** what ψ means for this G: which BatchNorm statistics rows each forward blends */
  readonly truncation: TruncationPolicy
  private readonly bottomWidth: number
  private readonly bottomChannels: number

  constructor(readonly config: ModelConfig) {
    super('G')
    checkDeep(config)
    this.truncation = truncationPolicy(config)
    if (config.toRgbChannels < 3) throw new Error(`toRgbChannels must be at least 3, got ${config.toRgbChannels}`)
    const table = bigganDeepGeneratorTable(config)
    const sn = spectralNormSettings(config)
    const bn: BatchNormSettings = { bnEps: config.bnEps, nStats: config.nStats, sn }
    const condDim = config.zDim + config.sharedDim
    this.bottomWidth = table.bottomWidth
    this.bottomChannels = table.rows[0].inChannels

    this.sharedEmbedding = this.add(new SharedEmbedding('G.sharedEmbedding', config.numClasses, config.sharedDim))
    this.linear = this.add(new SNLinear('G.linear', condDim, this.bottomWidth ** 2 * this.bottomChannels, sn))
    table.rows.forEach((row, i) => {
      this.layers.push(this.add(new GeneratorBlock(`G.blocks.${i}`, row, condDim, bn)))
      if (row.attention) {
        this.layers.push(this.add(new SelfAttention(`G.attention${row.resolution}`, row.outChannels, sn)))
      }
    })
    this.outputBn = this.add(new BatchNorm('G.outputBn', table.outChannels, bn))
    this.toRgb = this.add(new SNConv2d('G.toRgb', table.outChannels, config.toRgbChannels, 3, sn))
  }

  /** z [batch, zDim], y [batch, numClasses] (one-hot or a soft class mix) → images [batch, R, R, 3] in [−1, 1].
   *  ψ for the per-truncation BatchNorm statistics comes from ctx.truncation. */
  apply(outer: ForwardContext, z: tf.Tensor2D, y: tf.Tensor2D): tf.Tensor4D {
    const ctx = withStatsRows(outer, this.truncation.statsRows)
    return tf.tidy(() => {
      const [batch] = z.shape
      const c = tf.concat([z, this.sharedEmbedding.apply(ctx, y)], 1) as tf.Tensor2D // [batch, zDim + sharedDim]
      // the linear's outputs are NHWC-flattened ((h·4 + w)·C + c, TF-Hub's order), so no permute
      const bottom: [number, number, number, number] = [batch, this.bottomWidth, this.bottomWidth, this.bottomChannels]
      let h = tf.reshape(this.linear.apply(ctx, c), bottom) as tf.Tensor4D // [batch, 4, 4, 16ch]
      for (const layer of this.layers) {
        h = layer instanceof GeneratorBlock ? layer.apply(ctx, h, c) : layer.apply(ctx, h)
      }
      h = this.toRgb.apply(ctx, relu(this.outputBn.apply(ctx, h))) // [batch, R, R, toRgbChannels]
      return tf.tanh(firstChannels(h, 3))
    })
  }
}

// ─────────────────────────────────────────── discriminator ───────────────────────────────────────────

/** Bottleneck block, mid = out/4:  ReLU→conv1×1 (in→mid) → ReLU→conv3×3 → ReLU→conv3×3 → ReLU→[avgpool]→conv1×1
 *  (mid→out);  skip: [avgpool], then if out > in append conv1×1(x) (in → out−in) as extra channels;  sum. */
class DiscriminatorBlock extends Module {
  readonly conv0: SNConv2d
  readonly conv1: SNConv2d
  readonly conv2: SNConv2d
  readonly conv3: SNConv2d
  readonly shortcut?: SNConv2d

  constructor(name: string, readonly row: DeepDiscriminatorRow, sn: SpectralNormSettings) {
    super(name)
    const { inChannels, outChannels } = row
    if (outChannels < inChannels || outChannels % 4 !== 0) {
      throw new Error(
        `${name}: a BigGAN-deep D block widens or keeps channels (out divisible by 4), got ${inChannels} → ${outChannels}`,
      )
    }
    const mid = outChannels / 4
    this.conv0 = this.add(new SNConv2d(`${name}.conv0`, inChannels, mid, 1, sn))
    this.conv1 = this.add(new SNConv2d(`${name}.conv1`, mid, mid, 3, sn))
    this.conv2 = this.add(new SNConv2d(`${name}.conv2`, mid, mid, 3, sn))
    this.conv3 = this.add(new SNConv2d(`${name}.conv3`, mid, outChannels, 1, sn))
    if (outChannels > inChannels) {
      this.shortcut = this.add(new SNConv2d(`${name}.shortcut`, inChannels, outChannels - inChannels, 1, sn))
    }
  }

  /** [batch, h, w, in] → [batch, h/s, w/s, out], s = 2 when downsampling */
  apply(ctx: ForwardContext, x: tf.Tensor4D): tf.Tensor4D {
    const down = (t: tf.Tensor4D): tf.Tensor4D => (this.row.downsample ? avgPool2x2(t) : t)
    let h = this.conv0.apply(ctx, relu(x)) // [batch, h, w, mid]
    h = this.conv1.apply(ctx, relu(h))
    h = this.conv2.apply(ctx, relu(h))
    h = this.conv3.apply(ctx, down(relu(h))) // [batch, h/s, w/s, out]
    let skip = down(x)
    if (this.shortcut) skip = tf.concat([skip, this.shortcut.apply(ctx, skip)], 3) as tf.Tensor4D
    return tf.add(h, skip)
  }
}

export class BigGANDeepDiscriminator extends Module {
  readonly stem: SNConv2d
  readonly layers: (DiscriminatorBlock | SelfAttention)[] = []
  readonly linear: SNLinear
  readonly embedding: SNEmbedding

  constructor(readonly config: ModelConfig) {
    super('D')
    checkDeep(config)
    const table = bigganDeepDiscriminatorTable(config)
    const sn = spectralNormSettings(config)
    this.stem = this.add(new SNConv2d('D.stem', table.stem.inChannels, table.stem.outChannels, 3, sn))
    table.rows.forEach((row, i) => {
      this.layers.push(this.add(new DiscriminatorBlock(`D.blocks.${i}`, row, sn)))
      if (row.attention) {
        this.layers.push(this.add(new SelfAttention(`D.attention${row.resolution}`, row.outChannels, sn)))
      }
    })
    this.linear = this.add(new SNLinear('D.linear', table.outChannels, 1, sn))
    this.embedding = this.add(new SNEmbedding('D.embedding', config.numClasses, table.outChannels, sn))
  }

  /** Pooled features h = Σ_{x,y} ReLU(blocks(stem(x))): [batch, R, R, 3] → [batch, C] (global sum pool) */
  features(ctx: ForwardContext, x: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => {
      let h = this.stem.apply(ctx, x)
      for (const layer of this.layers) h = layer.apply(ctx, h)
      return tf.sum(relu(h), [1, 2]) as tf.Tensor2D
    })
  }

  /** The projection head: w·h + b + ⟨E y, h⟩; h [batch, C], y [batch, numClasses] → [batch] */
  head(ctx: ForwardContext, h: tf.Tensor2D, y: tf.Tensor2D): tf.Tensor1D {
    return tf.tidy(() => {
      const unconditional = tf.reshape(this.linear.apply(ctx, h), [-1]) // [batch]
      const projection = tf.sum(tf.mul(this.embedding.apply(ctx, y), h), 1) // [batch]
      return tf.add(unconditional, projection) as tf.Tensor1D
    })
  }

  /** x [batch, R, R, 3] in [−1, 1], y [batch, numClasses] → logits [batch] */
  apply(ctx: ForwardContext, x: tf.Tensor4D, y: tf.Tensor2D): tf.Tensor1D {
    return tf.tidy(() => this.head(ctx, this.features(ctx, x), y))
  }
}
