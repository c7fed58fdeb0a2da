import { describe, expect, it } from 'vitest'
import { readZip } from '../../main/checkpoints/zip'
import { writeZip } from '../../main/images/zipWrite'

describe('zip export', () => {
  it('writes stored entries that the strict zip reader reads back, CRC-32 checked', () => {
    const entries = [
      { name: 'walk/walk-0001.png', data: Uint8Array.from({ length: 1000 }, (_, i) => (i * 31) % 256) },
      { name: 'walk/walk-0002.png', data: new Uint8Array(0) },
      { name: 'walk/café.png', data: Uint8Array.of(1, 2, 3) },
    ]
    const zip = writeZip(entries, new Date(2024, 4, 17, 12, 30, 10))
    const read = readZip(zip, 'export.zip')
    expect([...read.keys()]).toEqual(entries.map((e) => e.name))
    for (const e of entries) expect(Buffer.compare(Buffer.from(read.get(e.name)!.data), Buffer.from(e.data))).toBe(0)
  })

  it('refuses names that would escape the folder they are unpacked into', () => {
    expect(() => writeZip([{ name: '../evil', data: new Uint8Array(1) }])).toThrow(/safe relative path/)
    expect(() => writeZip([{ name: '/abs', data: new Uint8Array(1) }])).toThrow(/safe relative path/)
  })
})
