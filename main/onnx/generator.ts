// G as an ONNX graph, for both families, read top to bottom like networks/biggan.ts and networks/bigganDeep.ts.
//
// Inputs:  z [batch, zDim], y [batch, numClasses] (one-hot or a soft class mix), and where the model has per-
//          truncation BatchNorm statistics, stats_weights [1, nStats] (statsRows(ψ) spread over the rows).
// Output:  image [batch, R, R, 3] in [−1, 1], NHWC like model.generate. Inside, NCHW (what onnxruntime's convs
//          want): the first linear's columns are permuted at export so its output reshapes straight to NCHW, and
//          the image is transposed once at the end.
import { bigganDeepGeneratorTable, bigganGeneratorTable } from '../engine/arch.ts'
import type { ModelConfig } from '../engine/config.ts'
import { SelfAttention } from '../engine/layers/attention.ts'
import type { BigGANGenerator } from '../engine/networks/biggan.ts'
import type { BigGANDeepGenerator } from '../engine/networks/bigganDeep.ts'
import type { Generator } from '../engine/networks/index.ts'
import { int, type GraphBuilder } from './graph.ts'
import { generatorInputs, generatorOutput } from './io.ts'
import { batchNorm, conditionalBatchNorm, conditioning, selfAttention, snConv, type Export } from './layers.ts'
import { nhwcColumnsToNchw, nhwcToNchwVector, type Weights } from './weights.ts'

/** Adds G's inputs, layers and output to `g`. */
export function buildGenerator(g: GraphBuilder, G: Generator, config: ModelConfig, w: Weights): void {
  const z = g.input(generatorInputs.z, 'float', ['batch', config.zDim])
  const y = g.input(generatorInputs.y, 'float', ['batch', config.numClasses])
  const e: Export = { g, w }
  if (config.nStats > 1) e.statsWeights = g.input(generatorInputs.statsWeights, 'float', [1, config.nStats])
  const nchw = config.arch === 'biggan' ? bigganGenerator(e, G as BigGANGenerator, config, z, y) : deepGenerator(e, G as BigGANDeepGenerator, config, z, y)
  const R = config.resolution
  g.output(g.transpose(nchw, [0, 2, 3, 1], 'G.image[b,R,R,3]'), generatorOutput, 'float', ['batch', R, R, 3])
}

/** The shared class embedding: y · E, [batch, sharedDim] (no spectral norm). */
function sharedEmbedding(e: Export, G: BigGANGenerator | BigGANDeepGenerator, y: string): string {
  const { name, numClasses, dim } = G.sharedEmbedding
  return e.g.matMul(y, e.g.weight(`${name}.weight`, e.w.param(`${name}.weight`), [numClasses, dim]), name)
}

/** G's first linear, to the NCHW map [batch, C, bottom, bottom]. */
function bottomMap(e: Export, G: BigGANGenerator | BigGANDeepGenerator, x: string, bottom: number, channels: number): string {
  const { linear } = G
  const positions = bottom * bottom
  const W = nhwcColumnsToNchw(e.w.normalised(linear), linear.inFeatures, positions, channels)
  const b = nhwcToNchwVector(e.w.param(`${linear.name}.bias`), positions, channels)
  const weight = e.g.weight(`${linear.name}.weight`, W, [linear.inFeatures, linear.outFeatures])
  const out = e.g.op('Gemm', [x, weight, e.g.weight(`${linear.name}.bias`, b, [linear.outFeatures])], linear.name)
  return e.g.reshape(out, [-1, channels, bottom, bottom], `${linear.name}[b,C,4,4]`)
}

/** The output stage: BN → ReLU → SN conv3×3 (only the 3 channels G keeps) → tanh. */
function toImage(e: Export, G: BigGANGenerator | BigGANDeepGenerator, h: string): string {
  const rgb = snConv(e, G.toRgb, e.g.relu(batchNorm(e, G.outputBn, h), `${G.outputBn.name}.relu`), 3)
  return e.g.op('Tanh', [rgb], 'G.tanh')
}

// ───────────────────────────────────────────── BigGAN ─────────────────────────────────────────────

/** Hierarchical z: chunk 0 feeds the linear, chunk i ≥ 1 joins the embedding as block i's c = [z_i, e]. ResBlocks
 *  up (BN → ReLU → up → conv3×3 → BN → ReLU → conv3×3, skip up → conv1×1), attention after its block. */
function bigganGenerator(e: Export, G: BigGANGenerator, config: ModelConfig, z: string, y: string): string {
  const { g } = e
  const table = bigganGeneratorTable(config)
  const embedding = sharedEmbedding(e, G, y)
  const chunk = config.zDim / G.chunks
  const zs = G.chunks > 1 ? g.opMulti('Split', [z, g.int64s(new Array(G.chunks).fill(chunk))], G.chunks, 'G.z.chunks', { axis: int(1) }) : [z]
  let h = bottomMap(e, G, zs[0], table.bottomWidth, table.rows[0].inChannels)
  let size = table.bottomWidth
  let block = 0
  for (const layer of G.layers) {
    if (layer instanceof SelfAttention) {
      h = selfAttention(e, layer, h, size, size)
      continue
    }
    const c = config.hierarchical ? g.op('Concat', [zs[block + 1], embedding], `${layer.name}.c`, { axis: int(1) }) : embedding
    const cond = conditioning(e, c, [layer.bn1, layer.bn2], `${layer.name}.conditioning`)
    let a = g.relu(conditionalBatchNorm(e, layer.bn1, h, cond.get(layer.bn1)!), `${layer.bn1.name}.relu`)
    a = snConv(e, layer.conv1, g.upsampleNearest2x(a, `${layer.name}.up`))
    a = snConv(e, layer.conv2, g.relu(conditionalBatchNorm(e, layer.bn2, a, cond.get(layer.bn2)!), `${layer.bn2.name}.relu`))
    // a 1×1 conv commutes with nearest upsampling (the same products per pixel): convolve the small map
    const skip = g.upsampleNearest2x(snConv(e, layer.shortcut, h), `${layer.shortcut.name}.up`)
    h = g.add(a, skip, layer.name)
    size *= 2
    block++
  }
  return toImage(e, G, h)
}

// ───────────────────────────────────────────── BigGAN-deep ─────────────────────────────────────────────

/** c = [z, E·y] feeds the linear and every BN. Bottleneck blocks (BN → ReLU → conv1×1 → BN → ReLU → [up] →
 *  conv3×3 → BN → ReLU → conv3×3 → BN → ReLU → conv1×1; skip: the first `out` channels, [up]), attention at 64. */
function deepGenerator(e: Export, G: BigGANDeepGenerator, config: ModelConfig, z: string, y: string): string {
  const { g } = e
  const table = bigganDeepGeneratorTable(config)
  const c = g.op('Concat', [z, sharedEmbedding(e, G, y)], 'G.c', { axis: int(1) })
  const blocks = G.layers.filter((l) => !(l instanceof SelfAttention)) as Exclude<(typeof G.layers)[number], SelfAttention>[]
  const cond = conditioning(e, c, blocks.flatMap((b) => [b.bn0, b.bn1, b.bn2, b.bn3]), 'G.conditioning')
  let h = bottomMap(e, G, c, table.bottomWidth, table.rows[0].inChannels)
  let size = table.bottomWidth
  for (const layer of G.layers) {
    if (layer instanceof SelfAttention) {
      h = selfAttention(e, layer, h, size, size)
      continue
    }
    const { row, name } = layer
    const up = (t: string, what: string): string => (row.upsample ? g.upsampleNearest2x(t, `${name}.${what}.up`) : t)
    const bnRelu = (bn: typeof layer.bn0, t: string): string => g.relu(conditionalBatchNorm(e, bn, t, cond.get(bn)!), `${bn.name}.relu`)
    let a = snConv(e, layer.conv0, bnRelu(layer.bn0, h)) // [batch, mid, size, size]
    a = snConv(e, layer.conv1, up(bnRelu(layer.bn1, a), 'conv1'))
    a = snConv(e, layer.conv2, bnRelu(layer.bn2, a))
    a = snConv(e, layer.conv3, bnRelu(layer.bn3, a)) // [batch, out, size·s, size·s]
    const kept = row.outChannels === row.inChannels ? h : g.slice(h, 1, 0, row.outChannels, `${name}.skip.channels`)
    h = g.add(a, up(kept, 'skip'), name)
    if (row.upsample) size *= 2
  }
  return toImage(e, G, h)
}
