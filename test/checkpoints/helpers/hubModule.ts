// Synthetic TF-Hub modules for tests: an engine model's own weights written back under the BigGAN / BigGAN-deep
// module names and TensorFlow layouts (the inverse of the importers' tables), as a tensor bundle plus a
// saved_model.pb whose graph holds the BigGAN-deep statistics as `stack_N` = Pack(Const, …); and tar archives,
// honest or hostile, written header by header so that an archive can hold what a careful packer never would.

import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { emaSuffix, hubBigganTensors } from '../../../main/checkpoints/importers/tfHubBiggan'
import { deepEmaSuffix, hubBigganDeepRows, statisticsStackNames } from '../../../main/checkpoints/importers/tfHubBigganDeep'
import { exportHfBigganDeep, modelConfigToHf } from '../../../main/checkpoints/importers/hfBigganDeep'
import type { ModelConfig } from '../../../main/engine/config'
import { fromFloat32, fromInts, toFloat32 } from '../../../main/tensors/convert'
import type { RawTensor, TensorMap } from '../../../main/tensors/tensor'
import { proto, writeBundle, type Bundle } from './bundleWriter'

/** The engine's BigGAN G under the TF-Hub BigGAN names: EMA copies, u0 as [1, out], u1 as [fanIn, 1], statistics
 *  flat, and the bookkeeping a real module carries (the counters, the step). */
export function bigganHubVariables(config: ModelConfig, G: TensorMap): TensorMap {
  const out: TensorMap = new Map()
  const table = hubBigganTensors(config)
  for (const row of table.rows) {
    const t = G.get(row.engine)!
    const values = toFloat32(t)
    const shape = row.kind === 'weight' ? row.shape : row.hub.endsWith('/u0') ? [1, values.length] : [values.length]
    out.set(row.ema ? `${row.hub}/${emaSuffix}` : row.hub, fromFloat32(shape, values))
  }
  for (const sn of table.spectralNorms) out.set(sn.hubV, fromFloat32([sn.fanIn, 1], toFloat32(G.get(sn.v)!)))
  out.set('Generator/GBlock/CrossReplicaBN/accumulation_counter', fromFloat32([], Float32Array.of(1)))
  out.set('global_step', fromInts([], [250000], 'I64'))
  return out
}

function transpose2d(t: RawTensor): RawTensor {
  const [a, b] = t.shape
  const v = toFloat32(t)
  const out = new Float32Array(v.length)
  for (let i = 0; i < a; i++) for (let j = 0; j < b; j++) out[j * a + i] = v[i * b + j]
  return fromFloat32([b, a], out)
}

/** OIHW → HWIO. */
function oihwToHwio(t: RawTensor): RawTensor {
  const [o, i, h, w] = t.shape
  const v = toFloat32(t)
  const out = new Float32Array(v.length)
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < i; c++) for (let k = 0; k < o; k++) {
    out[((y * w + x) * i + c) * o + k] = v[((k * i + c) * h + y) * w + x]
  }
  return fromFloat32([h, w, i, o], out)
}

/** The engine's BigGAN-deep G as a module's variables (through pytorch-pretrained-BigGAN's state dict, the way the
 *  converter went the other way) and its statistics, in the converter's stack order. */
export function deepHubVariables(config: ModelConfig, G: TensorMap): { variables: TensorMap; stacks: RawTensor[] } {
  const hf = exportHfBigganDeep(config, G).tensors
  const hfConfig = modelConfigToHf(config)
  const variables: TensorMap = new Map()
  for (const row of hubBigganDeepRows(hfConfig.layers.length, hfConfig.attention_layer_position)) {
    const t = hf.get(row.hf)!
    const tf = row.layout === 'linear' ? transpose2d(t) : row.layout === 'conv' ? oihwToHwio(t) : t
    variables.set(row.ema ? `${row.hub}/${deepEmaSuffix}` : row.hub, tf)
  }
  variables.set('global_step', fromInts([], [1], 'I64'))
  const stacks = [...hf.keys()].filter((k) => /running_(means|vars)$/.test(k)).map((k) => hf.get(k)!)
  return { variables, stacks }
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)

/** A SavedModel proto whose one graph has `stack_N` = Pack(Const rows…) for each statistics tensor, plus an integer
 *  `stack_0` (real graphs stack shapes too) that the reader must pass over. */
export function savedModelWithStacks(stacks: RawTensor[]): Uint8Array {
  const nodes: Uint8Array[] = []
  const attr = (key: string, value: Uint8Array): [number, Uint8Array] => [5, proto([[1, enc(key)], [2, value]])]
  const constNode = (name: string, shape: number[], content: Uint8Array, dtype = 1): Uint8Array => {
    const tensorShape = proto(shape.map((d) => [2, proto([[1, d]])]))
    const tensor = proto([[1, dtype], [2, tensorShape], [4, content]])
    return proto([[1, enc(name)], [2, enc('Const')], attr('value', proto([[8, tensor]])), attr('dtype', proto([[6, dtype]]))])
  }
  const names = statisticsStackNames(stacks.length)
  stacks.forEach((t, s) => {
    const [rows, channels] = t.shape
    const inputs: string[] = []
    for (let r = 0; r < rows; r++) {
      const name = `${names[s]}/row_${r}`
      nodes.push(constNode(name, [channels], t.data.slice(r * channels * 4, (r + 1) * channels * 4)))
      inputs.push(`${name}:0`)
    }
    nodes.push(proto([[1, enc(names[s])], [2, enc('Pack')], ...inputs.map((n): [number, Uint8Array] => [3, enc(n)]),
      attr('axis', proto([[3, 0]])), attr('N', proto([[3, rows]]))]))
  })
  nodes.push(constNode('shape_a', [2], new Uint8Array(Int32Array.of(4, 4).buffer), 3))
  nodes.push(proto([[1, enc('stack_0')], [2, enc('Pack')], [3, enc('shape_a')]]))
  const graph = proto(nodes.map((n): [number, Uint8Array] => [1, n]))
  return proto([[1, 1], [2, proto([[2, graph]])]])
}

/** Writes a module folder: saved_model.pb and variables/variables.{index,data-00000-of-00001}. */
export function writeModuleFolder(dir: string, bundle: Bundle, savedModel: Uint8Array = proto([[1, 1]])): void {
  mkdirSync(join(dir, 'variables'), { recursive: true })
  writeFileSync(join(dir, 'saved_model.pb'), savedModel)
  writeFileSync(join(dir, 'variables', 'variables.index'), bundle.index)
  writeFileSync(join(dir, 'variables', 'variables.data-00000-of-00001'), bundle.data)
}

export interface TarEntry {
  path: string
  type?: 'file' | 'dir' | 'symlink' | 'hardlink'
  data?: Uint8Array
  linkpath?: string
}

/** A gzipped ustar archive of exactly these entries, names unchecked. */
export function tarGz(entries: TarEntry[]): Uint8Array {
  const blocks: Uint8Array[] = []
  for (const e of entries) {
    const data = e.data ?? new Uint8Array(0)
    const header = new Uint8Array(512)
    const put = (offset: number, length: number, text: string): void => header.set(enc(text).subarray(0, length), offset)
    const octal = (offset: number, length: number, n: number): void => put(offset, length, n.toString(8).padStart(length - 1, '0'))
    put(0, 100, e.path)
    octal(100, 8, e.type === 'dir' ? 0o755 : 0o644)
    octal(108, 8, 0)
    octal(116, 8, 0)
    octal(124, 12, e.type === 'file' || !e.type ? data.byteLength : 0)
    octal(136, 12, 0)
    header[156] = { file: 0x30, dir: 0x35, symlink: 0x32, hardlink: 0x31 }[e.type ?? 'file']
    put(157, 100, e.linkpath ?? '')
    put(257, 6, 'ustar')
    put(263, 2, '00')
    header.fill(0x20, 148, 156)
    const sum = header.reduce((a, b) => a + b, 0)
    put(148, 8, `${sum.toString(8).padStart(6, '0')}\0 `)
    blocks.push(header)
    if (!e.type || e.type === 'file') {
      const padded = new Uint8Array(Math.ceil(data.byteLength / 512) * 512)
      padded.set(data)
      blocks.push(padded)
    }
  }
  blocks.push(new Uint8Array(1024))
  const all = new Uint8Array(blocks.reduce((n, b) => n + b.byteLength, 0))
  let at = 0
  for (const b of blocks) {
    all.set(b, at)
    at += b.byteLength
  }
  return new Uint8Array(gzipSync(all))
}

/** A module's files as archive entries under `root/`. */
export function moduleEntries(root: string, bundle: Bundle, savedModel: Uint8Array = proto([[1, 1]])): TarEntry[] {
  return [
    { path: `${root}/`, type: 'dir' },
    { path: `${root}/saved_model.pb`, data: savedModel },
    { path: `${root}/variables/`, type: 'dir' },
    { path: `${root}/variables/variables.index`, data: bundle.index },
    { path: `${root}/variables/variables.data-00000-of-00001`, data: bundle.data },
  ]
}

export { writeBundle }
