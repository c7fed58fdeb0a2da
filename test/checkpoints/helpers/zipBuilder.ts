// Writes small stored zips the way torch does (local header, data, central directory, zip64 end records), with
// knobs to break each rule the reader enforces.

import { crc32 } from '../../../main/checkpoints/crc32'

export interface ZipInput {
  name: string
  data: Uint8Array
  /** name written into the local header instead of `name` */
  localName?: string
  flags?: number
  method?: number
  /** CRC written in the central directory instead of the real one */
  crc?: number
}

export interface ZipOptions {
  zip64?: boolean
  comment?: Uint8Array
  /** bytes placed before the first local header (a prepended polyglot payload) */
  prefix?: Uint8Array
}

/** Little-endian fields as small number arrays, large data as Uint8Array parts (a number[] of megabytes is slow). */
class Bytes {
  private readonly parts: Uint8Array[] = []
  private pending: number[] = []
  length = 0
  private flush(): void {
    if (this.pending.length) { this.parts.push(Uint8Array.from(this.pending)); this.pending = [] }
  }
  u16(n: number): this { this.pending.push(n & 0xff, (n >>> 8) & 0xff); this.length += 2; return this }
  u32(n: number): this { this.u16(n & 0xffff); return this.u16(Math.floor(n / 65536) & 0xffff) }
  u64(n: number): this { this.u32(n % 2 ** 32); return this.u32(Math.floor(n / 2 ** 32)) }
  raw(b: Uint8Array): this { this.flush(); this.parts.push(b); this.length += b.length; return this }
  bytes(): Uint8Array {
    this.flush()
    const out = new Uint8Array(this.length)
    let o = 0
    for (const p of this.parts) { out.set(p, o); o += p.length }
    return out
  }
}

export function buildZip(entries: ZipInput[], options: ZipOptions = {}): Uint8Array {
  const enc = new TextEncoder()
  const b = new Bytes()
  if (options.prefix) b.raw(options.prefix)
  const central = new Bytes()
  for (const e of entries) {
    const local = b.length
    const name = enc.encode(e.name)
    const localName = enc.encode(e.localName ?? e.name)
    const crc = crc32(e.data)
    const flags = e.flags ?? 0x0800
    // Pad the local extra field so data starts 64-byte aligned, as torch does ("FB" padding record).
    const base = local + 30 + localName.length + 4
    const pad = (64 - (base % 64)) % 64
    b.u32(0x04034b50).u16(20).u16(flags).u16(e.method ?? 0).u16(0).u16(0).u32(crc).u32(e.data.length).u32(e.data.length)
      .u16(localName.length).u16(4 + pad).raw(localName).u16(0x4246).u16(pad).raw(new Uint8Array(pad)).raw(e.data)
    central.u32(0x02014b50).u16(20).u16(20).u16(flags).u16(e.method ?? 0).u16(0).u16(0).u32(e.crc ?? crc)
      .u32(e.data.length).u32(e.data.length).u16(name.length).u16(0).u16(0).u16(0).u16(0).u32(0).u32(local).raw(name)
  }
  const cdOffset = b.length
  b.raw(central.bytes())
  const cdEnd = b.length
  if (options.zip64) {
    b.u32(0x06064b50).u64(44).u16(45).u16(45).u32(0).u32(0).u64(entries.length).u64(entries.length)
      .u64(cdEnd - cdOffset).u64(cdOffset)
    b.u32(0x07064b50).u32(0).u64(cdEnd).u32(1)
  }
  const comment = options.comment ?? new Uint8Array(0)
  // with more entries than 16 bits hold, the end record says 0xffff and the zip64 record has the count
  const count = options.zip64 ? Math.min(entries.length, 0xffff) : entries.length
  b.u32(0x06054b50).u16(0).u16(0).u16(count).u16(count).u32(cdEnd - cdOffset).u32(cdOffset)
    .u16(comment.length).raw(comment)
  return b.bytes()
}
