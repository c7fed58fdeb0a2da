// Exports enlarged from the model's resolution: 'nearest' keeps each generated pixel as a block, 'smooth' interpolates
// between pixel centres; factors 1–16 only.
import { describe, expect, it } from 'vitest'
import { upscaleOf, upscaleRgb } from '../../main/images/upscale'

/** A w×h RGB image whose pixel (x, y) is (x, y, x + y)·10. */
function ramp(w: number, h: number): Uint8Array {
  const out = new Uint8Array(w * h * 3)
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out.set([x * 10, y * 10, (x + y) * 10], (y * w + x) * 3)
  return out
}

const pixel = (rgb: Uint8Array, w: number, x: number, y: number) => Array.from(rgb.subarray((y * w + x) * 3, (y * w + x) * 3 + 3))

describe('an upscaled export', () => {
  it("nearest repeats each generated pixel as a factor×factor block", () => {
    const src = ramp(3, 2)
    const out = upscaleRgb(src, 3, 2, { factor: 4, filter: 'nearest' })
    expect([out.width, out.height, out.rgb.length]).toEqual([12, 8, 12 * 8 * 3])
    for (let y = 0; y < 8; y++) for (let x = 0; x < 12; x++) expect(pixel(out.rgb, 12, x, y)).toEqual(pixel(src, 3, Math.floor(x / 4), Math.floor(y / 4)))
  })

  it('smooth keeps a flat image flat, holds the edges and ramps between pixel centres without blocks', () => {
    const flat = new Uint8Array(4 * 4 * 3).fill(77)
    expect(upscaleRgb(flat, 4, 4, { factor: 3, filter: 'smooth' }).rgb.every((v) => v === 77)).toBe(true)
    const src = ramp(2, 1)
    const out = upscaleRgb(src, 2, 1, { factor: 8, filter: 'smooth' })
    const red = Array.from({ length: 16 }, (_, x) => pixel(out.rgb, 16, x, 0)[0])
    expect(red.slice(0, 4)).toEqual([0, 0, 0, 0]) // before the first centre: held
    expect(red.slice(12)).toEqual([10, 10, 10, 10])
    for (let x = 1; x < 16; x++) expect(red[x]).toBeGreaterThanOrEqual(red[x - 1])
    expect(new Set(red).size).toBeGreaterThan(4) // values between the two, not two blocks
  })

  it('returns the image as it is at factor 1, and refuses other factors and filters, saying which are allowed', () => {
    const src = ramp(2, 2)
    expect(upscaleRgb(src, 2, 2, { factor: 1, filter: 'smooth' }).rgb).toBe(src)
    expect(() => upscaleOf(17, 'nearest')).toThrow(/whole number from 1 to 16, not 17/)
    expect(() => upscaleOf(1.5, 'nearest')).toThrow(/whole number/)
    expect(() => upscaleOf(2, 'cubic')).toThrow(/'nearest' or 'smooth', not 'cubic'/)
    expect(upscaleOf(16, 'smooth')).toEqual({ factor: 16, filter: 'smooth' })
    expect(() => upscaleRgb(src, 3, 2, { factor: 2, filter: 'nearest' })).toThrow(/not a 3×2 RGB image/)
  })
})
