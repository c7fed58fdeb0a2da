// One image file's bytes → R×R×3 uint8 RGB, the way the generator's training images must look.
//
// Pipeline (change DECODE_PIPELINE_VERSION with any change here, so cached results are rebuilt):
//   EXIF orientation applied → alpha composited onto WHITE → any colour space / bit depth to 8-bit sRGB
//   (greyscale becomes 3 equal channels) → centre crop to a square and resize to R×R in one step with lanczos3.
// White, because transparent training images are mostly cut-outs and logos meant to be seen on a white page;
// black would turn their background into a dark blob the generator then learns.
// lanczos3, because an antialiased filter is what the reference tools use (clean-fid: PIL bicubic/Lanczos class);
// a point or bilinear downscale aliases and shifts feature statistics.
//
// Hostile inputs: the header's pixel count is checked before any pixel is decoded (a 100k×100k PNG is a few
// bytes on disk and 30 GB decoded), and sharp's own limitInputPixels stays as the backstop. Only JPEG, PNG and
// WebP content is accepted whatever the extension says: SVG, GIF, TIFF, HEIF… would widen the attack surface.
// JPEG/WebP decoding shrinks on load, so a large photo never exists in memory at full size.

import sharp, { type Metadata } from 'sharp'
import { whyUndecodable } from './diagnose'
import { otherImageByContent } from './formats'
import { EMPTY } from './read'

export const DECODE_PIPELINE_VERSION = 1

/** 100 megapixels: a 12 000 × 8 000 photo passes, a decompression bomb does not. */
export const MAX_INPUT_PIXELS = 100_000_000

const ACCEPTED_FORMATS = new Set(['jpeg', 'png', 'webp'])

export type DecodeResult =
  | { ok: true; pixels: Uint8Array /* [R, R, 3] */ }
  | { ok: false; reason: string }

export async function decodeImage(bytes: Uint8Array, resolution: number): Promise<DecodeResult> {
  if (bytes.length === 0) return { ok: false, reason: EMPTY }
  const input = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)

  let meta: Metadata
  try {
    meta = await sharp(input, { limitInputPixels: false }).metadata()
  } catch (e) {
    return { ok: false, reason: `cannot decode: ${whyUndecodable(input, messageOf(e))}` }
  }
  if (!meta.format || !ACCEPTED_FORMATS.has(meta.format)) {
    const what = otherImageByContent(meta.format, meta.pages)
    return { ok: false, reason: `cannot decode: the file holds ${what}, not a JPEG, PNG or WebP image: export it as PNG or JPEG` }
  }
  const width = meta.width ?? 0
  const height = meta.height ?? 0
  if (width * height > MAX_INPUT_PIXELS) {
    return {
      ok: false,
      reason:
        `too large: ${width}×${height} is ${(width * height / 1e6).toFixed(0)} megapixels, over the ` +
        `${MAX_INPUT_PIXELS / 1e6} MP limit; downscale it first`,
    }
  }

  try {
    // failOn 'warning': a truncated or damaged JPEG is refused, not silently padded with grey rows that the
    // discriminator would learn as real.
    const { data, info } = await sharp(input, { limitInputPixels: MAX_INPUT_PIXELS, failOn: 'warning' })
      .autoOrient()
      .flatten({ background: '#ffffff' })
      .resize(resolution, resolution, { fit: 'cover', position: 'centre', kernel: 'lanczos3' })
      .toColourspace('srgb')
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true })
    if (info.width !== resolution || info.height !== resolution || info.channels !== 3) {
      return {
        ok: false,
        reason: `cannot decode: got ${info.width}×${info.height}×${info.channels} instead of ${resolution}×${resolution}×3`,
      }
    }
    return { ok: true, pixels: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) }
  } catch (e) {
    const message = messageOf(e)
    if (/pixel limit/i.test(message)) return { ok: false, reason: `too large: ${message.split('\n', 1)[0]}; downscale it first` }
    return { ok: false, reason: `cannot decode: ${whyUndecodable(input, message)}` }
  }
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}
