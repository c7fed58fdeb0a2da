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
import { BatchNorm, ConditionalBatchNorm, conditioning, type BatchNormSettings, type Conditioning } from '../layers/batchNorm'
import { SNConv2d } from '../layers/conv'
import { SharedEmbedding, SNEmbedding } from '../layers/embedding'
import { SNLinear } from '../layers/linear'
import { projectionHead } from '../layers/projection'
import type { SpectralNormSettings } from '../layers/spectralNorm'
import { withStatsRows, type Forward, type Ops } from '../forward'
import { Module, type ForwardContext } from '../module'
import { truncationPolicy, type TruncationPolicy } from '../sampling/truncation'
import type { tf } from '../tf'

/** Keeps channels [0, n): BigGAN-deep's parameter-free way to narrow a residual path. */
function firstChannels<T>(ops: Ops<T>, x: T, n: number): T {
  return ops.shape(x)[3] === n ? x : ops.slice(x, [0, 0, 0, 0], [-1, -1, -1, n])
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

  get batchNorms(): ConditionalBatchNorm[] {
    return [this.bn0, this.bn1, this.bn2, this.bn3]
  }

  /** x [batch, h, w, in], with the gains and biases of `conditioning` on c → [batch, h·s, w·s, out], s = 2 when
   *  upsampling */
  apply<T>(f: Forward<T>, x: T, cond: ReadonlyMap<ConditionalBatchNorm, Conditioning<T>>): T {
    const { ops } = f
    const up = (t: T): T => (this.row.upsample ? ops.upsampleNearest2x(t) : t)
    const bnRelu = (bn: ConditionalBatchNorm, t: T): T => ops.relu(bn.apply(f, t, cond.get(bn)!))
    let h = this.conv0.apply(f, bnRelu(this.bn0, x)) // [batch, h, w, mid]
    h = this.conv1.apply(f, up(bnRelu(this.bn1, h)))
    h = this.conv2.apply(f, bnRelu(this.bn2, h))
    h = this.conv3.apply(f, bnRelu(this.bn3, h)) // [batch, h·s, w·s, out]
    return ops.add(h, up(firstChannels(ops, x, this.row.outChannels)))
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
  apply(ctx: ForwardContext, z: tf.Tensor2D, y: tf.Tensor2D): tf.Tensor4D {
    return this.forward(ctx, z, y) as tf.Tensor4D
  }

  /** `apply` on any executor */
  forward<T>(outer: Forward<T>, z: T, y: T): T {
    const f = withStatsRows(outer, this.truncation.statsRows)
    const { ops } = f
    return ops.tidy(() => {
      const c = ops.concat([z, this.sharedEmbedding.apply(f, y)], 1) // [batch, zDim + sharedDim]
      // every BN reads the same c: all their gains and biases in one product
      const blocks = this.layers.filter((l): l is GeneratorBlock => l instanceof GeneratorBlock)
      const cond = conditioning(f, c, blocks.flatMap((b) => b.batchNorms))
      // the linear's outputs are NHWC-flattened ((h·4 + w)·C + c, TF-Hub's order), so no permute
      let h = ops.reshape(this.linear.apply(f, c), [-1, this.bottomWidth, this.bottomWidth, this.bottomChannels]) // [batch, 4, 4, 16ch]
      for (const layer of this.layers) {
        h = layer instanceof GeneratorBlock ? layer.apply(f, h, cond) : layer.apply(f, h)
      }
      // only the 3 channels G keeps of the to-RGB conv are computed
      return ops.tanh(this.toRgb.apply(f, ops.relu(this.outputBn.apply(f, h)), 3)) // [batch, R, R, 3]
    })
  }
}

// ─────────────────────────────────────────── discriminator ───────────────────────────────────────────

/** Bottleneck block, mid = out/4:  ReLU→conv1×1 (in→mid) → ReLU→conv3×3 → ReLU→conv3×3 → ReLU→[avgpool]→conv1×1
 *  (mid→out);  skip: [avgpool], then if out > in append conv1×1(x) (in → out−in) as extra channels;  sum.
 *  With `skipAfterReLU` (StudioGAN's) the skip path starts from ReLU(x). */
class DiscriminatorBlock extends Module {
  readonly conv0: SNConv2d
  readonly conv1: SNConv2d
  readonly conv2: SNConv2d
  readonly conv3: SNConv2d
  readonly shortcut?: SNConv2d

  constructor(name: string, readonly row: DeepDiscriminatorRow, sn: SpectralNormSettings, readonly skipAfterReLU = false) {
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
  apply<T>(f: Forward<T>, x: T): T {
    const { ops } = f
    const down = (t: T): T => (this.row.downsample ? ops.avgPool2x2(t) : t)
    const activated = ops.relu(x)
    let h = this.conv0.apply(f, activated) // [batch, h, w, mid]
    h = this.conv1.apply(f, ops.relu(h))
    h = this.conv2.apply(f, ops.relu(h))
    h = this.conv3.apply(f, down(ops.relu(h))) // [batch, h/s, w/s, out]
    let skip = down(this.skipAfterReLU ? activated : x)
    if (this.shortcut) skip = ops.concat([skip, this.shortcut.apply(f, skip)], 3)
    return ops.add(h, skip)
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
      this.layers.push(this.add(new DiscriminatorBlock(`D.blocks.${i}`, row, sn, config.dSkipAfterReLU)))
      if (row.attention) {
        this.layers.push(this.add(new SelfAttention(`D.attention${row.resolution}`, row.outChannels, sn)))
      }
    })
    this.linear = this.add(new SNLinear('D.linear', table.outChannels, 1, sn))
    this.embedding = this.add(new SNEmbedding('D.embedding', config.numClasses, table.outChannels, sn))
  }

  /** Pooled features h = Σ_{x,y} ReLU(blocks(stem(x))): [batch, R, R, 3] → [batch, C] (global sum pool) */
  features<T>(f: Forward<T>, x: T): T {
    const { ops } = f
    return ops.tidy(() => {
      let h = this.stem.apply(f, x)
      for (const layer of this.layers) h = layer.apply(f, h)
      return ops.sum(ops.relu(h), [1, 2])
    })
  }

  /** The projection head: w·h + b + ⟨E y, h⟩; h [batch, C], y [batch, numClasses] → [batch] */
  head<T>(f: Forward<T>, h: T, y: T): T {
    return projectionHead(f, this.linear, this.embedding, h, y)
  }

  /** x [batch, R, R, 3] in [−1, 1], y [batch, numClasses] → logits [batch] */
  apply(ctx: ForwardContext, x: tf.Tensor4D, y: tf.Tensor2D): tf.Tensor1D {
    return this.forward(ctx, x, y) as tf.Tensor1D
  }

  /** `apply` on any executor */
  forward<T>(f: Forward<T>, x: T, y: T): T {
    return f.ops.tidy(() => this.head(f, this.features(f, x), y))
  }
}
