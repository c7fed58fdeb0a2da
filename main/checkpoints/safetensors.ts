// safetensors reader: 8-byte little-endian header length N, N bytes of UTF-8 JSON, then raw little-endian tensor
// data. Every check of the Rust reference runs before anything is allocated, plus the JS-specific ones
// (BigInt N, fatal UTF-8, duplicate keys, `__proto__` names, 2^53, alignment).

import { CheckpointError } from '../tensors/errors.ts'
import type { ReadOptions } from './cancel'
import { parseJson, type JsonValue } from './json'
import {
  checkedNumel, isDType, itemSize, maxNameLength, plainBytes, type DType, type RawTensor, type TensorMap,
} from '../tensors/tensor.ts'

export { encodeSafetensorsHeader, writeSafetensors, type SafetensorsSpec } from './safetensorsWrite'

/** The Rust reference's HeaderTooLarge limit. */
export const maxHeaderBytes = 100_000_000

export interface SafetensorsEntry {
  name: string
  dtype: DType
  shape: number[]
  /** absolute byte offsets in the file, end exclusive */
  begin: number
  end: number
}

export interface SafetensorsHeader {
  /** in file order (the JSON's order), offsets already checked to tile the data section */
  entries: SafetensorsEntry[]
  metadata: Record<string, string>
  /** 8 + N: where tensor data starts */
  dataStart: number
}

// Legal in the format but not something this app can compute with: named so the error can say so.
const unsupportedDTypes = new Set([
  'U16', 'U32', 'U64', 'F8_E4M3', 'F8_E5M2', 'F8_E8M0', 'F6_E2M3', 'F6_E3M2', 'F4', 'C64', 'C128',
])

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** Reads and checks N from the first 8 bytes; returns the header length as a safe number. */
export function readHeaderLength(first8: Uint8Array, fileSize: number, file?: string): number {
  if (first8.byteLength < 8 || fileSize < 8) {
    throw new CheckpointError(
      'truncated', `${fileSize} bytes is too short for a safetensors file (the header length alone takes 8)`, file,
    )
  }
  // Compare as BigInt: Number() of a u64 above 2^53 rounds, and a rounded length would pass the checks below.
  const n = new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true)
  if (n > BigInt(maxHeaderBytes)) {
    throw new CheckpointError(
      'too-large', `header length ${n} exceeds the ${maxHeaderBytes}-byte limit; this is not a safetensors file`, file,
    )
  }
  if (8n + n > BigInt(fileSize)) {
    throw new CheckpointError(
      'truncated', `header length ${n} runs past the end of the ${fileSize}-byte file; the file is cut short`, file,
    )
  }
  return Number(n)
}

/**
 * Parses and checks the header. `prefix` holds at least the first 8 + N bytes of the file; `fileSize` is the whole
 * file's size, so a streaming reader can check offsets without reading any tensor data.
 */
export function parseSafetensorsHeader(
  prefix: Uint8Array, fileSize: number, file?: string, options: ReadOptions = {},
): SafetensorsHeader {
  const n = readHeaderLength(prefix, fileSize, file)
  if (prefix.byteLength < 8 + n) {
    throw new CheckpointError('truncated', `need the first ${8 + n} bytes to read the header, got ${prefix.byteLength}`, file)
  }
  let text: string
  try {
    text = utf8.decode(prefix.subarray(8, 8 + n))
  } catch {
    throw new CheckpointError('bad-header', 'the JSON header is not valid UTF-8', file)
  }
  const json = parseJson(text, 'safetensors header', file)
  if (!(json instanceof Map)) {
    throw new CheckpointError('bad-header', `the header must be a JSON object, found ${kind(json)}`, file)
  }
  const dataStart = 8 + n
  const dataLength = fileSize - dataStart
  let metadata: Record<string, string> = Object.create(null)
  const entries: SafetensorsEntry[] = []
  for (const [name, info] of json) {
    options.checkCancelled?.()
    if (name === '__metadata__') metadata = readMetadata(info, file)
    else entries.push(readEntry(name, info, dataStart, file))
  }
  checkTiling(entries, dataStart, dataLength, file)
  return { entries, metadata, dataStart }
}

function readMetadata(info: JsonValue, file?: string): Record<string, string> {
  if (!(info instanceof Map)) {
    throw new CheckpointError('bad-header', `__metadata__ must be an object of strings, found ${kind(info)}`, file)
  }
  const out: Record<string, string> = Object.create(null)
  for (const [k, v] of info) {
    if (typeof v !== 'string') {
      throw new CheckpointError('bad-header', `__metadata__ value for ${JSON.stringify(k)} must be a string, found ${kind(v)}`, file)
    }
    out[k] = v
  }
  return out
}

function readEntry(name: string, info: JsonValue, dataStart: number, file?: string): SafetensorsEntry {
  const bad = (message: string): never => {
    throw new CheckpointError('bad-header', message, file, name)
  }
  if (name.length > maxNameLength) {
    throw new CheckpointError('too-large', `the name is longer than the ${maxNameLength} characters a tensor name takes`, file, name)
  }
  if (!(info instanceof Map)) return bad(`entry must be an object with dtype, shape and data_offsets, found ${kind(info)}`)
  for (const key of info.keys()) {
    if (key !== 'dtype' && key !== 'shape' && key !== 'data_offsets') bad(`unexpected field ${JSON.stringify(key)}`)
  }
  const dtype = info.get('dtype')
  const shape = info.get('shape')
  const offsets = info.get('data_offsets')
  if (typeof dtype !== 'string') return bad('missing or non-string dtype')
  if (!isDType(dtype)) {
    if (unsupportedDTypes.has(dtype)) {
      throw new CheckpointError(
        'unsupported', `unsupported dtype ${dtype}; convert the tensor to F32, F16 or BF16 first`, file, name,
      )
    }
    return bad(`unknown dtype ${JSON.stringify(dtype)}`)
  }
  if (!Array.isArray(shape)) return bad('missing shape array')
  const count = checkedNumel(shape)
  if (count === null) {
    const tooBig = shape.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)
    throw new CheckpointError(
      tooBig ? 'too-large' : 'bad-header',
      tooBig ? `shape [${shape}] has more than 2^53 elements` : `shape ${JSON.stringify(shape)} must list non-negative integers`,
      file, name,
    )
  }
  if (!Array.isArray(offsets) || offsets.length !== 2) return bad('data_offsets must be [begin, end]')
  const [begin, end] = offsets
  if (!isOffset(begin) || !isOffset(end)) return bad(`data_offsets ${JSON.stringify(offsets)} must be non-negative integers`)
  if (end < begin) return bad(`data_offsets end ${end} is before begin ${begin}`)
  const bytes = count * itemSize[dtype]
  if (end - begin !== bytes) {
    bad(`data_offsets span ${end - begin} bytes but ${dtype} [${shape}] needs ${bytes}`)
  }
  return { name, dtype, shape: shape as number[], begin: dataStart + begin, end: dataStart + end }
}

function isOffset(x: JsonValue | undefined): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0
}

/** Sorted by offset, tensors must cover the data section exactly: no gap (hidden payload), no overlap. */
function checkTiling(entries: SafetensorsEntry[], dataStart: number, dataLength: number, file?: string): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end)
  let expected = dataStart
  for (const e of sorted) {
    if (e.begin !== expected) {
      const what = e.begin > expected ? 'leaves a gap after' : 'overlaps'
      throw new CheckpointError(
        'bad-header',
        `data starts at offset ${e.begin - dataStart}, which ${what} the previous tensor (ends at ${expected - dataStart})`,
        file, e.name,
      )
    }
    expected = e.end
  }
  if (expected - dataStart !== dataLength) {
    throw new CheckpointError(
      expected - dataStart > dataLength ? 'truncated' : 'bad-header',
      `tensors cover ${expected - dataStart} data bytes but the file holds ${dataLength} after the header` +
        (expected - dataStart > dataLength ? '; the file is cut short' : '; trailing bytes are not allowed'),
      file,
    )
  }
}

function kind(v: JsonValue | undefined): string {
  if (v === undefined) return 'nothing'
  if (v === null) return 'null'
  if (v instanceof Map) return 'an object'
  if (Array.isArray(v)) return 'an array'
  return `a ${typeof v}`
}

/** A tensor's bytes from the whole file: a view when aligned for its dtype, a copy otherwise. */
export function sliceTensor(bytes: Uint8Array, e: SafetensorsEntry): RawTensor {
  let data = plainBytes(bytes).subarray(e.begin, e.end)
  if (data.byteOffset % itemSize[e.dtype] !== 0) data = data.slice()
  return { dtype: e.dtype, shape: [...e.shape], data }
}

/** Reads a whole safetensors file held in memory. */
export function readSafetensors(
  bytes: Uint8Array, file?: string, options: ReadOptions = {},
): { tensors: TensorMap; metadata: Record<string, string> } {
  bytes = plainBytes(bytes)
  const header = parseSafetensorsHeader(bytes, bytes.byteLength, file, options)
  const tensors: TensorMap = new Map()
  for (const e of header.entries) {
    options.checkCancelled?.()
    tensors.set(e.name, sliceTensor(bytes, e))
  }
  return { tensors, metadata: header.metadata }
}
