// The architecture of one model, as data. It mirrors what a checkpoint's config.json records; everything else
// (block tables, parameter names and shapes) is derived from it in arch.ts and the networks.
import { CheckpointError } from '../tensors/errors.ts'
import {
  bigganDeepDiscriminatorTable, bigganDeepGeneratorTable, bigganDiscriminatorTable, bigganGeneratorTable,
} from './arch.ts'

export type Arch = 'biggan' | 'biggan-deep'

/** How a spectrally normalised layer finds σ outside training.
 *  'stored':     σ = uᵀ W v with the stored u and v, no power step (torch.nn.utils.spectral_norm, the HF port, ours).
 *  'power-step': one power step from the stored u, not written back (BigGAN-PyTorch's eval mode). */
export type SpectralNormInference = 'stored' | 'power-step'

/** How per-truncation BatchNorm statistics (nStats rows on the grid 0, 1/(n-1), …, 1) are picked for a truncation ψ.
 *  'hf':   pytorch-pretrained-BigGAN's rule, reproduced exactly (weights swapped, float64 rounding quirks included).
 *  'lerp': correct linear interpolation between the two neighbouring rows. */
export type StatsMode = 'hf' | 'lerp'

export interface ModelConfig {
  arch: Arch
  resolution: number
  /** channel width multiplier `ch` of G (96 for BigGAN, 128 for BigGAN-deep on ImageNet) */
  gChannels: number
  /** channel width multiplier of D; 0 when the model has no discriminator */
  dChannels: number
  zDim: number
  /** width of the shared class embedding */
  sharedDim: number
  numClasses: number
  /** BigGAN: skip-z, z split into one chunk per block plus one for the first linear. BigGAN-deep: always false. */
  hierarchical: boolean
  /** resolutions at which G / D insert self-attention (e.g. [64]) */
  gAttention: number[]
  dAttention: number[]
  bnEps: number
  snEps: number
  /** rows of BatchNorm statistics in G: 51 for the released BigGAN-deep weights (one per truncation), else 1 */
  nStats: number
  /** output channels of G's last conv before keeping channels 0..2 (128 in the TF-Hub BigGAN-deep weights) */
  toRgbChannels: number
  spectralNormInference: SpectralNormInference
  statsMode: StatsMode
  classNames?: string[]
}

export const bigganDefaults = {
  bnEps: 1e-5,
  snEps: 1e-6,
  sharedDim: 128,
} as const

const archs: readonly Arch[] = ['biggan', 'biggan-deep']

/** A config read from a file, checked field by field and then against the architecture tables: it accepts exactly
 *  the configs the networks can be built from, so a hostile or hand-edited config.json gets a clear error naming the
 *  field, never a half-built model or a failure later that names nothing. */
export function parseModelConfig(value: unknown, file?: string): ModelConfig {
  const fail = (field: string, want: string): never => {
    throw new CheckpointError('bad-header', `config field '${field}' must be ${want}`, file)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('(root)', 'an object')
  const o = value as Record<string, unknown>
  const int = (k: string, min: number, max: number): number => {
    const v = o[k]
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(k, `an integer in [${min}, ${max}]`)
    return v as number
  }
  const num = (k: string, min: number, max: number): number => {
    const v = o[k]
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) fail(k, `a number in [${min}, ${max}]`)
    return v as number
  }
  const resolutions = (k: string): number[] => {
    const v = o[k]
    if (!Array.isArray(v) || v.length > 8 || !v.every((r) => Number.isInteger(r) && r >= 4 && r <= 1024)) {
      fail(k, 'a list of resolutions between 4 and 1024')
    }
    return [...(v as number[])]
  }
  const oneOf = <T extends string>(k: string, allowed: readonly T[]): T => {
    const v = o[k]
    if (!allowed.includes(v as T)) fail(k, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`)
    return v as T
  }
  const config: ModelConfig = {
    arch: oneOf('arch', archs),
    resolution: int('resolution', 32, 1024),
    gChannels: int('gChannels', 1, 4096),
    dChannels: int('dChannels', 0, 4096),
    zDim: int('zDim', 1, 4096),
    sharedDim: int('sharedDim', 1, 4096),
    numClasses: int('numClasses', 1, 100_000),
    hierarchical: o.hierarchical === true,
    gAttention: resolutions('gAttention'),
    dAttention: resolutions('dAttention'),
    bnEps: num('bnEps', 0, 1),
    snEps: num('snEps', 0, 1),
    nStats: int('nStats', 1, 1001),
    toRgbChannels: int('toRgbChannels', 3, 4096),
    spectralNormInference: oneOf('spectralNormInference', ['stored', 'power-step'] as const),
    statsMode: oneOf('statsMode', ['hf', 'lerp'] as const),
  }
  if (typeof o.hierarchical !== 'boolean') fail('hierarchical', 'true or false')
  if (o.classNames !== undefined) {
    const names = o.classNames
    if (!Array.isArray(names) || names.length !== config.numClasses || !names.every((n) => typeof n === 'string')) {
      fail('classNames', `a list of ${config.numClasses} strings (one per class)`)
    }
    config.classNames = [...(names as string[])]
  }
  checkBuildable(config, (field, problem) => {
    throw new CheckpointError(
      'unsupported', `config field '${field}': ${problem}. Fix config.json or re-import the checkpoint it came from`, file,
    )
  })
  return config
}

/** What the networks (networks/biggan.ts, networks/bigganDeep.ts, layers/attention.ts) need of a config beyond each
 *  field's range, asked of the same architecture tables they are built from. */
function checkBuildable(config: ModelConfig, refuse: (field: keyof ModelConfig, problem: string) => never): void {
  const deep = config.arch === 'biggan-deep'
  const rowsOf = <R>(field: keyof ModelConfig, build: () => R, hint = ''): R => {
    try {
      return build()
    } catch (err) {
      return refuse(field, `${(err as Error).message}${hint}`)
    }
  }
  if (deep && config.hierarchical) refuse('hierarchical', 'BigGAN-deep feeds the whole z to every block, so it must be false')
  if (!deep && config.toRgbChannels !== 3) {
    refuse('toRgbChannels', `BigGAN's last conv makes RGB, so it must be 3, not ${config.toRgbChannels}`)
  }

  // each table must exist at this resolution before attention is placed in it, so that each refusal names its field
  const generator = (c: ModelConfig) => (deep ? bigganDeepGeneratorTable(c).rows : bigganGeneratorTable(c).rows)
  rowsOf('resolution', () => generator({ ...config, gAttention: [] }))
  const G = rowsOf('gAttention', () => generator(config))
  if (deep) checkBottlenecks('gChannels', G.map((r) => r.inChannels), refuse)
  const chunks = G.length + 1
  if (!deep && config.hierarchical && config.zDim % chunks !== 0) {
    refuse('zDim', `hierarchical z splits into ${chunks} equal chunks (one per block and one for the first linear), so it must be a multiple of ${chunks}, not ${config.zDim}`)
  }
  checkAttentionWidths('gAttention', 'gChannels', G, refuse)

  if (config.dChannels === 0) return
  const discriminator = (c: ModelConfig) => (deep ? bigganDeepDiscriminatorTable(c).rows : bigganDiscriminatorTable(c))
  rowsOf('dChannels', () => discriminator({ ...config, dAttention: [] }), '; a generator-only model has dChannels 0')
  const D = rowsOf('dAttention', () => discriminator(config))
  if (deep) checkBottlenecks('dChannels', D.map((r) => r.outChannels), refuse)
  checkAttentionWidths('dAttention', 'dChannels', D, refuse)
}

/** BigGAN-deep's bottleneck blocks work at a quarter of their width (networks/bigganDeep.ts). */
function checkBottlenecks(
  field: keyof ModelConfig, widths: readonly number[], refuse: (field: keyof ModelConfig, problem: string) => never,
): void {
  const width = widths.find((w) => w % 4 !== 0)
  if (width !== undefined) {
    refuse(field, `BigGAN-deep's bottlenecks are a quarter of a block's width, and a block here is ${width} wide; choose it so that every width is divisible by 4`)
  }
}

/** Self-attention projects to a width of an eighth (layers/attention.ts). */
function checkAttentionWidths(
  field: keyof ModelConfig, widthField: keyof ModelConfig,
  rows: readonly { attention: boolean; outChannels: number; resolution: number }[],
  refuse: (field: keyof ModelConfig, problem: string) => never,
): void {
  const row = rows.find((r) => r.attention && r.outChannels % 8 !== 0)
  if (row) {
    refuse(field, `self-attention at ${row.resolution}×${row.resolution} needs a width divisible by 8, and the block there is ${row.outChannels} wide; change ${widthField} or leave that resolution out`)
  }
}

/** The config `biggan init` builds: the paper's choices scaled by `ch`. BigGAN: hierarchical z of 20 per chunk
 *  (one chunk per G block plus one for the first linear), BigGAN-deep: z = 128; shared embedding 128; self-attention
 *  at `attention` (default 64) where the resolution reaches it; BigGAN-PyTorch's epsilons. */
export function defaultConfig(arch: Arch, resolution: number, ch: number, numClasses: number, attention = 64): ModelConfig {
  const known = [32, 64, 128, 256, 512]
  if (!known.includes(resolution)) throw new Error(`--res must be one of ${known.join(', ')} for ${arch}, not ${resolution}`)
  if (!(Number.isInteger(ch) && ch >= 1)) throw new Error(`--ch must be a whole number ≥ 1, not ${ch}`)
  if (!(Number.isInteger(numClasses) && numClasses >= 1)) throw new Error(`--classes must be a whole number ≥ 1, not ${numClasses}`)
  if (arch === 'biggan-deep' && ch % 4 !== 0) throw new Error('BigGAN-deep needs --ch divisible by 4 (its bottlenecks are ch/4 wide)')
  const blocks = Math.log2(resolution / 4)
  const withAttention = attention > 0 && attention <= resolution && attention >= 8 ? [attention] : []
  return {
    arch,
    resolution,
    gChannels: ch,
    dChannels: arch === 'biggan-deep' && resolution === 512 ? 0 : ch, // BigGAN-PyTorch defines no deep D at 512
    zDim: arch === 'biggan' ? 20 * (blocks + 1) : 128,
    sharedDim: bigganDefaults.sharedDim,
    numClasses,
    hierarchical: arch === 'biggan',
    gAttention: withAttention,
    dAttention: withAttention,
    bnEps: bigganDefaults.bnEps,
    snEps: bigganDefaults.snEps,
    nStats: 1,
    toRgbChannels: 3,
    spectralNormInference: 'stored',
    statsMode: 'lerp',
  }
}
