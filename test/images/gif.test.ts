import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { GifEncoder, gifDelays } from '../../main/images/gif'

/** Decodes every frame of a GIF to RGB with sharp: [pages, h, w, 3]. */
async function decode(gif: Uint8Array): Promise<{ pages: number; width: number; height: number; delay?: number[]; loop?: number; rgb: Buffer }> {
  const meta = await sharp(gif, { animated: true }).metadata()
  const rgb = await sharp(gif, { animated: true }).removeAlpha().raw().toBuffer()
  return { pages: meta.pages ?? 1, width: meta.width!, height: meta.pageHeight ?? meta.height!, delay: meta.delay, loop: meta.loop, rgb }
}

function frame(size: number, paint: (x: number, y: number) => [number, number, number]): Uint8Array {
  const out = new Uint8Array(size * size * 3)
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) out.set(paint(x, y), (y * size + x) * 3)
  return out
}

describe('animated GIF export', () => {
  it('writes frames that sharp decodes losslessly when a frame has at most 256 colours, looping, at the asked delay', async () => {
    const size = 16 // 256 pixels: at most 256 colours
    const frames = [0, 1, 2, 3, 4].map((f) => frame(size, (x, y) => [(x * 10 + f * 7) % 256, (y * 10) % 256, ((x + y) * 3 * f) % 256]))
    const gif = new GifEncoder(size, size)
    for (const f of frames) gif.addFrame(f, 3, 10)
    const decoded = await decode(gif.finish())
    expect(decoded.pages).toBe(5)
    expect([decoded.width, decoded.height]).toEqual([size, size])
    expect(decoded.loop).toBe(0)
    expect(decoded.delay).toEqual([100, 100, 100, 100, 100]) // ms
    const distinct = frames.map((f) => new Set(Array.from({ length: size * size }, (_, i) => f.subarray(i * 3, i * 3 + 3).join())).size)
    expect(Math.max(...distinct)).toBeLessThanOrEqual(256)
    expect(Buffer.compare(decoded.rgb, Buffer.concat(frames))).toBe(0)
  })

  it('quantises a frame of many colours by median cut to a close palette', async () => {
    const size = 64
    // 4096 distinct colours: a smooth gradient over all three channels
    const f = frame(size, (x, y) => [x * 4, y * 4, (x * 2 + y * 2) % 256])
    const gif = new GifEncoder(size, size, { loop: 3 })
    gif.addFrame(f, 3, 4)
    gif.addFrame(Uint8Array.from(f).reverse(), 3, 4)
    const decoded = await decode(gif.finish())
    expect(decoded.pages).toBe(2)
    expect(decoded.loop).toBe(4) // libvips counts plays: the first one and 3 repeats
    let error = 0
    for (let i = 0; i < f.length; i++) error += Math.abs(decoded.rgb[i] - f[i])
    expect(error / f.length).toBeLessThan(4) // mean absolute error per channel, in levels of 255
  })

  it('takes RGBA frames and long runs that fill the LZW table (clear codes)', async () => {
    const w = 300
    const h = 200
    const rgba = new Uint8Array(w * h * 4)
    for (let i = 0; i < w * h; i++) rgba.set([(i * 7919) % 251, (i * 104729) % 241, (i >> 3) % 239, 255], i * 4)
    const gif = new GifEncoder(w, h)
    gif.addFrame(rgba, 4, 2)
    const decoded = await decode(gif.finish())
    expect([decoded.pages, decoded.width, decoded.height]).toEqual([1, w, h])
  })

  it('spreads delays on the 1/100 s clock so the animation keeps its frame rate, never below 2', () => {
    expect(gifDelays(3, 25)).toEqual([4, 4, 4])
    const thirty = gifDelays(30, 30)
    expect(thirty.reduce((a, b) => a + b, 0)).toBe(100)
    expect(new Set(thirty)).toEqual(new Set([3, 4]))
    expect(gifDelays(4, 60)).toEqual([2, 2, 2, 2])
  })

  it('refuses frames of the wrong size', () => {
    const gif = new GifEncoder(4, 4)
    expect(() => gif.addFrame(new Uint8Array(10), 3, 5)).toThrow(/4×4×3/)
    expect(() => new GifEncoder(4, 4).finish()).toThrow(/at least one frame/)
  })
})
