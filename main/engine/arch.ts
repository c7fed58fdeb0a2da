// Architecture tables: which blocks a network has, with what channels, at what resolution, and where attention
// sits. Pure data derived from a ModelConfig; the networks are built from these rows and nothing else.
import type { ModelConfig } from './config'

// ───────────────────────────────────────────── shared ─────────────────────────────────────────────

/** G starts from a bottomWidth × bottomWidth map, doubled by every upsampling block. */
const bottomWidth = 4

/** The paper's generator widths per output resolution, as multipliers of ch: one entry per doubling of the
 *  resolution. BigGAN makes each entry one ResBlock-up; BigGAN-deep two bottleneck blocks (in→in, then in→out ×2). */
const generatorWidths: Record<number, { in: number; out: number }[]> = {
  32: [{ in: 4, out: 4 }, { in: 4, out: 4 }, { in: 4, out: 4 }],
  64: [{ in: 16, out: 16 }, { in: 16, out: 8 }, { in: 8, out: 4 }, { in: 4, out: 2 }],
  128: [{ in: 16, out: 16 }, { in: 16, out: 8 }, { in: 8, out: 4 }, { in: 4, out: 2 }, { in: 2, out: 1 }],
  256: [
    { in: 16, out: 16 }, { in: 16, out: 8 }, { in: 8, out: 8 }, { in: 8, out: 4 }, { in: 4, out: 2 },
    { in: 2, out: 1 },
  ],
  512: [
    { in: 16, out: 16 }, { in: 16, out: 8 }, { in: 8, out: 8 }, { in: 8, out: 4 }, { in: 4, out: 2 },
    { in: 2, out: 1 }, { in: 1, out: 1 },
  ],
}

/** The rows a table has for a resolution, or an error naming the resolutions it knows. */
function tableRows<S>(table: Record<number, S[]>, resolution: number, family: string, what: string): S[] {
  const rows = table[resolution]
  if (!rows) {
    throw new Error(
      `${family} has no ${what} table for ${resolution}×${resolution}; known resolutions: ${Object.keys(table).join(', ')}`,
    )
  }
  return rows
}

// ───────────────────────────────────────────── BigGAN-deep ─────────────────────────────────────────────
// Paper §1.3 / Appendix B: two bottleneck blocks per resolution (the first keeps channels and size, the second
// upsamples and may halve channels), ch = 128, attention at 64×64. Stages below are multipliers of ch, as in
// BigGAN-PyTorch's BigGANdeep.G_arch / D_arch; the expanded generator rows equal pytorch-pretrained-BigGAN's
// `layers` lists (e.g. 128: (F,16,16)(T,16,16)(F,16,16)(T,16,8) … (F,2,2)(T,2,1)).

/** One bottleneck block of BigGAN-deep's generator. */
export interface DeepGeneratorRow {
  inChannels: number
  outChannels: number
  upsample: boolean
  /** spatial size of the block's output */
  resolution: number
  /** self-attention on the block's output (HF: inserted before the next entry of `layers`) */
  attention: boolean
}

/** One bottleneck block of BigGAN-deep's discriminator. */
export interface DeepDiscriminatorRow {
  inChannels: number
  outChannels: number
  /** 2×2 average pool inside the block (first block of each stage but the last stage at 32 px) */
  downsample: boolean
  /** spatial size of the block's output */
  resolution: number
  /** self-attention on the block's output */
  attention: boolean
}

export interface DeepGeneratorTable {
  /** the first linear layer's output is reshaped to [batch, bottomWidth, bottomWidth, rows[0].inChannels] */
  bottomWidth: number
  rows: DeepGeneratorRow[]
  /** channels entering the output BatchNorm → ReLU → conv */
  outChannels: number
}

export interface DeepDiscriminatorTable {
  /** the stem: SN conv3×3 from RGB */
  stem: { inChannels: number; outChannels: number }
  rows: DeepDiscriminatorRow[]
  /** width of the pooled features fed to the linear head and the class projection */
  outChannels: number
}

interface DeepStage {
  /** channel multipliers (× ch) into and out of the stage */
  in: number
  out: number
}

interface DeepDStage extends DeepStage {
  downsample: boolean
}

/** D stages per input resolution: each becomes (in→out, downsample?), (out→out). */
const deepDiscriminatorStages: Record<number, DeepDStage[]> = {
  32: [
    { in: 4, out: 4, downsample: true }, { in: 4, out: 4, downsample: true }, { in: 4, out: 4, downsample: false },
  ],
  64: [
    { in: 1, out: 2, downsample: true }, { in: 2, out: 4, downsample: true }, { in: 4, out: 8, downsample: true },
    { in: 8, out: 16, downsample: true },
  ],
  128: [
    { in: 1, out: 2, downsample: true }, { in: 2, out: 4, downsample: true }, { in: 4, out: 8, downsample: true },
    { in: 8, out: 16, downsample: true }, { in: 16, out: 16, downsample: true },
  ],
  256: [
    { in: 1, out: 2, downsample: true }, { in: 2, out: 4, downsample: true }, { in: 4, out: 8, downsample: true },
    { in: 8, out: 8, downsample: true }, { in: 8, out: 16, downsample: true }, { in: 16, out: 16, downsample: true },
  ],
}

function checkAttentionPlaced(
  wanted: readonly number[],
  rows: { resolution: number; attention: boolean }[],
  what: string,
): void {
  for (const r of wanted) {
    if (!rows.some((row) => row.attention && row.resolution === r)) {
      throw new Error(`BigGAN-deep ${what} cannot place self-attention at ${r}×${r}: no stage ends at that resolution`)
    }
  }
}

export function bigganDeepGeneratorTable(config: ModelConfig): DeepGeneratorTable {
  const ch = config.gChannels
  const rows: DeepGeneratorRow[] = []
  let resolution = bottomWidth
  for (const stage of tableRows(generatorWidths, config.resolution, 'BigGAN-deep', 'generator')) {
    rows.push({ inChannels: stage.in * ch, outChannels: stage.in * ch, upsample: false, resolution, attention: false })
    resolution *= 2
    rows.push({
      inChannels: stage.in * ch,
      outChannels: stage.out * ch,
      upsample: true,
      resolution,
      attention: config.gAttention.includes(resolution),
    })
  }
  checkAttentionPlaced(config.gAttention, rows, 'generator')
  return { bottomWidth: bottomWidth, rows, outChannels: rows[rows.length - 1].outChannels }
}

export function bigganDeepDiscriminatorTable(config: ModelConfig): DeepDiscriminatorTable {
  const ch = config.dChannels
  const stages = tableRows(deepDiscriminatorStages, config.resolution, 'BigGAN-deep', 'discriminator')
  const rows: DeepDiscriminatorRow[] = []
  let resolution = config.resolution
  for (const stage of stages) {
    if (stage.downsample) resolution /= 2
    // after the first stage that ends at an attention resolution (the 32-px table has two stages ending at 8)
    const attention = config.dAttention.includes(resolution) && !rows.some((r) => r.resolution === resolution)
    rows.push({
      inChannels: stage.in * ch, outChannels: stage.out * ch, downsample: stage.downsample, resolution, attention: false,
    })
    rows.push({ inChannels: stage.out * ch, outChannels: stage.out * ch, downsample: false, resolution, attention })
  }
  checkAttentionPlaced(config.dAttention, rows, 'discriminator')
  return { stem: { inChannels: 3, outChannels: stages[0].in * ch }, rows, outChannels: rows[rows.length - 1].outChannels }
}

// ───────────────────────────────────────────── BigGAN ─────────────────────────────────────────────
// Paper Appendix B / BigGAN-PyTorch G_arch and D_arch: one ResBlock per resolution. G blocks all upsample ×2 from
// 4×4; D blocks all 2×2-average-pool but the last (the 32-px D also keeps its third block's size). Rows are channel
// multipliers of ch (96 on ImageNet); the 512-px D comes from compare_gan (BigGAN-PyTorch has none).

/** One ResBlock-up of BigGAN's generator (always upsamples ×2). */
export interface GeneratorRow {
  inChannels: number
  outChannels: number
  /** spatial size of the block's output */
  resolution: number
  /** self-attention on the block's output */
  attention: boolean
}

/** One ResBlock-down of BigGAN's discriminator. */
export interface DiscriminatorRow {
  inChannels: number
  outChannels: number
  /** 2×2 average pool at the end of the block */
  downsample: boolean
  /** spatial size of the block's output */
  resolution: number
  /** self-attention on the block's output */
  attention: boolean
}

export interface GeneratorTable {
  /** the first linear layer's output is reshaped to [batch, bottomWidth, bottomWidth, rows[0].inChannels] */
  bottomWidth: number
  rows: GeneratorRow[]
}

/** D blocks per input resolution: output multipliers of ch (the input of block i is block i−1's output, RGB first). */
const discriminatorBlocks: Record<number, { out: number; downsample: boolean }[]> = {
  32: [
    { out: 4, downsample: true }, { out: 4, downsample: true }, { out: 4, downsample: false },
    { out: 4, downsample: false },
  ],
  64: [
    { out: 1, downsample: true }, { out: 2, downsample: true }, { out: 4, downsample: true },
    { out: 8, downsample: true }, { out: 16, downsample: false },
  ],
  128: [
    { out: 1, downsample: true }, { out: 2, downsample: true }, { out: 4, downsample: true },
    { out: 8, downsample: true }, { out: 16, downsample: true }, { out: 16, downsample: false },
  ],
  256: [
    { out: 1, downsample: true }, { out: 2, downsample: true }, { out: 4, downsample: true },
    { out: 8, downsample: true }, { out: 8, downsample: true }, { out: 16, downsample: true },
    { out: 16, downsample: false },
  ],
  512: [
    { out: 1, downsample: true }, { out: 1, downsample: true }, { out: 2, downsample: true },
    { out: 4, downsample: true }, { out: 8, downsample: true }, { out: 8, downsample: true },
    { out: 16, downsample: true }, { out: 16, downsample: false },
  ],
}

/** Attention goes after the first block whose output has an attention resolution (the 32-px D has several). */
function placeAttention<R extends { resolution: number; attention: boolean }>(rows: R[], wanted: readonly number[], what: string): R[] {
  for (const r of wanted) {
    const row = rows.find((row) => row.resolution === r)
    if (!row) throw new Error(`BigGAN ${what} cannot place self-attention at ${r}×${r}: no block ends at that resolution`)
    row.attention = true
  }
  return rows
}

export function bigganGeneratorTable(config: ModelConfig): GeneratorTable {
  const ch = config.gChannels
  let resolution = bottomWidth
  const rows = tableRows(generatorWidths, config.resolution, 'BigGAN', 'generator').map((m) => {
    resolution *= 2
    return { inChannels: m.in * ch, outChannels: m.out * ch, resolution, attention: false }
  })
  return { bottomWidth, rows: placeAttention(rows, config.gAttention, 'generator') }
}

export function bigganDiscriminatorTable(config: ModelConfig): DiscriminatorRow[] {
  const ch = config.dChannels
  let resolution = config.resolution
  let inChannels = 3
  const rows = tableRows(discriminatorBlocks, config.resolution, 'BigGAN', 'discriminator').map((m) => {
    if (m.downsample) resolution /= 2
    const row = { inChannels, outChannels: m.out * ch, downsample: m.downsample, resolution, attention: false }
    inChannels = row.outChannels
    return row
  })
  return placeAttention(rows, config.dAttention, 'discriminator')
}
