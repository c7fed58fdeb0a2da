// PyTorch-StudioGAN checkpoints of its BigGAN family (model=G-….pth, model=D-….pth, model=G_ema-….pth, each
// {"state_dict": …} with the optimizer and run bookkeeping beside it) → the engine's ModelConfig and G / D tensors
// (engine names, NHWC / HWIO layouts, float32). Pure: tensors in, tensors out; torch.ts reads the bytes.
//
// Two backbones map onto the engine's networks exactly:
//   big_resnet              → arch 'biggan'      (hierarchical z: one chunk for linear0, one per block)
//   big_resnet_deep_legacy  → arch 'biggan-deep' (g_depth = d_depth = 2: two bottleneck blocks per resolution)
// with g_cond_mtd cBN (the shared embedding), d_cond_mtd PD (the projection discriminator), spectral norm on both
// networks and ReLU. The architecture is read off the tensors (StudioGAN keeps its yaml outside the checkpoint):
// block count → resolution, conv widths → g_conv_dim / d_conv_dim, linear0 → z, `shared` → classes and embedding
// width, where `conv1x1_theta` sits in the block list → attention. Anything else StudioGAN can build (other
// conditioning methods, auxiliary classifiers, InfoGAN heads, no spectral norm, big_resnet_deep_studiogan's
// learned shortcuts, the 64-px widths) is refused by name. The activation leaves no trace in the tensors: ReLU is
// assumed, as every BigGAN config StudioGAN ships uses.
//
// What StudioGAN does differently from BigGAN-PyTorch, and how it maps:
// - torch.nn.utils.spectral_norm (eps 1e-6) keeps weight_orig, u and v; eval divides by σ = uᵀ W_mat v with the
//   stored vectors and no power step, which is the engine's 'stored' inference. σ is computed here from them.
//   G_ema's u and v are EMA-lerped buffers, no longer unit vectors: they are kept as they are, so σ matches too.
// - BatchNorm eps is 1e-4 (ops.batchnorm_2d), momentum 0.1 as torch and the engine; one row of running statistics.
// - The BN conditioning is cat([shared(y), z_chunk]) (deep: cat([shared(y), z]), which linear0 reads as well); the
//   engine's is [z, embedding], so those input columns are rolled at import.
// - Its discriminator blocks apply an in-place ReLU to x while the skip path still refers to x, so the skip starts
//   from ReLU(x) (all but big_resnet's first block): the imported config says so (dSkipAfterReLU).
// - Conditional BN gains are 1 + W_γ c, as the engine's. Mixed precision only autocasts training forwards; the
//   weights are float32 either way.
import { bigganDeepDiscriminatorTable, bigganDeepGeneratorTable, bigganDiscriminatorTable, bigganGeneratorTable } from '../../engine/arch'
import type { ModelConfig } from '../../engine/config'
import { fromFloat32, weightValues } from '../../tensors/convert.ts'
import { CheckpointError } from '../../tensors/errors.ts'
import type { ReadOptions } from '../cancel'
import type { TensorMap } from '../../tensors/tensor.ts'

/** StudioGAN's own constants (src/utils/ops.py), not configurable there. */
export const studioGanEpsilons = { bnEps: 1e-4, snEps: 1e-6 } as const

// ─── layouts ─────────────────────────────────────────────────────────────────────────────────────────────────────

/** How one stored tensor becomes one engine tensor: roll its last axis left by `roll` (moves StudioGAN's leading
 *  embedding columns behind z), view it as `view`, then permute the axes by `perm` (numpy's transpose). */
export interface Layout {
  roll?: number
  view?: number[]
  perm?: number[]
}

/** One tensor of a StudioGAN state dict and where it lives in the engine. */
export interface TensorRow {
  key: string
  engine: string
  /** the shape StudioGAN stores */
  shape: number[]
  engineShape: number[]
  layout: Layout
}

/** σ = uᵀ W_mat v of one spectrally normalised layer, from its stored tensors (StudioGAN keys). */
interface SigmaRow {
  engine: string
  weight: string
  u: string
  v: string
}

export interface NetworkTable {
  rows: TensorRow[]
  sigmas: SigmaRow[]
  /** keys StudioGAN stores that the engine has no use for (BatchNorm's num_batches_tracked) */
  ignored: string[]
}

function rolled(data: Float32Array, shape: readonly number[], by: number): Float32Array {
  const width = shape[shape.length - 1]
  const out = new Float32Array(data.length)
  for (let row = 0; row < data.length / width; row++) {
    const base = row * width
    for (let j = 0; j < width; j++) out[base + j] = data[base + ((j + by) % width)]
  }
  return out
}

function permuted(data: Float32Array, shape: readonly number[], perm: readonly number[]): Float32Array {
  const strides = shape.map((_, a) => shape.slice(a + 1).reduce((x, y) => x * y, 1))
  const outShape = perm.map((p) => shape[p])
  const outStrides = perm.map((p) => strides[p]) // input stride of each output axis
  const out = new Float32Array(data.length)
  const index = new Array<number>(perm.length).fill(0)
  let src = 0
  for (let o = 0; o < out.length; o++) {
    out[o] = data[src]
    for (let a = perm.length - 1; a >= 0; a--) {
      index[a]++
      src += outStrides[a]
      if (index[a] < outShape[a]) break
      src -= outStrides[a] * outShape[a]
      index[a] = 0
    }
  }
  return out
}

/** A stored tensor's values in the engine's layout. */
export function toEngineLayout(row: TensorRow, data: Float32Array): Float32Array {
  const { roll, view = row.shape, perm } = row.layout
  const r = roll ? rolled(data, row.shape, roll) : data
  return perm ? permuted(r, view, perm) : r
}

// ─── the name tables ─────────────────────────────────────────────────────────────────────────────────────────────

const transpose = [1, 0]
const convToHwio = [2, 3, 1, 0]

/** The spectral-norm wrapper's three tensors and σ; `weight` is the weight's stored shape and layout, `fanIn` the
 *  layout of v (over W_mat's columns, which follow the weight's flattened inputs). */
function snLayer(t: NetworkTable, key: string, engine: string, weight: TensorRow['shape'], layouts: {
  weight: Layout; weightShape: number[]; u?: Layout; v?: Layout
}): void {
  const out = weight[0]
  const fanIn = weight.slice(1).reduce((a, b) => a * b, 1)
  t.rows.push(
    { key: `${key}.weight_orig`, engine: `${engine}.weight`, shape: weight, engineShape: layouts.weightShape, layout: layouts.weight },
    { key: `${key}.weight_u`, engine: `${engine}.u`, shape: [out], engineShape: [out], layout: layouts.u ?? {} },
    { key: `${key}.weight_v`, engine: `${engine}.v`, shape: [fanIn], engineShape: [fanIn], layout: layouts.v ?? {} },
  )
  t.sigmas.push({ engine: `${engine}.sigma`, weight: `${key}.weight_orig`, u: `${key}.weight_u`, v: `${key}.weight_v` })
}

function bias(t: NetworkTable, key: string, engine: string, n: number, layout: Layout = {}): void {
  t.rows.push({ key: `${key}.bias`, engine: `${engine}.bias`, shape: [n], engineShape: [n], layout })
}

/** ops.snconv2d: [out, in, k, k] → HWIO; v over (in, kh, kw) → the engine's (kh, kw, in). */
function snConv(t: NetworkTable, key: string, engine: string, inC: number, outC: number, k: number, withBias = true): void {
  snLayer(t, key, engine, [outC, inC, k, k], {
    weight: { perm: convToHwio }, weightShape: [k, k, inC, outC], v: { view: [inC, k, k], perm: [1, 2, 0] },
  })
  if (withBias) bias(t, key, engine, outC)
}

/** ops.snlinear [out, in] → [in, out]; `roll` moves the embedding columns of its input behind z. */
function snLinear(t: NetworkTable, key: string, engine: string, inF: number, outF: number, roll?: number): void {
  const r = roll ? { roll } : {}
  snLayer(t, key, engine, [outF, inF], { weight: { ...r, perm: transpose }, weightShape: [inF, outF], v: r })
}

/** G's linear0 [C·b·b, in]: outputs in NCHW order (c, h, w) → the engine's NHWC (h, w, c), inputs rolled. */
function firstLinear(t: NetworkTable, inF: number, channels: number, width: number, roll?: number): void {
  const r = roll ? { roll } : {}
  const out = channels * width * width
  const nhwc: Layout = { view: [channels, width, width], perm: [1, 2, 0] }
  snLayer(t, 'linear0', 'G.linear', [out, inF], {
    weight: { ...r, view: [channels, width, width, inF], perm: [3, 1, 2, 0] }, weightShape: [inF, out], u: nhwc, v: r,
  })
  bias(t, 'linear0', 'G.linear', out, nhwc)
}

/** ops.SelfAttention: θ, φ → C/8, g → C/2, attn → C, 1×1 SN convs without bias, and its residual scale `sigma`. */
function attention(t: NetworkTable, key: string, engine: string, c: number): void {
  snConv(t, `${key}.conv1x1_theta`, `${engine}.theta`, c, c / 8, 1, false)
  snConv(t, `${key}.conv1x1_phi`, `${engine}.phi`, c, c / 8, 1, false)
  snConv(t, `${key}.conv1x1_g`, `${engine}.g`, c, c / 2, 1, false)
  snConv(t, `${key}.conv1x1_attn`, `${engine}.o`, c / 2, c, 1, false)
  t.rows.push({ key: `${key}.sigma`, engine: `${engine}.gamma`, shape: [1], engineShape: [1], layout: {} })
}

function statistics(t: NetworkTable, key: string, engine: string, c: number): void {
  t.rows.push(
    { key: `${key}.running_mean`, engine: `${engine}.mean`, shape: [c], engineShape: [1, c], layout: {} },
    { key: `${key}.running_var`, engine: `${engine}.var`, shape: [c], engineShape: [1, c], layout: {} },
  )
  t.ignored.push(`${key}.num_batches_tracked`)
}

/** ops.ConditionalBatchNorm2d: an affine-free BatchNorm2d `bn` and SN-linear `gain` / `bias` of [embedding, z]. */
function conditionalBatchNorm(t: NetworkTable, key: string, engine: string, c: number, condDim: number, sharedDim: number): void {
  statistics(t, `${key}.bn`, engine, c)
  snLinear(t, `${key}.gain`, `${engine}.gain`, condDim, c, sharedDim)
  snLinear(t, `${key}.bias`, `${engine}.bias`, condDim, c, sharedDim)
}

/** G's output BatchNorm2d bn4 (affine) and to-RGB conv2d5, shared by both backbones. */
function outputLayers(t: NetworkTable, c: number): void {
  t.rows.push(
    { key: 'bn4.weight', engine: 'G.outputBn.gain', shape: [c], engineShape: [c], layout: {} },
    { key: 'bn4.bias', engine: 'G.outputBn.bias', shape: [c], engineShape: [c], layout: {} },
  )
  statistics(t, 'bn4', 'G.outputBn', c)
  snConv(t, 'conv2d5', 'G.toRgb', c, 3, 3)
}

function sharedEmbedding(t: NetworkTable, config: ModelConfig): void {
  const shape = [config.numClasses, config.sharedDim]
  t.rows.push({ key: 'shared.weight', engine: 'G.sharedEmbedding.weight', shape, engineShape: shape, layout: {} })
}

/** The projection head: linear1 [1, C] and the SN class embedding [classes, C] (W_mat = E, one row per class). */
function projectionHead(t: NetworkTable, config: ModelConfig, c: number): void {
  snLinear(t, 'linear1', 'D.linear', c, 1)
  bias(t, 'linear1', 'D.linear', 1)
  const shape = [config.numClasses, c]
  snLayer(t, 'embedding', 'D.embedding', shape, { weight: {}, weightShape: shape })
}

/** StudioGAN keeps every block, attention included, as its own `blocks.k.0`: k counts both. */
function blockKeys<R extends { attention: boolean }>(rows: readonly R[]): { block: string; attention?: string }[] {
  let k = 0
  return rows.map((row) => {
    const block = `blocks.${k++}.0`
    return row.attention ? { block, attention: `blocks.${k++}.0` } : { block }
  })
}

/** Every tensor of a StudioGAN big_resnet Generator (cBN, SN) for `config`. */
export function bigResnetGenerator(config: ModelConfig): NetworkTable {
  const t: NetworkTable = { rows: [], sigmas: [], ignored: [] }
  const { rows, bottomWidth } = bigganGeneratorTable(config)
  const zChunk = config.zDim / (rows.length + 1)
  const condDim = config.sharedDim + zChunk
  firstLinear(t, zChunk, rows[0].inChannels, bottomWidth)
  sharedEmbedding(t, config)
  const keys = blockKeys(rows)
  rows.forEach((row, i) => {
    const { block, attention: attn } = keys[i]
    const engine = `G.blocks.${i}`
    conditionalBatchNorm(t, `${block}.bn1`, `${engine}.bn1`, row.inChannels, condDim, config.sharedDim)
    conditionalBatchNorm(t, `${block}.bn2`, `${engine}.bn2`, row.outChannels, condDim, config.sharedDim)
    snConv(t, `${block}.conv2d0`, `${engine}.shortcut`, row.inChannels, row.outChannels, 1)
    snConv(t, `${block}.conv2d1`, `${engine}.conv1`, row.inChannels, row.outChannels, 3)
    snConv(t, `${block}.conv2d2`, `${engine}.conv2`, row.outChannels, row.outChannels, 3)
    if (attn) attention(t, attn, `G.attention${row.resolution}`, row.outChannels)
  })
  outputLayers(t, rows[rows.length - 1].outChannels)
  return t
}

/** Every tensor of a StudioGAN big_resnet Discriminator (PD, SN) for `config`. */
export function bigResnetDiscriminator(config: ModelConfig): NetworkTable {
  const t: NetworkTable = { rows: [], sigmas: [], ignored: [] }
  const rows = bigganDiscriminatorTable(config)
  const keys = blockKeys(rows)
  rows.forEach((row, i) => {
    const { block, attention: attn } = keys[i]
    const engine = `D.blocks.${i}`
    if (row.inChannels !== row.outChannels || row.downsample) {
      snConv(t, `${block}.conv2d0`, `${engine}.shortcut`, row.inChannels, row.outChannels, 1)
    }
    snConv(t, `${block}.conv2d1`, `${engine}.conv1`, row.inChannels, row.outChannels, 3)
    snConv(t, `${block}.conv2d2`, `${engine}.conv2`, row.outChannels, row.outChannels, 3)
    if (attn) attention(t, attn, `D.attention${row.resolution}`, row.outChannels)
  })
  projectionHead(t, config, rows[rows.length - 1].outChannels)
  return t
}

/** Every tensor of a StudioGAN big_resnet_deep_legacy Generator (cBN, SN, g_depth 2) for `config`. */
export function deepGenerator(config: ModelConfig): NetworkTable {
  const t: NetworkTable = { rows: [], sigmas: [], ignored: [] }
  const table = bigganDeepGeneratorTable(config)
  const condDim = config.sharedDim + config.zDim
  sharedEmbedding(t, config)
  firstLinear(t, condDim, table.rows[0].inChannels, table.bottomWidth, config.sharedDim)
  const keys = blockKeys(table.rows)
  table.rows.forEach((row, i) => {
    const { block, attention: attn } = keys[i]
    const engine = `G.blocks.${i}`
    const mid = row.inChannels / 4
    const widths = [row.inChannels, mid, mid, mid]
    widths.forEach((c, j) => conditionalBatchNorm(t, `${block}.bn${j + 1}`, `${engine}.bn${j}`, c, condDim, config.sharedDim))
    snConv(t, `${block}.conv2d1`, `${engine}.conv0`, row.inChannels, mid, 1)
    snConv(t, `${block}.conv2d2`, `${engine}.conv1`, mid, mid, 3)
    snConv(t, `${block}.conv2d3`, `${engine}.conv2`, mid, mid, 3)
    snConv(t, `${block}.conv2d4`, `${engine}.conv3`, mid, row.outChannels, 1)
    if (attn) attention(t, attn, `G.attention${row.resolution}`, row.outChannels)
  })
  outputLayers(t, table.outChannels)
  return t
}

/** Every tensor of a StudioGAN big_resnet_deep_legacy Discriminator (PD, SN, d_depth 2) for `config`. */
export function deepDiscriminator(config: ModelConfig): NetworkTable {
  const t: NetworkTable = { rows: [], sigmas: [], ignored: [] }
  const table = bigganDeepDiscriminatorTable(config)
  snConv(t, 'input_conv', 'D.stem', table.stem.inChannels, table.stem.outChannels, 3)
  const keys = blockKeys(table.rows)
  table.rows.forEach((row, i) => {
    const { block, attention: attn } = keys[i]
    const engine = `D.blocks.${i}`
    const mid = row.outChannels / 4
    snConv(t, `${block}.conv2d1`, `${engine}.conv0`, row.inChannels, mid, 1)
    snConv(t, `${block}.conv2d2`, `${engine}.conv1`, mid, mid, 3)
    snConv(t, `${block}.conv2d3`, `${engine}.conv2`, mid, mid, 3)
    snConv(t, `${block}.conv2d4`, `${engine}.conv3`, mid, row.outChannels, 1)
    if (row.outChannels > row.inChannels) {
      snConv(t, `${block}.conv2d0`, `${engine}.shortcut`, row.inChannels, row.outChannels - row.inChannels, 1)
    }
    if (attn) attention(t, attn, `D.attention${row.resolution}`, row.outChannels)
  })
  projectionHead(t, config, table.outChannels)
  return t
}

// ─── architecture from the tensors ───────────────────────────────────────────────────────────────────────────────

export interface StudioGanSource {
  /** a checkpoint as readTorchCheckpoint(...).tensors gives it: `state_dict.<key>` (and `optimizer.…`, ignored) */
  tensors: TensorMap
  /** the file it came from, for messages */
  file: string
}

export interface StudioGanInput extends ReadOptions {
  /** model=G-….pth */
  G?: StudioGanSource
  /** model=G_ema-….pth */
  ema?: StudioGanSource
  /** model=D-….pth */
  D?: StudioGanSource
}

export interface StudioGanImport {
  config: ModelConfig
  backbone: StudioGanBackbone
  provenance: { source: 'import:studiogan'; from: string; notes: string }
  /** the trained G (G.pth), or G_ema where only that was given */
  G: TensorMap
  /** G_ema where both G and G_ema were given */
  ema?: TensorMap
  D?: TensorMap
}

export type StudioGanBackbone = 'big_resnet' | 'big_resnet_deep_legacy'

/** One network's state dict: the `state_dict.` entries of a StudioGAN checkpoint, or a bare state dict. */
function stateDict(src: StudioGanSource): TensorMap {
  const prefix = 'state_dict.'
  const inner: TensorMap = new Map()
  for (const [k, t] of src.tensors) if (k.startsWith(prefix)) inner.set(k.slice(prefix.length), t)
  if (inner.size > 0) return inner
  if ([...src.tensors.keys()].some((k) => k.startsWith('optimizer.'))) {
    throw new CheckpointError('missing-key', 'has an optimizer but no state_dict; is this a StudioGAN model checkpoint?', src.file, 'state_dict')
  }
  return src.tensors
}

function unsupported(file: string, message: string, key?: string): CheckpointError {
  return new CheckpointError('unsupported', message, file, key)
}

function shapeOf(tensors: TensorMap, file: string, key: string, rank: number, why: string): number[] {
  const t = tensors.get(key)
  if (!t) throw new CheckpointError('missing-key', `absent from the state dict; ${why}`, file, key)
  if (t.shape.length !== rank) {
    throw new CheckpointError('shape-mismatch', `has shape [${t.shape}], expected ${rank} dimensions`, file, key)
  }
  return t.shape
}

type Entry = 'block' | 'attention'

/** The kinds of `blocks.k.0` in order: a residual block or a self-attention layer. */
function entries(tensors: TensorMap, file: string, blockMarker: string): Entry[] {
  const found = new Map<number, Entry>()
  for (const key of tensors.keys()) {
    const m = /^blocks\.(\d{1,4})\.0\.(conv2d1|conv1x1_theta)\.weight_orig$/.exec(key)
    if (m) found.set(Number(m[1]), m[2] === 'conv2d1' ? 'block' : 'attention')
  }
  const indices = [...found.keys()].sort((a, b) => a - b)
  if (indices.length === 0 || indices.some((k, i) => k !== i)) {
    throw unsupported(file, `its blocks ${JSON.stringify(indices)} are not blocks.0 … blocks.n−1, each a ${blockMarker} or ` +
      'a self-attention layer; is this a StudioGAN big_resnet / big_resnet_deep_legacy state dict?')
  }
  return indices.map((k) => found.get(k)!)
}

/** Refusals shared by G and D: StudioGAN options the engine's networks do not have. */
function refuseOptions(tensors: TensorMap, file: string, what: 'generator' | 'discriminator'): void {
  const keys = [...tensors.keys()]
  const info = keys.find((k) => k.startsWith('info_'))
  if (info) throw unsupported(file, `the ${what} has InfoGAN heads (info_type ≠ N/A); only plain conditional BigGANs are supported`, info)
  const plain = keys.find((k) => /(^|\.)(conv2d\d|linear\d|conv1x1_\w+|input_conv)\.weight$/.test(k))
  if (plain) {
    throw unsupported(file, `the ${what} has no spectral norm (apply_${what === 'generator' ? 'g' : 'd'}_sn False); ` +
      'BigGAN-family models need it on both networks', plain)
  }
}

interface Generated {
  backbone: StudioGanBackbone
  config: ModelConfig
}

/** Resolution, widths, z, classes and attention of a StudioGAN BigGAN-family generator, read off its tensors. */
function generatorArchitecture(tensors: TensorMap, file: string): Generated {
  refuseOptions(tensors, file, 'generator')
  if (!tensors.has('shared.weight')) {
    throw unsupported(file, 'no shared.weight: the generator is unconditional (g_cond_mtd W/O) or not a StudioGAN ' +
      'big_resnet; only class-conditional generators (g_cond_mtd cBN) are supported', 'shared.weight')
  }
  const deep = tensors.has('blocks.0.0.conv2d4.weight_orig')
  if (deep && tensors.has('blocks.0.0.conv2d0.weight_orig')) {
    throw unsupported(file, 'this is a big_resnet_deep_studiogan generator (a learned 1×1 shortcut in every block); the ' +
      'engine builds BigGAN-deep as the paper and big_resnet_deep_legacy do (channel-dropping shortcuts)', 'blocks.0.0.conv2d0.weight_orig')
  }
  const backbone: StudioGanBackbone = deep ? 'big_resnet_deep_legacy' : 'big_resnet'
  const list = entries(tensors, file, deep ? 'bottleneck block' : 'residual block')
  const blocks = list.filter((e) => e === 'block').length
  if (deep && blocks % 2 !== 0) {
    throw unsupported(file, `${blocks} bottleneck blocks: only g_depth 2 (two blocks per resolution) is supported`)
  }
  const stages = deep ? blocks / 2 : blocks
  const resolution = 4 * 2 ** stages
  if (resolution === 64) {
    throw unsupported(file, "a 64-px StudioGAN generator narrows its channels one stage earlier than the paper's " +
      '64-px table (16→8→4→2→1 × g_conv_dim, not 16→16→8→4→2); it has no engine equivalent')
  }
  const [numClasses, sharedDim] = shapeOf(tensors, file, 'shared.weight', 2, 'the generator needs its shared embedding')
  const [, linearIn] = shapeOf(tensors, file, 'linear0.weight_orig', 2, 'the generator needs its first linear layer')
  const [firstIn, condDim] = shapeOf(tensors, file, 'blocks.0.0.bn1.gain.weight_orig', 2, 'the generator needs its conditional BatchNorm')
  // big_resnet: linear0 reads z's first chunk and each BN [embedding, chunk]; deep: both read [embedding, z]
  const zDim = deep ? linearIn - sharedDim : linearIn * (blocks + 1)
  const expectedCond = deep ? linearIn : sharedDim + linearIn
  if (condDim !== expectedCond || zDim < 1) {
    throw new CheckpointError('shape-mismatch', `BatchNorm projections take ${condDim} inputs, but the shared embedding ` +
      `(${sharedDim}) and linear0 (${linearIn} inputs) imply ${expectedCond}`, file, 'blocks.0.0.bn1.gain.weight_orig')
  }
  const base: ModelConfig = {
    arch: deep ? 'biggan-deep' : 'biggan', resolution, gChannels: 1, dChannels: 0, zDim, sharedDim, numClasses,
    hierarchical: !deep, gAttention: [], dAttention: [], ...studioGanEpsilons, nStats: 1, toRgbChannels: 3,
    spectralNormInference: 'stored', statsMode: 'lerp',
  }
  const rows = architecture(file, () => (deep ? bigganDeepGeneratorTable(base).rows : bigganGeneratorTable(base).rows))
  const gChannels = firstIn / rows[0].inChannels
  if (!Number.isInteger(gChannels) || gChannels < 1) {
    throw new CheckpointError('shape-mismatch', `the first block takes ${firstIn} channels, not a multiple of ` +
      `${rows[0].inChannels}·g_conv_dim as the ${resolution}-px table says`, file, 'blocks.0.0.bn1.gain.weight_orig')
  }
  const gAttention = attentionResolutions(list, rows, file)
  return { backbone, config: { ...base, gChannels, gAttention } }
}

/** The resolution after each attention entry: that of the block before it. */
function attentionResolutions(list: Entry[], rows: readonly { resolution: number }[], file: string): number[] {
  const out: number[] = []
  let block = -1
  list.forEach((e, k) => {
    if (e === 'block') block++
    else if (block < 0 || list[k - 1] !== 'block') throw unsupported(file, 'self-attention before any block, or twice in a row', `blocks.${k}.0`)
    else out.push(rows[block].resolution)
  })
  if (block + 1 !== rows.length) {
    throw unsupported(file, `${block + 1} blocks, but the ${rows.length}-row table that the other tensors imply`)
  }
  return out
}

/** The discriminator's width and attention for the generator's resolution, read off its tensors. */
function discriminatorArchitecture(
  tensors: TensorMap, file: string, g: Generated,
): Pick<ModelConfig, 'dChannels' | 'dAttention' | 'dSkipAfterReLU'> {
  refuseOptions(tensors, file, 'discriminator')
  const keys = [...tensors.keys()]
  const head = keys.find((k) => /^(linear2|linear_mi|embedding_mi)\./.test(k))
  if (head) {
    throw unsupported(file, 'the discriminator conditions by a classifier (d_cond_mtd AC / 2C / D2DCE, or TAC); only ' +
      "the projection discriminator (d_cond_mtd PD) is BigGAN's", head)
  }
  if (!tensors.has('embedding.weight_orig')) {
    throw unsupported(file, 'no class embedding: the discriminator is unconditional or multi-headed (d_cond_mtd ' +
      'W/O / MH / MD); only the projection discriminator (d_cond_mtd PD) is supported', 'embedding.weight_orig')
  }
  const [outputs] = shapeOf(tensors, file, 'linear1.weight_orig', 2, 'the discriminator needs its output layer')
  if (outputs !== 1) {
    throw unsupported(file, `linear1 has ${outputs} outputs: a multi-hinge or multi-dimensional head (d_cond_mtd MH / ` +
      'MD); only the projection discriminator (d_cond_mtd PD) is supported', 'linear1.weight_orig')
  }
  const [classes] = shapeOf(tensors, file, 'embedding.weight_orig', 2, 'the discriminator needs its class embedding')
  if (classes === 2 * g.config.numClasses) {
    throw unsupported(file, 'the class embedding has a row per class and per real/fake (aux_cls_type ADC); only plain ' +
      'projection discriminators are supported', 'embedding.weight_orig')
  }
  const deep = g.backbone === 'big_resnet_deep_legacy'
  if (deep !== tensors.has('input_conv.weight_orig')) {
    throw unsupported(file, `the discriminator is not a ${g.backbone} one, as the generator is`, 'input_conv.weight_orig')
  }
  const list = entries(tensors, file, deep ? 'bottleneck block' : 'residual block')
  const probe = { ...g.config, dChannels: 1, dAttention: [] }
  const rows = architecture(file, () => (deep ? bigganDeepDiscriminatorTable(probe).rows : bigganDiscriminatorTable(probe)))
  if (deep) {
    const [scOut] = tensors.get('blocks.0.0.conv2d0.weight_orig')?.shape ?? []
    const [blockOut] = shapeOf(tensors, file, 'blocks.0.0.conv2d4.weight_orig', 4, 'the discriminator needs its first block')
    if (scOut === blockOut) {
      throw unsupported(file, 'this is a big_resnet_deep_studiogan discriminator (a full-width learned shortcut); ' +
        'only big_resnet_deep_legacy is supported', 'blocks.0.0.conv2d0.weight_orig')
    }
  }
  const firstOut = deep
    ? shapeOf(tensors, file, 'input_conv.weight_orig', 4, 'the discriminator needs its input conv')[0]
    : shapeOf(tensors, file, 'blocks.0.0.conv2d1.weight_orig', 4, 'the discriminator needs its first block')[0]
  const multiplier = deep ? bigganDeepDiscriminatorTable(probe).stem.outChannels : rows[0].outChannels
  const dChannels = firstOut / multiplier
  if (!Number.isInteger(dChannels) || dChannels < 1) {
    throw new CheckpointError('shape-mismatch', `the first layer gives ${firstOut} channels, not a multiple of ` +
      `${multiplier}·ch as the ${g.config.resolution}-px table says`, file, deep ? 'input_conv.weight_orig' : 'blocks.0.0.conv2d1.weight_orig')
  }
  return { dChannels, dAttention: attentionResolutions(list, rows, file), dSkipAfterReLU: true }
}

function architecture<T>(file: string, build: () => T): T {
  try {
    return build()
  } catch (e) {
    throw unsupported(file, (e as Error).message)
  }
}

/** The engine places attention after the first block at its resolution; StudioGAN may pick a later one (the 32-px
 *  D has three blocks at 8×8). Where the placements differ, the tables' keys do: say so before the key check does. */
function checkPlacement(t: NetworkTable, tensors: TensorMap, file: string, what: string): void {
  const expected = new Set(t.rows.filter((r) => r.key.endsWith('.conv1x1_theta.weight_orig')).map((r) => r.key))
  for (const key of tensors.keys()) {
    if (key.endsWith('.conv1x1_theta.weight_orig') && !expected.has(key)) {
      throw unsupported(file, `the ${what} has self-attention after a block that is not the first at its resolution; ` +
        'the engine places it after the first', key)
    }
  }
}

// ─── import ──────────────────────────────────────────────────────────────────────────────────────────────────────

/** σ = uᵀ W_mat v in float64, W_mat = the stored weight as [out, fanIn] (torch's spectral_norm, dim 0). */
function sigma(w: Float32Array, u: Float32Array, v: Float32Array): number {
  const fanIn = v.length
  let s = 0
  for (let o = 0; o < u.length; o++) {
    let row = 0
    for (let j = 0; j < fanIn; j++) row += w[o * fanIn + j] * v[j]
    s += u[o] * row
  }
  return s
}

/** Converts one network's state dict through its table; every key must be a row (or ignored) and every row present. */
function importNetwork(tensors: TensorMap, file: string, t: NetworkTable, options: ReadOptions): TensorMap {
  const known = new Set([...t.rows.map((r) => r.key), ...t.ignored])
  for (const key of tensors.keys()) {
    if (!known.has(key)) {
      throw new CheckpointError('unknown-key', 'not part of the StudioGAN network its other tensors describe', file, key)
    }
  }
  const out: TensorMap = new Map()
  const stored = new Map<string, Float32Array>()
  for (const row of t.rows) {
    options.checkCancelled?.()
    const raw = tensors.get(row.key)
    if (!raw) throw new CheckpointError('missing-key', 'absent from the state dict, which its other tensors say it needs', file, row.key)
    if (raw.shape.length !== row.shape.length || raw.shape.some((d, i) => d !== row.shape[i])) {
      throw new CheckpointError('shape-mismatch', `has shape [${raw.shape}] but the architecture read from the other ` +
        `tensors needs [${row.shape}]`, file, row.key)
    }
    const data = weightValues(raw, file, row.key)
    stored.set(row.key, data)
    out.set(row.engine, fromFloat32(row.engineShape, toEngineLayout(row, data)))
  }
  for (const s of t.sigmas) {
    out.set(s.engine, fromFloat32([1], Float32Array.of(sigma(stored.get(s.weight)!, stored.get(s.u)!, stored.get(s.v)!))))
  }
  return out
}

function tables(backbone: StudioGanBackbone): { G: (c: ModelConfig) => NetworkTable; D: (c: ModelConfig) => NetworkTable } {
  return backbone === 'big_resnet'
    ? { G: bigResnetGenerator, D: bigResnetDiscriminator }
    : { G: deepGenerator, D: deepDiscriminator }
}

/** StudioGAN checkpoints → engine config and tensors. Throws CheckpointError naming the file and tensor. */
export function importStudioGan(input: StudioGanInput): StudioGanImport {
  const generators = [input.G, input.ema].filter((s): s is StudioGanSource => s !== undefined)
  if (generators.length === 0) {
    throw new CheckpointError('missing-key', 'a StudioGAN import needs the generator: model=G-….pth or model=G_ema-….pth')
  }
  const gDicts = generators.map((s) => ({ src: s, tensors: stateDict(s) }))
  const g = generatorArchitecture(gDicts[0].tensors, gDicts[0].src.file)
  let config = g.config
  let dTensors: TensorMap | undefined
  if (input.D) {
    dTensors = stateDict(input.D)
    config = { ...config, ...discriminatorArchitecture(dTensors, input.D.file, g) }
  }
  const table = tables(g.backbone)
  const gTable = table.G(config)
  const [G, ema] = gDicts.map(({ src, tensors }) => {
    checkPlacement(gTable, tensors, src.file, 'generator')
    return importNetwork(tensors, src.file, gTable, input)
  })
  let D: TensorMap | undefined
  if (input.D && dTensors) {
    const dTable = table.D(config)
    checkPlacement(dTable, dTensors, input.D.file, 'discriminator')
    D = importNetwork(dTensors, input.D.file, dTable, input)
  }
  const files = [input.G?.file, input.ema?.file, input.D?.file].filter((f): f is string => f !== undefined)
  return {
    config,
    backbone: g.backbone,
    provenance: {
      source: 'import:studiogan',
      from: files.join(', '),
      notes: `PyTorch-StudioGAN ${g.backbone} (g_cond_mtd cBN, d_cond_mtd PD); StudioGAN's epsilons (BN ` +
        `${studioGanEpsilons.bnEps}, SN ${studioGanEpsilons.snEps}); spectral norm from the stored u and v`,
    },
    G,
    ...(ema ? { ema } : {}),
    ...(D ? { D } : {}),
  }
}
