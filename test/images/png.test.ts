import { inflateSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { encodePng, readPngText } from '../../main/images/png'
import { cellOrigin, gridLayout, tileGrid } from '../../main/images/pixels'
import { toPixels } from '../../main/engine/pixels'

describe('PNG export', () => {
  it('writes RGB pixels that decode back to the same bytes, with text chunks', () => {
    const rgb = Uint8Array.from({ length: 4 * 3 * 3 }, (_, i) => (i * 37) % 256)
    const png = encodePng(rgb, 4, 3, { biggan: '{"seed":1}' })
    expect(readPngText(png)).toEqual({ biggan: '{"seed":1}' })
    // find IDAT and inflate it: each row is a filter byte (0) plus the row's pixels
    const buf = Buffer.from(png)
    const at = buf.indexOf('IDAT')
    const len = buf.readUInt32BE(at - 4)
    const raw = inflateSync(buf.subarray(at + 4, at + 4 + len))
    const rows = [0, 1, 2].map((y) => raw.subarray(y * 13 + 1, y * 13 + 13))
    expect(Buffer.concat(rows)).toEqual(Buffer.from(rgb))
  })

  it('refuses pixel buffers that do not match the size', () => {
    expect(() => encodePng(new Uint8Array(5), 2, 2)).toThrow(/2×2×3/)
  })

  it('maps [−1, 1] to bytes by the reference rule and tiles a grid', () => {
    expect([...toPixels(Float32Array.of(-1, -0.5, 0, 0.999, 1, 2))]).toEqual([0, 64, 128, 255, 255, 255])
    const px = Uint8Array.from({ length: 2 * 2 * 2 * 3 }, () => 7)
    const { rgb, width, height } = tileGrid(px, gridLayout(2, 2, 2, 1))
    expect([width, height]).toEqual([7, 4])
    expect(rgb[(1 * 7 + 1) * 3]).toBe(7)
    expect(rgb[0]).toBe(255)
  })

  it('lays out a grid of ⌈√n⌉ columns by default, each cell framed by the gap', () => {
    expect(gridLayout(5, 32)).toEqual({ count: 5, columns: 3, rows: 2, cell: 32, gap: 2, width: 3 * 32 + 4 * 2, height: 2 * 32 + 3 * 2 })
    expect(cellOrigin(gridLayout(5, 32), 4)).toEqual({ x: 2 + 34, y: 2 + 34 })
  })
})
