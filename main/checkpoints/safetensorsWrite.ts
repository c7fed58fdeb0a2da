// safetensors writer. The header is built by hand, not with JSON.stringify of an object: an object would move
// integer-like names ("0", "1") to the front and turn `__proto__` into a prototype. Entries keep insertion order,
// `__metadata__` comes first, and the header is space-padded to a multiple of 8 so tensor data starts aligned.

import { CheckpointError } from '../tensors/errors.ts'
import { checkedNumel, itemSize, type DType, type RawTensor, type TensorMap } from '../tensors/tensor.ts'

/** What the header needs to know about one tensor; its bytes may be produced later by a streaming writer. */
export interface SafetensorsSpec {
  name: string
  dtype: DType
  shape: readonly number[]
}

const loneSurrogate = /\p{Cs}/u

function checkName(name: string, seen: Set<string>): void {
  if (name === '__metadata__') {
    throw new CheckpointError('bad-header', 'the name __metadata__ is reserved for the metadata block; rename the tensor')
  }
  if (loneSurrogate.test(name)) {
    throw new CheckpointError('bad-header', 'tensor name holds an unpaired UTF-16 surrogate and cannot be written as UTF-8', undefined, name)
  }
  if (seen.has(name)) throw new CheckpointError('bad-header', 'the tensor name appears twice', undefined, name)
  seen.add(name)
}

/**
 * The first 8 + N bytes of the file, plus each tensor's [begin, end) relative to the data start (where the caller
 * writes the tensors, in the same order).
 */
export function encodeSafetensorsHeader(
  specs: Iterable<SafetensorsSpec>, metadata?: Record<string, string>,
): { header: Uint8Array; offsets: Array<[number, number]>; dataLength: number } {
  const parts: string[] = []
  if (metadata && Object.keys(metadata).length > 0) {
    const fields = Object.entries(metadata).map(([k, v]) => {
      if (typeof v !== 'string') {
        throw new CheckpointError('bad-header', `metadata value for ${JSON.stringify(k)} must be a string`)
      }
      return `${JSON.stringify(k)}:${JSON.stringify(v)}`
    })
    parts.push(`"__metadata__":{${fields.join(',')}}`)
  }
  const offsets: Array<[number, number]> = []
  const seen = new Set<string>()
  let offset = 0
  for (const s of specs) {
    checkName(s.name, seen)
    const count = checkedNumel(s.shape)
    if (count === null) {
      throw new CheckpointError('bad-header', `shape [${s.shape}] must list non-negative integers`, undefined, s.name)
    }
    const end = offset + count * itemSize[s.dtype]
    parts.push(`${JSON.stringify(s.name)}:{"dtype":"${s.dtype}","shape":[${s.shape.join(',')}],"data_offsets":[${offset},${end}]}`)
    offsets.push([offset, end])
    offset = end
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`)
  const n = Math.ceil(json.byteLength / 8) * 8
  const header = new Uint8Array(8 + n).fill(0x20, 8)
  new DataView(header.buffer).setBigUint64(0, BigInt(n), true)
  header.set(json, 8)
  return { header, offsets, dataLength: offset }
}

/** A whole safetensors file in memory. */
export function writeSafetensors(
  tensors: TensorMap | Iterable<[string, RawTensor]>, metadata?: Record<string, string>,
): Uint8Array {
  const list = [...tensors]
  for (const [name, t] of list) {
    const count = checkedNumel(t.shape)
    if (count !== null && t.data.byteLength !== count * itemSize[t.dtype]) {
      throw new CheckpointError(
        'shape-mismatch',
        `${t.dtype} [${t.shape}] needs ${count * itemSize[t.dtype]} bytes but its data holds ${t.data.byteLength}`,
        undefined, name,
      )
    }
  }
  const { header, offsets, dataLength } = encodeSafetensorsHeader(
    list.map(([name, t]) => ({ name, dtype: t.dtype, shape: t.shape })), metadata,
  )
  const out = new Uint8Array(header.byteLength + dataLength)
  out.set(header, 0)
  list.forEach(([, t], i) => out.set(t.data, header.byteLength + offsets[i][0]))
  return out
}
