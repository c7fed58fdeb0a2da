// TF-Hub BigGAN-deep generators (deepmind/biggan-deep-128/256/512, version 1) → the engine's ModelConfig and G
// tensors, by way of pytorch-pretrained-BigGAN's state dict: the module's variables are renamed and laid out as that
// project's convert_tf_to_pytorch.py does (its name map, [in, out] → [out, in] linears, HWIO → OIHW convs, squeezed
// vectors, EMA copies `…/ema_0.9999`), and hfBigganDeep.ts takes it from there, deriving the spectral-norm v (and
// the u after one power step) exactly as that converter does. Pure: tensors in, tensors out.
//
// The per-truncation BatchNorm statistics are not variables: the module computes them from constants in its graph,
// and the converter reads the stacked tensors `stack_N` (N = 10i + 1, 3, 6, 8 for i = 0, 1, …) in order, two per
// BatchNorm (means, then variances), block by block and the output BatchNorm last. savedModel.ts finds those
// stacks in saved_model.pb; they come in here as `stacks`.
import { bigganDeepGeneratorTable } from '../../engine/arch'
import type { ModelConfig } from '../../engine/config'
import { fromFloat32, weightValues } from '../../tensors/convert.ts'
import { CheckpointError } from '../../tensors/errors.ts'
import { numel, type RawTensor, type TensorMap } from '../../tensors/tensor.ts'
import type { ReadOptions } from '../cancel'
import { importHfBigganDeep, modelConfigToHf, type ImportedModel } from './hfBigganDeep'
import { hubNames } from './tfHubBiggan'

export const deepEmaSuffix = 'ema_0.9999'
const hubEps = 1e-4
/** Rows of statistics per BatchNorm in the released modules: truncation 0, 0.02, …, 1. */
const releasedStats = 51

/** The graph's stacked-constant names the converter reads, in its order: stack_1, 3, 6, 8, 11, 13, … */
export function statisticsStackNames(count: number): string[] {
  const names: string[] = []
  for (let i = 0; names.length < count; i++) for (const k of [1, 3, 6, 8]) if (names.length < count) names.push(`stack_${10 * i + k}`)
  return names
}

type Layout = 'vector' | 'linear' | 'conv'

/** One module variable and the HF state-dict key it becomes. */
interface DeepRow {
  hub: string
  hf: string
  layout: Layout
  ema: boolean
}

function snRows(rows: DeepRow[], hub: string, hf: string, layout: 'linear' | 'conv', bias: boolean): void {
  if (bias) rows.push({ hub: `${hub}/b`, hf: `${hf}.bias`, layout: 'vector', ema: true })
  rows.push(
    { hub: `${hub}/w`, hf: `${hf}.weight_orig`, layout, ema: true },
    { hub: `${hub}/u0`, hf: `${hf}.weight_u`, layout: 'vector', ema: false },
  )
}

/** The converter's name map for a generator with `layers` HF layers and attention before `attentionPosition`. */
export function hubBigganDeepRows(layers: number, attentionPosition: number): DeepRow[] {
  const rows: DeepRow[] = [{ hub: 'linear/w', hf: 'embeddings.weight', layout: 'linear', ema: true }]
  snRows(rows, 'Generator/GenZ/G_linear', 'generator.gen_z', 'linear', true)
  let index = 0
  for (let i = 0; i < layers; i++) {
    if (i === attentionPosition) index++
    const hub = `Generator/GBlock${i === 0 ? '' : `_${i}`}`
    const hf = `generator.layers.${index}`
    for (let j = 0; j < 4; j++) {
      const bn = `${hub}/BatchNorm${j === 0 ? '' : `_${j}`}`
      snRows(rows, `${bn}/offset`, `${hf}.bn_${j}.offset`, 'linear', false)
      snRows(rows, `${bn}/scale`, `${hf}.bn_${j}.scale`, 'linear', false)
    }
    for (let j = 0; j < 4; j++) snRows(rows, `${hub}/conv${j}`, `${hf}.conv_${j}`, 'conv', true)
    index++
  }
  const attention = `generator.layers.${attentionPosition}`
  rows.push({ hub: 'Generator/attention/gamma', hf: `${attention}.gamma`, layout: 'vector', ema: true })
  for (const [hf, hub] of [['snconv1x1_g', 'g'], ['snconv1x1_o_conv', 'o_conv'], ['snconv1x1_phi', 'phi'], ['snconv1x1_theta', 'theta']]) {
    snRows(rows, `Generator/attention/${hub}`, `${attention}.${hf}`, 'conv', false)
  }
  rows.push(
    { hub: 'Generator/BatchNorm/offset', hf: 'generator.bn.bias', layout: 'vector', ema: true },
    { hub: 'Generator/BatchNorm/scale', hf: 'generator.bn.weight', layout: 'vector', ema: true },
  )
  snRows(rows, 'Generator/conv_to_rgb', 'generator.conv_to_rgb', 'conv', true)
  return rows
}

/** The HF keys of the statistics, in the order the converter fills them from the stacks. */
function statisticsKeys(layers: number, attentionPosition: number): string[] {
  const keys: string[] = []
  let index = 0
  for (let i = 0; i < layers; i++) {
    if (i === attentionPosition) index++
    for (let j = 0; j < 4; j++) keys.push(`generator.layers.${index}.bn_${j}.running_means`, `generator.layers.${index}.bn_${j}.running_vars`)
    index++
  }
  keys.push('generator.bn.running_means', 'generator.bn.running_vars')
  return keys
}

/** A tensor in HF's layout: linears [in, out] → [out, in], convs HWIO → OIHW, vectors flattened. */
function toHfLayout(layout: Layout, t: RawTensor, values: Float32Array, name: string, file: string): RawTensor {
  const s = t.shape
  const wrongRank = (rank: number): never => {
    throw new CheckpointError('shape-mismatch', `has shape [${s}], expected ${rank} dimensions`, file, name)
  }
  switch (layout) {
    case 'vector':
      if (s.filter((d) => d !== 1).length > 1) {
        throw new CheckpointError('shape-mismatch', `has shape [${s}]; a vector was expected`, file, name)
      }
      return fromFloat32([numel(s)], values)
    case 'linear': {
      if (s.length !== 2) wrongRank(2)
      const [a, b] = s
      const out = new Float32Array(values.length)
      for (let i = 0; i < a; i++) for (let j = 0; j < b; j++) out[j * a + i] = values[i * b + j]
      return fromFloat32([b, a], out)
    }
    case 'conv': {
      if (s.length !== 4) wrongRank(4)
      const [kh, kw, cin, cout] = s
      const out = new Float32Array(values.length)
      let src = 0
      for (let y = 0; y < kh; y++) {
        for (let x = 0; x < kw; x++) {
          for (let i = 0; i < cin; i++) for (let o = 0; o < cout; o++) out[((o * cin + i) * kh + y) * kw + x] = values[src++]
        }
      }
      return fromFloat32([cout, cin, kh, kw], out)
    }
  }
}

export interface TfHubBigganDeepInput extends ReadOptions {
  /** the bundle's variables (readTensorBundle(...).tensors) */
  tensors: TensorMap
  /** the graph's stacked statistics by node name (savedModel.ts), e.g. stack_1 → [51, 2048] */
  stacks: Map<string, RawTensor>
  /** the variables.index path and the saved_model.pb path, for messages */
  file: string
  graphFile: string
}

export interface TfHubBigganDeepImport extends ImportedModel {
  notes: string
}

function required(tensors: TensorMap, name: string, rank: number, file: string): number[] {
  const t = tensors.get(`${name}/${deepEmaSuffix}`) ?? tensors.get(name)
  if (!t) {
    throw new CheckpointError('missing-key', 'absent from the module; this is not a TF-Hub BigGAN-deep generator ' +
      '(deepmind/biggan-deep-128/256/512)', file, name)
  }
  if (t.shape.length !== rank) throw new CheckpointError('shape-mismatch', `has shape [${t.shape}], expected ${rank} dimensions`, file, name)
  return t.shape
}

/** The engine config the module's variables describe: GBlocks → resolution, conv_to_rgb → its outputs, linear/w → classes,
 *  GenZ → z, the first conv → ch, the attention's width → where it sits, the stacks' rows → statistics per
 *  BatchNorm. */
function deepConfig(tensors: TensorMap, stacks: Map<string, RawTensor>, file: string): ModelConfig {
  let layers = 0
  while (tensors.has(`Generator/GBlock${layers === 0 ? '' : `_${layers}`}/conv0/u0`)) layers++
  if (layers === 0) required(tensors, 'Generator/GBlock/conv0/w', 4, file)
  if (layers % 2 !== 0) {
    throw new CheckpointError('unsupported', `${layers} GBlocks; BigGAN-deep has two per resolution`, file)
  }
  const [numClasses, embedding] = required(tensors, 'linear/w', 2, file)
  const [condDim] = required(tensors, 'Generator/GenZ/G_linear/w', 2, file)
  const [, , blockIn] = required(tensors, 'Generator/GBlock/conv0/w', 4, file)
  const [, , , toRgbChannels] = required(tensors, 'Generator/conv_to_rgb/w', 4, file)
  const [, , attentionWidth] = required(tensors, 'Generator/attention/theta/w', 4, file)
  const nStats = stacks.get('stack_1')?.shape[0] ?? releasedStats
  const base: ModelConfig = {
    arch: 'biggan-deep', resolution: 4 * 2 ** (layers / 2), gChannels: 1, dChannels: 0, zDim: condDim - embedding,
    sharedDim: embedding, numClasses, hierarchical: false, gAttention: [], dAttention: [], bnEps: hubEps, snEps: hubEps,
    nStats, toRgbChannels, spectralNormInference: 'stored', statsMode: 'hf',
  }
  let multipliers
  try {
    multipliers = bigganDeepGeneratorTable(base)
  } catch (e) {
    throw new CheckpointError('unsupported', `${layers} GBlocks: ${(e as Error).message}`, file)
  }
  const ch = blockIn / multipliers.rows[0].inChannels
  if (!Number.isInteger(ch) || ch < 1) {
    throw new CheckpointError('shape-mismatch', `the first GBlock takes ${blockIn} channels, not a multiple of ` +
      `${multipliers.rows[0].inChannels}·ch as the ${base.resolution}-px table says`, file, 'Generator/GBlock/conv0/w')
  }
  const table = bigganDeepGeneratorTable({ ...base, gChannels: ch })
  const at = new Set(table.rows.filter((r) => r.upsample && r.outChannels === attentionWidth).map((r) => r.resolution))
  if (at.size !== 1) {
    throw new CheckpointError('unsupported', `self-attention over ${attentionWidth} channels matches ${at.size} ` +
      `resolutions of the ${base.resolution}-px generator; cannot tell where it sits`, file, 'Generator/attention/theta/w')
  }
  return { ...base, gChannels: ch, gAttention: [...at] }
}

/** A TF-Hub BigGAN-deep module's variables and graph statistics → engine config and G. */
export function importTfHubBigganDeep(input: TfHubBigganDeepInput): TfHubBigganDeepImport {
  const { file } = input
  const tensors = hubNames(input.tensors)
  const config = deepConfig(tensors, input.stacks, file)
  let hfConfig
  try {
    hfConfig = modelConfigToHf(config)
  } catch (e) {
    throw new CheckpointError('unsupported', `the module is not a generator pytorch-pretrained-BigGAN describes: ${(e as Error).message}`, file)
  }
  const layers = hfConfig.layers.length
  const position = hfConfig.attention_layer_position
  const state: TensorMap = new Map()
  const used = new Set<string>()
  for (const row of hubBigganDeepRows(layers, position)) {
    input.checkCancelled?.()
    const emaName = `${row.hub}/${deepEmaSuffix}`
    const name = row.ema && tensors.has(emaName) ? emaName : row.hub
    const t = tensors.get(name)
    if (!t) {
      throw new CheckpointError('missing-key', 'absent, but the BigGAN-deep generator the other variables describe ' +
        'needs it; the module is incomplete', file, row.hub)
    }
    used.add(name).add(row.hub)
    state.set(row.hf, toHfLayout(row.layout, t, weightValues(t, file, name), name, file))
  }
  const keys = statisticsKeys(layers, position)
  const names = statisticsStackNames(keys.length)
  keys.forEach((key, i) => {
    const stack = input.stacks.get(names[i])
    if (!stack) {
      throw new CheckpointError('missing-key', `the graph has no ${names[i]}, which holds ${key.replace(/^generator\./, '')} ` +
        `(statistics ${i + 1} of ${keys.length}); the module's saved_model.pb is not a BigGAN-deep graph`, input.graphFile, names[i])
    }
    state.set(key, stack)
  })
  let skipped = 0
  for (const name of tensors.keys()) {
    if (used.has(name)) continue
    // what the converter leaves behind on purpose: the step, a stored v (derived again from W and u), standing
    // statistics the graph's per-truncation stacks replace
    const v = /^(.*)\/u1$/.exec(name)
    if ((v && used.has(`${v[1]}/u0`)) || /(^|\/)(global_step|accumulation_counter|accumulated_mean|accumulated_var)$/.test(name)) {
      skipped++
      continue
    }
    throw new CheckpointError('unknown-key', 'is not part of the BigGAN-deep generator its other variables describe; ' +
      'the module is another model', file, name)
  }
  const imported = importHfBigganDeep({
    configJson: JSON.stringify(hfConfig), tensors: state, configFile: `${file} (its architecture)`, weightsFile: file,
    ...(input.checkCancelled ? { checkCancelled: input.checkCancelled } : {}),
  })
  return {
    ...imported,
    notes: `TF-Hub BigGAN-deep ${config.resolution} by pytorch-pretrained-BigGAN's mapping: EMA weights ` +
      `(${deepEmaSuffix}), spectral-norm v and u from one power step, ${config.nStats} rows of per-truncation ` +
      'BatchNorm statistics from the graph, HF stats rule' + (skipped > 0 ? `; ${skipped} variables the converter does not read skipped` : ''),
  }
}
