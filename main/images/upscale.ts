// Exports larger than the model's resolution (a 32-px model's image is too small to look at or use): an RGB image
// enlarged by a whole factor, either 'nearest' (each pixel a factor×factor block: the pixels exactly as generated) or
// 'smooth' (bilinear between pixel centres, edges held: softer, no blocks). The latent record beside it says which,
// so the file still names the point it shows and how it was drawn larger.

export type UpscaleFilter = 'nearest' | 'smooth'

export const UPSCALE_FILTERS: readonly UpscaleFilter[] = ['nearest', 'smooth']

/** The factors an export may take: 1 (as generated) to 16. */
export const MAX_UPSCALE = 16

export interface Upscale {
  factor: number
  filter: UpscaleFilter
}

/** Why `factor` and `filter` cannot upscale an export, or undefined when they can. */
export function upscaleProblem(factor: number, filter: string): string | undefined {
  if (!(Number.isInteger(factor) && factor >= 1 && factor <= MAX_UPSCALE)) {
    return `the upscale factor must be a whole number from 1 to ${MAX_UPSCALE}, not ${factor}`
  }
  if (!UPSCALE_FILTERS.includes(filter as UpscaleFilter)) return `the upscale filter must be 'nearest' or 'smooth', not '${filter}'`
  return undefined
}

/** The upscale `factor` and `filter` name, or an error saying what is wrong with them. */
export function upscaleOf(factor: number, filter: string): Upscale {
  const problem = upscaleProblem(factor, filter)
  if (problem) throw new Error(problem)
  return { factor, filter: filter as UpscaleFilter }
}

/** [height, width, 3] RGB → [height·factor, width·factor, 3]. */
export function upscaleRgb(rgb: Uint8Array, width: number, height: number, { factor, filter }: Upscale): { rgb: Uint8Array; width: number; height: number } {
  const problem = upscaleProblem(factor, filter)
  if (problem) throw new Error(problem)
  if (rgb.length !== width * height * 3) throw new Error(`upscaleRgb: ${rgb.length} bytes are not a ${width}×${height} RGB image`)
  if (factor === 1) return { rgb, width, height }
  const W = width * factor
  const H = height * factor
  const out = new Uint8Array(W * H * 3)
  if (filter === 'nearest') {
    for (let y = 0; y < H; y++) {
      const row = Math.floor(y / factor) * width
      for (let x = 0; x < W; x++) {
        const from = (row + Math.floor(x / factor)) * 3
        const to = (y * W + x) * 3
        out[to] = rgb[from]
        out[to + 1] = rgb[from + 1]
        out[to + 2] = rgb[from + 2]
      }
    }
    return { rgb: out, width: W, height: H }
  }
  // smooth: output pixel centre (x + ½)/factor − ½ in source pixels, between its two neighbours on each axis
  const taps = (n: number, size: number) =>
    Array.from({ length: n }, (_, i) => {
      const s = Math.min(size - 1, Math.max(0, (i + 0.5) / factor - 0.5))
      const lo = Math.floor(s)
      return { lo, hi: Math.min(size - 1, lo + 1), w: s - lo }
    })
  const xs = taps(W, width)
  const ys = taps(H, height)
  for (let y = 0; y < H; y++) {
    const { lo: y0, hi: y1, w: wy } = ys[y]
    for (let x = 0; x < W; x++) {
      const { lo: x0, hi: x1, w: wx } = xs[x]
      for (let c = 0; c < 3; c++) {
        const top = rgb[(y0 * width + x0) * 3 + c] * (1 - wx) + rgb[(y0 * width + x1) * 3 + c] * wx
        const bottom = rgb[(y1 * width + x0) * 3 + c] * (1 - wx) + rgb[(y1 * width + x1) * 3 + c] * wx
        out[(y * W + x) * 3 + c] = Math.round(top * (1 - wy) + bottom * wy)
      }
    }
  }
  return { rgb: out, width: W, height: H }
}
