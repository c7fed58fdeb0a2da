// The architecture of one model, as data. It mirrors what a checkpoint's config.json records; everything else
// (block tables, parameter names and shapes) is derived from it in arch.ts and the networks. configParser.ts reads
// one from a file.

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
  /** D's residual blocks take their skip path from ReLU(x), not x: PyTorch-StudioGAN's discriminators apply an
   *  in-place ReLU to the tensor the skip path still refers to. Absent everywhere else. */
  dSkipAfterReLU?: true
  classNames?: string[]
}

export const bigganDefaults = {
  bnEps: 1e-5,
  snEps: 1e-6,
  sharedDim: 128,
} as const

/** The config `biggan init` builds: the paper's choices scaled by `ch`. BigGAN: hierarchical z of 20 per chunk
 *  (one chunk per G block plus one for the first linear), BigGAN-deep: z = 128; shared embedding 128; self-attention
 *  at `attention` (default 64) where the resolution reaches it — in D only below the image's own resolution, since
 *  D's first block already halves it (BigGAN-PyTorch then places none in D, as here); BigGAN-PyTorch's epsilons. */
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
    dAttention: withAttention.filter((r) => r < resolution),
    bnEps: bigganDefaults.bnEps,
    snEps: bigganDefaults.snEps,
    nStats: 1,
    toRgbChannels: 3,
    spectralNormInference: 'stored',
    statsMode: 'lerp',
  }
}
