// The engine's layers (main/engine/layers) as ONNX subgraphs, NCHW: spectrally normalised convs and linears with
// W / σ folded in, conditional BatchNorm in eval mode, and SAGAN self-attention. Each function reads the engine
// module it mirrors for names and sizes, so the graph follows the same architecture tables as the networks.
import type { SelfAttention } from '../engine/layers/attention.ts'
import type { BatchNorm, ConditionalBatchNorm } from '../engine/layers/batchNorm.ts'
import type { SNConv2d } from '../engine/layers/conv.ts'
import type { SNLinear } from '../engine/layers/linear.ts'
import { int, type GraphBuilder } from './graph.ts'
import { concatColumns, hwioToOihw, type Weights } from './weights.ts'

/** What every layer's export needs. */
export interface Export {
  g: GraphBuilder
  w: Weights
  /** graph input [1, nStats]: how much each BatchNorm statistics row counts for the chosen ψ (the engine's
   *  statsRows rule, computed by the caller); absent where the model has one row */
  statsWeights?: string
}

/** SN conv, stride 1, 'same' padding: [batch, in, h, w] → [batch, out, h, w]. `outputs` keeps the first channels. */
export function snConv(e: Export, conv: SNConv2d, x: string, outputs = conv.outChannels): string {
  const weight = e.g.weight(`${conv.name}.weight`, e.w.convKernel(conv, outputs), [outputs, conv.inChannels, conv.kernel, conv.kernel])
  const bias = conv.bias ? e.g.weight(`${conv.name}.bias`, e.w.param(`${conv.name}.bias`).subarray(0, outputs), [outputs]) : undefined
  return e.g.conv(x, weight, bias, conv.kernel, conv.name)
}

/** SN linear: [batch, in] → [batch, out] (x · W + b, one Gemm). */
export function snLinear(e: Export, linear: SNLinear, x: string): string {
  const w = e.g.weight(`${linear.name}.weight`, e.w.normalised(linear), [linear.inFeatures, linear.outFeatures])
  if (!linear.bias) return e.g.matMul(x, w, linear.name)
  const b = e.g.weight(`${linear.name}.bias`, e.w.param(`${linear.name}.bias`), [linear.outFeatures])
  return e.g.op('Gemm', [x, w, b], linear.name)
}

// ───────────────────────────────────────────── BatchNorm ─────────────────────────────────────────────

interface Statistics {
  /** [1, C] */
  mean: string
  /** 1 / √(σ² + ε), [1, C] */
  invStd: string
}

/** The statistics a BN standardises with in eval mode. One row: constants. Several (per-truncation) rows: the rows
 *  are stored and blended by the statsWeights input, row_i·w_i + row_{i+1}·w_{i+1} as the engine blends them. */
function statistics(e: Export, bn: BatchNorm | ConditionalBatchNorm): Statistics {
  const { nStats, bnEps } = bn.settings
  const mean = e.w.param(`${bn.name}.mean`) // [nStats, C]
  const variance = e.w.param(`${bn.name}.var`)
  const C = bn.channels
  if (nStats === 1) {
    const invStd = variance.map((v) => 1 / Math.sqrt(Math.fround(v + bnEps)))
    return { mean: e.g.weight(`${bn.name}.mean`, mean, [1, C]), invStd: e.g.weight(`${bn.name}.invStd`, invStd, [1, C]) }
  }
  if (!e.statsWeights) throw new Error(`ONNX export: ${bn.name} has ${nStats} statistics rows but the graph has no statistics input`)
  const blend = (what: string, rows: Float32Array): string =>
    e.g.matMul(e.statsWeights!, e.g.weight(`${bn.name}.${what}`, rows, [nStats, C]), `${bn.name}.${what}`)
  const varianceNow = blend('var', variance)
  const std = e.g.op('Sqrt', [e.g.add(varianceNow, e.g.scalar(bnEps), `${bn.name}.var+eps`)], `${bn.name}.std`)
  return { mean: blend('mean', mean), invStd: e.g.op('Reciprocal', [std], `${bn.name}.invStd`) }
}

/** x̂·gain + bias with per-sample gain and bias [batch, C]: x·S + T, S = gain/√(σ²+ε), T = bias − μ·S. Two passes
 *  over the activation instead of four. */
function scaleAndShift(e: Export, name: string, channels: number, x: string, gain: string, bias: string, stats: Statistics): string {
  const scale = e.g.mul(gain, stats.invStd, `${name}.scale`)
  const shift = e.g.sub(bias, e.g.mul(stats.mean, scale, `${name}.mean·scale`), `${name}.shift`)
  const perChannel = (v: string, what: string): string => e.g.reshape(v, [-1, channels, 1, 1], `${name}.${what}[b,C,1,1]`)
  return e.g.add(e.g.mul(x, perChannel(scale, 'scale'), `${name}.x·scale`), perChannel(shift, 'shift'), name)
}

/** The gains 1 + W_γ c and biases W_β c [batch, C] of conditional BNs that share one conditioning vector c
 *  [batch, condDim]: one Gemm for all of them ([W_γ₁ | W_β₁ | W_γ₂ | …], bias 1 on the gain columns), then slices. */
export function conditioning(
  e: Export,
  c: string,
  bns: ConditionalBatchNorm[],
  name: string,
): Map<ConditionalBatchNorm, { gain: string; bias: string }> {
  const condDim = bns[0].condDim
  const parts = bns.flatMap((bn) => [
    { data: e.w.normalised(bn.gain), cols: bn.channels },
    { data: e.w.normalised(bn.bias), cols: bn.channels },
  ])
  const width = parts.reduce((n, p) => n + p.cols, 0)
  const ones = new Float32Array(width)
  let offset = 0
  for (const bn of bns) {
    ones.fill(1, offset, offset + bn.channels)
    offset += 2 * bn.channels
  }
  const W = e.g.weight(`${name}.weight`, concatColumns(condDim, parts), [condDim, width])
  const all = e.g.op('Gemm', [c, W, e.g.weight(`${name}.bias`, ones, [width])], name)
  const out = new Map<ConditionalBatchNorm, { gain: string; bias: string }>()
  offset = 0
  for (const bn of bns) {
    const C = bn.channels
    out.set(bn, {
      gain: e.g.slice(all, 1, offset, offset + C, `${bn.gain.name}`),
      bias: e.g.slice(all, 1, offset + C, offset + 2 * C, `${bn.bias.name}`),
    })
    offset += 2 * C
  }
  return out
}

/** Conditional BN (eval): [batch, C, h, w] → x̂ ⊙ gain + bias, gain and bias from `conditioning`. */
export function conditionalBatchNorm(e: Export, bn: ConditionalBatchNorm, x: string, cond: { gain: string; bias: string }): string {
  return scaleAndShift(e, bn.name, bn.channels, x, cond.gain, cond.bias, statistics(e, bn))
}

/** Plain BN (eval) with its learned gain and bias [C]. */
export function batchNorm(e: Export, bn: BatchNorm, x: string): string {
  const C = bn.channels
  const gain = e.g.weight(`${bn.name}.gain`, e.w.param(`${bn.name}.gain`), [1, C])
  const bias = e.g.weight(`${bn.name}.bias`, e.w.param(`${bn.name}.bias`), [1, C])
  return scaleAndShift(e, bn.name, C, x, gain, bias, statistics(e, bn))
}

// ───────────────────────────────────────────── self-attention ─────────────────────────────────────────────

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

/** SAGAN self-attention on [batch, C, h, w]: θ, φ and g as one 1×1 conv (C/8 + C/8 + C/2 outputs), γ folded into
 *  the output conv. β = softmax(θᵀφ) [batch, N, N/4] over the pooled keys, in chunks of query rows
 *  (attentionChunkRows); out = x + γ·o(g βᵀ). */
export function selfAttention(e: Export, att: SelfAttention, x: string, h: number, w: number): string {
  const C = att.channels
  const n = h * w
  const kernel = (conv: SNConv2d): Float32Array => hwioToOihw(e.w.normalised(conv), 1, conv.inChannels, conv.outChannels)
  const qkv = new Float32Array((C / 8 + C / 8 + C / 2) * C)
  qkv.set(kernel(att.theta), 0)
  qkv.set(kernel(att.phi), (C / 8) * C)
  qkv.set(kernel(att.g), (C / 4) * C)
  const weight = e.g.weight(`${att.name}.theta|phi|g`, qkv, [C / 8 + C / 8 + C / 2, C, 1, 1])
  const projected = e.g.conv(x, weight, undefined, 1, `${att.name}.theta|phi|g`)
  const [theta, phi, g] = e.g.opMulti('Split', [projected, e.g.int64s([C / 8, C / 8, C / 2])], 3, `${att.name}.split`, { axis: int(1) })
  const queries = e.g.transpose(e.g.reshape(theta, [0, C / 8, n], `${att.name}.theta[b,C/8,N]`), [0, 2, 1], `${att.name}.theta[b,N,C/8]`)
  const keys = e.g.reshape(e.g.maxPool2x2(phi, `${att.name}.phi.pool`), [0, C / 8, n / 4], `${att.name}.phi[b,C/8,N/4]`)
  const values = e.g.transpose(
    e.g.reshape(e.g.maxPool2x2(g, `${att.name}.g.pool`), [0, C / 2, n / 4], `${att.name}.g[b,C/2,N/4]`),
    [0, 2, 1],
    `${att.name}.g[b,N/4,C/2]`,
  )
  const rows = attentionChunkRows(n)
  const chunks = n / rows
  const queryChunks =
    chunks === 1 ? [queries] : e.g.opMulti('Split', [queries, e.g.int64s(new Array(chunks).fill(rows))], chunks, `${att.name}.theta.rows`, { axis: int(1) })
  // each chunk's nodes follow one another, so onnxruntime finishes a chunk (and frees its β) before the next
  const attendedRows = queryChunks.map((q, i) => {
    const at = chunks === 1 ? '' : `[${i * rows}:${(i + 1) * rows}]`
    const beta = e.g.op('Softmax', [e.g.matMul(q, keys, `${att.name}.θᵀφ${at}`)], `${att.name}.softmax${at}`, { axis: int(-1) })
    return e.g.matMul(beta, values, `${att.name}.βg${at}`) // [batch, rows, C/2]
  })
  const attendedAll = chunks === 1 ? attendedRows[0] : e.g.op('Concat', attendedRows, `${att.name}.βg[b,N,C/2]`, { axis: int(1) })
  const attended = e.g.reshape(
    e.g.transpose(attendedAll, [0, 2, 1], `${att.name}.βg[b,C/2,N]`),
    [0, C / 2, h, w],
    `${att.name}.βg[b,C/2,h,w]`,
  )
  const gamma = e.w.param(`${att.name}.gamma`)[0]
  const o = kernel(att.o).map((v) => gamma * v)
  const out = e.g.conv(attended, e.g.weight(`${att.name}.o.weight`, o, [C, C / 2, 1, 1]), undefined, 1, `${att.name}.o`)
  return e.g.add(x, out, att.name)
}
