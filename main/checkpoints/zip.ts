// A minimal zip reader for torch checkpoints: stored (uncompressed) entries only, zip64 where present. Strict where
// scanners were fooled: the local header must agree with the central directory, entries may not overlap, the
// end record may not hide in a comment, and nothing is decompressed, so no zip bomb can expand.

import type { ReadOptions } from './cancel'
import { crc32 } from './crc32'
import { CheckpointError } from '../tensors/errors.ts'

export interface ZipEntry {
  name: string
  /** the stored bytes, a view into the archive */
  data: Uint8Array
}

const sig = { local: 0x04034b50, central: 0x02014b50, eocd: 0x06054b50, zip64Eocd: 0x06064b50, zip64Locator: 0x07064b50 }
/** Flag bits torch's writer sets: 3 (sizes in a data descriptor) and 11 (UTF-8 names). Anything else is refused. */
const allowedFlags = 0x0808
const utf8 = new TextDecoder('utf-8', { fatal: true })

class Cursor {
  private readonly view: DataView
  constructor(readonly bytes: Uint8Array, private readonly file: string | undefined, private readonly what: string) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }
  check(at: number, n: number): void {
    if (at < 0 || n > this.bytes.byteLength - at) {
      throw new CheckpointError('truncated', `${this.what} at byte ${at} runs past the end of the file`, this.file)
    }
  }
  u16(at: number): number { this.check(at, 2); return this.view.getUint16(at, true) }
  u32(at: number): number { this.check(at, 4); return this.view.getUint32(at, true) }
  /** u64 as a number, refusing values beyond the file: they cannot be real offsets or sizes here. */
  u64(at: number): number {
    this.check(at, 8)
    const v = this.view.getBigUint64(at, true)
    if (v > BigInt(this.bytes.byteLength)) {
      throw new CheckpointError('bad-header', `${this.what}: zip64 value ${v} at byte ${at} exceeds the file size`, this.file)
    }
    return Number(v)
  }
}

export interface ZipOptions extends ReadOptions {
  verifyCrc?: boolean
  /** sees every entry name before any entry is checked, and may refuse the archive for what it is */
  screen?: (names: string[]) => void
}

/** One central directory record, sizes and offset already taken from its zip64 extra where it has one. */
interface CentralRecord {
  flags: number
  method: number
  crc: number
  size: number
  compressed: number
  local: number
  nameBytes: Uint8Array
  name: string
}

export function readZip(bytes: Uint8Array, file?: string, options: ZipOptions = {}): Map<string, ZipEntry> {
  const bad = (message: string): never => {
    throw new CheckpointError('bad-header', `zip: ${message}`, file)
  }
  const c = new Cursor(bytes, file, 'zip record')
  const eocd = findEndRecord(bytes, c, file)
  let count = c.u16(eocd + 10)
  let cdSize = c.u32(eocd + 12)
  let cdOffset = c.u32(eocd + 16)
  if (c.u16(eocd + 4) !== 0 || c.u16(eocd + 6) !== 0 || c.u16(eocd + 8) !== count) bad('multi-disk archives are not supported')
  let cdEnd = eocd
  const locator = eocd - 20
  if (locator >= 0 && c.u32(locator) === sig.zip64Locator) {
    const z = c.u64(locator + 8)
    if (c.u32(z) !== sig.zip64Eocd) bad('zip64 end record not found where its locator points')
    const z64 = { count: c.u64(z + 32), cdSize: c.u64(z + 40), cdOffset: c.u64(z + 48) }
    if ((count !== 0xffff && count !== z64.count) || (cdSize !== 0xffffffff && cdSize !== z64.cdSize) ||
      (cdOffset !== 0xffffffff && cdOffset !== z64.cdOffset)) bad('zip64 end record disagrees with the end record')
    ;({ count, cdSize, cdOffset } = z64)
    cdEnd = z
  }
  if (cdOffset + cdSize !== cdEnd) bad(`central directory (${cdOffset}+${cdSize}) does not end where the end record starts (${cdEnd})`)

  // The directory first, names only, so that `screen` can say what the archive is before any entry is judged.
  const records: CentralRecord[] = []
  let p = cdOffset
  for (let i = 0; i < count; i++) {
    options.checkCancelled?.()
    if (c.u32(p) !== sig.central) bad(`central directory entry ${i} has a bad signature`)
    const nameLen = c.u16(p + 28)
    const extraLen = c.u16(p + 30)
    const commentLen = c.u16(p + 32)
    c.check(p + 46, nameLen + extraLen + commentLen)
    if (p + 46 + nameLen + extraLen + commentLen > cdEnd) bad(`central directory entry ${i} runs past the directory`)
    const nameBytes = bytes.subarray(p + 46, p + 46 + nameLen)
    const name = decodeName(nameBytes, file)
    const sizes = { size: c.u32(p + 24), compressed: c.u32(p + 20), local: c.u32(p + 42) }
    records.push({
      flags: c.u16(p + 8), method: c.u16(p + 10), crc: c.u32(p + 16), nameBytes, name,
      ...readZip64Extra(c, p + 46 + nameLen, extraLen, sizes, name, file),
    })
    p += 46 + nameLen + extraLen + commentLen
  }
  options.screen?.(records.map((r) => r.name))

  const entries = new Map<string, ZipEntry>()
  const spans: Array<[number, number, string]> = []
  for (const { flags, method, crc, size, compressed, local, nameBytes, name } of records) {
    options.checkCancelled?.()
    if (flags & 1 || flags & 0x40) throw new CheckpointError('unsupported', `zip entry ${name} is encrypted`, file)
    if (flags & ~allowedFlags) bad(`entry ${name} sets flag bits 0x${flags.toString(16)} that torch never writes`)
    if (method !== 0 || compressed !== size) {
      throw new CheckpointError(
        'unsupported', `zip entry ${name} is compressed (method ${method}); torch stores records uncompressed`, file,
      )
    }
    if (entries.has(name)) bad(`entry ${name} appears twice`)
    const data = checkLocal(c, local, { flags, method, crc, size, nameBytes, name }, file)
    if (data.end > cdOffset) bad(`entry ${name} runs into the central directory`)
    const stored = bytes.subarray(data.begin, data.end)
    if (options.verifyCrc !== false && crc32(stored) !== crc) bad(`entry ${name} fails its CRC-32 check; the file is corrupt`)
    entries.set(name, { name, data: stored })
    spans.push([local, data.end, name])
  }
  if (p !== cdEnd) bad('central directory holds bytes after its last entry')
  checkSpans(spans, bad)
  return entries
}

/**
 * The end record, whose comment must run exactly to EOF. A second record that also fits (one hidden in the comment)
 * makes the archive ambiguous, and readers that disagree on it are how scanners get fooled: refuse it.
 */
function findEndRecord(bytes: Uint8Array, c: Cursor, file?: string): number {
  if (bytes.byteLength < 22) {
    throw new CheckpointError('truncated', `${bytes.byteLength} bytes is too short for a zip archive`, file)
  }
  const stop = Math.max(0, bytes.byteLength - 22 - 0xffff)
  let found = -1
  for (let at = bytes.byteLength - 22; at >= stop; at--) {
    if (c.u32(at) !== sig.eocd || at + 22 + c.u16(at + 20) !== bytes.byteLength) continue
    if (found >= 0) {
      throw new CheckpointError('bad-header', `zip: two end records (bytes ${at} and ${found}); one hides in the comment`, file)
    }
    found = at
  }
  if (found < 0) {
    throw new CheckpointError('truncated', 'zip end-of-central-directory record not found; the file is cut short or not a zip', file)
  }
  return found
}

function decodeName(nameBytes: Uint8Array, file?: string): string {
  let name: string
  try {
    name = utf8.decode(nameBytes)
  } catch {
    throw new CheckpointError('bad-header', 'zip entry name is not valid UTF-8', file)
  }
  if (name === '' || name.startsWith('/') || name.includes('\\') || name.includes('\0') ||
    name.split('/').some((part) => part === '..' || part === '.') || /^[A-Za-z]:/.test(name)) {
    throw new CheckpointError('bad-header', `zip entry name ${JSON.stringify(name)} is not a safe relative path`, file)
  }
  return name
}

function readZip64Extra(
  c: Cursor, at: number, length: number, v: { size: number; compressed: number; local: number }, name: string,
  file?: string,
): { size: number; compressed: number; local: number } {
  const out = { ...v }
  const end = at + length
  while (at + 4 <= end) {
    const id = c.u16(at)
    const n = c.u16(at + 2)
    if (at + 4 + n > end) break
    if (id === 0x0001) {
      let q = at + 4
      const next = (): number => {
        if (q + 8 > at + 4 + n) throw new CheckpointError('bad-header', `zip entry ${name}: zip64 field too short`, file)
        const x = c.u64(q)
        q += 8
        return x
      }
      if (v.size === 0xffffffff) out.size = next()
      if (v.compressed === 0xffffffff) out.compressed = next()
      if (v.local === 0xffffffff) out.local = next()
    }
    at += 4 + n
  }
  return out
}

function checkLocal(
  c: Cursor, at: number,
  cd: { flags: number; method: number; crc: number; size: number; nameBytes: Uint8Array; name: string },
  file?: string,
): { begin: number; end: number } {
  const bad = (what: string): never => {
    throw new CheckpointError('bad-header', `zip entry ${cd.name}: local header ${what} disagrees with the central directory`, file)
  }
  if (c.u32(at) !== sig.local) bad('signature')
  if (c.u16(at + 6) !== cd.flags) bad('flags')
  if (c.u16(at + 8) !== cd.method) bad('compression method')
  // With flag bit 3 the local crc/sizes may be 0 (they follow the data); 0xffffffff defers to a zip64 extra.
  const deferred = cd.flags & 0x08
  const agrees = (local: number, central: number): boolean =>
    local === central || local === 0xffffffff || (deferred !== 0 && local === 0)
  if (!agrees(c.u32(at + 14), cd.crc)) bad('CRC-32')
  if (!agrees(c.u32(at + 18), cd.size) || !agrees(c.u32(at + 22), cd.size)) bad('size')
  const nameLen = c.u16(at + 26)
  const extraLen = c.u16(at + 28)
  c.check(at + 30, nameLen + extraLen)
  const localName = c.bytes.subarray(at + 30, at + 30 + nameLen)
  if (nameLen !== cd.nameBytes.byteLength || localName.some((b, i) => b !== cd.nameBytes[i])) bad('name')
  const begin = at + 30 + nameLen + extraLen
  c.check(begin, cd.size)
  return { begin, end: begin + cd.size }
}

/** Entries in file order must not overlap, and the first must start the file (no prepended polyglot payload). */
function checkSpans(spans: Array<[number, number, string]>, bad: (m: string) => never): void {
  spans.sort((a, b) => a[0] - b[0])
  if (spans.length > 0 && spans[0][0] !== 0) bad(`first entry starts at byte ${spans[0][0]}, not 0`)
  for (let i = 1; i < spans.length; i++) {
    if (spans[i][0] < spans[i - 1][1]) bad(`entries ${spans[i - 1][2]} and ${spans[i][2]} overlap`)
  }
}
