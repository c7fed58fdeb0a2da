// A tensor as the readers hand it over: little-endian bytes in C order with a dtype and a shape. No tfjs here:
// the engine turns these into tf tensors (in NHWC) after an importer has mapped names and layouts.

export type DType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL'

export interface RawTensor {
  dtype: DType
  shape: number[]
  /** little-endian, C order, exactly numel × itemsize bytes */
  data: Uint8Array
}

/** Name → tensor. A Map (never a plain object) so that names like `__proto__` stay data. */
export type TensorMap = Map<string, RawTensor>

/** A tensor whose bytes are produced only when the writer reaches it (so a 2 GB checkpoint need not sit in memory). */
export interface LazyTensor {
  name: string
  dtype: DType
  shape: readonly number[]
  data: () => Uint8Array | Promise<Uint8Array>
}

/** The longest tensor name or dict key a reader accepts. Real ones are a few dozen characters, and every name is
 *  copied into the dotted paths and messages built from it: a 10 MiB key nested 60 dicts deep would make one tensor
 *  name of 600 MiB, past what a JS string can hold. */
export const maxNameLength = 1024

export const itemSize: Record<DType, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1,
}

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1)
}

export const dtypes: readonly DType[] = ['F64', 'F32', 'F16', 'BF16', 'I64', 'I32', 'I16', 'I8', 'U8', 'BOOL']

export function isDType(x: unknown): x is DType {
  return typeof x === 'string' && (dtypes as readonly string[]).includes(x)
}

/**
 * numel for shapes read from a file: every entry a non-negative safe integer and the product ≤ 2^53, or null.
 * Callers turn null into an error that names the file and tensor; a plain product would silently lose precision.
 */
export function checkedNumel(shape: readonly unknown[]): number | null {
  let n = 1
  let zero = false
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) return null
    if (d === 0) zero = true
    else if (!zero && n * d > Number.MAX_SAFE_INTEGER) return null
    else if (!zero) n *= d
  }
  return zero ? 0 : n
}

/**
 * A plain Uint8Array view of the same bytes. Node's Buffer is a Uint8Array whose `slice` returns a view instead of a
 * copy; readers normalise their input so that every `slice` below really copies.
 */
export function plainBytes(bytes: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(bytes) === Uint8Array.prototype
    ? bytes
    : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}
