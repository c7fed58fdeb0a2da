// PNG encoding for generated images and grids: RGB 8-bit, no interlace, with optional tEXt chunks (the studio
// embeds the latent record there so a dropped PNG reopens the exact point). Pure: bytes out, no file system.
import { deflateSync } from 'node:zlib'

const signature = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)

const crcTable = (() => {
  const t = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    t[n] = c >>> 0
  }
  return t
})()

function crc(bytes: Uint8Array): number {
  let c = 0xffffffff
  for (const b of bytes) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length)
  const view = new DataView(out.buffer)
  view.setUint32(0, data.length)
  out.set(Buffer.from(type, 'latin1'), 4)
  out.set(data, 8)
  view.setUint32(8 + data.length, crc(out.subarray(4, 8 + data.length)))
  return out
}

/** Encodes RGB pixels [height, width, 3] (row-major uint8) as a PNG. Text values are written as tEXt (Latin-1
 *  keyword, UTF-8 JSON is fine as long as it is ASCII-escaped by the caller: tEXt is Latin-1). */
export function encodePng(
  rgb: Uint8Array,
  width: number,
  height: number,
  text: Record<string, string> = {},
): Uint8Array {
  if (rgb.length !== width * height * 3) {
    throw new Error(`encodePng: ${rgb.length} bytes is not ${width}×${height}×3`)
  }
  const ihdr = new Uint8Array(13)
  const v = new DataView(ihdr.buffer)
  v.setUint32(0, width)
  v.setUint32(4, height)
  ihdr.set([8, 2, 0, 0, 0], 8) // 8-bit, truecolour, deflate, adaptive filtering, no interlace
  const stride = width * 3
  const raw = new Uint8Array((stride + 1) * height)
  for (let y = 0; y < height; y++) {
    raw[y * (stride + 1)] = 0 // filter: none
    raw.set(rgb.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1)
  }
  const texts = Object.entries(text).map(([k, val]) => {
    if (!/^[\x20-\x7e]{1,79}$/.test(k)) throw new Error(`encodePng: bad tEXt keyword '${k}'`)
    if (!/^[\x00-\xff]*$/.test(val)) throw new Error(`encodePng: tEXt '${k}' is not Latin-1; escape it`)
    return chunk('tEXt', Buffer.from(`${k}\0${val}`, 'latin1'))
  })
  const parts = [signature, chunk('IHDR', ihdr), ...texts, chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array())]
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}

/** The tEXt chunks of a PNG (keyword → text). Stops at IDAT-independent structure errors with a clear message. */
export function readPngText(png: Uint8Array): Record<string, string> {
  if (png.length < 8 || !signature.every((b, i) => png[i] === b)) throw new Error('not a PNG file (bad signature)')
  const out: Record<string, string> = Object.create(null)
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength)
  let o = 8
  while (o + 12 <= png.length) {
    const len = view.getUint32(o)
    const type = Buffer.from(png.subarray(o + 4, o + 8)).toString('latin1')
    if (o + 12 + len > png.length) throw new Error(`PNG chunk '${type}' runs past the end of the file`)
    if (type === 'tEXt') {
      const data = png.subarray(o + 8, o + 8 + len)
      const nul = data.indexOf(0)
      if (nul > 0) out[Buffer.from(data.subarray(0, nul)).toString('latin1')] = Buffer.from(data.subarray(nul + 1)).toString('latin1')
    }
    if (type === 'IEND') break
    o += 12 + len
  }
  return out
}
