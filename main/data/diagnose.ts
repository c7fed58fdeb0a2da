// Why an image file's bytes could not be decoded, said so that a person can act on it.
//
// sharp's errors are libvips's, and poor guides: "Input buffer has corrupt header:" with the cause cut off, or a first
// line "Warning treated as error due to failOn setting" with the cause on the next. Worse, libvips keeps one error
// log for the whole process, so while several files decode at once a message can carry another file's complaint.
// So the file's own structure is checked first (a PNG's chunks and their CRCs; whether a JPEG or WebP ends where it
// should), which names the damage of this file and no other; sharp's message, cleaned up, is the fallback.

import { crc32 } from '../checkpoints/crc32.ts'

type Format = 'PNG' | 'JPEG' | 'WebP'

/** Why decoding `bytes` failed, given sharp's error message. */
export function whyUndecodable(bytes: Uint8Array, sharpMessage: string): string {
  const format = formatOf(bytes)
  if (format === null) {
    return 'the file is not a JPEG, PNG or WebP image (its first bytes match none of them): replace it with a copy that opens, or remove it'
  }
  const damage = format === 'PNG' ? pngDamage(bytes) : format === 'JPEG' ? jpegDamage(bytes) : webpDamage(bytes)
  if (damage) return damage
  const detail = cleaned(sharpMessage)
  return `the ${format} decoder stopped (${detail || 'it gave no detail'}): the file is probably damaged; open it in an image editor and export it again`
}

function formatOf(b: Uint8Array): Format | null {
  const ascii = (from: number, to: number): string => String.fromCharCode(...b.subarray(from, to))
  if (b.length >= 8 && b[0] === 0x89 && ascii(1, 4) === 'PNG' && b[4] === 0x0d && b[5] === 0x0a && b[6] === 0x1a && b[7] === 0x0a) return 'PNG'
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'JPEG'
  if (b.length >= 12 && ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'WebP'
  return null
}

function cutShort(format: Format, where: string): string {
  return `the ${format} is cut short (${where}): the file was not saved or copied completely; copy or export it again`
}

/** The first chunk that runs past the end or fails its CRC, up to IEND. */
function pngDamage(png: Uint8Array): string | null {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength)
  for (let at = 8; ; ) {
    if (at + 12 > png.length) return cutShort('PNG', 'it ends before its IEND chunk')
    const length = view.getUint32(at)
    const type = String.fromCharCode(...png.subarray(at + 4, at + 8))
    if (!/^[A-Za-z]{4}$/.test(type)) return `the PNG's data is damaged (no valid chunk at byte ${at}): re-export the file`
    if (length > png.length - at - 12) return cutShort('PNG', `it ends inside its ${type} chunk`)
    if (crc32(png.subarray(at + 4, at + 8 + length)) !== view.getUint32(at + 8 + length)) {
      return `the PNG's data is damaged (bad CRC in its ${type} chunk): re-export the file`
    }
    if (type === 'IEND') return null
    at += 12 + length
  }
}

/** A JPEG ends with its EOI marker (FF D9); some writers pad zeros after it. */
function jpegDamage(jpeg: Uint8Array): string | null {
  let end = jpeg.length
  while (end > 2 && jpeg[end - 1] === 0) end--
  return jpeg[end - 2] === 0xff && jpeg[end - 1] === 0xd9 ? null : cutShort('JPEG', 'it has no end marker')
}

/** A WebP's RIFF header gives its size. */
function webpDamage(webp: Uint8Array): string | null {
  const size = new DataView(webp.buffer, webp.byteOffset, webp.byteLength).getUint32(4, true) + 8
  return size > webp.length ? cutShort('WebP', `it holds ${webp.length} of its ${size} bytes`) : null
}

/** sharp's message without libvips's prefixes and boilerplate, each complaint once. */
function cleaned(message: string): string {
  const lines = message
    .split('\n')
    .map((line) => line.replace(/^(Input (buffer|file) has corrupt header:|Input (buffer|file) contains|vipspng:|VipsJpeg:|webp:)\s*/i, '').trim())
    .filter((line) => line !== '' && !/^Warning treated as error/i.test(line))
  return [...new Set(lines)].join('; ')
}
