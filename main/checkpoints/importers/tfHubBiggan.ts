// TF-Hub BigGAN generators (deepmind/biggan-128/256/512, version 2): the variables of the module's tensor bundle →
// the engine's ModelConfig and G tensors. Pure: tensors in, tensors out; tensorBundle.ts reads the bytes.
//
// The names and layouts are the ones BigGAN-PyTorch's TFHub/converter.py reads: the shared embedding `linear/w`,
// `Generator/G_Z/G_linear`, `Generator/GBlock[_i]/{conv0,conv1,conv_sc}` with `HyperBN[_1]/{gamma,beta}`
// projections and `CrossReplicaBN[_1]` accumulated statistics, `Generator/attention/{theta,phi,g,o_conv,gamma}`,
// `Generator/ScaledCrossReplicaBN` (statistics under `…BNbn`) and the to-RGB `Generator/conv_2d`. Weights, biases
// and BN gains come from their EMA copies (`…/ema_b999900`, what the module samples with) where present; spectral
// norm keeps u in `u0` and v in `u1`. TensorFlow's layouts are the engine's (HWIO convs, [in, out] linears, the first
// linear's outputs in NHWC order, BN projections taking [z_i, embedding]), so each row only checks the shape and
// drops singleton axes from vectors. At inference the module runs one power step from the stored u (the converter's
// port does the same), so the config says 'power-step'.
import { bigganGeneratorTable, type GeneratorRow } from '../../engine/arch'
import type { ModelConfig } from '../../engine/config'
import { fromFloat32, weightValues } from '../../tensors/convert.ts'
import { CheckpointError } from '../../tensors/errors.ts'
import type { ReadOptions } from '../cancel'
import type { TensorMap } from '../../tensors/tensor.ts'
import { numel } from '../../tensors/tensor.ts'

/** The suffix of the EMA copies in the BigGAN modules. */
export const emaSuffix = 'ema_b999900'
/** The module's epsilon for BatchNorm and for normalising the spectral-norm vectors. */
const hubEps = 1e-4

/** One variable of the module and where it lives in the engine. */
export interface HubRow {
  hub: string
  engine: string
  /** the engine's shape; a 'vector' row accepts the hub tensor with extra axes of size 1 */
  shape: number[]
  kind: 'weight' | 'vector'
  /** read `${hub}/${emaSuffix}` where the bundle has it */
  ema: boolean
}

/** A spectrally normalised layer: its v comes from `u1`, or from W and u where the module lacks it. */
export interface HubSpectralNorm {
  /** engine names */
  weight: string
  u: string
  v: string
  sigma: string
  /** the hub name of v */
  hubV: string
  out: number
  fanIn: number
}

export interface HubTable {
  rows: HubRow[]
  spectralNorms: HubSpectralNorm[]
}

function snLayer(t: HubTable, hub: string, engine: string, weightShape: number[], bias: boolean): void {
  const out = weightShape[weightShape.length - 1]
  const fanIn = numel(weightShape) / out
  t.rows.push({ hub: `${hub}/w`, engine: `${engine}.weight`, shape: weightShape, kind: 'weight', ema: true })
  if (bias) t.rows.push({ hub: `${hub}/b`, engine: `${engine}.bias`, shape: [out], kind: 'vector', ema: true })
  t.rows.push({ hub: `${hub}/u0`, engine: `${engine}.u`, shape: [out], kind: 'vector', ema: false })
  t.spectralNorms.push({
    weight: `${engine}.weight`, u: `${engine}.u`, v: `${engine}.v`, sigma: `${engine}.sigma`, hubV: `${hub}/u1`, out, fanIn,
  })
}

/** HyperBN (conditional gain and bias from [z_i, embedding]) with its CrossReplicaBN statistics. */
function hyperBatchNorm(t: HubTable, hub: string, statistics: string, engine: string, c: number, condDim: number): void {
  t.rows.push(
    { hub: `${statistics}/accumulated_mean`, engine: `${engine}.mean`, shape: [1, c], kind: 'vector', ema: false },
    { hub: `${statistics}/accumulated_var`, engine: `${engine}.var`, shape: [1, c], kind: 'vector', ema: false },
  )
  snLayer(t, `${hub}/gamma`, `${engine}.gain`, [condDim, c], false)
  snLayer(t, `${hub}/beta`, `${engine}.bias`, [condDim, c], false)
}

/** Every variable of a TF-Hub BigGAN generator for `config`, in the module's scopes. */
export function hubBigganTensors(config: ModelConfig): HubTable {
  const t: HubTable = { rows: [], spectralNorms: [] }
  const { rows, bottomWidth } = bigganGeneratorTable(config)
  const zChunk = config.zDim / (rows.length + 1)
  const condDim = zChunk + config.sharedDim
  t.rows.push({
    hub: 'linear/w', engine: 'G.sharedEmbedding.weight', shape: [config.numClasses, config.sharedDim], kind: 'weight', ema: true,
  })
  snLayer(t, 'Generator/G_Z/G_linear', 'G.linear', [zChunk, rows[0].inChannels * bottomWidth * bottomWidth], true)
  rows.forEach((row: GeneratorRow, i) => {
    const hub = `Generator/GBlock${i === 0 ? '' : `_${i}`}`
    const engine = `G.blocks.${i}`
    hyperBatchNorm(t, `${hub}/HyperBN`, `${hub}/CrossReplicaBN`, `${engine}.bn1`, row.inChannels, condDim)
    snLayer(t, `${hub}/conv0`, `${engine}.conv1`, [3, 3, row.inChannels, row.outChannels], true)
    hyperBatchNorm(t, `${hub}/HyperBN_1`, `${hub}/CrossReplicaBN_1`, `${engine}.bn2`, row.outChannels, condDim)
    snLayer(t, `${hub}/conv1`, `${engine}.conv2`, [3, 3, row.outChannels, row.outChannels], true)
    snLayer(t, `${hub}/conv_sc`, `${engine}.shortcut`, [1, 1, row.inChannels, row.outChannels], true)
    if (row.attention) {
      const c = row.outChannels
      const a = `G.attention${row.resolution}`
      snLayer(t, 'Generator/attention/theta', `${a}.theta`, [1, 1, c, c / 8], false)
      snLayer(t, 'Generator/attention/phi', `${a}.phi`, [1, 1, c, c / 8], false)
      snLayer(t, 'Generator/attention/g', `${a}.g`, [1, 1, c, c / 2], false)
      snLayer(t, 'Generator/attention/o_conv', `${a}.o`, [1, 1, c / 2, c], false)
      t.rows.push({ hub: 'Generator/attention/gamma', engine: `${a}.gamma`, shape: [1], kind: 'vector', ema: true })
    }
  })
  const last = rows[rows.length - 1].outChannels
  t.rows.push(
    { hub: 'Generator/ScaledCrossReplicaBN/gamma', engine: 'G.outputBn.gain', shape: [last], kind: 'vector', ema: true },
    { hub: 'Generator/ScaledCrossReplicaBN/beta', engine: 'G.outputBn.bias', shape: [last], kind: 'vector', ema: true },
    { hub: 'Generator/ScaledCrossReplicaBNbn/accumulated_mean', engine: 'G.outputBn.mean', shape: [1, last], kind: 'vector', ema: false },
    { hub: 'Generator/ScaledCrossReplicaBNbn/accumulated_var', engine: 'G.outputBn.var', shape: [1, last], kind: 'vector', ema: false },
  )
  snLayer(t, 'Generator/conv_2d', 'G.toRgb', [3, 3, last, 3], true)
  return t
}

// ─── reading the module ──────────────────────────────────────────────────────────────────────────────────────────

/** The bundle's variables with TF-Hub's `module/` scope and a `:0` output suffix dropped, as a converter sees them
 *  after hub.Module, so either spelling of a dump reads the same. */
export function hubNames(tensors: TensorMap): TensorMap {
  const out: TensorMap = new Map()
  for (const [name, t] of tensors) out.set(name.replace(/^module\//, '').replace(/:0$/, ''), t)
  return out
}

/** Variables of the module that carry no weight the generator uses (counters, the step, the non-EMA twins). */
function isBookkeeping(name: string): boolean {
  return /(^|\/)(accumulation_counter|global_step)$/.test(name)
}

export interface TfHubBigganInput extends ReadOptions {
  /** the bundle's variables (readTensorBundle(...).tensors) */
  tensors: TensorMap
  /** the variables.index path, for messages */
  file: string
}

export interface TfHubBigganImport {
  config: ModelConfig
  G: TensorMap
  notes: string
}

function shapeOf(tensors: TensorMap, name: string, rank: number, file: string): number[] {
  const t = tensors.get(`${name}/${emaSuffix}`) ?? tensors.get(name)
  if (!t) {
    throw new CheckpointError('missing-key', 'absent from the module; this is not a TF-Hub BigGAN generator ' +
      '(deepmind/biggan-128/256/512)', file, name)
  }
  if (t.shape.length !== rank) {
    throw new CheckpointError('shape-mismatch', `has shape [${t.shape}], expected ${rank} dimensions`, file, name)
  }
  return t.shape
}

/** Reads the architecture off the module's variables: GBlocks → resolution, G_linear → z chunk, linear/w → classes
 *  and embedding width, the first conv → ch, the attention's width → where it sits. */
export function hubBigganConfig(tensors: TensorMap, file: string): ModelConfig {
  let blocks = 0
  while (tensors.has(`Generator/GBlock${blocks === 0 ? '' : `_${blocks}`}/conv0/u0`)) blocks++
  if (blocks === 0) shapeOf(tensors, 'Generator/GBlock/conv0/w', 4, file)
  const resolution = 4 * 2 ** blocks
  const [numClasses, sharedDim] = shapeOf(tensors, 'linear/w', 2, file)
  const [zChunk] = shapeOf(tensors, 'Generator/G_Z/G_linear/w', 2, file)
  const [, , blockIn] = shapeOf(tensors, 'Generator/GBlock/conv0/w', 4, file)
  const base: ModelConfig = {
    arch: 'biggan', resolution, gChannels: 1, dChannels: 0, zDim: zChunk * (blocks + 1), sharedDim, numClasses,
    hierarchical: true, gAttention: [], dAttention: [], bnEps: hubEps, snEps: hubEps, nStats: 1, toRgbChannels: 3,
    spectralNormInference: 'power-step', statsMode: 'lerp',
  }
  let rows: GeneratorRow[]
  try {
    rows = bigganGeneratorTable(base).rows
  } catch (e) {
    throw new CheckpointError('unsupported', `${blocks} GBlocks: ${(e as Error).message}`, file)
  }
  const gChannels = blockIn / rows[0].inChannels
  if (!Number.isInteger(gChannels) || gChannels < 1) {
    throw new CheckpointError('shape-mismatch', `the first GBlock takes ${blockIn} channels, not a multiple of ` +
      `${rows[0].inChannels}·ch as the ${resolution}-px table says`, file, 'Generator/GBlock/conv0/w')
  }
  const gAttention: number[] = []
  if (tensors.has('Generator/attention/theta/u0')) {
    const [, , width] = shapeOf(tensors, 'Generator/attention/theta/w', 4, file)
    const at = rows.filter((r) => r.outChannels * gChannels === width)
    if (at.length !== 1) {
      throw new CheckpointError('unsupported', `self-attention over ${width} channels matches ${at.length} blocks of ` +
        `the ${resolution}-px generator; cannot tell where it sits`, file, 'Generator/attention/theta/w')
    }
    gAttention.push(at[0].resolution)
  }
  return { ...base, gChannels, gAttention }
}

/** Reads one row's tensor (its EMA copy first), checking the shape the architecture implies and finiteness. */
export function readHubRow(tensors: TensorMap, row: HubRow, file: string, used: Set<string>): Float32Array {
  const emaName = `${row.hub}/${emaSuffix}`
  const name = row.ema && tensors.has(emaName) ? emaName : row.hub
  const t = tensors.get(name)
  if (!t) {
    throw new CheckpointError('missing-key', 'absent, but the architecture the other variables describe needs it; the ' +
      'module is incomplete or not a BigGAN generator', file, row.hub)
  }
  used.add(name)
  if (name === emaName) used.add(row.hub)
  const fits = row.kind === 'weight'
    ? t.shape.length === row.shape.length && t.shape.every((d, i) => d === row.shape[i])
    : numel(t.shape) === numel(row.shape) && t.shape.filter((d) => d !== 1).length <= 1
  if (!fits) {
    throw new CheckpointError('shape-mismatch', `has shape [${t.shape}] but the architecture read from the other ` +
      `variables needs [${row.shape}]`, file, name)
  }
  return weightValues(t, file, name)
}

/** x / max(‖x‖, eps) in float64. */
function normalize(x: Float64Array, eps: number): Float64Array {
  const norm = Math.max(Math.sqrt(x.reduce((s, v) => s + v * v, 0)), eps)
  return x.map((v) => v / norm)
}

/** v = normalize(W_matᵀ u) for W_mat [fanIn, out] (the HWIO / [in, out] weight flattened), and σ after that power
 *  step: u' = normalize(W_mat v), σ = u'ᵀ W_mat v, what 'power-step' inference computes. */
export function powerStep(w: Float32Array, u: Float32Array, eps: number): { v: Float32Array; sigma: number } {
  const out = u.length
  const fanIn = w.length / out
  const wu = new Float64Array(fanIn)
  for (let f = 0; f < fanIn; f++) {
    let s = 0
    for (let o = 0; o < out; o++) s += w[f * out + o] * u[o]
    wu[f] = s
  }
  const v = normalize(wu, eps)
  const wv = new Float64Array(out)
  for (let f = 0; f < fanIn; f++) for (let o = 0; o < out; o++) wv[o] += w[f * out + o] * v[f]
  const u2 = normalize(wv, eps)
  return { v: Float32Array.from(v), sigma: u2.reduce((s, x, o) => s + x * wv[o], 0) }
}

/** A TF-Hub BigGAN module's variables → engine config and G. Unknown variables under the generator's scopes are
 *  refused (the module is another model); bookkeeping variables are skipped. */
export function importTfHubBiggan(input: TfHubBigganInput): TfHubBigganImport {
  const tensors = hubNames(input.tensors)
  const config = hubBigganConfig(tensors, input.file)
  const table = hubBigganTensors(config)
  const G: TensorMap = new Map()
  const values = new Map<string, Float32Array>()
  const used = new Set<string>()
  for (const row of table.rows) {
    input.checkCancelled?.()
    const data = readHubRow(tensors, row, input.file, used)
    values.set(row.engine, data)
    G.set(row.engine, fromFloat32(row.shape, data))
  }
  let derived = 0
  for (const sn of table.spectralNorms) {
    input.checkCancelled?.()
    const w = values.get(sn.weight)!
    const { v: fromU, sigma } = powerStep(w, values.get(sn.u)!, config.snEps)
    let v = fromU
    if (tensors.has(sn.hubV)) {
      v = readHubRow(tensors, { hub: sn.hubV, engine: sn.v, shape: [sn.fanIn], kind: 'vector', ema: false }, input.file, used)
    } else derived++
    G.set(sn.v, fromFloat32([sn.fanIn], v))
    G.set(sn.sigma, fromFloat32([1], Float32Array.of(sigma)))
  }
  let skipped = 0
  for (const name of tensors.keys()) {
    if (used.has(name)) continue
    const twin = name.endsWith(`/${emaSuffix}`) ? undefined : `${name}/${emaSuffix}`
    if (isBookkeeping(name) || (twin && used.has(twin))) {
      skipped++
      continue
    }
    throw new CheckpointError('unknown-key', 'is not part of the BigGAN generator its other variables describe; the ' +
      'module is another model', input.file, name)
  }
  const notes = `TF-Hub BigGAN ${config.resolution}: EMA weights (${emaSuffix}) where present, accumulated BatchNorm ` +
    `statistics as the converter reads them (one set for every truncation), spectral-norm power step from u0` +
    (derived > 0 ? `; ${derived} v vectors derived from W and u0` : '') + (skipped > 0 ? `; ${skipped} bookkeeping or non-EMA variables skipped` : '')
  return { config, G, notes }
}
