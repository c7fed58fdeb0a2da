// A zip writer for exported frames: stored entries (PNGs are already deflated), UTF-8 names, CRC-32, no zip64
// (an export stays far below 4 GiB and 65 535 entries). Pure: entries in, bytes out. main/checkpoints/zip.ts reads
// what it writes.
import { crc32 } from '../checkpoints/crc32.ts'

export interface ZipInput {
  /** a relative path with '/' separators */
  name: string
  data: Uint8Array
}

const UTF8_NAMES = 0x0800
const VERSION = 20 // 2.0: what a stored entry needs

export function writeZip(entries: readonly ZipInput[], date = new Date()): Uint8Array {
  if (entries.length > 0xffff) throw new Error(`a zip without zip64 holds at most 65535 entries, not ${entries.length}`)
  const { time, day } = dosDateTime(date)
  const names = entries.map((e) => {
    if (e.name === '' || e.name.startsWith('/') || e.name.includes('\\') || e.name.split('/').includes('..')) {
      throw new Error(`zip entry name ${JSON.stringify(e.name)} is not a safe relative path`)
    }
    return Buffer.from(e.name, 'utf8')
  })
  const locals: number[] = []
  let size = 0
  for (let i = 0; i < entries.length; i++) {
    locals.push(size)
    size += 30 + names[i].length + entries[i].data.length
  }
  const centralStart = size
  for (const name of names) size += 46 + name.length
  const centralSize = size - centralStart
  size += 22
  if (size > 0xffffffff) throw new Error(`a zip without zip64 is at most 4 GiB; these entries need ${size} bytes`)

  const out = new Uint8Array(size)
  const v = new DataView(out.buffer)
  let o = 0
  const crcs = entries.map((e) => crc32(e.data))
  entries.forEach((e, i) => {
    v.setUint32(o, 0x04034b50, true)
    v.setUint16(o + 4, VERSION, true)
    v.setUint16(o + 6, UTF8_NAMES, true)
    v.setUint16(o + 8, 0, true) // stored
    v.setUint16(o + 10, time, true)
    v.setUint16(o + 12, day, true)
    v.setUint32(o + 14, crcs[i], true)
    v.setUint32(o + 18, e.data.length, true)
    v.setUint32(o + 22, e.data.length, true)
    v.setUint16(o + 26, names[i].length, true)
    v.setUint16(o + 28, 0, true)
    out.set(names[i], o + 30)
    out.set(e.data, o + 30 + names[i].length)
    o += 30 + names[i].length + e.data.length
  })
  entries.forEach((e, i) => {
    v.setUint32(o, 0x02014b50, true)
    v.setUint16(o + 4, VERSION, true)
    v.setUint16(o + 6, VERSION, true)
    v.setUint16(o + 8, UTF8_NAMES, true)
    v.setUint16(o + 10, 0, true)
    v.setUint16(o + 12, time, true)
    v.setUint16(o + 14, day, true)
    v.setUint32(o + 16, crcs[i], true)
    v.setUint32(o + 20, e.data.length, true)
    v.setUint32(o + 24, e.data.length, true)
    v.setUint16(o + 28, names[i].length, true)
    // extra, comment, disk, internal and external attributes: 0
    v.setUint32(o + 42, locals[i], true)
    out.set(names[i], o + 46)
    o += 46 + names[i].length
  })
  v.setUint32(o, 0x06054b50, true)
  v.setUint16(o + 8, entries.length, true)
  v.setUint16(o + 10, entries.length, true)
  v.setUint32(o + 12, centralSize, true)
  v.setUint32(o + 16, centralStart, true)
  return out
}

/** MS-DOS time and date fields (local time, 2-second resolution, years 1980–2107). */
function dosDateTime(d: Date): { time: number; day: number } {
  const year = Math.min(2107, Math.max(1980, d.getFullYear()))
  return {
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | (d.getSeconds() >> 1),
    day: ((year - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
  }
}
