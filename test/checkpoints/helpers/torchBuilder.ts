// Tiny torch checkpoints built by hand: an OrderedDict state dict pickled like torch.save does, packed as a zip
// or as the legacy stream. Used as small seeds and as the base that hostile tests break one field of.

import { PickleBuilder, pickle } from './pickleBuilder'
import { buildZip, type ZipInput, type ZipOptions } from './zipBuilder'

export interface TinyTensor {
  name: string
  /** storage key; tensors sharing a key share a storage */
  key: string
  numel: number
  values: Float32Array
  offset?: number
  size?: number[]
  stride?: number[]
}

export function tinyTensors(): TinyTensor[] {
  return [
    { name: 'linear.weight', key: '0', numel: 6, values: Float32Array.from([1, 2, 3, 4, 5, 6]), size: [2, 3], stride: [3, 1] },
    { name: 'linear.bias', key: '1', numel: 2, values: Float32Array.from([0.5, -0.5]) },
    // a transposed view of storage 0: [3,2] with strides (1,3)
    { name: 'linear.weight_t', key: '0', numel: 6, values: Float32Array.from([1, 2, 3, 4, 5, 6]), size: [3, 2], stride: [1, 3] },
  ]
}

/** The state-dict pickle; `legacy` adds the view field to each persistent id. */
export function stateDictPickle(tensors: TinyTensor[], legacy = false, extra?: (b: PickleBuilder) => void): Uint8Array {
  const p = pickle().proto(2).global('collections', 'OrderedDict').emptyTuple().reduce().mark()
  for (const t of tensors) {
    p.unicode(t.name).tensor((b) => b.storage(t.key, t.numel, 'FloatStorage', legacy), t.offset ?? 0, t.size ?? [t.numel], t.stride ?? [1])
  }
  p.setitems()
  extra?.(p)
  return p.stop().bytes()
}

function storageBytes(tensors: TinyTensor[]): Map<string, Uint8Array> {
  const m = new Map<string, Uint8Array>()
  for (const t of tensors) if (!m.has(t.key)) m.set(t.key, new Uint8Array(t.values.slice().buffer))
  return m
}

export function tinyTorchZip(
  tensors = tinyTensors(),
  options: ZipOptions & { extraEntries?: ZipInput[]; pkl?: Uint8Array; prefix?: string; bigEndian?: boolean } = {},
): Uint8Array {
  const prefix = options.prefix ?? 'archive'
  const entries: ZipInput[] = [{ name: `${prefix}/data.pkl`, data: options.pkl ?? stateDictPickle(tensors) }]
  for (const [key, data] of storageBytes(tensors)) {
    // float32 storages: reverse each 4-byte group for a big-endian file
    const stored = options.bigEndian ? data.map((_, i) => data[i - (i % 4) + 3 - (i % 4)]) : data
    entries.push({ name: `${prefix}/data/${key}`, data: stored })
  }
  if (options.bigEndian) entries.push({ name: `${prefix}/byteorder`, data: new TextEncoder().encode('big') })
  entries.push({ name: `${prefix}/version`, data: new TextEncoder().encode('3\n') }, ...(options.extraEntries ?? []))
  return buildZip(entries, { zip64: true, ...options, prefix: undefined })
}

/** Magic, protocol, sys_info, object, key list, then per key an int64 count and the bytes. */
export function tinyTorchLegacy(
  tensors = tinyTensors(),
  options: { keys?: string[]; dataKeys?: string[]; counts?: Map<string, number>; trailing?: Uint8Array; pkl?: Uint8Array; littleEndian?: boolean } = {},
): Uint8Array {
  const parts: Uint8Array[] = []
  parts.push(pickle().proto(2).long1(0x1950a86a20f9469cfc6cn).stop().bytes())
  parts.push(pickle().proto(2).int(1001).stop().bytes())
  parts.push(pickle().proto(2).emptyDict().mark().unicode('protocol_version').int(1001)
    .unicode('little_endian').bool(options.littleEndian ?? true).setitems().stop().bytes())
  parts.push(options.pkl ?? stateDictPickle(tensors, true))
  const storages = storageBytes(tensors)
  const keys = options.keys ?? [...storages.keys()]
  const kp = pickle().proto(2).emptyList().mark()
  for (const k of keys) kp.unicode(k)
  parts.push(kp.appends().stop().bytes())
  for (const k of options.dataKeys ?? keys) {
    const data = storages.get(k) ?? new Uint8Array(0)
    const count = new Uint8Array(8)
    new DataView(count.buffer).setBigInt64(0, BigInt(options.counts?.get(k) ?? data.byteLength / 4), true)
    parts.push(count, data)
  }
  if (options.trailing) parts.push(options.trailing)
  return concat(parts)
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.byteLength, 0))
  let at = 0
  for (const p of parts) { out.set(p, at); at += p.byteLength }
  return out
}
