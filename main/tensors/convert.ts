// Turning RawTensor bytes into JS numbers and back. Bytes may sit at any offset in their buffer (safetensors data
// starts wherever the header ends), so values are read through a DataView or an aligned copy, never a typed-array
// view on an unaligned offset (that throws RangeError).

import { checkIndexDType, checkWeightDType } from './dtypeRule.ts'
import { CheckpointError } from './errors.ts'
import { itemSize, numel, type DType, type RawTensor } from './tensor.ts'

// The fast paths below reinterpret typed-array memory as little-endian file bytes; every platform Node and
// Electron ship for (x64, arm64) is little-endian, so a big-endian host is refused rather than misread.
if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  throw new Error('BigGAN Studio checkpoint readers need a little-endian host')
}

/** float16 bits → number (exact; covers subnormals, ±Inf, NaN). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1
  const exp = (h >> 10) & 0x1f
  const frac = h & 0x3ff
  if (exp === 0) return sign * frac * 2 ** -24
  if (exp === 0x1f) return frac ? NaN : sign * Infinity
  return sign * (1 + frac / 1024) * 2 ** (exp - 15)
}

const f32 = new Float32Array(1)
const u32 = new Uint32Array(f32.buffer)

/** number → float16 bits, rounding to nearest even like numpy/torch `.half()`. */
export function floatToHalf(x: number): number {
  f32[0] = x
  const bits = u32[0]
  const sign = (bits >>> 16) & 0x8000
  const exp = (bits >>> 23) & 0xff
  let mant = bits & 0x7fffff
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0)
  let e = exp - 127 + 15
  if (e >= 0x1f) return sign | 0x7c00
  if (e <= 0) {
    if (e < -10) return sign
    mant |= 0x800000
    const shift = 14 - e
    const half = 1 << (shift - 1)
    let m = mant >> shift
    const rest = mant & ((1 << shift) - 1)
    if (rest > half || (rest === half && m & 1)) m++
    return sign | m
  }
  let m = mant >> 13
  const rest = mant & 0x1fff
  if (rest > 0x1000 || (rest === 0x1000 && m & 1)) {
    m++
    if (m === 0x400) { m = 0; e++ }
    if (e >= 0x1f) return sign | 0x7c00
  }
  return sign | (e << 10) | m
}

/** bfloat16 bits → number: the top half of a float32. */
export function bfloat16ToFloat(b: number): number {
  u32[0] = b << 16
  return f32[0]
}

/** number → bfloat16 bits, rounding to nearest even; NaN stays NaN. */
export function floatToBfloat16(x: number): number {
  f32[0] = x
  const bits = u32[0]
  if ((bits & 0x7f800000) === 0x7f800000 && bits & 0x7fffff) return (bits >>> 16) | 0x40
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff
}

function view(t: RawTensor, what: string): DataView {
  const expected = numel(t.shape) * itemSize[t.dtype]
  if (t.data.byteLength !== expected) {
    throw new CheckpointError(
      'bad-header',
      `${t.dtype} tensor of shape [${t.shape}] should hold ${expected} bytes but holds ${t.data.byteLength}; ` +
        `cannot convert it ${what}`,
    )
  }
  return new DataView(t.data.buffer, t.data.byteOffset, t.data.byteLength)
}

type Reader = (v: DataView, i: number) => number
const readers: Record<DType, Reader> = {
  F64: (v, i) => v.getFloat64(i * 8, true),
  F32: (v, i) => v.getFloat32(i * 4, true),
  F16: (v, i) => halfToFloat(v.getUint16(i * 2, true)),
  BF16: (v, i) => bfloat16ToFloat(v.getUint16(i * 2, true)),
  I64: (v, i) => Number(v.getBigInt64(i * 8, true)),
  I32: (v, i) => v.getInt32(i * 4, true),
  I16: (v, i) => v.getInt16(i * 2, true),
  I8: (v, i) => v.getInt8(i),
  U8: (v, i) => v.getUint8(i),
  BOOL: (v, i) => (v.getUint8(i) ? 1 : 0),
}

/** Any dtype → float32 (what the engine computes in). I64 beyond 2^24 loses precision, as in torch `.float()`. */
export function toFloat32(t: RawTensor): Float32Array {
  const v = view(t, 'to float32')
  const n = numel(t.shape)
  if (t.dtype === 'F32' && t.data.byteOffset % 4 === 0) {
    return new Float32Array(t.data.buffer, t.data.byteOffset, n).slice()
  }
  const out = new Float32Array(n)
  const read = readers[t.dtype]
  for (let i = 0; i < n; i++) out[i] = read(v, i)
  return out
}

/** Any dtype → float64; keeps F64 values such as the HF truncation exact. */
export function toFloat64(t: RawTensor): Float64Array {
  const v = view(t, 'to float64')
  const n = numel(t.shape)
  const out = new Float64Array(n)
  const read = readers[t.dtype]
  for (let i = 0; i < n; i++) out[i] = read(v, i)
  return out
}

/** A weight's values as float32, once the dtype rule (dtypeRule.ts) allows it and every value is finite (a NaN or
 *  Inf in a weight can only render noise). */
export function weightValues(t: RawTensor, file?: string, name?: string): Float32Array {
  checkWeightDType(t.dtype, file, name)
  const values = toFloat32(t)
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      throw new CheckpointError(
        'non-finite', `element ${i} is ${values[i]} (as float32); the weights are corrupt or diverged`, file, name,
      )
    }
  }
  return values
}

/** Integer tensors (class indices are I64 in torch) → Int32Array; refuses floats and values outside int32. */
export function toInt32Array(t: RawTensor, name?: string): Int32Array {
  checkIndexDType(t.dtype, undefined, name)
  const v = view(t, 'to int32')
  const n = numel(t.shape)
  const out = new Int32Array(n)
  for (let i = 0; i < n; i++) {
    if (t.dtype === 'I64') {
      const x = v.getBigInt64(i * 8, true)
      if (x < -0x80000000n || x > 0x7fffffffn) {
        throw new CheckpointError(
          'unsupported', `element ${i} is ${x}, outside int32; class indices must lie in [0, 2^31)`, undefined, name,
        )
      }
      out[i] = Number(x)
    } else {
      out[i] = readers[t.dtype](v, i)
    }
  }
  return out
}

function checkLength(shape: readonly number[], length: number): void {
  if (numel(shape) !== length) {
    throw new CheckpointError('shape-mismatch', `shape [${shape}] needs ${numel(shape)} values but ${length} were given`)
  }
}

/** Float32 values → a RawTensor in F32, or rounded to F16/BF16 for smaller files. */
export function fromFloat32(
  shape: readonly number[], values: Float32Array, dtype: 'F32' | 'F16' | 'BF16' = 'F32',
): RawTensor {
  checkLength(shape, values.length)
  if (dtype === 'F32') {
    return { dtype, shape: [...shape], data: new Uint8Array(values.slice().buffer) }
  }
  const bits = new Uint16Array(values.length)
  const round = dtype === 'F16' ? floatToHalf : floatToBfloat16
  for (let i = 0; i < values.length; i++) bits[i] = round(values[i])
  return { dtype, shape: [...shape], data: new Uint8Array(bits.buffer) }
}

export function fromFloat64(shape: readonly number[], values: Float64Array): RawTensor {
  checkLength(shape, values.length)
  return { dtype: 'F64', shape: [...shape], data: new Uint8Array(values.slice().buffer) }
}

/** Integers → I64 (torch's dtype for class indices) or I32. */
export function fromInts(shape: readonly number[], values: ArrayLike<number>, dtype: 'I64' | 'I32' = 'I64'): RawTensor {
  checkLength(shape, values.length)
  const out = dtype === 'I64' ? new BigInt64Array(values.length) : new Int32Array(values.length)
  for (let i = 0; i < values.length; i++) {
    const ok = dtype === 'I64' ? Number.isSafeInteger(values[i]) : (values[i] | 0) === values[i]
    if (!ok) {
      throw new CheckpointError('bad-header', `value ${values[i]} at index ${i} is not an ${dtype} integer`)
    }
    out[i] = (dtype === 'I64' ? BigInt(values[i]) : values[i]) as never
  }
  return { dtype, shape: [...shape], data: new Uint8Array(out.buffer) }
}
