import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { fromFloat32, fromFloat64, fromInts, toFloat32, toFloat64, toInt32Array } from '../../main/tensors/convert.ts'
import {
  encodeSafetensorsHeader, parseSafetensorsHeader, readSafetensors, writeSafetensors,
} from '../../main/checkpoints/safetensors'
import type { RawTensor } from '../../main/tensors/tensor.ts'
import { expectCheckpointError } from './helpers/expectError'

const hfRef = 'test/fixtures/hf-biggan-deep/reference.safetensors'
const bpRef = 'test/fixtures/biggan-pytorch/reference.safetensors'

/** A safetensors file from a raw header string and a data section, with N computed (or forced). */
function file(header: string, data = new Uint8Array(0), n?: bigint): Uint8Array {
  const json = new TextEncoder().encode(header)
  const out = new Uint8Array(8 + json.length + data.length)
  new DataView(out.buffer).setBigUint64(0, n ?? BigInt(json.length), true)
  out.set(json, 8)
  out.set(data, 8 + json.length)
  return out
}
const f32 = (shape: number[], begin: number, end: number): string =>
  `{"dtype":"F32","shape":[${shape}],"data_offsets":[${begin},${end}]}`

describe('safetensors fixtures', () => {
  it('reads the HF reference file with its float64 truncations', () => {
    const { tensors, metadata } = readSafetensors(readFileSync(hfRef), hfRef)
    expect(tensors.size).toBe(16)
    expect(metadata.format).toBe('legacy')
    const t = tensors.get('t0.truncation')!
    expect(t.dtype).toBe('F64')
    expect(t.shape).toEqual([1])
    expect([0, 1, 2, 3].map((i) => toFloat64(tensors.get(`t${i}.truncation`)!)[0])).toEqual([1.0, 0.4, 0.14, 0.02])
    expect(tensors.get('t0.image_nchw')!.shape).toEqual([4, 3, 128, 128])
    expect(tensors.get('t0.y')!.shape).toEqual([4, 1000])
  })

  it('reads the BigGAN-PyTorch reference file with I64 class indices 207, 1, 980, 999', () => {
    const { tensors } = readSafetensors(readFileSync(bpRef), bpRef)
    const classes = tensors.get('eval.classes')!
    expect(classes.dtype).toBe('I64')
    expect(classes.shape).toEqual([4])
    expect([...toInt32Array(classes)]).toEqual([207, 1, 980, 999])
    expect(tensors.get('eval.z')!.shape).toEqual([4, 120])
    const image = toFloat32(tensors.get('eval.image_nchw')!)
    expect(image.length).toBe(4 * 3 * 128 * 128)
    expect(image.every((x) => x >= -1 && x <= 1)).toBe(true)
  })
})

describe('safetensors round trips', () => {
  it('writes and reads back the same tensors, names and metadata in insertion order', () => {
    const tensors = new Map<string, RawTensor>([
      ['10', fromFloat32([2, 2], Float32Array.from([1, 2, 3, 4]))],
      ['2', fromFloat64([1], Float64Array.from([0.02]))],
      ['__proto__', fromInts([3], [207, 1, 999])],
      ['empty', fromFloat32([0, 5], new Float32Array(0))],
      ['scalar', fromFloat32([], Float32Array.from([7]))],
      ['b', { dtype: 'U8', shape: [3], data: Uint8Array.from([1, 2, 3]) }],
    ])
    const bytes = writeSafetensors(tensors, { step: '12', __proto__x: 'y' })
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true))
    expect(n % 8).toBe(0)
    const back = readSafetensors(bytes)
    expect([...back.tensors.keys()]).toEqual([...tensors.keys()])
    for (const [k, t] of tensors) expect(back.tensors.get(k)).toEqual(t)
    expect({ ...back.metadata }).toEqual({ step: '12', __proto__x: 'y' })
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(new TextDecoder().decode(bytes.subarray(8, 30))).toMatch(/^\{"__metadata__"/)
  })

  it('round-trips reference tensors through F16 and BF16 within their precision', () => {
    const { tensors } = readSafetensors(readFileSync(hfRef))
    const z = toFloat32(tensors.get('t0.z')!)
    for (const [dtype, tol] of [['F16', 2 ** -11], ['BF16', 2 ** -8]] as const) {
      const t = fromFloat32([4, 128], z, dtype)
      const back = toFloat32(readSafetensors(writeSafetensors([['z', t]])).tensors.get('z')!)
      for (let i = 0; i < z.length; i++) expect(Math.abs(back[i] - z[i])).toBeLessThanOrEqual(Math.abs(z[i]) * tol + 1e-7)
    }
  })

  it('streams the header alone: entries carry absolute offsets matching the data', () => {
    const t = fromFloat32([3], Float32Array.from([1, 2, 3]))
    const { header, offsets, dataLength } = encodeSafetensorsHeader([{ name: 'a', dtype: 'F32', shape: [3] }], { k: 'v' })
    expect(offsets).toEqual([[0, 12]])
    expect(dataLength).toBe(12)
    const parsed = parseSafetensorsHeader(header, header.byteLength + 12)
    expect(parsed.entries).toEqual([{ name: 'a', dtype: 'F32', shape: [3], begin: header.byteLength, end: header.byteLength + 12 }])
    expect(parsed.metadata.k).toBe('v')
    expect(writeSafetensors([['a', t]], { k: 'v' }).subarray(0, header.byteLength)).toEqual(header)
  })

  it('copies unaligned tensor data so typed-array views work', () => {
    const bytes = file(`{"a":${f32([1], 0, 4)}}`, new Uint8Array(new Float32Array([2.5]).buffer))
    const t = readSafetensors(bytes).tensors.get('a')!
    expect(t.data.byteOffset % 4).toBe(0)
    expect(new Float32Array(t.data.buffer, t.data.byteOffset, 1)[0]).toBe(2.5)
  })

  it('refuses to write a name twice, the reserved __metadata__ name, or data of the wrong length', () => {
    const t = fromFloat32([1], Float32Array.from([1]))
    expectCheckpointError(() => writeSafetensors([['a', t], ['a', t]]), 'bad-header', /appears twice/)
    expectCheckpointError(() => writeSafetensors([['__metadata__', t]]), 'bad-header', /reserved/)
    expectCheckpointError(() => writeSafetensors([['a', { ...t, shape: [2] }]]), 'shape-mismatch', /needs 8 bytes/)
  })
})

describe('hostile safetensors headers', () => {
  it('refuses files of 0 and 7 bytes as truncated', () => {
    expectCheckpointError(() => readSafetensors(new Uint8Array(0), 'x.safetensors'), 'truncated', /x\.safetensors: 0 bytes/)
    expectCheckpointError(() => readSafetensors(new Uint8Array(7)), 'truncated', /too short/)
  })

  it('compares N as a BigInt: 2^64-1, 2^53+1 and over 100 MB are too large', () => {
    for (const n of [2n ** 64n - 1n, 2n ** 53n + 1n, 100_000_001n]) {
      expectCheckpointError(() => readSafetensors(file('{}', undefined, n)), 'too-large', new RegExp(`header length ${n}`))
    }
  })

  it('refuses a header length that runs past the file', () => {
    expectCheckpointError(() => readSafetensors(file('{}', undefined, 50n)), 'truncated', /past the end/)
  })

  it('refuses invalid UTF-8, overlong forms and encoded surrogates', () => {
    for (const bad of [[0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80]]) {
      const bytes = file(`{"a":${f32([0], 0, 0)}}`)
      bytes.set(bad, 10)
      expectCheckpointError(() => readSafetensors(bytes), 'bad-header', /not valid UTF-8/)
    }
  })

  it('refuses headers that are not one JSON object', () => {
    for (const h of ['[]', 'null', '1', '\ufeff{}', '{} x', '{"a":1}{}', '']) {
      expectCheckpointError(() => readSafetensors(file(h)), 'bad-header')
    }
  })

  it('refuses nesting 10^6 deep without overflowing the stack', () => {
    expectCheckpointError(() => readSafetensors(file(`{"a":${'['.repeat(1e6)}`)), 'bad-header', /nested deeper/)
  })

  it('detects duplicate tensor names that JSON.parse would silently merge', () => {
    const h = `{"a":${f32([1], 0, 4)},"a":${f32([1], 4, 8)}}`
    expectCheckpointError(() => readSafetensors(file(h, new Uint8Array(8))), 'bad-header', /duplicate key "a"/)
  })

  it('keeps __proto__, constructor and toString as tensor names, never as prototypes', () => {
    const h = `{"__proto__":${f32([1], 0, 4)},"constructor":${f32([1], 4, 8)},"toString":${f32([0], 8, 8)}}`
    const { tensors } = readSafetensors(file(h, new Uint8Array(8)))
    expect([...tensors.keys()]).toEqual(['__proto__', 'constructor', 'toString'])
    expect(Object.getPrototypeOf(tensors.get('__proto__'))).toBe(Object.prototype)
    expect(({} as Record<string, unknown>).dtype).toBeUndefined()
  })

  it('refuses non-string metadata values and entries with missing or extra fields', () => {
    expectCheckpointError(() => readSafetensors(file('{"__metadata__":{"a":1}}')), 'bad-header', /must be a string/)
    expectCheckpointError(() => readSafetensors(file('{"a":{"dtype":"F32","shape":[0]}}')), 'bad-header', /data_offsets/)
    expectCheckpointError(() => readSafetensors(file('{"a":{"shape":[0],"data_offsets":[0,0]}}')), 'bad-header', /dtype/)
    expectCheckpointError(
      () => readSafetensors(file('{"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0],"x":1}}')), 'bad-header', /unexpected field "x"/,
    )
  })

  it('names unknown and unsupported dtypes', () => {
    const e = (dtype: string): Uint8Array => file(`{"a":{"dtype":"${dtype}","shape":[0],"data_offsets":[0,0]}}`)
    expectCheckpointError(() => readSafetensors(e('F128')), 'bad-header', /unknown dtype "F128"/)
    expectCheckpointError(() => readSafetensors(e('f32')), 'bad-header', /unknown dtype/)
    for (const d of ['F8_E4M3', 'F4', 'C64']) {
      const err = expectCheckpointError(() => readSafetensors(e(d)), 'unsupported', new RegExp(`unsupported dtype ${d}`))
      expect(err.tensor).toBe('a')
    }
  })

  it('refuses shapes with negative, fractional, huge, string or nested entries, and products over 2^53', () => {
    for (const s of ['-1', '1.5', '1e400', '"2"', '[2]']) {
      expectCheckpointError(() => readSafetensors(file(`{"a":{"dtype":"F32","shape":[${s}],"data_offsets":[0,0]}}`)), 'bad-header', /shape/)
    }
    expectCheckpointError(
      () => readSafetensors(file('{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]}}')),
      'too-large', /2\^53/,
    )
  })

  it('refuses data_offsets that go backwards, leave gaps, overlap, stop short of or run past the end', () => {
    const d = new Uint8Array(8)
    expectCheckpointError(() => readSafetensors(file(`{"a":${f32([1], 4, 0)}}`, d)), 'bad-header', /before begin/)
    expectCheckpointError(() => readSafetensors(file(`{"a":${f32([1], 4, 8)}}`, d)), 'bad-header', /gap/)
    expectCheckpointError(() => readSafetensors(file(`{"a":${f32([2], 0, 8)},"b":${f32([1], 4, 8)}}`, d)), 'bad-header', /overlaps/)
    expectCheckpointError(() => readSafetensors(file(`{"a":${f32([1], 0, 4)}}`, d)), 'bad-header', /trailing bytes/)
    expectCheckpointError(() => readSafetensors(file(`{"a":${f32([4], 0, 16)}}`, d)), 'truncated', /cut short/)
    expectCheckpointError(() => readSafetensors(file('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}}', d)), 'bad-header', /\[begin, end\]/)
  })

  it('refuses a byte span that disagrees with numel × itemsize, including 0 elements with bytes', () => {
    const d = new Uint8Array(8)
    expectCheckpointError(() => readSafetensors(file(`{"a":${f32([1], 0, 8)}}`, d)), 'bad-header', /needs 4/)
    expectCheckpointError(() => readSafetensors(file(`{"a":${f32([0], 0, 8)}}`, d)), 'bad-header', /needs 0/)
  })
})
