// pytorch-pretrained-BigGAN (huggingface, the port of TF-Hub biggan-deep-128/256/512): config.json and the
// generator's state dict → the engine's ModelConfig and G tensors (engine names, NHWC/HWIO layouts, float32), and
// back. Pure: tensors in, tensors out; the bytes are read by torch.ts / safetensors.ts and the tensors become tf
// variables elsewhere. The HF port released only G, so there is no D here.
//
// Everything the two sides disagree on is one row of a table (`hfBigganDeepTensors`): the HF key, the engine name,
// the HF shape and one layout transform. Each row is checked (presence, shape, finiteness) before it is converted.
import { bigganDeepGeneratorTable, type DeepGeneratorTable } from '../../engine/arch'
import type { ModelConfig } from '../../engine/config'
import { fromFloat32, weightValues } from '../../tensors/convert.ts'
import { CheckpointError } from '../../tensors/errors.ts'
import type { ReadOptions } from '../cancel'
import { parseJson, type JsonObject, type JsonValue } from '../json'
import type { TensorMap } from '../../tensors/tensor.ts'

// ─── layouts ─────────────────────────────────────────────────────────────────────────────────────────────────────

/** How one HF tensor becomes one engine tensor. */
export type Layout =
  | { kind: 'same' }
  /** [a, b] → [b, a]: nn.Linear [out, in] → [in, out]; the HF embedding [dim, classes] → [classes, dim] */
  | { kind: 'transpose' }
  /** nn.Conv2d [out, in, kh, kw] → HWIO [kh, kw, in, out] */
  | { kind: 'conv' }
  /** spectral-norm v over a conv's fan-in: PyTorch flattens it (in, kh, kw), the engine (kh, kw, in) like HWIO */
  | { kind: 'fanIn'; inChannels: number; kernel: number }

/** The permutation a layout applies to the HF tensor, with the shape it is viewed as. */
function permutation(layout: Layout, hfShape: readonly number[]): { view: number[]; perm: number[] } {
  switch (layout.kind) {
    case 'same':
      return { view: [...hfShape], perm: hfShape.map((_, i) => i) }
    case 'transpose':
      return { view: [...hfShape], perm: [1, 0] }
    case 'conv':
      return { view: [...hfShape], perm: [2, 3, 1, 0] }
    case 'fanIn':
      return { view: [layout.inChannels, layout.kernel, layout.kernel], perm: [1, 2, 0] }
  }
}

export function engineShape(layout: Layout, hfShape: readonly number[]): number[] {
  if (layout.kind === 'fanIn') return [...hfShape]
  const { view, perm } = permutation(layout, hfShape)
  return perm.map((p) => view[p])
}

/** out[i₀…] = data[j…] with out's axis a = in's axis perm[a] (numpy's transpose). */
function transpose(data: Float32Array, shape: readonly number[], perm: readonly number[]): Float32Array {
  if (perm.every((p, i) => p === i)) return data
  const rank = shape.length
  const inStrides = new Array<number>(rank)
  let s = 1
  for (let a = rank - 1; a >= 0; a--) {
    inStrides[a] = s
    s *= shape[a]
  }
  const outShape = perm.map((p) => shape[p])
  const stride = perm.map((p) => inStrides[p]) // input stride of each output axis
  const out = new Float32Array(data.length)
  const index = new Array<number>(rank).fill(0)
  let src = 0
  for (let o = 0; o < out.length; o++) {
    out[o] = data[src]
    for (let a = rank - 1; a >= 0; a--) {
      index[a]++
      src += stride[a]
      if (index[a] < outShape[a]) break
      src -= stride[a] * outShape[a]
      index[a] = 0
    }
  }
  return out
}

function toEngineLayout(layout: Layout, hfShape: readonly number[], data: Float32Array): Float32Array {
  const { view, perm } = permutation(layout, hfShape)
  return transpose(data, view, perm)
}

function toHfLayout(layout: Layout, hfShape: readonly number[], data: Float32Array): Float32Array {
  const { view, perm } = permutation(layout, hfShape)
  const inverse = new Array<number>(perm.length)
  perm.forEach((p, a) => (inverse[p] = a))
  return transpose(data, perm.map((p) => view[p]), inverse)
}

// ─── the name table ──────────────────────────────────────────────────────────────────────────────────────────────

/** One tensor of the HF state dict and where it lives in the engine. */
export interface TensorRow {
  hf: string
  engine: string
  hfShape: number[]
  layout: Layout
  /** on the spectral-norm v row: the layer's W and u (HF names), and the engine names of u and of σ = uᵀ W v, which
   *  the engine keeps for monitoring and HF does not store. HF's converter writes v, but a dump may lack it: then
   *  v (and u) are derived from W and u. */
  snV?: { weight: string; u: string; uEngine: string; sigmaEngine: string }
}

const same: Layout = { kind: 'same' }
const transposed: Layout = { kind: 'transpose' }
const convLayout: Layout = { kind: 'conv' }

/** torch.nn.utils.spectral_norm around an nn.Linear [out, in] (the engine's SNLinear). */
function snLinear(hf: string, engine: string, inFeatures: number, outFeatures: number, bias: boolean): TensorRow[] {
  const rows: TensorRow[] = [
    { hf: `${hf}.weight_orig`, engine: `${engine}.weight`, hfShape: [outFeatures, inFeatures], layout: transposed },
    { hf: `${hf}.weight_u`, engine: `${engine}.u`, hfShape: [outFeatures], layout: same },
    {
      hf: `${hf}.weight_v`, engine: `${engine}.v`, hfShape: [inFeatures], layout: same,
      snV: { weight: `${hf}.weight_orig`, u: `${hf}.weight_u`, uEngine: `${engine}.u`, sigmaEngine: `${engine}.sigma` },
    },
  ]
  if (bias) rows.unshift({ hf: `${hf}.bias`, engine: `${engine}.bias`, hfShape: [outFeatures], layout: same })
  return rows
}

/** torch.nn.utils.spectral_norm around an nn.Conv2d [out, in, k, k] (the engine's SNConv2d). */
function snConv(
  hf: string, engine: string, inChannels: number, outChannels: number, kernel: number, bias: boolean,
): TensorRow[] {
  const rows: TensorRow[] = [
    {
      hf: `${hf}.weight_orig`, engine: `${engine}.weight`, hfShape: [outChannels, inChannels, kernel, kernel],
      layout: convLayout,
    },
    { hf: `${hf}.weight_u`, engine: `${engine}.u`, hfShape: [outChannels], layout: same },
    {
      hf: `${hf}.weight_v`, engine: `${engine}.v`, hfShape: [inChannels * kernel * kernel],
      layout: { kind: 'fanIn', inChannels, kernel },
      snV: { weight: `${hf}.weight_orig`, u: `${hf}.weight_u`, uEngine: `${engine}.u`, sigmaEngine: `${engine}.sigma` },
    },
  ]
  if (bias) rows.unshift({ hf: `${hf}.bias`, engine: `${engine}.bias`, hfShape: [outChannels], layout: same })
  return rows
}

/** BigGANBatchNorm, conditional: per-truncation stats and SN projections of c to the gain and the bias. */
function conditionalBatchNorm(hf: string, engine: string, channels: number, condDim: number, nStats: number): TensorRow[] {
  return [
    { hf: `${hf}.running_means`, engine: `${engine}.mean`, hfShape: [nStats, channels], layout: same },
    { hf: `${hf}.running_vars`, engine: `${engine}.var`, hfShape: [nStats, channels], layout: same },
    ...snLinear(`${hf}.scale`, `${engine}.gain`, condDim, channels, false),
    ...snLinear(`${hf}.offset`, `${engine}.bias`, condDim, channels, false),
  ]
}

/** BigGANBatchNorm, unconditional (the output BN): learned gain and bias, per-truncation stats. */
function batchNorm(hf: string, engine: string, channels: number, nStats: number): TensorRow[] {
  return [
    { hf: `${hf}.weight`, engine: `${engine}.gain`, hfShape: [channels], layout: same },
    { hf: `${hf}.bias`, engine: `${engine}.bias`, hfShape: [channels], layout: same },
    { hf: `${hf}.running_means`, engine: `${engine}.mean`, hfShape: [nStats, channels], layout: same },
    { hf: `${hf}.running_vars`, engine: `${engine}.var`, hfShape: [nStats, channels], layout: same },
  ]
}

/** SelfAttn (SAGAN): θ, φ → C/8, g → C/2, o → C, all 1×1 SN convs without bias, and the residual scale γ. */
function selfAttention(hf: string, engine: string, channels: number): TensorRow[] {
  return [
    { hf: `${hf}.gamma`, engine: `${engine}.gamma`, hfShape: [1], layout: same },
    ...snConv(`${hf}.snconv1x1_theta`, `${engine}.theta`, channels, channels / 8, 1, false),
    ...snConv(`${hf}.snconv1x1_phi`, `${engine}.phi`, channels, channels / 8, 1, false),
    ...snConv(`${hf}.snconv1x1_g`, `${engine}.g`, channels, channels / 2, 1, false),
    ...snConv(`${hf}.snconv1x1_o_conv`, `${engine}.o`, channels / 2, channels, 1, false),
  ]
}

/** HF's nn.ModuleList index of generator row i: the attention module takes one slot before the row after it. */
function hfLayerIndex(table: DeepGeneratorTable, row: number): number {
  return row + table.rows.slice(0, row).filter((r) => r.attention).length
}

/** Every tensor of an HF BigGAN-deep generator, in state-dict order, with its engine name. */
export function hfBigganDeepTensors(config: ModelConfig): TensorRow[] {
  const table = bigganDeepGeneratorTable(config)
  const condDim = config.zDim + config.sharedDim
  const n = config.nStats
  const first = table.rows[0].inChannels * table.bottomWidth * table.bottomWidth
  const rows: TensorRow[] = [
    {
      hf: 'embeddings.weight', engine: 'G.sharedEmbedding.weight', hfShape: [config.sharedDim, config.numClasses],
      layout: transposed,
    },
    ...snLinear('generator.gen_z', 'G.linear', condDim, first, true),
  ]
  table.rows.forEach((row, i) => {
    const hf = `generator.layers.${hfLayerIndex(table, i)}`
    const g = `G.blocks.${i}`
    const mid = row.inChannels / 4
    rows.push(
      ...conditionalBatchNorm(`${hf}.bn_0`, `${g}.bn0`, row.inChannels, condDim, n),
      ...snConv(`${hf}.conv_0`, `${g}.conv0`, row.inChannels, mid, 1, true),
      ...conditionalBatchNorm(`${hf}.bn_1`, `${g}.bn1`, mid, condDim, n),
      ...snConv(`${hf}.conv_1`, `${g}.conv1`, mid, mid, 3, true),
      ...conditionalBatchNorm(`${hf}.bn_2`, `${g}.bn2`, mid, condDim, n),
      ...snConv(`${hf}.conv_2`, `${g}.conv2`, mid, mid, 3, true),
      ...conditionalBatchNorm(`${hf}.bn_3`, `${g}.bn3`, mid, condDim, n),
      ...snConv(`${hf}.conv_3`, `${g}.conv3`, mid, row.outChannels, 1, true),
    )
    if (row.attention) {
      const attention = `generator.layers.${hfLayerIndex(table, i) + 1}`
      rows.push(...selfAttention(attention, `G.attention${row.resolution}`, row.outChannels))
    }
  })
  rows.push(
    ...batchNorm('generator.bn', 'G.outputBn', table.outChannels, n),
    ...snConv('generator.conv_to_rgb', 'G.toRgb', table.outChannels, config.toRgbChannels, 3, true),
  )
  return rows
}

// ─── config.json ─────────────────────────────────────────────────────────────────────────────────────────────────

/** The HF config object (BigGANConfig.to_dict), as config.json holds it. */
export interface HfBigganConfig {
  output_dim: number
  z_dim: number
  class_embed_dim: number
  channel_width: number
  num_classes: number
  /** (upsample, in multiplier, out multiplier) per GenBlock */
  layers: [boolean, number, number][]
  attention_layer_position: number
  eps: number
  n_stats: number
}

function configError(message: string, file: string): CheckpointError {
  return new CheckpointError('bad-header', `config.json ${message}`, file)
}

function positiveInt(obj: JsonObject, key: keyof HfBigganConfig, file: string, fallback?: number): number {
  const v = obj.get(key) ?? fallback
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) {
    throw configError(`needs '${key}' as a positive integer, got ${JSON.stringify(v ?? null)}`, file)
  }
  return v
}

/** Reads config.json with HF's defaults (BigGANConfig() is biggan-deep-128) for keys it leaves out. */
export function parseHfBigganConfig(text: string, file = 'config.json'): HfBigganConfig {
  const root = parseJson(text, 'config.json', file)
  if (!(root instanceof Map)) throw configError('must be a JSON object', file)
  const layers = root.get('layers') ?? null
  if (!Array.isArray(layers) || layers.length === 0) throw configError("needs 'layers' as a non-empty list", file)
  const parsedLayers = layers.map((entry: JsonValue, i): [boolean, number, number] => {
    const ok =
      Array.isArray(entry) && entry.length === 3 && typeof entry[0] === 'boolean' &&
      entry.slice(1).every((m) => typeof m === 'number' && Number.isSafeInteger(m) && m > 0)
    if (!ok) throw configError(`'layers[${i}]' must be [upsample: bool, in: int, out: int], got ${JSON.stringify(entry)}`, file)
    const [up, a, b] = entry as [boolean, number, number]
    return [up, a, b]
  })
  const eps = root.get('eps') ?? 1e-4
  if (typeof eps !== 'number' || !(eps > 0)) throw configError(`needs 'eps' > 0, got ${JSON.stringify(eps)}`, file)
  const position = root.get('attention_layer_position') ?? 8
  if (typeof position !== 'number' || !Number.isSafeInteger(position)) {
    throw configError(`needs 'attention_layer_position' as an integer, got ${JSON.stringify(position)}`, file)
  }
  return {
    output_dim: positiveInt(root, 'output_dim', file, 128),
    z_dim: positiveInt(root, 'z_dim', file, 128),
    class_embed_dim: positiveInt(root, 'class_embed_dim', file, 128),
    channel_width: positiveInt(root, 'channel_width', file, 128),
    num_classes: positiveInt(root, 'num_classes', file, 1000),
    layers: parsedLayers,
    attention_layer_position: position,
    eps,
    n_stats: positiveInt(root, 'n_stats', file, 51),
  }
}

/** HF config → engine config. toRgbChannels comes from conv_to_rgb's weight (HF builds it ch → ch). */
export function hfToModelConfig(hf: HfBigganConfig, toRgbChannels: number, file = 'config.json'): ModelConfig {
  if (hf.n_stats < 2) throw configError(`'n_stats' must be at least 2 (HF divides by n_stats − 1), got ${hf.n_stats}`, file)
  const p = hf.attention_layer_position
  if (p < 1 || p > hf.layers.length - 1) {
    throw new CheckpointError(
      'unsupported', `config.json 'attention_layer_position' ${p} is outside 1..${hf.layers.length - 1}; ` +
        'BigGAN-deep places self-attention between two blocks', file,
    )
  }
  // self-attention sits on the output of layers[p − 1]: its resolution is 4 · 2^(upsamples so far)
  const attentionResolution = 4 * 2 ** hf.layers.slice(0, p).filter(([up]) => up).length
  const config: ModelConfig = {
    arch: 'biggan-deep',
    resolution: hf.output_dim,
    gChannels: hf.channel_width,
    dChannels: 0,
    zDim: hf.z_dim,
    // HF's embedding is Linear(num_classes → z_dim); class_embed_dim is recorded but unused by its model
    sharedDim: hf.z_dim,
    numClasses: hf.num_classes,
    hierarchical: false,
    gAttention: [attentionResolution],
    dAttention: [],
    bnEps: hf.eps,
    snEps: hf.eps,
    nStats: hf.n_stats,
    toRgbChannels,
    spectralNormInference: 'stored',
    statsMode: 'hf',
  }
  let table: DeepGeneratorTable
  try {
    table = bigganDeepGeneratorTable(config)
  } catch (e) {
    throw new CheckpointError('unsupported', `config.json: ${(e as Error).message}`, file)
  }
  const ch = hf.channel_width
  const expected = table.rows.map((r): [boolean, number, number] => [r.upsample, r.inChannels / ch, r.outChannels / ch])
  const same = expected.length === hf.layers.length &&
    expected.every((e, i) => e.every((x, j) => x === hf.layers[i][j]))
  const attentionRow = table.rows.findIndex((r) => r.attention)
  if (!same || attentionRow + 1 !== p) {
    throw new CheckpointError(
      'unsupported',
      `config.json 'layers' ${JSON.stringify(hf.layers)} with attention before entry ${p} is not the BigGAN-deep ` +
        `${hf.output_dim}-px generator (${JSON.stringify(expected)}, attention before entry ${attentionRow + 1})`,
      file,
    )
  }
  return config
}

export function modelConfigToHf(config: ModelConfig): HfBigganConfig {
  const refuse = (why: string): never => {
    throw new CheckpointError('unsupported', `cannot export to pytorch-pretrained-BigGAN: ${why}`)
  }
  if (config.arch !== 'biggan-deep') refuse(`the model is ${config.arch}, not biggan-deep`)
  if (config.bnEps !== config.snEps) {
    refuse(`HF has one eps for BN and SN, the model has ${config.bnEps} and ${config.snEps}`)
  }
  if (config.sharedDim !== config.zDim) {
    refuse(`HF's class embedding is z_dim wide (${config.zDim}), the model's is ${config.sharedDim}`)
  }
  if (config.toRgbChannels !== config.gChannels) {
    refuse(`HF's to-RGB conv has ch = ${config.gChannels} outputs, the model's has ${config.toRgbChannels}`)
  }
  if (config.nStats < 2) refuse(`HF needs at least 2 rows of BatchNorm statistics, the model has ${config.nStats}`)
  const table = bigganDeepGeneratorTable(config)
  const attentionRows = table.rows.flatMap((r, i) => (r.attention ? [i] : []))
  if (attentionRows.length !== 1) refuse(`HF has exactly one self-attention layer, the model has ${attentionRows.length}`)
  const ch = config.gChannels
  return {
    attention_layer_position: attentionRows[0] + 1,
    channel_width: ch,
    class_embed_dim: config.sharedDim,
    eps: config.snEps,
    layers: table.rows.map((r): [boolean, number, number] => [r.upsample, r.inChannels / ch, r.outChannels / ch]),
    n_stats: config.nStats,
    num_classes: config.numClasses,
    output_dim: config.resolution,
    z_dim: config.zDim,
  }
}

// ─── import ──────────────────────────────────────────────────────────────────────────────────────────────────────

export interface HfBigganDeepFiles extends ReadOptions {
  /** config.json's text */
  configJson: string
  /** the state dict read from pytorch_model.bin (readTorchCheckpoint(...).tensors) */
  tensors: TensorMap
  /** file names for error messages */
  configFile?: string
  weightsFile?: string
}

export interface ImportedModel {
  config: ModelConfig
  /** engine name → float32 tensor in the engine's layout */
  G: TensorMap
}

/** Where tensors come from and what decided their shapes, for error messages. */
interface Source {
  file?: string
  /** what implies the expected shapes: the config.json, or the model's own config on export */
  architecture: string
}

/** One tensor as float32 after the checks every row gets: present, the shape `architecture` implies, finite. */
function readFloat(tensors: TensorMap, name: string, shape: readonly number[], source: Source): Float32Array {
  const { file, architecture } = source
  const t = tensors.get(name)
  if (!t) {
    throw new CheckpointError(
      'missing-key', `absent, but the BigGAN-deep generator of ${architecture} needs it; the weights are incomplete or ` +
        'belong to another config', file, name,
    )
  }
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new CheckpointError(
      'shape-mismatch', `has shape [${t.shape}] but ${architecture} implies [${shape}]; check that the config belongs ` +
        'to these weights', file, name,
    )
  }
  return weightValues(t, file, name)
}

/** x / max(‖x‖, eps), in float64: torch.nn.functional.normalize. */
function normalize(x: Float64Array, eps: number): Float64Array {
  const norm = Math.sqrt(x.reduce((s, v) => s + v * v, 0))
  return x.map((v) => v / Math.max(norm, eps))
}

/** The v (and matching u) torch's spectral_norm would hold after one power step from u: v = normalize(Wᵀu),
 *  u = normalize(W v), so that uᵀ W v = ‖W v‖ = σ. W is the PyTorch [out, fanIn] matrix. */
function deriveSpectralVectors(w: Float32Array, u: Float32Array, eps: number): { u: Float32Array; v: Float32Array } {
  const out = u.length
  const fanIn = w.length / out
  const wtu = new Float64Array(fanIn)
  for (let o = 0; o < out; o++) for (let j = 0; j < fanIn; j++) wtu[j] += w[o * fanIn + j] * u[o]
  const v = normalize(wtu, eps)
  const wv = new Float64Array(out)
  for (let o = 0; o < out; o++) {
    let s = 0
    for (let j = 0; j < fanIn; j++) s += w[o * fanIn + j] * v[j]
    wv[o] = s
  }
  return { u: Float32Array.from(normalize(wv, eps)), v: Float32Array.from(v) }
}

/** uᵀ W v for W [out, fanIn] row-major (PyTorch's W_mat), in float64: σ as torch's spectral_norm computes it. */
function bilinear(w: Float32Array, u: Float32Array, v: Float32Array): number {
  const fanIn = v.length
  let sigma = 0
  for (let o = 0; o < u.length; o++) {
    let s = 0
    for (let j = 0; j < fanIn; j++) s += w[o * fanIn + j] * v[j]
    sigma += u[o] * s
  }
  return sigma
}

/** config.json + state dict → engine config and G tensors. Every key is accounted for: a missing or unknown key, a
 *  wrong shape or a NaN/Inf is a CheckpointError naming the file and the tensor. */
export function importHfBigganDeep(files: HfBigganDeepFiles): ImportedModel {
  const configFile = files.configFile ?? 'config.json'
  const weightsFile = files.weightsFile ?? 'pytorch_model.bin'
  const hf = parseHfBigganConfig(files.configJson, configFile)
  const toRgb = files.tensors.get('generator.conv_to_rgb.weight_orig')
  if (!toRgb) {
    throw new CheckpointError(
      'missing-key', 'absent from the state dict; this is not a pytorch-pretrained-BigGAN generator',
      weightsFile, 'generator.conv_to_rgb.weight_orig',
    )
  }
  const config = hfToModelConfig(hf, toRgb.shape[0], configFile)
  const rows = hfBigganDeepTensors(config)
  const source: Source = { file: weightsFile, architecture: configFile }

  const known = new Set(rows.map((r) => r.hf))
  for (const name of files.tensors.keys()) {
    if (!known.has(name)) {
      throw new CheckpointError(
        'unknown-key', 'is not part of a BigGAN-deep generator with this config.json; the file belongs to another model',
        weightsFile, name,
      )
    }
  }

  const G: TensorMap = new Map()
  const snInputs = new Set(rows.flatMap((r) => (r.snV ? [r.snV.weight, r.snV.u] : [])))
  const pending = new Map<string, Float32Array>() // W and u of the SN layer being read, HF layout, until its v row
  for (const row of rows) {
    files.checkCancelled?.()
    let values: Float32Array
    if (row.snV) {
      const w = pending.get(row.snV.weight)!
      let u = pending.get(row.snV.u)!
      if (files.tensors.has(row.hf)) {
        values = readFloat(files.tensors, row.hf, row.hfShape, source)
      } else {
        const derived = deriveSpectralVectors(w, u, config.snEps)
        u = derived.u
        values = derived.v
        G.set(row.snV.uEngine, fromFloat32([u.length], u)) // replaces the stored u, converted just before
      }
      G.set(row.snV.sigmaEngine, fromFloat32([1], Float32Array.of(bilinear(w, u, values))))
      pending.clear()
    } else {
      values = readFloat(files.tensors, row.hf, row.hfShape, source)
      if (snInputs.has(row.hf)) pending.set(row.hf, values)
    }
    G.set(row.engine, fromFloat32(engineShape(row.layout, row.hfShape), toEngineLayout(row.layout, row.hfShape, values)))
  }
  return { config, G }
}

// ─── export ──────────────────────────────────────────────────────────────────────────────────────────────────────

export interface HfBigganDeepExport {
  configJson: string
  /** HF key → float32 tensor in PyTorch layout, in state-dict order */
  tensors: TensorMap
}

/** Engine G tensors → the HF state dict and config.json (the inverse of importHfBigganDeep). Engine tensors the HF
 *  port does not store (σ estimates) are left out; anything else unaccounted for is an error. */
export function exportHfBigganDeep(config: ModelConfig, G: TensorMap): HfBigganDeepExport {
  const hf = modelConfigToHf(config)
  const rows = hfBigganDeepTensors(config)
  const known = new Set(rows.map((r) => r.engine))
  for (const name of G.keys()) {
    if (!known.has(name) && !name.endsWith('.sigma')) {
      throw new CheckpointError('unknown-key', 'has no place in a pytorch-pretrained-BigGAN generator', undefined, name)
    }
  }
  const tensors: TensorMap = new Map()
  for (const row of rows) {
    const values = readFloat(G, row.engine, engineShape(row.layout, row.hfShape), { architecture: "the model's config" })
    tensors.set(row.hf, fromFloat32(row.hfShape, toHfLayout(row.layout, row.hfShape, values)))
  }
  const sorted = Object.fromEntries(Object.entries(hf).sort(([a], [b]) => (a < b ? -1 : 1)))
  return { configJson: JSON.stringify(sorted, null, 2) + '\n', tensors }
}
