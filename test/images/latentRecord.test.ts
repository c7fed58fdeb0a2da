import { describe, expect, it } from 'vitest'
import { LIMITS } from '../../preload/contract/index.ts'
import { crc32 } from '../../main/checkpoints/crc32'
import { LATENT_KEY, LATENT_LIMITS, latentRecordText, readLatentRecord, type LatentRecord } from '../../main/images/latentRecord'
import { encodePng } from '../../main/images/png'

const z = Float32Array.from({ length: 20 }, (_, i) => (i === 0 ? -0 : Math.fround(Math.sin(i * 1.7) * 1.3e-3 + i * 0.1234567)))
const record: LatentRecord = {
  format: 'biggan-studio-latent',
  version: 1,
  modelHash: 'ab'.repeat(32),
  modelName: 'Modèle ☃',
  engineVersion: '0.1.0',
  semantics: 'paper',
  z: Array.from(z),
  y: [0, 1, 0],
  truncation: 0.7,
  seed: 42,
}
const png = (text: Record<string, string>): Uint8Array => encodePng(new Uint8Array(2 * 2 * 3), 2, 2, text)

describe('the latent record inside a PNG', () => {
  it('round-trips every float32 of z bit for bit (−0 included), and non-Latin-1 names', () => {
    const back = readLatentRecord(png({ [LATENT_KEY]: latentRecordText(record) }))
    expect(back).toEqual(record)
    expect(Buffer.compare(Buffer.from(Float32Array.from(back.z).buffer), Buffer.from(z.buffer))).toBe(0)
  })

  it('round-trips the scale of an upscaled export, and refuses a scale that is not one', () => {
    const scaled = { ...record, upscale: { factor: 8, filter: 'smooth' as const } }
    expect(readLatentRecord(png({ [LATENT_KEY]: latentRecordText(scaled) }))).toEqual(scaled)
    const bad = (upscale: unknown) => png({ [LATENT_KEY]: latentRecordText({ ...record, upscale } as unknown as LatentRecord) })
    expect(() => readLatentRecord(bad({ factor: 40, filter: 'nearest' }))).toThrow(/'upscale'.*1 to 16/)
    expect(() => readLatentRecord(bad({ factor: 2, filter: 'lanczos' }))).toThrow(/'upscale'.*'lanczos'/)
    expect(() => readLatentRecord(bad('x4'))).toThrow(/'upscale' is not a factor and filter/)
  })

  it('refuses a file that is not a PNG, saying what to drop instead', () => {
    expect(() => readLatentRecord(new TextEncoder().encode('GIF89a....'))).toThrow(/not a PNG.*Export → PNG/)
  })

  it('refuses a PNG without a record', () => {
    expect(() => readLatentRecord(png({ other: 'x' }))).toThrow(/carries no BigGAN Studio latent record/)
  })

  it('refuses a record that is not JSON, has the wrong format or version, or bad fields', () => {
    expect(() => readLatentRecord(png({ [LATENT_KEY]: '{nope' }))).toThrow(/not valid JSON/)
    expect(() => readLatentRecord(png({ [LATENT_KEY]: latentRecordText({ ...record, format: 'x' } as unknown as LatentRecord) }))).toThrow(/format/)
    expect(() => readLatentRecord(png({ [LATENT_KEY]: latentRecordText({ ...record, version: 2 } as unknown as LatentRecord) }))).toThrow(/version 2.*Update/)
    expect(() => readLatentRecord(png({ [LATENT_KEY]: JSON.stringify({ ...record, modelName: 'm', z: [1, 'a'] }) }))).toThrow(/'z'\[1\]/)
    expect(() => readLatentRecord(png({ [LATENT_KEY]: latentRecordText({ ...record, truncation: 9 }) }))).toThrow(/truncation/)
    expect(() => readLatentRecord(png({ [LATENT_KEY]: latentRecordText({ ...record, seed: -1 }) }))).toThrow(/seed/)
  })

  it('refuses a damaged record chunk (CRC-32) and a file cut short', () => {
    const good = png({ [LATENT_KEY]: latentRecordText(record) })
    const damaged = Uint8Array.from(good)
    const at = Buffer.from(damaged).indexOf('0.7')
    damaged[at] = '1'.charCodeAt(0)
    expect(() => readLatentRecord(damaged)).toThrow(/CRC-32/)
    expect(() => readLatentRecord(good.subarray(0, good.length - 20))).toThrow(/cut short|runs past/)
    expect(crc32(new Uint8Array(0))).toBe(0)
  })

  // images:readPng hands the record's point to the renderer under the contract's bounds: a record the reader accepts
  // must fit them, and a point the contract carries must fit a record
  it("reads a z and y exactly as long as the contract's bounds, and refuses longer ones", () => {
    expect(LATENT_LIMITS).toEqual({ zDim: LIMITS.zDim, classes: LIMITS.classes })
    const widest = { ...record, z: Array(LIMITS.zDim).fill(0.5), y: Array(LIMITS.classes).fill(0) }
    expect(readLatentRecord(png({ [LATENT_KEY]: latentRecordText(widest) })).z).toHaveLength(LIMITS.zDim)
    expect(() => readLatentRecord(png({ [LATENT_KEY]: latentRecordText({ ...widest, z: [...widest.z, 0] }) }))).toThrow(/'z' is not a list of 1 to 1024/)
  })
})
