// Test images made with sharp itself, so the fixtures are real encoder output of each format.

import { crc32 } from 'node:zlib'
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import sharp from 'sharp'

type Format = 'png' | 'jpeg' | 'webp'

export async function solid(width: number, height: number, rgb: [number, number, number], format: Format): Promise<Buffer> {
  const img = sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } })
  return format === 'png' ? img.png().toBuffer() : format === 'jpeg' ? img.jpeg().toBuffer() : img.webp().toBuffer()
}

/** A wide image whose left and right thirds are red and middle third blue. */
export async function redBlueRed(third: number): Promise<Buffer> {
  const width = third * 3
  const raw = Buffer.alloc(width * third * 3)
  for (let y = 0; y < third; y++) {
    for (let x = 0; x < width; x++) {
      const at = (y * width + x) * 3
      const middle = x >= third && x < 2 * third
      raw[at] = middle ? 0 : 255
      raw[at + 2] = middle ? 255 : 0
    }
  }
  return sharp(raw, { raw: { width, height: third, channels: 3 } }).png().toBuffer()
}

/** A true one-channel greyscale PNG. */
export async function greyPng(level: number): Promise<Buffer> {
  return sharp({ create: { width: 20, height: 20, channels: 3, background: { r: level, g: level, b: level } } })
    .toColourspace('b-w')
    .png()
    .toBuffer()
}

/** A fully transparent PNG (black, alpha 0). */
export async function transparentPng(): Promise<Buffer> {
  return sharp({ create: { width: 20, height: 20, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } })
    .png()
    .toBuffer()
}

/** A valid small PNG whose header claims width × height: a decompression bomb's signature. */
export async function forgedHugePng(width: number, height: number): Promise<Buffer> {
  const png = Buffer.from(await solid(4, 4, [0, 255, 0], 'png'))
  // IHDR data starts at byte 16 (8 signature + 4 length + 4 type); its CRC covers type + data (bytes 12..28).
  png.writeUInt32BE(width, 16)
  png.writeUInt32BE(height, 20)
  png.writeUInt32BE(crc32(png.subarray(12, 29)), 29)
  return png
}

/** Bytes that are no image, deterministic so a failure reproduces. */
export function noise(length: number): Buffer {
  const out = Buffer.alloc(length)
  let x = 12345
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0
    out[i] = x >>> 24
  }
  return out
}

export async function put(path: string, bytes: Uint8Array | string): Promise<void> {
  await mkdir(dirname(path), { recursive: true })
  await writeFile(path, bytes)
}

/** Formats sharp writes that training does not read. */
export async function tiff(): Promise<Buffer> {
  return sharp({ create: { width: 8, height: 8, channels: 3, background: '#c80000' } }).tiff().toBuffer()
}

/** A two-frame animated GIF. */
export async function animatedGif(): Promise<Buffer> {
  const frames = await Promise.all([[200, 0, 0], [0, 0, 200]].map((rgb) => solid(8, 8, rgb as [number, number, number], 'png')))
  return sharp(frames, { join: { animated: true } }).gif().toBuffer()
}

export const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8" fill="red"/></svg>'

/** A PNG with one byte of its `chunk` chunk's data changed and its CRC left as it was: damage the CRC catches. */
export async function badCrcPng(chunk: 'IHDR' | 'IDAT'): Promise<Buffer> {
  const png = Buffer.from(await solid(8, 8, [0, 200, 0], 'png'))
  const at = png.indexOf(chunk) // the data follows the type
  png[at + 4] ^= 0x40
  return png
}
