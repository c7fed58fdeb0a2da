// Small pixel-layout conversions for the studio: RGB ⇄ RGBA (the renderer draws RGBA; PNG and GIF take RGB) and
// a box-filter downscale for thumbnails.

/** [n pixels, 3] → [n pixels, 4] with opaque alpha. */
export function rgbToRgba(rgb: Uint8Array): Uint8Array {
  const n = rgb.length / 3
  const out = new Uint8Array(n * 4)
  for (let i = 0; i < n; i++) {
    out[i * 4] = rgb[i * 3]
    out[i * 4 + 1] = rgb[i * 3 + 1]
    out[i * 4 + 2] = rgb[i * 3 + 2]
    out[i * 4 + 3] = 255
  }
  return out
}

/** [n pixels, 4] → [n pixels, 3], alpha dropped. */
export function rgbaToRgb(rgba: Uint8Array): Uint8Array {
  const n = rgba.length / 4
  const out = new Uint8Array(n * 3)
  for (let i = 0; i < n; i++) {
    out[i * 3] = rgba[i * 4]
    out[i * 3 + 1] = rgba[i * 4 + 1]
    out[i * 3 + 2] = rgba[i * 4 + 2]
  }
  return out
}

/** A square RGB image of `size` shrunk by the integer `factor` (each output pixel the rounded mean of a
 *  factor×factor block). */
export function downscaleRgb(rgb: Uint8Array, size: number, factor: number): { rgb: Uint8Array; size: number } {
  if (!(Number.isInteger(factor) && factor >= 1 && size % factor === 0)) {
    throw new Error(`downscaleRgb: ${size} px does not divide by ${factor}`)
  }
  if (factor === 1) return { rgb, size }
  const out = size / factor
  const result = new Uint8Array(out * out * 3)
  const area = factor * factor
  for (let y = 0; y < out; y++) {
    for (let x = 0; x < out; x++) {
      for (let c = 0; c < 3; c++) {
        let sum = 0
        for (let dy = 0; dy < factor; dy++) {
          const row = (y * factor + dy) * size
          for (let dx = 0; dx < factor; dx++) sum += rgb[(row + x * factor + dx) * 3 + c]
        }
        result[(y * out + x) * 3 + c] = Math.round(sum / area)
      }
    }
  }
  return { rgb: result, size: out }
}
