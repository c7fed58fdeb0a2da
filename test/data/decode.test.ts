import { describe, expect, it } from 'vitest'
import { decodeImage, MAX_INPUT_PIXELS } from '../../main/data/decode'
import { forgedHugePng, greyPng, noise, redBlueRed, solid, transparentPng } from './images'
import sharp from 'sharp'

const R = 16

function meanChannels(pixels: Uint8Array): [number, number, number] {
  const sum = [0, 0, 0]
  for (let i = 0; i < pixels.length; i++) sum[i % 3] += pixels[i]
  const n = pixels.length / 3
  return [sum[0] / n, sum[1] / n, sum[2] / n]
}

async function decoded(bytes: Uint8Array): Promise<Uint8Array> {
  const result = await decodeImage(bytes, R)
  if (!result.ok) throw new Error(`expected a decode, got: ${result.reason}`)
  expect(result.pixels.length).toBe(R * R * 3)
  return result.pixels
}

describe('decoding one training image', () => {
  it('decodes PNG, JPEG and WebP to R×R RGB', async () => {
    for (const format of ['png', 'jpeg', 'webp'] as const) {
      const [r, g, b] = meanChannels(await decoded(await solid(40, 30, [200, 40, 10], format)))
      expect(Math.abs(r - 200)).toBeLessThan(8)
      expect(Math.abs(g - 40)).toBeLessThan(8)
      expect(Math.abs(b - 10)).toBeLessThan(8)
    }
  })

  it('centre-crops a wide image before resizing: red|blue|red becomes mostly blue', async () => {
    const pixels = await decoded(await redBlueRed(60))
    const [r, , b] = meanChannels(pixels)
    expect(b).toBeGreaterThan(200)
    expect(r).toBeLessThan(50)
    const centre = ((R / 2) * R + R / 2) * 3
    expect(pixels[centre]).toBeLessThan(10)
    expect(pixels[centre + 2]).toBeGreaterThan(245)
  })

  it('turns a one-channel greyscale image into three equal channels', async () => {
    const grey = await greyPng(90)
    expect((await sharp(grey).metadata()).channels).toBe(1)
    const pixels = await decoded(grey)
    for (let i = 0; i < pixels.length; i += 3) {
      expect(pixels[i]).toBe(pixels[i + 1])
      expect(pixels[i]).toBe(pixels[i + 2])
    }
    expect(Math.abs(pixels[0] - 90)).toBeLessThan(3)
  })

  it('composites transparency onto white', async () => {
    const pixels = await decoded(await transparentPng())
    expect(pixels.every((v) => v === 255)).toBe(true)
  })

  it('decodes a 4000×3000 photo down to R×R', async () => {
    const [r, g, b] = meanChannels(await decoded(await solid(4000, 3000, [10, 120, 240], 'jpeg')))
    expect(Math.abs(r - 10)).toBeLessThan(8)
    expect(Math.abs(g - 120)).toBeLessThan(8)
    expect(Math.abs(b - 240)).toBeLessThan(8)
  })

  it('reports an empty file, random bytes and a truncated JPEG as values, not throws', async () => {
    expect(await decodeImage(new Uint8Array(0), R)).toEqual({ ok: false, reason: 'empty file (0 bytes): copy or export it again' })
    const random = await decodeImage(noise(5000), R)
    expect(random.ok).toBe(false)
    if (!random.ok) expect(random.reason).toMatch(/^cannot decode: /)
    const jpeg = await solid(64, 48, [255, 0, 0], 'jpeg')
    const truncated = await decodeImage(jpeg.subarray(0, jpeg.length >> 1), R)
    expect(truncated.ok).toBe(false)
    if (!truncated.ok) expect(truncated.reason).toMatch(/^cannot decode: .*JPEG/)
  })

  it('says what is wrong with a file it cannot decode and what to do, in place of libvips\'s first line', async () => {
    const again = 'the file was not saved or copied completely; copy or export it again'
    expect(await decodeImage(noise(5000), R)).toEqual({
      ok: false,
      reason:
        'cannot decode: the file is not a JPEG, PNG or WebP image (its first bytes match none of them): replace it with a ' +
        'copy that opens, or remove it',
    })
    const jpeg = await solid(64, 48, [255, 0, 0], 'jpeg')
    expect(await decodeImage(jpeg.subarray(0, jpeg.length >> 1), R)).toEqual({
      ok: false,
      reason: `cannot decode: the JPEG is cut short (it has no end marker): ${again}`,
    })
    const webp = await solid(64, 48, [255, 0, 0], 'webp')
    expect(await decodeImage(webp.subarray(0, 40), R)).toEqual({
      ok: false,
      reason: `cannot decode: the WebP is cut short (it holds 40 of its ${webp.length} bytes): ${again}`,
    })
    // damage inside a JPEG's compressed data: no structure to check, so libvips's complaint, with its prefix cut
    const busy = await sharp(Buffer.from(Array.from({ length: 64 * 64 * 3 }, (_, i) => (i * 7919) % 251)), {
      raw: { width: 64, height: 64, channels: 3 },
    }).jpeg().toBuffer()
    busy.fill(0x55, 1000, 1400)
    expect(await decodeImage(busy, R)).toEqual({
      ok: false,
      reason: expect.stringMatching(
        /^cannot decode: the JPEG decoder stopped \(Corrupt JPEG data: [^)]+\): the file is probably damaged; open it in an image editor and export it again$/,
      ),
    })
  })

  it('refuses a header that claims 100 000 × 100 000 pixels before decoding any', async () => {
    const result = await decodeImage(await forgedHugePng(100_000, 100_000), R)
    expect(result).toEqual({
      ok: false,
      reason: expect.stringMatching(/^too large: 100000×100000 .* over the 100 MP limit/),
    })
    expect(MAX_INPUT_PIXELS).toBe(100_000_000)
  })

  it('accepts only JPEG, PNG and WebP content whatever the extension', async () => {
    const gif = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#00ff00' } }).gif().toBuffer()
    expect(await decodeImage(gif, R)).toEqual({
      ok: false,
      reason: 'cannot decode: the file holds a GIF, not a JPEG, PNG or WebP image: export it as PNG or JPEG',
    })
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8"/></svg>')
    expect(await decodeImage(svg, R)).toEqual({
      ok: false,
      reason: 'cannot decode: the file holds an SVG drawing, not a JPEG, PNG or WebP image: export it as PNG or JPEG',
    })
  })
})
