// ajbrock/BigGAN-PyTorch checkpoints (G.pth / G_ema.pth / D.pth state dicts, optionally with state_dict.pth's
// `config` or a config.json of constructor arguments) → the engine's ModelConfig and G / D tensors (engine names,
// NHWC / HWIO layouts, float32), and back. Pure: tensors in, tensors out; torch.ts reads the bytes and the engine
// turns the tensors into variables.
//
// The architecture is read off the tensors: blocks → resolution, conv widths → ch, `linear.weight` → the z chunk,
// BN projection widths → hierarchical or not, `shared.weight` → classes and embedding width, `theta` → attention.
// Everything the two layouts disagree on is one row of a table (generatorTensors / discriminatorTensors): the torch
// key, the engine name, the torch shape and one layout transform, each row checked (presence, shape, finiteness).
//
// BigGAN-PyTorch's spectral norm keeps u (`u0` [1, out]) and the last σ (`sv0`), not v, and its eval mode still
// runs one power step from u0; the imported config says so (spectralNormInference 'power-step'), which makes eval
// reproduce BigGAN-PyTorch exactly. v, which the engine's 'stored' inference would use, is derived as
// normalize(W_matᵀ u0), the next power step's v.
import { bigganDiscriminatorTable, bigganGeneratorTable, type DiscriminatorRow, type GeneratorRow } from '../../engine/arch'
import { bigganDefaults, type ModelConfig } from '../../engine/config'
import { fromFloat32, toFloat32, weightValues } from '../../tensors/convert.ts'
import { CheckpointError } from '../../tensors/errors.ts'
import type { ReadOptions } from '../cancel'
import type { TensorMap } from '../../tensors/tensor.ts'

// ─── layouts ─────────────────────────────────────────────────────────────────────────────────────────────────────

/** How one torch tensor becomes one engine tensor. Every layout is a permutation of the elements (or none). */
export type Layout =
  /** same elements in the same order; the shape may differ ([1, out] u0 → [out]; a 0-d gamma → [1]) */
  | { kind: 'reshape'; engineShape: number[] }
  /** nn.Linear [out, in] → [in, out] */
  | { kind: 'linear' }
  /** nn.Conv2d [out, in, kh, kw] → HWIO [kh, kw, in, out] */
  | { kind: 'conv' }
  /** G's first linear [C·b·b, in]: rows in NCHW order (c, h, w) → columns in NHWC order (h, w, c), transposed */
  | { kind: 'linearToNhwc'; channels: number; width: number }
  /** a vector over G's first linear's outputs (its bias, its u0): (c, h, w) order → (h, w, c) */
  | { kind: 'vectorToNhwc'; channels: number; width: number }
  /** a conditional BN projection [C, sharedDim + zChunk] with input columns [emb, z_i] → [zChunk + sharedDim, C]
   *  with input rows [z_i, emb] (the engine's, TF-Hub's order) */
  | { kind: 'bnProjection'; sharedDim: number }

/** For each engine element (in C order), the index of the torch element it comes from. */
function gatherIndex(layout: Layout, torchShape: readonly number[]): Int32Array {
  const n = torchShape.reduce((a, b) => a * b, 1)
  const index = new Int32Array(n)
  switch (layout.kind) {
    case 'reshape':
      for (let i = 0; i < n; i++) index[i] = i
      return index
    case 'linear': {
      const [out, inF] = torchShape
      for (let i = 0; i < inF; i++) for (let o = 0; o < out; o++) index[i * out + o] = o * inF + i
      return index
    }
    case 'conv': {
      const [out, inC, kh, kw] = torchShape
      let e = 0
      for (let y = 0; y < kh; y++) {
        for (let x = 0; x < kw; x++) {
          for (let i = 0; i < inC; i++) {
            for (let o = 0; o < out; o++) index[e++] = ((o * inC + i) * kh + y) * kw + x
          }
        }
      }
      return index
    }
    case 'linearToNhwc': {
      const [rows, inF] = torchShape
      const nhwcToNchw = nhwcOrder(layout.channels, layout.width)
      for (let i = 0; i < inF; i++) for (let r = 0; r < rows; r++) index[i * rows + r] = nhwcToNchw[r] * inF + i
      return index
    }
    case 'vectorToNhwc':
      return nhwcOrder(layout.channels, layout.width)
    case 'bnProjection': {
      const [channels, width] = torchShape
      const zChunk = width - layout.sharedDim
      for (let j = 0; j < width; j++) {
        const torchColumn = j < zChunk ? layout.sharedDim + j : j - zChunk
        for (let c = 0; c < channels; c++) index[j * channels + c] = c * width + torchColumn
      }
      return index
    }
  }
}

/** For each NHWC-flattened position (h·w + x)·C + c, the NCHW-flattened position (c·w + h)·w + x. */
function nhwcOrder(channels: number, width: number): Int32Array {
  const index = new Int32Array(channels * width * width)
  let e = 0
  for (let y = 0; y < width; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) index[e++] = (c * width + y) * width + x
    }
  }
  return index
}

export function engineShape(layout: Layout, torchShape: readonly number[]): number[] {
  switch (layout.kind) {
    case 'reshape':
      return [...layout.engineShape]
    case 'linear':
    case 'bnProjection':
      return [torchShape[1], torchShape[0]]
    case 'conv':
      return [torchShape[2], torchShape[3], torchShape[1], torchShape[0]]
    case 'linearToNhwc':
      return [torchShape[1], torchShape[0]]
    case 'vectorToNhwc':
      return [layout.channels * layout.width * layout.width]
  }
}

function toEngineLayout(layout: Layout, torchShape: readonly number[], data: Float32Array): Float32Array {
  const index = gatherIndex(layout, torchShape)
  const out = new Float32Array(index.length)
  for (let e = 0; e < index.length; e++) out[e] = data[index[e]]
  return out
}

function toTorchLayout(layout: Layout, torchShape: readonly number[], data: Float32Array): Float32Array {
  const index = gatherIndex(layout, torchShape)
  const out = new Float32Array(index.length)
  for (let e = 0; e < index.length; e++) out[index[e]] = data[e]
  return out
}

/** One tensor's values in torch layout → engine layout (for tensors that follow a weight's layout: its gradient,
 *  its Adam moments in G_optim.pth / D_optim.pth). */
export function rowToEngine(row: TensorRow, values: Float32Array): Float32Array {
  return toEngineLayout(row.layout, row.torchShape, values)
}

// ─── the name tables ─────────────────────────────────────────────────────────────────────────────────────────────

/** One tensor of a BigGAN-PyTorch state dict and where it lives in the engine. */
export interface TensorRow {
  torch: string
  engine: string
  torchShape: number[]
  layout: Layout
}

/** A spectrally normalised layer's v: not in the state dict, derived from the engine weight and u at import. */
export interface DerivedV {
  engine: string
  /** engine names of the layer's weight and u */
  weight: string
  u: string
  /** W_mat's rows: outputs last (conv HWIO, linear [in, out]) or first (embedding [classes, dim]) */
  outputsFirst: boolean
  out: number
  fanIn: number
}

export interface NetworkTable {
  rows: TensorRow[]
  derived: DerivedV[]
}

const vector = (n: number): Layout => ({ kind: 'reshape', engineShape: [n] })

/** BigGAN-PyTorch's SN class: the layer's own tensors plus `u0` [1, out] and `sv0` [1]; the engine's u, v, σ. */
function spectralNormRows(
  t: NetworkTable, torch: string, engine: string, out: number, fanIn: number, outputsFirst = false,
): void {
  t.rows.push(
    { torch: `${torch}.u0`, engine: `${engine}.u`, torchShape: [1, out], layout: vector(out) },
    { torch: `${torch}.sv0`, engine: `${engine}.sigma`, torchShape: [1], layout: vector(1) },
  )
  t.derived.push({ engine: `${engine}.v`, weight: `${engine}.weight`, u: `${engine}.u`, outputsFirst, out, fanIn })
}

function snConv(t: NetworkTable, torch: string, engine: string, inC: number, outC: number, k: number, bias: boolean): void {
  t.rows.push({ torch: `${torch}.weight`, engine: `${engine}.weight`, torchShape: [outC, inC, k, k], layout: { kind: 'conv' } })
  if (bias) t.rows.push({ torch: `${torch}.bias`, engine: `${engine}.bias`, torchShape: [outC], layout: vector(outC) })
  spectralNormRows(t, torch, engine, outC, inC * k * k)
}

function snLinear(t: NetworkTable, torch: string, engine: string, inF: number, outF: number, weight: Layout, bias: boolean): void {
  t.rows.push({ torch: `${torch}.weight`, engine: `${engine}.weight`, torchShape: [outF, inF], layout: weight })
  if (bias) t.rows.push({ torch: `${torch}.bias`, engine: `${engine}.bias`, torchShape: [outF], layout: vector(outF) })
  spectralNormRows(t, torch, engine, outF, inF)
}

function attention(t: NetworkTable, torch: string, engine: string, c: number): void {
  snConv(t, `${torch}.theta`, `${engine}.theta`, c, c / 8, 1, false)
  snConv(t, `${torch}.phi`, `${engine}.phi`, c, c / 8, 1, false)
  snConv(t, `${torch}.g`, `${engine}.g`, c, c / 2, 1, false)
  snConv(t, `${torch}.o`, `${engine}.o`, c / 2, c, 1, false)
  t.rows.push({ torch: `${torch}.gamma`, engine: `${engine}.gamma`, torchShape: [], layout: vector(1) })
}

/** ccbn with norm_style 'bn': stored statistics [C] (one engine row) and SN-linear gain / bias projections. */
function conditionalBatchNorm(t: NetworkTable, torch: string, engine: string, c: number, condDim: number, sharedDim: number): void {
  const statistics: Layout = { kind: 'reshape', engineShape: [1, c] }
  t.rows.push(
    { torch: `${torch}.stored_mean`, engine: `${engine}.mean`, torchShape: [c], layout: statistics },
    { torch: `${torch}.stored_var`, engine: `${engine}.var`, torchShape: [c], layout: statistics },
  )
  const projection: Layout = { kind: 'bnProjection', sharedDim }
  snLinear(t, `${torch}.gain`, `${engine}.gain`, condDim, c, projection, false)
  snLinear(t, `${torch}.bias`, `${engine}.bias`, condDim, c, projection, false)
}

/** Every tensor of a BigGAN-PyTorch Generator (G_shared, norm_style 'bn', one singular value) for `config`. */
export function generatorTensors(config: ModelConfig): NetworkTable {
  const t: NetworkTable = { rows: [], derived: [] }
  const { rows, bottomWidth } = bigganGeneratorTable(config)
  const chunks = config.hierarchical ? rows.length + 1 : 1
  const zChunk = config.zDim / chunks
  const condDim = config.sharedDim + (config.hierarchical ? zChunk : 0)
  const first = rows[0].inChannels
  const linearOut = first * bottomWidth * bottomWidth

  t.rows.push({
    torch: 'shared.weight', engine: 'G.sharedEmbedding.weight', torchShape: [config.numClasses, config.sharedDim],
    layout: { kind: 'reshape', engineShape: [config.numClasses, config.sharedDim] },
  })
  // BigGAN-PyTorch views the linear's outputs as NCHW [C, 4, 4], the engine as NHWC [4, 4, C]
  const nhwcRows: Layout = { kind: 'linearToNhwc', channels: first, width: bottomWidth }
  const nhwcVector: Layout = { kind: 'vectorToNhwc', channels: first, width: bottomWidth }
  t.rows.push(
    { torch: 'linear.weight', engine: 'G.linear.weight', torchShape: [linearOut, zChunk], layout: nhwcRows },
    { torch: 'linear.bias', engine: 'G.linear.bias', torchShape: [linearOut], layout: nhwcVector },
    { torch: 'linear.u0', engine: 'G.linear.u', torchShape: [1, linearOut], layout: nhwcVector },
    { torch: 'linear.sv0', engine: 'G.linear.sigma', torchShape: [1], layout: vector(1) },
  )
  t.derived.push({ engine: 'G.linear.v', weight: 'G.linear.weight', u: 'G.linear.u', outputsFirst: false, out: linearOut, fanIn: zChunk })

  rows.forEach((row: GeneratorRow, i) => {
    const torch = `blocks.${i}.0`
    const engine = `G.blocks.${i}`
    snConv(t, `${torch}.conv1`, `${engine}.conv1`, row.inChannels, row.outChannels, 3, true)
    snConv(t, `${torch}.conv2`, `${engine}.conv2`, row.outChannels, row.outChannels, 3, true)
    snConv(t, `${torch}.conv_sc`, `${engine}.shortcut`, row.inChannels, row.outChannels, 1, true)
    conditionalBatchNorm(t, `${torch}.bn1`, `${engine}.bn1`, row.inChannels, condDim, config.sharedDim)
    conditionalBatchNorm(t, `${torch}.bn2`, `${engine}.bn2`, row.outChannels, condDim, config.sharedDim)
    if (row.attention) attention(t, `blocks.${i}.1`, `G.attention${row.resolution}`, row.outChannels)
  })

  const last = rows[rows.length - 1].outChannels
  const channel = vector(last)
  const statistics: Layout = { kind: 'reshape', engineShape: [1, last] }
  t.rows.push(
    { torch: 'output_layer.0.gain', engine: 'G.outputBn.gain', torchShape: [last], layout: channel },
    { torch: 'output_layer.0.bias', engine: 'G.outputBn.bias', torchShape: [last], layout: channel },
    { torch: 'output_layer.0.stored_mean', engine: 'G.outputBn.mean', torchShape: [last], layout: statistics },
    { torch: 'output_layer.0.stored_var', engine: 'G.outputBn.var', torchShape: [last], layout: statistics },
  )
  snConv(t, 'output_layer.2', 'G.toRgb', last, 3, 3, true)
  return t
}

/** Every tensor of a BigGAN-PyTorch Discriminator (D_wide, one singular value) for `config`. */
export function discriminatorTensors(config: ModelConfig): NetworkTable {
  const t: NetworkTable = { rows: [], derived: [] }
  const rows = bigganDiscriminatorTable(config)
  rows.forEach((row: DiscriminatorRow, i) => {
    const torch = `blocks.${i}.0`
    const engine = `D.blocks.${i}`
    snConv(t, `${torch}.conv1`, `${engine}.conv1`, row.inChannels, row.outChannels, 3, true)
    snConv(t, `${torch}.conv2`, `${engine}.conv2`, row.outChannels, row.outChannels, 3, true)
    if (row.inChannels !== row.outChannels || row.downsample) {
      snConv(t, `${torch}.conv_sc`, `${engine}.shortcut`, row.inChannels, row.outChannels, 1, true)
    }
    if (row.attention) attention(t, `blocks.${i}.1`, `D.attention${row.resolution}`, row.outChannels)
  })
  const width = rows[rows.length - 1].outChannels
  snLinear(t, 'linear', 'D.linear', width, 1, { kind: 'linear' }, true)
  t.rows.push({
    torch: 'embed.weight', engine: 'D.embedding.weight', torchShape: [config.numClasses, width],
    layout: { kind: 'reshape', engineShape: [config.numClasses, width] },
  })
  spectralNormRows(t, 'embed', 'D.embedding', config.numClasses, width, true)
  return t
}

// ─── architecture from the tensors ───────────────────────────────────────────────────────────────────────────────

export interface BigganPytorchSource {
  /** a state dict as readTorchCheckpoint(...).tensors gives it */
  tensors: TensorMap
  /** the file it came from, for messages */
  file: string
}

export interface BigganPytorchInput extends ReadOptions {
  /** G.pth or G_ema.pth */
  G: BigganPytorchSource
  /** D.pth */
  D?: BigganPytorchSource
  /** the constructor arguments: a config.json {generator: {…}, discriminator: {…}} (parseJson's Maps or a plain
   *  object), or state_dict.pth's flat `config` dict (pickledToPlain). Only the epsilons are read from it; the
   *  rest is checked against the tensors. Absent: BigGAN-PyTorch's ImageNet defaults (BN 1e-5, SN 1e-6). */
  config?: { value: unknown; file: string }
}

export interface BigganPytorchImport {
  config: ModelConfig
  provenance: { source: 'import:biggan-pytorch'; from: string; notes: string }
  G: TensorMap
  D?: TensorMap
}

const keyPattern = (suffix: string): RegExp => new RegExp(`^blocks\\.(\\d+)\\.${suffix.replace(/\./g, '\\.')}$`)

function blockIndices(tensors: TensorMap, suffix: string): number[] {
  const pattern = keyPattern(suffix)
  return [...tensors.keys()].flatMap((k) => {
    const m = pattern.exec(k)
    return m ? [Number(m[1])] : []
  }).sort((a, b) => a - b)
}

function shapeOf(src: BigganPytorchSource, key: string, rank: number, why: string): number[] {
  const t = src.tensors.get(key)
  if (!t) throw new CheckpointError('missing-key', `absent from the state dict; ${why}`, src.file, key)
  if (t.shape.length !== rank) {
    throw new CheckpointError('shape-mismatch', `has shape [${t.shape}], expected ${rank} dimensions`, src.file, key)
  }
  return t.shape
}

function unsupported(src: BigganPytorchSource, message: string, key?: string): CheckpointError {
  return new CheckpointError('unsupported', message, src.file, key)
}

/** A field of a config object, whether it came from parseJson (Maps) or pickledToPlain (plain objects). */
function field(obj: unknown, key: string): unknown {
  if (obj instanceof Map) return obj.get(key)
  if (typeof obj === 'object' && obj !== null && Object.hasOwn(obj, key)) return (obj as Record<string, unknown>)[key]
  return undefined
}

interface Epsilons {
  bnEps: number
  snEps: number
  from: 'config' | 'defaults'
}

function epsilons(config: BigganPytorchInput['config']): Epsilons {
  if (!config) return { bnEps: bigganDefaults.bnEps, snEps: bigganDefaults.snEps, from: 'defaults' }
  const generator = field(config.value, 'generator') ?? config.value
  const read = (key: string, fallback: number): number => {
    const v = field(generator, key)
    if (v === undefined) return fallback
    if (typeof v !== 'number' || !(v > 0) || !(v < 1)) {
      throw new CheckpointError('bad-header', `config field '${key}' must be a number in (0, 1), got ${JSON.stringify(v)}`, config.file)
    }
    return v
  }
  return { bnEps: read('BN_eps', bigganDefaults.bnEps), snEps: read('SN_eps', bigganDefaults.snEps), from: 'config' }
}

/** Reads the generator's architecture off its tensors. */
function generatorArchitecture(src: BigganPytorchSource, eps: Epsilons): ModelConfig {
  if (!src.tensors.has('shared.weight')) {
    throw unsupported(src, 'no shared.weight: only generators with a shared class embedding (G_shared) are supported', 'shared.weight')
  }
  if ([...src.tensors.keys()].some((k) => /\.bn\d?\.bn\.|\.u1$|\.sv1$/.test(k))) {
    throw unsupported(src, 'the generator uses mybn/cross-replica BN or tracks several singular values; ' +
      'only the default BigGAN-PyTorch settings (norm_style bn, num_G_SVs 1) are supported')
  }
  const blocks = blockIndices(src.tensors, '0.conv1.weight')
  if (blocks.length === 0 || blocks.some((b, i) => b !== i)) {
    throw unsupported(src, `generator blocks ${JSON.stringify(blocks)} are not 0..n−1; is this a BigGAN-PyTorch G state dict?`)
  }
  const resolution = 4 * 2 ** blocks.length
  const [numClasses, sharedDim] = shapeOf(src, 'shared.weight', 2, 'the generator needs its shared embedding')
  const [, zChunk] = shapeOf(src, 'linear.weight', 2, 'the generator needs its first linear layer')
  const [, blockIn] = shapeOf(src, 'blocks.0.0.conv1.weight', 4, 'the generator needs its first block')
  const [, condDim] = shapeOf(src, 'blocks.0.0.bn1.gain.weight', 2, 'the generator needs its conditional BatchNorm')
  const hierarchical = condDim === sharedDim + zChunk
  if (!hierarchical && condDim !== sharedDim) {
    throw new CheckpointError(
      'shape-mismatch', `BN projections take ${condDim} inputs: neither the shared embedding (${sharedDim}) nor ` +
        `embedding + z chunk (${sharedDim} + ${zChunk})`, src.file, 'blocks.0.0.bn1.gain.weight',
    )
  }
  const base: ModelConfig = {
    arch: 'biggan', resolution, gChannels: 1, dChannels: 0, zDim: hierarchical ? zChunk * (blocks.length + 1) : zChunk,
    sharedDim, numClasses, hierarchical, gAttention: [], dAttention: [], bnEps: eps.bnEps, snEps: eps.snEps, nStats: 1,
    toRgbChannels: 3, spectralNormInference: 'power-step', statsMode: 'hf',
  }
  const multipliers = table(src, () => bigganGeneratorTable(base).rows)
  const gChannels = blockIn / multipliers[0].inChannels
  if (!Number.isInteger(gChannels) || gChannels < 1) {
    throw new CheckpointError('shape-mismatch', `first block takes ${blockIn} channels, not a multiple of ` +
      `${multipliers[0].inChannels}·ch as the ${resolution}-px table says`, src.file, 'blocks.0.0.conv1.weight')
  }
  const gAttention = blockIndices(src.tensors, '1.theta.weight').map((b) => {
    if (b >= multipliers.length) throw unsupported(src, `attention after block ${b}, which does not exist`, `blocks.${b}.1.theta.weight`)
    return multipliers[b].resolution
  })
  return { ...base, gChannels, gAttention }
}

/** Reads the discriminator's width and attention off its tensors, for G's resolution. */
function discriminatorArchitecture(src: BigganPytorchSource, g: ModelConfig): Pick<ModelConfig, 'dChannels' | 'dAttention'> {
  if ([...src.tensors.keys()].some((k) => /\.u1$|\.sv1$/.test(k))) {
    throw unsupported(src, 'the discriminator tracks several singular values; only num_D_SVs 1 is supported')
  }
  const multipliers = table(src, () => bigganDiscriminatorTable({ ...g, dChannels: 1, dAttention: [] }))
  const blocks = blockIndices(src.tensors, '0.conv1.weight')
  if (blocks.length !== multipliers.length || blocks.some((b, i) => b !== i)) {
    throw unsupported(src, `discriminator blocks ${JSON.stringify(blocks)}: the ${g.resolution}-px BigGAN-PyTorch D ` +
      `(the generator's resolution) has ${multipliers.length}`)
  }
  const [blockOut] = shapeOf(src, 'blocks.0.0.conv1.weight', 4, 'the discriminator needs its first block')
  const dChannels = blockOut / multipliers[0].outChannels
  if (!Number.isInteger(dChannels) || dChannels < 1) {
    throw new CheckpointError('shape-mismatch', `first block gives ${blockOut} channels, not a multiple of ` +
      `${multipliers[0].outChannels}·ch`, src.file, 'blocks.0.0.conv1.weight')
  }
  const dAttention = blockIndices(src.tensors, '1.theta.weight').map((b) => {
    if (b >= multipliers.length) throw unsupported(src, `attention after block ${b}, which does not exist`, `blocks.${b}.1.theta.weight`)
    return multipliers[b].resolution
  })
  return { dChannels, dAttention }
}

function table<T>(src: BigganPytorchSource, build: () => T): T {
  try {
    return build()
  } catch (e) {
    throw unsupported(src, (e as Error).message)
  }
}

// ─── import and export ───────────────────────────────────────────────────────────────────────────────────────────

/** Converts one network's state dict through its table; every key must be a row and every row present. */
function importNetwork(src: BigganPytorchSource, t: NetworkTable, snEps: number, options: ReadOptions): TensorMap {
  const known = new Set(t.rows.map((r) => r.torch))
  for (const key of src.tensors.keys()) {
    if (!known.has(key)) {
      throw new CheckpointError('unknown-key', 'not part of the BigGAN-PyTorch network its other tensors describe', src.file, key)
    }
  }
  const out: TensorMap = new Map()
  const values = new Map<string, Float32Array>()
  for (const row of t.rows) {
    options.checkCancelled?.()
    const raw = src.tensors.get(row.torch)
    if (!raw) throw new CheckpointError('missing-key', 'absent from the state dict, which its other tensors say it needs', src.file, row.torch)
    if (raw.shape.length !== row.torchShape.length || raw.shape.some((d, i) => d !== row.torchShape[i])) {
      throw new CheckpointError('shape-mismatch', `has shape [${raw.shape}] but the architecture read from the other ` +
        `tensors needs [${row.torchShape}]`, src.file, row.torch)
    }
    const data = weightValues(raw, src.file, row.torch)
    const engine = toEngineLayout(row.layout, row.torchShape, data)
    values.set(row.engine, engine)
    out.set(row.engine, fromFloat32(engineShape(row.layout, row.torchShape), engine))
  }
  for (const d of t.derived) {
    out.set(d.engine, fromFloat32([d.fanIn], derivedV(d, values.get(d.weight)!, values.get(d.u)!, snEps)))
  }
  return out
}

/** v = normalize(W_matᵀ u) in the engine's fanIn order, in float64; normalize(x) = x / max(‖x‖, eps). */
function derivedV(d: DerivedV, weight: Float32Array, u: Float32Array, eps: number): Float32Array {
  const v = new Float64Array(d.fanIn)
  for (let o = 0; o < d.out; o++) {
    for (let f = 0; f < d.fanIn; f++) v[f] += (d.outputsFirst ? weight[o * d.fanIn + f] : weight[f * d.out + o]) * u[o]
  }
  const norm = Math.max(Math.sqrt(v.reduce((s, x) => s + x * x, 0)), eps)
  return Float32Array.from(v, (x) => x / norm)
}

/** BigGAN-PyTorch state dicts → engine config and tensors. Throws CheckpointError naming the file and tensor. */
export function importBigganPytorch(input: BigganPytorchInput): BigganPytorchImport {
  const eps = epsilons(input.config)
  let config = generatorArchitecture(input.G, eps)
  if (input.D) config = { ...config, ...discriminatorArchitecture(input.D, config) }
  const G = importNetwork(input.G, generatorTensors(config), config.snEps, input)
  const D = input.D ? importNetwork(input.D, discriminatorTensors(config), config.snEps, input) : undefined
  const files = [input.G.file, input.D?.file, input.config?.file].filter((f): f is string => f !== undefined)
  return {
    config,
    provenance: {
      source: 'import:biggan-pytorch',
      from: files.join(', '),
      notes: `epsilons from ${eps.from === 'config' ? input.config!.file : "BigGAN-PyTorch's ImageNet defaults"} ` +
        `(BN ${config.bnEps}, SN ${config.snEps}); spectral-norm v derived from u0`,
    },
    G,
    ...(D ? { D } : {}),
  }
}

/** Engine tensors → BigGAN-PyTorch state dicts (the inverse of importBigganPytorch; v is dropped, as torch has
 *  none). Needs one row of BatchNorm statistics (nStats 1), as BigGAN-PyTorch keeps. */
export function exportBigganPytorch(
  config: ModelConfig, G: TensorMap, D?: TensorMap,
): { G: TensorMap; D?: TensorMap } {
  if (config.arch !== 'biggan') throw new CheckpointError('unsupported', `cannot export ${config.arch} as BigGAN-PyTorch`)
  if (config.nStats !== 1) {
    throw new CheckpointError('unsupported', `BigGAN-PyTorch keeps one row of BatchNorm statistics, the model has ${config.nStats}`)
  }
  const exportNetwork = (t: NetworkTable, tensors: TensorMap, what: string): TensorMap => {
    const out: TensorMap = new Map()
    for (const row of t.rows) {
      const raw = tensors.get(row.engine)
      if (!raw) throw new CheckpointError('missing-key', `the ${what} to export lacks it`, undefined, row.engine)
      const shape = engineShape(row.layout, row.torchShape)
      if (raw.shape.length !== shape.length || raw.shape.some((d, i) => d !== shape[i])) {
        throw new CheckpointError('shape-mismatch', `has shape [${raw.shape}], the config needs [${shape}]`, undefined, row.engine)
      }
      out.set(row.torch, fromFloat32(row.torchShape, toTorchLayout(row.layout, row.torchShape, toFloat32(raw))))
    }
    return out
  }
  const g = exportNetwork(generatorTensors(config), G, 'generator')
  if (!D) return { G: g }
  if (config.dSkipAfterReLU) {
    throw new CheckpointError('unsupported', "the discriminator takes its skip path from ReLU(x) (StudioGAN's); " +
      "BigGAN-PyTorch's takes it from x, so the same weights would score differently. Export the generator alone")
  }
  return { G: g, D: exportNetwork(discriminatorTensors(config), D, 'discriminator') }
}
