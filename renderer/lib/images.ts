// Rendered images as the canvases need them: one image's RGBA bytes out of a batch, without copying.
import type { Rendered } from '../../preload/contract/index.ts'

export interface RgbaImage {
  width: number
  height: number
  /** height·width·4 bytes, row-major RGBA: a view into the rendered batch */
  data: Uint8ClampedArray<ArrayBuffer>
}

/** Image `index` of a rendered batch. */
export function imageAt(rendered: Pick<Rendered, 'width' | 'height' | 'count' | 'pixels'>, index: number): RgbaImage {
  const { width, height, count, pixels } = rendered
  if (!Number.isInteger(index) || index < 0 || index >= count) throw new Error(`image ${index} is not in a batch of ${count}`)
  const size = width * height * 4
  if (pixels.length < count * size) {
    throw new Error(`rendered pixels hold ${pixels.length} bytes, ${count} images of ${width}×${height} need ${count * size}`)
  }
  return {
    width,
    height,
    data: new Uint8ClampedArray(pixels.buffer as ArrayBuffer, pixels.byteOffset + index * size, size),
  }
}

/** Every image of a batch, in order. */
export function imagesOf(rendered: Pick<Rendered, 'width' | 'height' | 'count' | 'pixels'>): RgbaImage[] {
  return Array.from({ length: rendered.count }, (_, i) => imageAt(rendered, i))
}

/** Integer upscaling keeps small models' pixels crisp; larger images are shown smoothly. */
export function displaySize(width: number, target: number): { size: number; pixelated: boolean } {
  if (width <= 0) return { size: target, pixelated: false }
  if (width >= target) return { size: target, pixelated: false }
  const factor = Math.max(1, Math.floor(target / width))
  return { size: width * factor, pixelated: true }
}
