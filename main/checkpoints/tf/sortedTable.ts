// TensorFlow's sorted string table (LevelDB's table format), which a tensor bundle's `.index` file is: data blocks
// of prefix-compressed key/value entries with a restart array, each followed by a 5-byte trailer (compression type,
// masked CRC-32C); an index block whose values point at the data blocks; a metaindex block; and a 48-byte footer
// holding the two block handles and the magic number. Pure: bytes in, entries out, every offset checked first.

import { CheckpointError } from '../../tensors/errors.ts'
import type { ReadOptions } from '../cancel.ts'
import { crc32c, unmaskCrc } from './crc32c.ts'
import { WireReader } from './protobuf.ts'

export interface TableEntry {
  key: Uint8Array
  value: Uint8Array
}

export const footerLength = 48
/** kTableMagicNumber, stored little-endian in the file's last 8 bytes. */
export const tableMagic = 0xdb4775248b80fb57n
const trailerLength = 5
/** Keys longer than this are refused, and all keys together may not exceed `keyBudget`: prefix compression lets a
 *  small hostile block describe keys whose total length grows with the square of its size. Tensor names are far
 *  shorter. */
export const maxKeyLength = 1024
const keyBudget = (fileBytes: number): number => 64 * 2 ** 20 + 8 * fileBytes

interface BlockHandle {
  offset: number
  size: number
}

function readHandle(r: WireReader, what: string): BlockHandle {
  return { offset: r.size(`${what} offset`), size: r.size(`${what} size`) }
}

/** Reads every entry of the table in key order. Keys must be strictly increasing, as TensorFlow writes them. */
export function readSortedTable(bytes: Uint8Array, file?: string, options: ReadOptions = {}): TableEntry[] {
  const fail = (code: 'truncated' | 'bad-header' | 'bad-magic', message: string): never => {
    throw new CheckpointError(code, message, file)
  }
  if (bytes.byteLength < footerLength) {
    fail('truncated', `${bytes.byteLength} bytes is too short for a TensorFlow index (its footer alone takes ${footerLength})`)
  }
  const footerStart = bytes.byteLength - footerLength
  const magic = new DataView(bytes.buffer, bytes.byteOffset + bytes.byteLength - 8, 8).getBigUint64(0, true)
  if (magic !== tableMagic) {
    fail('bad-magic', 'the last 8 bytes are not the table magic number; this is not a TensorFlow variables.index ' +
      'file, or it is cut short')
  }
  const footer = new WireReader(bytes.subarray(footerStart, bytes.byteLength - 8), 'index footer', file)
  const metaindex = readHandle(footer, 'metaindex block')
  const index = readHandle(footer, 'index block')

  const block = (h: BlockHandle, what: string): Uint8Array => {
    if (h.offset > footerStart || h.size + trailerLength > footerStart - h.offset) {
      fail('truncated', `${what} at offset ${h.offset} with ${h.size} bytes runs past the table's data ` +
        `(${footerStart} bytes before the footer); the file is cut short or corrupt`)
    }
    const contents = bytes.subarray(h.offset, h.offset + h.size)
    const type = bytes[h.offset + h.size]
    const stored = new DataView(bytes.buffer, bytes.byteOffset + h.offset + h.size + 1, 4).getUint32(0, true)
    const actual = crc32c(Uint8Array.of(type), crc32c(contents))
    if (unmaskCrc(stored) !== actual) {
      fail('bad-header', `${what} at offset ${h.offset} fails its CRC-32C check; the file is corrupt`)
    }
    if (type !== 0) {
      throw new CheckpointError('unsupported', `${what} at offset ${h.offset} is compressed (type ${type}, ` +
        '1 is Snappy); only uncompressed tables, as TensorFlow writes tensor bundles, can be read', file)
    }
    return contents
  }

  block(metaindex, 'metaindex block')
  const entries: TableEntry[] = []
  let previous: Uint8Array | undefined
  const budget = { left: keyBudget(bytes.byteLength) }
  let nextBlock = 0
  for (const { value } of blockEntries(block(index, 'index block'), 'index block', budget, file)) {
    options.checkCancelled?.()
    const r = new WireReader(value, 'index entry', file)
    const handle = readHandle(r, 'data block')
    // data blocks come one after another; a handle pointing back would let a small index make the reader go over
    // the same block again and again
    if (handle.offset < nextBlock) {
      fail('bad-header', `the index points at a data block at offset ${handle.offset}, before the end of the ` +
        `previous one (${nextBlock}); the index is corrupt`)
    }
    nextBlock = handle.offset + handle.size + trailerLength
    const data = block(handle, 'data block')
    for (const entry of blockEntries(data, `data block at offset ${handle.offset}`, budget, file)) {
      if (previous && compareBytes(previous, entry.key) >= 0) {
        fail('bad-header', `key ${JSON.stringify(latin1(entry.key))} is not after ${JSON.stringify(latin1(previous))}; ` +
          'a table\'s keys are strictly increasing, so the index is corrupt')
      }
      previous = entry.key
      entries.push(entry)
    }
  }
  return entries
}

/** The entries of one block: `shared`, `unshared`, `value length` varints, the key's new bytes, the value; then
 *  the restart offsets (u32 each) and their count (u32). */
function blockEntries(contents: Uint8Array, what: string, budget: { left: number }, file?: string): TableEntry[] {
  const fail = (message: string): never => {
    throw new CheckpointError('bad-header', `${what}: ${message}`, file)
  }
  if (contents.byteLength < 4) fail(`${contents.byteLength} bytes cannot hold the restart count`)
  const view = new DataView(contents.buffer, contents.byteOffset, contents.byteLength)
  const restarts = view.getUint32(contents.byteLength - 4, true)
  if (restarts > (contents.byteLength - 4) / 4) fail(`${restarts} restart points do not fit in ${contents.byteLength} bytes`)
  const end = contents.byteLength - 4 - 4 * restarts
  const r = new WireReader(contents.subarray(0, end), what, file)
  const out: TableEntry[] = []
  let key = new Uint8Array(0)
  while (!r.done) {
    const shared = r.size('shared key length')
    const unshared = r.size('unshared key length')
    const valueLength = r.size('value length')
    if (shared > key.byteLength) fail(`an entry shares ${shared} bytes with a previous key of ${key.byteLength}`)
    if (shared + unshared > maxKeyLength) fail(`a key of ${shared + unshared} bytes is longer than the ${maxKeyLength} allowed`)
    budget.left -= shared + unshared
    if (budget.left < 0) {
      throw new CheckpointError('too-large', `${what}: the keys' total length exceeds what an index of this size ` +
        'can honestly hold; the index is corrupt', file)
    }
    const next = new Uint8Array(shared + unshared)
    next.set(key.subarray(0, shared))
    next.set(r.take(unshared, 'a key'), shared)
    key = next
    out.push({ key, value: r.take(valueLength, 'a value') })
  }
  return out
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.byteLength, b.byteLength)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i]
  return a.byteLength - b.byteLength
}

function latin1(bytes: Uint8Array): string {
  return String.fromCharCode(...bytes.subarray(0, 80))
}
