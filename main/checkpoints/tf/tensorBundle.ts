// TensorFlow tensor bundles (what tf.train.Checkpoint and SavedModel write under variables/): a `<prefix>.index`
// sorted string table whose first entry (the empty key) is a BundleHeaderProto and every other entry a
// BundleEntryProto (dtype, shape, shard, offset, size, masked CRC-32C), and `<prefix>.data-NNNNN-of-NNNNN` shards
// of raw little-endian tensor bytes. Pure: the index's and the shards' bytes in, tensors out; every entry's bounds
// and checksum are checked before its bytes are handed over.

import { CheckpointError } from '../../tensors/errors.ts'
import { checkedNumel, itemSize, maxNameLength, plainBytes, type DType, type TensorMap } from '../../tensors/tensor.ts'
import type { ReadOptions } from '../cancel.ts'
import { crc32c, unmaskCrc } from './crc32c.ts'
import { Message, WireReader } from './protobuf.ts'
import { readSortedTable } from './sortedTable.ts'

/** TensorFlow's DataType enum values for the dtypes the engine can use. */
export const tfDTypes: Partial<Record<number, DType>> = {
  1: 'F32', 2: 'F64', 3: 'I32', 4: 'U8', 5: 'I16', 6: 'I8', 9: 'I64', 10: 'BOOL', 14: 'BF16', 19: 'F16',
}
export const tfString = 7
/** The rest of the enum by name, so that a refusal can say which dtype it met. */
const otherTFDTypes: Record<number, string> = {
  8: 'complex64', 11: 'qint8', 12: 'quint8', 13: 'qint32', 15: 'qint16', 16: 'quint16', 17: 'uint16',
  18: 'complex128', 20: 'resource', 21: 'variant', 22: 'uint32', 23: 'uint64',
}

export interface BundleEntry {
  name: string
  /** TensorFlow's DataType enum */
  tfDType: number
  shape: number[]
  shardId: number
  offset: number
  size: number
  /** the masked CRC-32C of the tensor's bytes, as stored */
  crc32c: number
}

export interface BundleIndex {
  numShards: number
  /** in key (name) order, the header entry left out */
  entries: BundleEntry[]
}

/** A DT_STRING tensor: its elements as bytes (TensorFlow strings are bytes, not text). */
export interface StringTensor {
  shape: number[]
  values: Uint8Array[]
}

export interface TensorBundle {
  numShards: number
  tensors: TensorMap
  strings: Map<string, StringTensor>
}

export interface TensorBundleFiles {
  /** the `.index` file's bytes */
  index: Uint8Array
  /** shard i's bytes at position i; a shard no entry uses may be absent */
  shards: readonly (Uint8Array | undefined)[]
  /** names for messages */
  indexFile?: string
  shardFiles?: readonly string[]
}

/** The most shards a bundle names: the file names give the shard number five digits. */
const maxShards = 99_999

/** `variables.data-00000-of-00001` for prefix `variables`, shard 0 of 1. */
export function shardFileName(prefix: string, shard: number, numShards: number): string {
  const five = (n: number): string => String(n).padStart(5, '0')
  return `${prefix}.data-${five(shard)}-of-${five(numShards)}`
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** Parses the index: the header and one checked entry per tensor (shapes, dtypes, sizes; not yet the shards). */
export function parseBundleIndex(index: Uint8Array, file?: string, options: ReadOptions = {}): BundleIndex {
  const table = readSortedTable(plainBytes(index), file, options)
  if (table.length === 0 || table[0].key.byteLength !== 0) {
    throw new CheckpointError('bad-header', 'the index has no header entry (the empty key comes first in every ' +
      'tensor bundle); this sorted table is not a TensorFlow checkpoint index', file)
  }
  const numShards = readHeader(table[0].value, file)
  const entries: BundleEntry[] = []
  for (const { key, value } of table.slice(1)) {
    options.checkCancelled?.()
    let name: string
    try {
      name = utf8.decode(key)
    } catch {
      throw new CheckpointError('bad-header', 'a tensor name in the index is not UTF-8; the index is corrupt', file)
    }
    if (name.length > maxNameLength) {
      throw new CheckpointError('too-large', `the name is longer than the ${maxNameLength} characters a tensor name takes`, file, name)
    }
    entries.push(readEntry(name, value, numShards, file))
  }
  return { numShards, entries }
}

function readHeader(bytes: Uint8Array, file?: string): number {
  const header = new Message(bytes, 'the bundle header', file)
  const numShards = header.count(1, 'num_shards')
  if (numShards < 1 || numShards > maxShards) header.fail(`num_shards is ${numShards}; a bundle has 1 to ${maxShards}`)
  if (header.varint(2, 'endianness') !== 0n) {
    throw new CheckpointError('unsupported', 'the bundle was written big-endian; re-save it on a little-endian ' +
      'machine (x86, ARM)', file)
  }
  const version = header.bytes(3, 'version')
  if (version) {
    const minConsumer = new Message(version, 'the bundle version', file).count(2, 'min_consumer')
    if (minConsumer > 1) {
      throw new CheckpointError('unsupported', `the bundle needs a reader of version ${minConsumer} or later ` +
        '(this one reads version 1, as TensorFlow 1.x and 2.x write); re-save it with tf.train.Checkpoint', file)
    }
  }
  return numShards
}

function readEntry(name: string, bytes: Uint8Array, numShards: number, file?: string): BundleEntry {
  const m = new Message(bytes, `the index entry of '${name}'`, file)
  const fail = (code: 'bad-header' | 'unsupported' | 'too-large', message: string): never => {
    throw new CheckpointError(code, message, file, name)
  }
  if (m.has(7)) {
    fail('unsupported', 'is a partitioned variable (saved in slices); load it in TensorFlow and save it whole')
  }
  const tfDType = Number(m.varint(1, 'dtype'))
  const dtype = tfDTypes[tfDType]
  if (!dtype && tfDType !== tfString) {
    const known = otherTFDTypes[tfDType]
    fail(known ? 'unsupported' : 'bad-header', known
      ? `has dtype ${known}, which the engine cannot use; cast it to float32 in TensorFlow first`
      : `has dtype ${tfDType}, which is not a TensorFlow DataType`)
  }
  const shape: number[] = []
  const shapeBytes = m.bytes(2, 'shape')
  if (shapeBytes) {
    const s = new Message(shapeBytes, `the shape of '${name}'`, file)
    if (s.varint(3, 'unknown_rank') !== 0n) fail('bad-header', 'has an unknown rank; a saved tensor has a full shape')
    for (const dim of s.repeatedBytes(2, 'dim')) {
      const size = new Message(dim, `a dimension of '${name}'`, file).varint(1, 'size')
      if (size > BigInt(Number.MAX_SAFE_INTEGER)) {
        fail(size >= 1n << 63n ? 'bad-header' : 'too-large', size >= 1n << 63n
          ? `has a dimension of ${size - (1n << 64n)}; a saved tensor's dimensions are known and non-negative`
          : `has a dimension of ${size}, larger than 2^53`)
      }
      shape.push(Number(size))
    }
  }
  const count = checkedNumel(shape)
  if (count === null) fail('too-large', `shape [${shape}] has more than 2^53 elements`)
  const shardId = m.count(3, 'shard_id')
  if (shardId >= numShards) fail('bad-header', `is in shard ${shardId}, but the header says there are ${numShards}`)
  const offset = m.count(4, 'offset')
  const size = m.count(5, 'size')
  if (dtype && size !== count! * itemSize[dtype]) {
    fail('bad-header', `the index gives it ${size} bytes, but ${dtype} [${shape}] takes ${count! * itemSize[dtype]}`)
  }
  return { name, tfDType, shape, shardId, offset, size, crc32c: m.fixed32(6, 'crc32c') }
}

/** Reads every tensor of a bundle held in memory. Each tensor's bytes are a view into its shard. */
export function readTensorBundle(files: TensorBundleFiles, options: ReadOptions = {}): TensorBundle {
  const { numShards, entries } = parseBundleIndex(files.index, files.indexFile, options)
  const tensors: TensorMap = new Map()
  const strings = new Map<string, StringTensor>()
  for (const e of entries) {
    options.checkCancelled?.()
    const shardFile = files.shardFiles?.[e.shardId] ?? `shard ${e.shardId}`
    const shard = files.shards[e.shardId]
    if (!shard) {
      throw new CheckpointError('missing-key', `is stored in ${shardFile}, which is missing; copy every ` +
        `.data-NNNNN-of-${String(numShards).padStart(5, '0')} file of the bundle next to its index`, files.indexFile, e.name)
    }
    if (e.offset > shard.byteLength || e.size > shard.byteLength - e.offset) {
      throw new CheckpointError('truncated', `bytes ${e.offset}..${e.offset + e.size} lie past the end of ` +
        `${shardFile} (${shard.byteLength} bytes); the shard is cut short or belongs to another index`, shardFile, e.name)
    }
    const bytes = plainBytes(shard).subarray(e.offset, e.offset + e.size)
    const crc = crc32c(bytes)
    const dtype = tfDTypes[e.tfDType]
    if (dtype) {
      checkCrc(unmaskCrc(e.crc32c), crc, shardFile, e.name)
      // aligned for the dtype, or copied so that a typed-array view over it is possible
      const data = bytes.byteOffset % itemSize[dtype] === 0 ? bytes : bytes.slice()
      tensors.set(e.name, { dtype, shape: [...e.shape], data })
    } else {
      strings.set(e.name, readStrings(e, bytes, shardFile))
    }
  }
  return { numShards, tensors, strings }
}

function checkCrc(expected: number, actual: number, file: string, name: string): void {
  if (expected !== actual) {
    throw new CheckpointError('bad-header', 'its bytes fail the CRC-32C check the index records; the data shard is ' +
      'corrupt or does not belong to this index', file, name)
  }
}

/** DT_STRING on disk: a varint length per element, the masked CRC-32C of those lengths (each as a little-endian
 *  uint32, or uint64 above 2^32), then the elements' bytes. The entry's CRC covers the lengths in that same form,
 *  the stored length checksum and the bytes. */
function readStrings(e: BundleEntry, bytes: Uint8Array, file: string): StringTensor {
  const count = checkedNumel(e.shape)!
  if (count > bytes.byteLength) {
    throw new CheckpointError('bad-header', `a string tensor of ${count} elements cannot fit in ${bytes.byteLength} bytes`, file, e.name)
  }
  const r = new WireReader(bytes, `string tensor '${e.name}'`, file)
  const lengths: number[] = []
  let crc = 0
  for (let i = 0; i < count; i++) {
    const n = r.size('a string length')
    lengths.push(n)
    const wide = n > 0xffffffff
    const le = new Uint8Array(wide ? 8 : 4)
    for (let b = 0; b < le.length; b++) le[b] = Math.floor(n / 2 ** (8 * b)) & 0xff
    crc = crc32c(le, crc)
  }
  const stored = r.take(4, 'the length checksum')
  if (unmaskCrc(new DataView(stored.buffer, stored.byteOffset, 4).getUint32(0, true)) !== crc) {
    throw new CheckpointError('bad-header', 'its string lengths fail their CRC-32C check; the shard is corrupt', file, e.name)
  }
  crc = crc32c(stored, crc)
  const values = lengths.map((n) => r.take(n, 'a string'))
  if (!r.done) {
    throw new CheckpointError('bad-header', `${bytes.byteLength - r.pos} bytes follow its last string`, file, e.name)
  }
  for (const v of values) crc = crc32c(v, crc)
  checkCrc(unmaskCrc(e.crc32c), crc, file, e.name)
  return { shape: [...e.shape], values: values.map((v) => v.slice()) }
}
