// The config parser: a config.json's `config` field (or an importer's result) checked field by field and then
// against the architecture tables, so that it accepts exactly the configs the networks can be built from. Apart
// from config.ts because it asks arch.ts, which is itself built on config.ts's types.
import { CheckpointError } from '../tensors/errors.ts'
import {
  bigganDeepDiscriminatorTable, bigganDeepGeneratorTable, bigganDiscriminatorTable, bigganGeneratorTable,
} from './arch.ts'
import type { Arch, ModelConfig } from './config.ts'

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
  if (o.dSkipAfterReLU !== undefined) {
    if (o.dSkipAfterReLU !== true) fail('dSkipAfterReLU', 'true, or absent')
    config.dSkipAfterReLU = true
  }
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
