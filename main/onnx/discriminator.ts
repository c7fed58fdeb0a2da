// D as an ONNX graph, for both families, read top to bottom like the discriminators in main/engine/networks.
//
// Inputs:  x [batch, R, R, 3] NHWC in [−1, 1] (transposed once to NCHW), y [batch, numClasses].
// Outputs: logits [batch] = w·h + b + ⟨E y, h⟩ (the projection discriminator), and features h [batch, C] =
//          Σ_{x,y} ReLU(blocks(x)), the pooled features the head scores.
import { SelfAttention } from '../engine/layers/attention.ts'
import type { SNEmbedding } from '../engine/layers/embedding.ts'
import type { SNLinear } from '../engine/layers/linear.ts'
import type { ModelConfig } from '../engine/config.ts'
import type { BigGANDiscriminator } from '../engine/networks/biggan.ts'
import type { BigGANDeepDiscriminator } from '../engine/networks/bigganDeep.ts'
import type { Discriminator } from '../engine/networks/index.ts'
import { int, type GraphBuilder } from './graph.ts'
import { discriminatorInputs, discriminatorOutputs } from './io.ts'
import { selfAttention, snConv, snLinear, type Export } from './layers.ts'
import type { Weights } from './weights.ts'

export function buildDiscriminator(g: GraphBuilder, D: Discriminator, config: ModelConfig, w: Weights): void {
  const R = config.resolution
  const x = g.input(discriminatorInputs.x, 'float', ['batch', R, R, 3])
  const y = g.input(discriminatorInputs.y, 'float', ['batch', config.numClasses])
  const e: Export = { g, w }
  const nchw = g.transpose(x, [0, 3, 1, 2], 'D.x[b,3,R,R]')
  const h = config.arch === 'biggan' ? bigganFeatures(e, D as BigGANDiscriminator, nchw, R) : deepFeatures(e, D as BigGANDeepDiscriminator, nchw, R)
  const features = g.op('ReduceSum', [g.relu(h, 'D.relu'), g.int64s([2, 3])], 'D.sumPool', { keepdims: int(0) }) // [batch, C]
  const head = D as BigGANDiscriminator | BigGANDeepDiscriminator
  g.output(projectionHead(e, head.linear, head.embedding, features, y), discriminatorOutputs.logits, 'float', ['batch'])
  g.output(features, discriminatorOutputs.features, 'float', ['batch', head.linear.inFeatures])
}

/** w·h + b + ⟨E y, h⟩ → [batch] */
function projectionHead(e: Export, linear: SNLinear, embedding: SNEmbedding, h: string, y: string): string {
  const { g } = e
  const unconditional = g.reshape(snLinear(e, linear, h), [-1], `${linear.name}[b]`)
  const E = g.weight(`${embedding.name}.weight`, e.w.normalised(embedding), [embedding.numClasses, embedding.dim])
  const classVector = g.matMul(y, E, embedding.name) // [batch, C]
  const projection = g.op('ReduceSum', [g.mul(classVector, h, 'D.projection.product'), g.int64s([1])], 'D.projection', { keepdims: int(0) })
  return g.add(unconditional, projection, 'D.logits')
}

/** ResBlocks down ([ReLU] → conv3×3 → ReLU → conv3×3 → [avgpool]; skip conv1×1 before the pool, after it in the
 *  first block), attention after its block. */
function bigganFeatures(e: Export, D: BigGANDiscriminator, x: string, resolution: number): string {
  const { g } = e
  let h = x
  let size = resolution
  for (const layer of D.layers) {
    if (layer instanceof SelfAttention) {
      h = selfAttention(e, layer, h, size, size)
      continue
    }
    const { row, name } = layer
    const down = (t: string, what: string): string => (row.downsample ? g.avgPool2x2(t, `${name}.${what}.pool`) : t)
    const project = (t: string): string => (layer.shortcut ? snConv(e, layer.shortcut, t) : t)
    let a = snConv(e, layer.conv1, layer.preactivation ? g.relu(h, `${name}.relu0`) : h)
    a = down(snConv(e, layer.conv2, g.relu(a, `${name}.relu1`)), 'conv2')
    const skip = layer.preactivation ? down(project(h), 'skip') : project(down(h, 'skip'))
    h = g.add(a, skip, name)
    if (row.downsample) size /= 2
  }
  return h
}

/** Stem conv3×3, then bottleneck blocks (ReLU → 1×1 → ReLU → 3×3 → ReLU → 3×3 → ReLU → [pool] → 1×1; skip:
 *  [pool], widened by appending conv1×1 channels), attention after its block. */
function deepFeatures(e: Export, D: BigGANDeepDiscriminator, x: string, resolution: number): string {
  const { g } = e
  let h = snConv(e, D.stem, x)
  let size = resolution
  for (const layer of D.layers) {
    if (layer instanceof SelfAttention) {
      h = selfAttention(e, layer, h, size, size)
      continue
    }
    const { row, name } = layer
    const down = (t: string, what: string): string => (row.downsample ? g.avgPool2x2(t, `${name}.${what}.pool`) : t)
    let a = snConv(e, layer.conv0, g.relu(h, `${name}.relu0`))
    a = snConv(e, layer.conv1, g.relu(a, `${name}.relu1`))
    a = snConv(e, layer.conv2, g.relu(a, `${name}.relu2`))
    a = snConv(e, layer.conv3, down(g.relu(a, `${name}.relu3`), 'conv3'))
    let skip = down(h, 'skip')
    if (layer.shortcut) skip = g.op('Concat', [skip, snConv(e, layer.shortcut, skip)], `${name}.skip.widen`, { axis: int(1) })
    h = g.add(a, skip, name)
    if (row.downsample) size /= 2
  }
  return h
}
