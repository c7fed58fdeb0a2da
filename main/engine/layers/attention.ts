// Self-attention (SAGAN's non-local block, Zhang et al. 2019, as BigGAN-PyTorch implements it), on N = h·w positions:
//   θ = conv1×1(x) [N, C/8];  φ = maxpool2×2(conv1×1(x)) [N/4, C/8];  g = maxpool2×2(conv1×1(x)) [N/4, C/2]
//   β = softmax over keys (θ φᵀ) [N, N/4];  o = conv1×1(β g) [h, w, C];  out = x + γ·o, γ init 0
// All four convs spectrally normalised, without bias. θ, φ and g read the same x, so they run as one conv of
// their kernels side by side. (γ stays on o's output, not folded into its kernel: the gradients of biases that
// reach the loss only through this path nearly cancel, and folding moved them 2e-3 from BigGAN-PyTorch's.)
import type { Forward } from '../forward'
import { Module } from '../module'
import { SNConv2d } from './conv'
import type { SpectralNormSettings } from './spectralNorm'

/** The most attention weights (query rows × keys) one image's chunk of β holds: 2 MiB of float32. */
export const ATTENTION_CHUNK_VALUES = 1 << 19

/** How many query rows each chunk of β = softmax(θᵀφ) [batch, N, N/4] covers: all N where the whole map is small,
 *  else the largest power-of-two divisor of N that keeps a chunk within ATTENTION_CHUNK_VALUES per image. Softmax
 *  runs per query row, so a chunk's rows are exactly the whole map's rows; the map (256 MiB at 64×64, batch 16)
 *  is never held whole, only one chunk and its softmax at a time. */
export function attentionChunkRows(n: number, maxValues = ATTENTION_CHUNK_VALUES): number {
  const keys = n / 4
  let rows = n
  while (rows * keys > maxValues && rows % 2 === 0 && rows > 1) rows /= 2
  return rows
}

export class SelfAttention extends Module {
  readonly theta: SNConv2d
  readonly phi: SNConv2d
  readonly g: SNConv2d
  readonly o: SNConv2d

  constructor(
    name: string,
    readonly channels: number,
    sn: SpectralNormSettings,
  ) {
    super(name)
    if (channels % 8 !== 0) throw new Error(`self-attention needs channels divisible by 8, got ${channels} (${name})`)
    this.theta = this.add(new SNConv2d(`${name}.theta`, channels, channels / 8, 1, sn, false))
    this.phi = this.add(new SNConv2d(`${name}.phi`, channels, channels / 8, 1, sn, false))
    this.g = this.add(new SNConv2d(`${name}.g`, channels, channels / 2, 1, sn, false))
    this.o = this.add(new SNConv2d(`${name}.o`, channels / 2, channels, 1, sn, false))
    this.declare('gamma', [1], 'gamma')
  }

  /** [batch, h, w, C] → [batch, h, w, C] */
  apply<T>(f: Forward<T>, x: T): T {
    const { ops } = f
    const [batch, h, w, c] = ops.shape(x)
    const n = h * w
    const kernels = ops.concat([this.theta, this.phi, this.g].map((conv) => conv.normalisedWeight(f)), 3) // [1, 1, C, C/8 + C/8 + C/2]
    const [theta, phi, g] = ops.split(ops.conv2d(x, kernels), [c / 8, c / 8, c / 2], 3)
    const queries = ops.reshape(theta, [batch, n, c / 8])
    const keys = ops.transpose(ops.reshape(ops.maxPool2x2(phi), [batch, n / 4, c / 8]), [0, 2, 1]) // [batch, C/8, N/4]
    const values = ops.reshape(ops.maxPool2x2(g), [batch, n / 4, c / 2])
    const rows = attentionChunkRows(n)
    const chunks = rows === n ? [queries] : ops.split(queries, n / rows, 1)
    const attended = chunks.map((q) => ops.matMul(ops.softmax(ops.matMul(q, keys)), values)) // [batch, rows, C/2] each
    const all = attended.length === 1 ? attended[0] : ops.concat(attended, 1)
    const o = this.o.apply(f, ops.reshape(all, [batch, h, w, c / 2]))
    return ops.add(x, ops.mul(f.param(`${this.name}.gamma`), o))
  }
}
