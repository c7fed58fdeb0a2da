// From generator output to pixels: part of what a generated image is. G emits NHWC floats in [−1, 1]; pixels are
// uint8 by the HF/colab rule clip(((x + 1) / 2) · 256, 0, 255), floored, so exported images match the reference
// tools byte for byte, and the judges of leakage and the metrics see the same 8-bit images the user does.

/** [count, size, size, 3] floats in [−1, 1] → uint8 with the same layout. */
export function toPixels(images: Float32Array): Uint8Array {
  const out = new Uint8Array(images.length)
  for (let i = 0; i < images.length; i++) {
    const v = Math.floor(((images[i] + 1) / 2) * 256)
    out[i] = v < 0 ? 0 : v > 255 ? 255 : v
  }
  return out
}
