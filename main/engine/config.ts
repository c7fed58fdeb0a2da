// The architecture of one model, as data. It mirrors what a checkpoint's config.json records; everything else
// (block tables, parameter names and shapes) is derived from it in arch.ts and the networks.

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
