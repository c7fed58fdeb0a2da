// From generator output to pixels. G emits NHWC floats in [−1, 1]; pixels are uint8 by the HF/colab rule
// clip(((x + 1) / 2) · 256, 0, 255), floored, so exported images match the reference tools byte for byte.

/** [count, size, size, 3] floats in [−1, 1] → uint8 with the same layout. */
export function toPixels(images: Float32Array): Uint8Array {
  const out = new Uint8Array(images.length)
  for (let i = 0; i < images.length; i++) {
    const v = Math.floor(((images[i] + 1) / 2) * 256)
    out[i] = v < 0 ? 0 : v > 255 ? 255 : v
  }
  return out
}

/** Tiles `count` RGB images of size×size into a grid `columns` wide, with a `gap`-pixel white border. */
export function tileGrid(
  pixels: Uint8Array,
  count: number,
  size: number,
  columns: number,
  gap = 2,
): { rgb: Uint8Array; width: number; height: number } {
  const rows = Math.ceil(count / columns)
  const width = columns * size + (columns + 1) * gap
  const height = rows * size + (rows + 1) * gap
  const rgb = new Uint8Array(width * height * 3).fill(255)
  for (let n = 0; n < count; n++) {
    const x0 = gap + (n % columns) * (size + gap)
    const y0 = gap + Math.floor(n / columns) * (size + gap)
    for (let y = 0; y < size; y++) {
      const src = (n * size + y) * size * 3
      rgb.set(pixels.subarray(src, src + size * 3), ((y0 + y) * width + x0) * 3)
    }
  }
  return { rgb, width, height }
}
