// How values sit in the database, and the checks every stored value passes first. Latents and class vectors are
// float32 BLOBs, little-endian whatever the host, so a Float32Array comes back bit for bit (−0 included); the same
// file opens on any machine.
import { LibraryError } from './errors.ts'
import { STORE_LIMITS } from './limits.ts'

const littleEndianHost = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1

function swap32(bytes: Uint8Array): void {
  for (let i = 0; i + 3 < bytes.length; i += 4) {
    const a = bytes[i]
    const b = bytes[i + 1]
    bytes[i] = bytes[i + 3]
    bytes[i + 1] = bytes[i + 2]
    bytes[i + 2] = b
    bytes[i + 3] = a
  }
}

/** Float32Array → little-endian BLOB (a copy: later changes to the array do not reach the database). */
export function floatsToBlob(values: Float32Array): Buffer {
  const blob = Buffer.from(new Uint8Array(values.buffer, values.byteOffset, values.byteLength))
  if (!littleEndianHost) swap32(blob)
  return blob
}

/** Little-endian BLOB → a Float32Array of its own (aligned, not a view on SQLite's buffer). */
export function blobToFloats(blob: Uint8Array, file: string, what: string): Float32Array {
  if (!(blob instanceof Uint8Array) || blob.length % 4 !== 0)
    throw new LibraryError('corrupt', `The library database ${file} holds a ${what} that is not a float32 array.`, file)
  const bytes = new Uint8Array(blob.length)
  bytes.set(blob)
  if (!littleEndianHost) swap32(bytes)
  return new Float32Array(bytes.buffer)
}

/** A BLOB as a plain Uint8Array (not a Node Buffer), so it crosses IPC and compares like any other. */
export function blobToBytes(blob: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(blob.length)
  bytes.set(blob)
  return bytes
}

export const now = (): string => new Date().toISOString()

/** Exactly the form Date#toISOString writes, so stored times sort as strings. */
export function isIsoTime(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(value) &&
    !Number.isNaN(Date.parse(value)) &&
    new Date(value).toISOString() === value
  )
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]

/** The PNG signature followed by the IHDR chunk every PNG starts with. */
export function looksLikePng(bytes: Uint8Array): boolean {
  if (bytes.length < 8 + 8 + 13 + 4) return false
  for (let i = 0; i < 8; i++) if (bytes[i] !== PNG_SIGNATURE[i]) return false
  return bytes[12] === 0x49 && bytes[13] === 0x48 && bytes[14] === 0x44 && bytes[15] === 0x52 // 'IHDR'
}

// Checks on values headed for the database. Each throws LibraryError('invalid') naming the field; import wraps
// them as 'bad-file' with the path into the file.

export function invalid(field: string, expected: string, value: unknown): never {
  throw new LibraryError('invalid', `${field}: expected ${expected}, got ${describe(value)}.`)
}

export function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return `an array of ${value.length}`
  if (value instanceof Uint8Array) return `${value.length} bytes`
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name} of ${(value as Float32Array).length}`
  if (typeof value === 'string') return value.length > 40 ? `a string of ${value.length} characters` : JSON.stringify(value)
  if (typeof value === 'number') return String(value)
  return typeof value
}

export function checkText(field: string, value: unknown, maxLength: number, options: { nonEmpty?: boolean } = {}): string {
  if (typeof value !== 'string' || value.length > maxLength) invalid(field, `text of at most ${maxLength} characters`, value)
  if (options.nonEmpty && value.trim() === '') invalid(field, 'non-empty text', value)
  return value
}

export function checkInteger(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    invalid(field, `an integer from ${min} to ${max}`, value)
  return value
}

export function checkFloats(field: string, value: unknown, minLength: number, maxLength: number): Float32Array {
  if (!(value instanceof Float32Array) || value.length < minLength || value.length > maxLength)
    invalid(field, `a Float32Array of ${minLength} to ${maxLength} values`, value)
  for (let i = 0; i < value.length; i++) if (!Number.isFinite(value[i])) invalid(`${field}[${i}]`, 'a finite number', value[i])
  return value
}

export function checkTruncation(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0.001 || value > 4)
    invalid(field, 'a truncation from 0.001 to 4', value)
  return value
}

export function checkSeed(field: string, value: unknown): number | undefined {
  if (value === undefined) return undefined
  return checkInteger(field, value, 0, 2 ** 32 - 1)
}

/** How a stored point's truncation is read: 'paper' (the threshold z was resampled at) or 'released' (ψ, which also
 *  selects the generator's BatchNorm statistics). */
export type Semantics = 'paper' | 'released'

export function checkSemantics(field: string, value: unknown): Semantics {
  if (value !== 'paper' && value !== 'released') invalid(field, "'paper' or 'released'", value)
  return value
}

export function checkThumbnail(field: string, value: unknown): Uint8Array {
  if (!(value instanceof Uint8Array) || value.length > STORE_LIMITS.pngBytes)
    invalid(field, `PNG bytes (at most ${STORE_LIMITS.pngBytes})`, value)
  if (!looksLikePng(value)) invalid(field, 'a PNG (signature and IHDR)', value)
  return value
}

/** Tags trimmed, empty ones dropped, the same tag in another case kept once (first spelling wins). */
export function checkTags(field: string, value: unknown): string[] {
  if (!Array.isArray(value) || value.length > STORE_LIMITS.tags) invalid(field, `a list of at most ${STORE_LIMITS.tags} tags`, value)
  const seen = new Set<string>()
  const tags: string[] = []
  value.forEach((tag, i) => {
    const text = checkText(`${field}[${i}]`, tag, STORE_LIMITS.name).trim()
    const key = tagKey(text)
    if (text === '' || seen.has(key)) return
    seen.add(key)
    tags.push(text)
  })
  return tags
}

export const tagKey = (tag: string): string => tag.trim().toLowerCase()

/** The lower-cased text a search query's words are matched against (JS lower-casing: SQLite's is ASCII only). */
export function searchText(name: string, notes: string, tags: string[]): string {
  return [name, notes, ...tags].join('\n').toLowerCase()
}

/** A LIKE pattern that matches `word` anywhere, with LIKE's wildcards in the word taken literally (ESCAPE '\'). */
export function containsPattern(word: string): string {
  return `%${word.replace(/[\\%_]/g, (c) => `\\${c}`)}%`
}
