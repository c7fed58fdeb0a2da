// Writes TensorFlow tensor bundles (a `.index` sorted table and one `.data` shard) the way TensorFlow's
// BundleWriter does: the header under the empty key, one BundleEntryProto per tensor in name order, prefix-compressed
// keys with restarts, uncompressed blocks with masked CRC-32C trailers, an empty metaindex and the 48-byte footer.
// For tests: synthetic TF-Hub modules and hostile variations of them.

import { crc32c, maskCrc } from '../../../main/checkpoints/tf/crc32c'
import { tableMagic } from '../../../main/checkpoints/tf/sortedTable'
import type { DType, RawTensor } from '../../../main/tensors/tensor'

const tfDType: Record<DType, number> = { F32: 1, F64: 2, I32: 3, U8: 4, I16: 5, I8: 6, I64: 9, BOOL: 10, BF16: 14, F16: 19 }

export function varint(n: number | bigint): number[] {
  let v = BigInt(n)
  const out: number[] = []
  do {
    const b = Number(v & 0x7fn)
    v >>= 7n
    out.push(v > 0n ? b | 0x80 : b)
  } while (v > 0n)
  return out
}

/** Protobuf fields: [field, value] with numbers/bigints as varints, bytes as length-delimited, {fixed32} as 32 bits. */
export function proto(fields: [number, number | bigint | Uint8Array | { fixed32: number }][]): Uint8Array {
  const out: number[] = []
  for (const [field, value] of fields) {
    if (value instanceof Uint8Array) out.push(...varint((field << 3) | 2), ...varint(value.byteLength), ...value)
    else if (typeof value === 'object') {
      out.push(...varint((field << 3) | 5))
      for (let i = 0; i < 4; i++) out.push((value.fixed32 >>> (8 * i)) & 0xff)
    } else out.push(...varint(field << 3), ...varint(value))
  }
  return Uint8Array.from(out)
}

export interface BundleOptions {
  /** bytes of entries per data block before a new block starts (TensorFlow: 4096) */
  blockSize?: number
  /** the header's num_shards (default 1) */
  numShards?: number
  /** change an entry's protobuf fields before it is written */
  editEntry?: (name: string, fields: [number, number | bigint | Uint8Array | { fixed32: number }][]) => void
  /** change a block's contents before its trailer (with a CRC that matches the change) is written */
  editBlock?: (contents: Uint8Array, which: 'data' | 'meta' | 'index') => Uint8Array
}

export interface Bundle {
  index: Uint8Array
  data: Uint8Array
}

function u32(n: number): number[] {
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff]
}

/** One table block: prefix-compressed entries, a restart every 16 entries, the restart array and its count. */
function block(entries: [Uint8Array, Uint8Array][]): Uint8Array {
  const out: number[] = []
  const restarts: number[] = []
  let prev: Uint8Array = new Uint8Array(0)
  entries.forEach(([key, value], i) => {
    let shared = 0
    if (i % 16 === 0) restarts.push(out.length)
    else while (shared < prev.length && shared < key.length && prev[shared] === key[shared]) shared++
    out.push(...varint(shared), ...varint(key.length - shared), ...varint(value.length), ...key.subarray(shared), ...value)
    prev = key
  })
  if (restarts.length === 0) restarts.push(0)
  for (const r of restarts) out.push(...u32(r))
  out.push(...u32(restarts.length))
  return Uint8Array.from(out)
}

/** The table's bytes: data blocks, metaindex, index (pointing at each data block by its last key), footer. */
export function sortedTable(
  entries: [Uint8Array, Uint8Array][], blockSize = 4096, editBlock?: BundleOptions['editBlock'],
): Uint8Array {
  const file: number[] = []
  const put = (raw: Uint8Array, which: 'data' | 'meta' | 'index' = 'data'): [number, number] => {
    const contents = editBlock ? editBlock(raw, which) : raw
    const offset = file.length
    file.push(...contents, 0, ...u32(maskCrc(crc32c(Uint8Array.of(0), crc32c(contents)))))
    return [offset, contents.length]
  }
  const indexEntries: [Uint8Array, Uint8Array][] = []
  let current: [Uint8Array, Uint8Array][] = []
  let bytes = 0
  const flush = (): void => {
    if (current.length === 0) return
    const [offset, size] = put(block(current))
    indexEntries.push([current[current.length - 1][0], Uint8Array.from([...varint(offset), ...varint(size)])])
    current = []
    bytes = 0
  }
  for (const e of entries) {
    current.push(e)
    bytes += e[0].length + e[1].length
    if (bytes >= blockSize) flush()
  }
  flush()
  const meta = put(block([]), 'meta')
  const index = put(block(indexEntries), 'index')
  const footer = [...varint(meta[0]), ...varint(meta[1]), ...varint(index[0]), ...varint(index[1])]
  while (footer.length < 40) footer.push(0)
  for (let i = 0n; i < 8n; i++) footer.push(Number((tableMagic >> (8n * i)) & 0xffn))
  file.push(...footer)
  return Uint8Array.from(file)
}

/** A bundle of `tensors` (any order; written sorted by name, as TensorFlow does), all in shard 0. */
export function writeBundle(tensors: Iterable<[string, RawTensor]>, options: BundleOptions = {}): Bundle {
  const enc = new TextEncoder()
  const sorted = [...tensors].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  const chunks: Uint8Array[] = []
  let offset = 0
  const entries: [Uint8Array, Uint8Array][] = [
    [new Uint8Array(0), proto([[1, options.numShards ?? 1], [3, proto([[1, 1]])]])],
  ]
  for (const [name, t] of sorted) {
    const shape = proto(t.shape.map((d) => [2, proto([[1, d]])]))
    const fields: [number, number | bigint | Uint8Array | { fixed32: number }][] = [
      [1, tfDType[t.dtype]], [2, shape], [4, offset], [5, t.data.byteLength], [6, { fixed32: maskCrc(crc32c(t.data)) }],
    ]
    options.editEntry?.(name, fields)
    entries.push([enc.encode(name), proto(fields)])
    chunks.push(t.data)
    offset += t.data.byteLength
  }
  const data = new Uint8Array(offset)
  let at = 0
  for (const c of chunks) {
    data.set(c, at)
    at += c.byteLength
  }
  return { index: sortedTable(entries, options.blockSize, options.editBlock), data }
}

/** A small bundle with every dtype the reader hands over and a few blocks, as a fuzz seed. */
export const tinyBundle: Bundle = writeBundle([
  ['Generator/GBlock/conv0/w', { dtype: 'F32', shape: [1, 1, 2, 3], data: new Uint8Array(new Float32Array([1, 2, 3, 4, 5, 6]).buffer) }],
  ['Generator/GBlock/conv0/u0', { dtype: 'F32', shape: [1, 3], data: new Uint8Array(new Float32Array([0.5, 0.5, 0.5]).buffer) }],
  ['global_step', { dtype: 'I64', shape: [], data: new Uint8Array(new BigInt64Array([7n]).buffer) }],
  ['linear/w', { dtype: 'F16', shape: [2], data: new Uint8Array(new Uint16Array([0x3c00, 0xc000]).buffer) }],
  ['mask', { dtype: 'BOOL', shape: [3], data: Uint8Array.of(0, 1, 1) }],
], { blockSize: 64 })
